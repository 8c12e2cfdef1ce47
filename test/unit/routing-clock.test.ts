// Routing time on an injected clock: retry-after and backoff waits, aborts mid-wait, first-byte timeouts, key cool-downs, and the real clock under fake timers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { Provider } from '../../src/providers/types.js';
import type { AttemptHandle } from '../../src/routing/attempt.js';
import { realClock, type Clock } from '../../src/routing/clock.js';
import { execute, newTrace } from '../../src/routing/executor.js';
import { createHealthRegistry } from '../../src/routing/health.js';
import { createKeyPool } from '../../src/routing/key-pool.js';
import type { RoutePlan } from '../../src/routing/router.js';
import { RoutingSchema } from '../../src/routing/schema.js';
import type { Target } from '../../src/routing/strategies.js';
import { createManualClock } from '../helpers/manual-clock.js';

let n = 0;
function setup(clock: Clock) {
  const health = createHealthRegistry(RoutingSchema.parse({}), clock);
  const target = (timeouts: Target['timeouts'] = null): Target => {
    const key = `p/m${++n}`;
    return { key, provider: { id: 'p' } as Provider, model: key, weight: 1, timeouts, health: health.target(key), budget: health.budget('p'), price: 0 };
  };
  const plan = (candidates: Target[], retry: Partial<RoutePlan['retry']> = {}): RoutePlan => ({
    requested: 'x', alias: 'x', rule: null, strategy: 'fallback', candidates, hedge: null, fallbackOn: { statuses: [], messages: [] }, clock,
    retry: { attempts: 0, baseMs: 0, maxMs: 0, maxRetryAfterMs: 10_000, ...retry },
  });
  return { target, plan };
}

const limited = (after: string) => new GatewayError('upstream_rate_limited', 'slow down', { headers: { 'retry-after': after } });

/** Fails with the queued errors in turn, then answers 'ok'; counts calls. */
function scripted(...errors: GatewayError[]) {
  const s = { calls: 0, run: async (_h: AttemptHandle) => {
    const e = errors[s.calls++];
    if (e) throw e;
    return 'ok';
  } };
  return s;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('retry waits on the routing clock', () => {
  it('retries the same target only once its retry-after has passed', async () => {
    const clock = createManualClock();
    const { target, plan } = setup(clock);
    const s = scripted(limited('2'));
    const trace = newTrace();
    const p = execute(plan([target()], { attempts: 1, baseMs: 100, maxMs: 1000 }), { signal: new AbortController().signal, run: s.run, rand: () => 0.5 }, trace);
    await vi.waitFor(() => expect(clock.sleeps).toEqual([2000])); // retry-after beats the 50 ms backoff
    await clock.advance(1999);
    expect(s.calls).toBe(1);
    await clock.advance(1);
    expect((await p).value).toBe('ok');
    expect(s.calls).toBe(2);
    expect(trace.reason).toContain('wait 2000 ms (retry-after)');
  });

  it('backs off with full jitter, doubling the cap per retry', async () => {
    const clock = createManualClock({ autoSleep: true });
    const { target, plan } = setup(clock);
    const fail = () => new GatewayError('upstream_error', 'boom');
    const s = scripted(fail(), fail());
    const r = await execute(plan([target()], { attempts: 2, baseMs: 100, maxMs: 1000 }), { signal: new AbortController().signal, run: s.run, rand: () => 0.5 }, newTrace());
    expect(r.value).toBe('ok');
    expect(clock.sleeps).toEqual([50, 100]); // 0.5 × 100, then 0.5 × 200
    expect(clock.t).toBe(150);
  });

  it('gives up at once when the client leaves during the wait, leaving no timer behind', async () => {
    const clock = createManualClock();
    const { target, plan } = setup(clock);
    const ac = new AbortController();
    const s = scripted(limited('5'));
    const p = execute(plan([target()], { attempts: 1 }), { signal: ac.signal, run: s.run, rand: () => 0 }, newTrace());
    await vi.waitFor(() => expect(clock.sleeps).toEqual([5000]));
    ac.abort();
    await expect(p).rejects.toThrow(/went away while the gateway waited to retry/);
    expect(clock.pending()).toBe(0);
    expect(s.calls).toBe(1);
  });
});

describe('attempt timers on the routing clock', () => {
  it('falls back when the first byte is late, and clears every timer once answered', async () => {
    const clock = createManualClock();
    const { target, plan } = setup(clock);
    const slow = target({ firstByteMs: 100, totalMs: 1000 });
    const fast = target();
    const run = (h: AttemptHandle) =>
      h.target === fast ? Promise.resolve('fast') : new Promise<string>((_, reject) => h.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const trace = newTrace();
    const p = execute(plan([slow, fast]), { signal: new AbortController().signal, run, rand: () => 0 }, trace);
    await clock.advance(99);
    expect(trace.attempts).toBe(1);
    await clock.advance(1);
    expect((await p).value).toBe('fast');
    expect(trace.reason).toContain(`${slow.key} upstream_timeout 504`);
    expect(clock.pending()).toBe(0);
  });
});

describe('key pool cool-down on the routing clock', () => {
  it('skips a rate-limited key until its retry-after has passed', async () => {
    const clock = createManualClock();
    const used: string[] = [];
    const member = (key: string, fail: () => boolean) =>
      ({ id: 'p', kind: 'openai-compatible', models: () => [], chat: async () => {
        used.push(key);
        if (fail()) throw limited('3');
        return {};
      } }) as unknown as Provider;
    let k1Down = true;
    const pool = createKeyPool([member('k1', () => k1Down), member('k2', () => false)], clock);
    const call = () => pool.chat({ model: 'm', messages: [] }, { model: 'm', signal: new AbortController().signal, requestId: 'r' });
    await call(); // k1 is limited, k2 answers
    k1Down = false;
    await call();
    await call(); // k1's turn, but it is cooling: k2 again
    expect(used).toEqual(['k1', 'k2', 'k2', 'k2']);
    await clock.advance(2999);
    await call();
    await call();
    expect(used.slice(4)).toEqual(['k2', 'k2']); // 1 ms short of the cool-down: both turns go to k2
    await clock.advance(1);
    await call();
    await call();
    expect(used.slice(6).sort()).toEqual(['k1', 'k2']);
  });
});

describe('the real clock', () => {
  it('follows vitest fake timers: now, sleep and abort', async () => {
    vi.useFakeTimers();
    const t0 = realClock.now();
    let woke = false;
    void realClock.sleep(1000).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(woke).toBe(true);
    expect(realClock.now() - t0).toBe(1000);
    const ac = new AbortController();
    const cut = realClock.sleep(60_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(cut).rejects.toThrow('stop');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drives a whole retry-after wait in the executor under fake timers', async () => {
    vi.useFakeTimers();
    const { target, plan } = setup(realClock);
    const s = scripted(limited('1'));
    const p = execute(plan([target()], { attempts: 1 }), { signal: new AbortController().signal, run: s.run, rand: () => 0 }, newTrace());
    await vi.advanceTimersByTimeAsync(999);
    expect(s.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await p).value).toBe('ok');
    expect(s.calls).toBe(2);
  });
});
