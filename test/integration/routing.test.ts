// Routing and resilience against three fake upstreams: weights, fallback order, retries, budget, breaker, hedging, stream commit, key pools.
import { eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHealthRegistry } from '../../src/routing/health.js';
import { createRouter } from '../../src/routing/router.js';
import type { RunningGateway } from '../../src/server.js';
import { requestLog } from '../../src/storage/schema.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { createManualClock, type ManualClock } from '../helpers/manual-clock.js';

let a: FakeUpstream;
let b: FakeUpstream;
let c: FakeUpstream;
let gw: RunningGateway;
let client: OpenAI;

const noRetry = { attempts: 0 };

beforeAll(async () => {
  [a, b, c] = await Promise.all([startFakeUpstream(), startFakeUpstream(), startFakeUpstream()]);
  const compat = (f: FakeUpstream, key: string) => ({ kind: 'openai-compatible', baseUrl: `${f.url}/v1`, apiKey: key });
  gw = await startTestGateway({
    providers: {
      a: compat(a, 'key-a'),
      b: compat(b, 'key-b'),
      c: compat(c, 'key-c'),
      pool: { kind: 'openai-compatible', baseUrl: `${c.url}/v1`, apiKeys: ['pool-1', 'pool-2'] },
    },
    routing: {
      seed: 42,
      // Breakers stay shut here (the breaker test builds its own router); retries get a small, fixed budget.
      breaker: { consecutiveFailures: 1000, minRequests: 1000 },
      retryBudget: { burst: 3, ratio: 0, minPerSecond: 0 },
    },
    models: {
      weighted: { targets: [{ model: 'a/w', weight: 3 }, { model: 'b/w', weight: 1 }], retry: noRetry },
      ordered: { strategy: 'fallback', targets: [{ model: 'a/fail-503' }, { model: 'b/fail-502' }, { model: 'c/good' }], retry: noRetry },
      clientError: { strategy: 'fallback', targets: [{ model: 'a/fail-400' }, { model: 'b/good' }] },
      contextLength: {
        strategy: 'fallback',
        targets: [{ model: 'a/fail-400' }, { model: 'b/long' }],
        fallbackOn: { statuses: [400], messages: ['injected 400'] },
      },
      retryAfter: { targets: [{ model: 'a/ra' }], retry: { attempts: 1, maxRetryAfterMs: 5_000 } },
      budgeted: { targets: [{ model: 'c/fail-503' }], retry: { attempts: 5, baseMs: 0 } },
      breaker: { strategy: 'fallback', targets: [{ model: 'a/br' }, { model: 'b/br' }], retry: noRetry },
      hedged: { strategy: 'fallback', targets: [{ model: 'a/h' }, { model: 'b/h' }], hedge: { delayMs: 50 }, retry: noRetry },
      streamed: { strategy: 'fallback', targets: [{ model: 'a/s' }, { model: 'b/s' }], retry: noRetry },
      timed: { strategy: 'fallback', targets: [{ model: 'a/slow-5000', timeouts: { firstByteMs: 100 } }, { model: 'b/t' }], retry: noRetry },
      tagged: { targets: [{ model: 'a/default' }], rules: [{ name: 'batch', when: { tag: 'batch' }, targets: [{ model: 'c/cheap' }] }] },
    },
  });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([a?.close(), b?.close(), c?.close()]);
});
beforeEach(() => {
  for (const f of [a, b, c]) f.reset();
});

const ask = (model: string, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi there' }], ...extra }).withResponse();
const models = (f: FakeUpstream) => f.requests.map((r) => (r.body as { model?: string }).model);

/** Runs `fn` against a router on a clock the test moves by hand (attempt timers, hedges, retry waits, breaker cool-downs). */
async function withClock<T>(clock: ManualClock, fn: () => Promise<T>, routing = gw.deps.config.routing): Promise<T> {
  const deps = gw.deps;
  const saved = { router: deps.router, resolver: deps.resolver };
  const config = { ...deps.config, routing };
  const router = createRouter(config, deps.providers, deps.prices, createHealthRegistry(config.routing, clock));
  Object.assign(deps, { router, resolver: router });
  try {
    return await fn();
  } finally {
    Object.assign(deps, saved);
  }
}

// Polls often: the request is in flight on a socket, and time stands still until the test moves the clock.
const until = (check: () => void) => vi.waitFor(check, { interval: 5 });

async function logRow(requestId: string) {
  await gw.deps.requestLog.flush();
  const [row] = await gw.deps.database.db.select().from(requestLog).where(eq(requestLog.requestId, requestId));
  return row!;
}

describe('strategies and rules', () => {
  it('weights hold within tolerance over many requests, and headers say who served', async () => {
    const served: Record<string, number> = {};
    for (let batch = 0; batch < 10; batch++) {
      const res = await Promise.all(Array.from({ length: 20 }, () => ask('weighted')));
      for (const r of res) {
        const p = r.response.headers.get('x-gateway-provider')!;
        served[p] = (served[p] ?? 0) + 1;
        expect(r.response.headers.get('x-gateway-model')).toBe('w');
      }
    }
    expect(a.requests.length + b.requests.length).toBe(200);
    expect(served.a).toBe(a.requests.length);
    expect(a.requests.length / 200).toBeGreaterThan(0.65);
    expect(a.requests.length / 200).toBeLessThan(0.85);
  });

  it('routes by x-route-tag rule', async () => {
    const tagged = await client.chat.completions
      .create({ model: 'tagged', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-route-tag': 'batch' } })
      .withResponse();
    expect(tagged.response.headers.get('x-gateway-provider')).toBe('c');
    const plain = await ask('tagged');
    expect(plain.response.headers.get('x-gateway-provider')).toBe('a');
    expect((await logRow(tagged.response.headers.get('x-request-id')!)).routeReason).toContain('rule=batch');
  });

  it('balances calls over a provider\'s API keys and moves off a rate-limited key', async () => {
    for (let i = 0; i < 4; i++) await ask('pool/k');
    const auth = c.requests.map((r) => r.headers.authorization);
    expect(auth.filter((h) => h === 'Bearer pool-1')).toHaveLength(2);
    expect(auth.filter((h) => h === 'Bearer pool-2')).toHaveLength(2);
    c.reset();
    c.fault({ status: 429, headers: { 'retry-after': '30' } });
    const res = await ask('pool/k');
    expect(res.data.choices[0]?.message.content).toBe('echo: hi there');
    expect(c.requests).toHaveLength(2);
    expect(c.requests[0]!.headers.authorization).not.toBe(c.requests[1]!.headers.authorization);
  });
});

describe('fallbacks', () => {
  it('tries targets in order on 5xx and records why in the request log', async () => {
    const res = await ask('ordered');
    expect(res.response.headers.get('x-gateway-provider')).toBe('c');
    expect(res.response.headers.get('x-gateway-model')).toBe('good');
    expect([a.requests.length, b.requests.length, c.requests.length]).toEqual([1, 1, 1]);
    expect(a.requests[0]!.startedAt).toBeLessThanOrEqual(b.requests[0]!.startedAt);
    expect(b.requests[0]!.startedAt).toBeLessThanOrEqual(c.requests[0]!.startedAt);
    const row = await logRow(res.response.headers.get('x-request-id')!);
    expect(row.attempts).toBe(3);
    expect(row.provider).toBe('c');
    expect(row.routeReason).toMatch(/alias=ordered strategy=fallback; a\/fail-503 upstream_error 502; b\/fail-502 upstream_error 502; c\/good ok/);
  });

  it('never falls back on a plain client error, but does on a configured 4xx', async () => {
    await expect(ask('clientError')).rejects.toMatchObject({ status: 400 });
    expect(b.requests).toHaveLength(0);
    const res = await ask('contextLength');
    expect(res.response.headers.get('x-gateway-model')).toBe('long');
  });

  it('falls back when a target misses its own first-byte timeout, and cancels it upstream', async () => {
    const clock = createManualClock();
    const res = await withClock(clock, async () => {
      const pending = ask('timed');
      await until(() => expect(a.requests).toHaveLength(1));
      await clock.advance(99);
      expect(b.requests).toHaveLength(0); // 1 ms short of the first-byte timeout: still waiting on a
      await clock.advance(1);
      return pending;
    });
    expect(res.response.headers.get('x-gateway-provider')).toBe('b');
    await until(() => expect(a.requests[0]!.aborted).toBe(true));
    expect((await logRow(res.response.headers.get('x-request-id')!)).routeReason).toContain('a/slow-5000 upstream_timeout 504');
  });
});

describe('retries', () => {
  it('waits for retry-after before retrying the same target', async () => {
    a.fault({ status: 429, headers: { 'retry-after': '1' } });
    const clock = createManualClock();
    const res = await withClock(clock, async () => {
      const pending = ask('retryAfter');
      await until(() => expect(clock.sleeps).toHaveLength(1));
      expect(clock.sleeps).toEqual([1000]); // the retry-after, not the 0-100 ms backoff
      await clock.advance(999);
      expect(a.requests).toHaveLength(1);
      await clock.advance(1);
      return pending;
    });
    expect(res.data.choices[0]?.message.content).toBe('echo: hi there');
    expect(a.requests).toHaveLength(2);
    expect((await logRow(res.response.headers.get('x-request-id')!)).routeReason).toContain('(retry-after)');
  });

  it('does not wait for a retry-after longer than allowed, and passes the 429 on', async () => {
    a.fault({ status: 429, headers: { 'retry-after': '60' } });
    const err = await ask('retryAfter').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('60');
    expect(a.requests).toHaveLength(1);
  });

  it('stops retrying when the provider\'s retry budget is spent', async () => {
    await expect(ask('budgeted')).rejects.toMatchObject({ status: 502 });
    expect(c.requests).toHaveLength(4); // first attempt + the 3 retries the budget holds
    await expect(ask('budgeted')).rejects.toMatchObject({ status: 502 });
    expect(c.requests).toHaveLength(5);
  });
});

describe('circuit breaker', () => {
  it('opens, skips the target, half-opens after the cooldown and closes on a good probe', async () => {
    const clock = createManualClock();
    const routing = { ...gw.deps.config.routing, breaker: { ...gw.deps.config.routing.breaker, consecutiveFailures: 2, cooldownMs: 10_000 } };
    await withClock(clock, async () => {
      a.fault({ status: 503 });
      a.fault({ status: 503 });
      for (let i = 0; i < 2; i++) expect((await ask('breaker')).response.headers.get('x-gateway-provider')).toBe('b');
      expect(a.requests).toHaveLength(2);
      const skipped = await ask('breaker'); // open: a is not called at all
      expect(skipped.response.headers.get('x-gateway-provider')).toBe('b');
      expect(a.requests).toHaveLength(2);
      expect((await logRow(skipped.response.headers.get('x-request-id')!)).routeReason).toContain('a/br skipped (circuit open: 2 failures in a row)');

      await clock.advance(9_999);
      expect((await ask('breaker')).response.headers.get('x-gateway-provider')).toBe('b');
      expect(a.requests).toHaveLength(2); // still open 1 ms before the cooldown ends
      await clock.advance(1); // half-open: one probe goes to a, and it fails
      a.fault({ status: 503 });
      expect((await ask('breaker')).response.headers.get('x-gateway-provider')).toBe('b');
      expect(a.requests).toHaveLength(3);
      expect((await ask('breaker')).response.headers.get('x-gateway-provider')).toBe('b');
      expect(a.requests).toHaveLength(3); // open again

      await clock.advance(10_000); // half-open again: the probe succeeds and the breaker closes
      expect((await ask('breaker')).response.headers.get('x-gateway-provider')).toBe('a');
      expect((await ask('breaker')).response.headers.get('x-gateway-provider')).toBe('a');
      expect(a.requests).toHaveLength(5);
    }, routing);
  });
});

describe('hedged requests', () => {
  it('a hedge wins when the primary stalls, and the primary is cancelled upstream', async () => {
    a.fault({ hang: true });
    const clock = createManualClock();
    const res = await withClock(clock, async () => {
      const pending = ask('hedged');
      await until(() => expect(a.requests).toHaveLength(1));
      await clock.advance(49);
      expect(b.requests).toHaveLength(0); // no hedge before its 50 ms delay
      await clock.advance(1);
      return pending;
    });
    expect(res.response.headers.get('x-gateway-provider')).toBe('b');
    expect(a.requests).toHaveLength(1);
    await until(() => expect(a.requests[0]!.aborted).toBe(true));
    expect((await logRow(res.response.headers.get('x-request-id')!)).routeReason).toMatch(/b\/h hedge; b\/h ok; a\/h cancelled/);
  });

  it('hedges a stream that has not sent its first byte', async () => {
    a.fault({ hang: true });
    const clock = createManualClock();
    const stream = await withClock(clock, async () => {
      const pending = client.chat.completions.create({ model: 'hedged', messages: [{ role: 'user', content: 'one two' }], stream: true }).withResponse();
      await until(() => expect(a.requests).toHaveLength(1));
      await clock.advance(50);
      return pending;
    });
    expect(stream.response.headers.get('x-gateway-provider')).toBe('b');
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: one two');
    await until(() => expect(a.requests[0]!.aborted).toBe(true));
  });
});

describe('streams', () => {
  it('fall back when the primary fails before the first byte', async () => {
    a.fault({ status: 503 });
    const first = await client.chat.completions.create({ model: 'streamed', messages: [{ role: 'user', content: 'x y' }], stream: true }).withResponse();
    expect(first.response.headers.get('x-gateway-provider')).toBe('b');
    // Headers sent, then the connection drops before any chunk: still before the first byte to the client.
    a.fault({ cutAfterChunks: 0 });
    const second = await client.chat.completions.create({ model: 'streamed', messages: [{ role: 'user', content: 'x y' }], stream: true }).withResponse();
    expect(second.response.headers.get('x-gateway-provider')).toBe('b');
    let text = '';
    for await (const chunk of second.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: x y');
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(2);
  });

  it('do not fall back once the first byte went to the client', async () => {
    a.fault({ cutAfterChunks: 2 });
    const stream = await client.chat.completions.create({ model: 'streamed', messages: [{ role: 'user', content: 'one two three four' }], stream: true }).withResponse();
    expect(stream.response.headers.get('x-gateway-provider')).toBe('a');
    const got: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream.data) got.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(got.length).toBeGreaterThan(0);
    expect(b.requests).toHaveLength(0);
  });
});

describe('embeddings', () => {
  it('carry the x-gateway headers', async () => {
    const res = await client.embeddings.create({ model: 'b/emb', input: 'x' }).withResponse();
    expect(res.response.headers.get('x-gateway-provider')).toBe('b');
    expect(res.response.headers.get('x-gateway-model')).toBe('emb');
  });
});
