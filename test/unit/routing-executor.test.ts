// The executor with in-memory targets on a hand-moved clock: panic mode, hedging by latency percentile, idle timeout on a committed stream, client aborts.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { ChatCompletionChunk } from '../../src/openai/types.js';
import type { Provider } from '../../src/providers/types.js';
import { execute, newTrace } from '../../src/routing/executor.js';
import { createHealthRegistry } from '../../src/routing/health.js';
import type { RoutePlan } from '../../src/routing/router.js';
import { RoutingSchema } from '../../src/routing/schema.js';
import { createRng, type Target } from '../../src/routing/strategies.js';
import { resumeStream, type OpenedStream } from '../../src/routing/stream.js';
import type { AttemptHandle } from '../../src/routing/attempt.js';
import { realClock } from '../../src/routing/clock.js';
import { createManualClock } from '../helpers/manual-clock.js';

const health = createHealthRegistry(RoutingSchema.parse({ breaker: { consecutiveFailures: 1, cooldownMs: 60_000 } }));
let n = 0;
const target = (timeouts: Target['timeouts'] = null): Target => {
  const key = `p/m${++n}`;
  return { key, provider: { id: 'p' } as Provider, model: key, weight: 1, timeouts, health: health.target(key), budget: health.budget('p'), price: 0 };
};
const plan = (candidates: Target[], over: Partial<RoutePlan> = {}): RoutePlan => ({
  requested: 'x', alias: 'x', rule: null, strategy: 'fallback', candidates,
  retry: { attempts: 0, baseMs: 0, maxMs: 0, maxRetryAfterMs: 0 }, hedge: null, fallbackOn: { statuses: [], messages: [] }, clock: realClock, ...over,
});
const never = (h: AttemptHandle) => new Promise<string>((_, reject) => h.signal.addEventListener('abort', () => reject(new Error('aborted'))));
const opts = (run: (h: AttemptHandle) => Promise<string>, signal = new AbortController().signal) => ({ signal, run, rand: createRng(1) });

describe('executor', () => {
  it('tries the primary anyway when every breaker is open', async () => {
    const t = target();
    t.health.recordFailure();
    expect(t.health.breaker.state()).toBe('open');
    const trace = newTrace();
    const r = await execute(plan([t]), opts(async () => 'ok'), trace);
    expect(r.value).toBe('ok');
    expect(trace.reason).toContain('all circuits open, trying primary');
    expect(t.health.breaker.state()).toBe('closed');
  });

  it('hedges after the primary target\'s latency percentile and aborts the loser', async () => {
    const slow = target();
    const fast = target();
    for (let i = 0; i < 20; i++) slow.health.recordSuccess(5);
    let aborted = false;
    const trace = newTrace();
    const clock = createManualClock();
    const p = execute(
      plan([slow, fast], { hedge: { percentile: 90, minSamples: 10, maxParallel: 2 }, clock }),
      opts((h) => {
        if (h.target === fast) return Promise.resolve('fast');
        h.signal.addEventListener('abort', () => (aborted = true));
        return never(h);
      }),
      trace,
    );
    await clock.advance(4);
    expect(trace.attempts).toBe(1); // the p90 of the primary is 5 ms: no hedge yet
    await clock.advance(1);
    const r = await p;
    expect(r.value).toBe('fast');
    expect(r.handle.hedge).toBe(true);
    expect(aborted).toBe(true);
    expect(trace.attempts).toBe(2);
  });

  it('stops at once when the client goes away', async () => {
    const ac = new AbortController();
    const t = target();
    const p = execute(plan([t, target()]), opts((h) => never(h), ac.signal), newTrace());
    ac.abort();
    await expect(p).rejects.toThrow();
    expect(t.health.breaker.state()).toBe('closed'); // a client abort says nothing about the target
  });

  it('cuts a committed stream that goes idle longer than the target allows', async () => {
    const t = target({ idleMs: 30 });
    const chunk = { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [] } as ChatCompletionChunk;
    const trace = newTrace();
    const clock = createManualClock();
    const { value, handle } = await execute<OpenedStream<ChatCompletionChunk>>(
      plan([t], { clock }),
      {
        signal: new AbortController().signal,
        rand: Math.random,
        keepTimers: true,
        run: async (h) => {
          const it = (async function* () {
            yield chunk;
            await new Promise<never>((_, reject) => h.signal.addEventListener('abort', () => reject(new Error('aborted'))));
          })();
          return { first: await it.next(), it };
        },
      },
      trace,
    );
    const got: unknown[] = [];
    const consumed = (async () => {
      for await (const c of resumeStream(value, handle)) got.push(c);
    })().catch((e: unknown) => e);
    await clock.advance(29);
    expect(got).toHaveLength(1);
    expect(handle.signal.aborted).toBe(false); // 1 ms short of the idle timeout
    await clock.advance(1);
    const err = await consumed;
    expect(got).toHaveLength(1);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('upstream_timeout');
  });
});

describe('active health checks', () => {
  it('probe only open targets and close the breaker of one that answers', async () => {
    const { probeAll } = await import('../../src/routing/health-checks.js');
    const { createLogger } = await import('../../src/log.js');
    const up = target();
    const down = target();
    const fine = target();
    const calls: string[] = [];
    const provider = (ok: boolean) => ({ id: 'p', chat: async (_req: unknown, call: { model: string }) => {
      calls.push(call.model);
      if (!ok) throw new GatewayError('upstream_error', 'still down');
      return {};
    } }) as unknown as Provider;
    up.provider = provider(true);
    down.provider = provider(false);
    fine.provider = provider(true);
    up.health.recordFailure();
    down.health.recordFailure();
    expect(await probeAll({ targets: () => [up, down, fine] }, createLogger('silent'), 1000)).toBe(2);
    expect(calls.sort()).toEqual([up.model, down.model].sort());
    expect(up.health.breaker.state()).toBe('closed');
    expect(down.health.breaker.state()).toBe('open');
  });
});
