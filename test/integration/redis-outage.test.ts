// Redis stopped mid-run: budget calls get a prompt 503 with retry-after, rate limits hold locally, and Redis use resumes on its own.
import { Redis } from 'ioredis';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { hasRedisServer, throwawayRedis, type ThrowawayRedis } from '../helpers/throwaway-redis.js';

if (!hasRedisServer) console.warn('[redis-outage] skipped: no `redis-server` on PATH to start and stop a throwaway Redis');

const run = `${Date.now()}`;
const BUDGET_KEY = `sk-gw-outb-${run}-0123456789`;
const RATE_KEY = `sk-gw-outr-${run}-0123456789`;
const PLAIN_KEY = `sk-gw-outp-${run}-0123456789`;
/** An upper bound on one answer while Redis is down: an invariant (no hang), far above the 250 ms command bound. */
const PROMPT_MS = 2_000;


describe.skipIf(!hasRedisServer)('policy stores while Redis is down', () => {
  let port: number;
  let gw: RunningGateway;
  let probe: Redis;

  let redis: ThrowawayRedis;
  const startRedis = () => redis.start();
  const stopRedis = () => redis.stop();

  beforeAll(async () => {
    redis = await throwawayRedis();
    port = redis.port;
    await startRedis();
    // Reads the keyspace from outside; reconnects by itself after the restart.
    probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    probe.on('error', () => undefined);
    await probe.connect();
    gw = await startTestGateway(
      {
        providers: { mock: { kind: 'mock', latencyMs: 5, prices: { echo: { input: 1000, output: 1000 } } } },
        keys: [
          { id: `outb-${run}`, key: BUDGET_KEY, budgets: [{ period: 'daily', usd: 100 }] },
          { id: `outr-${run}`, key: RATE_KEY, rateLimits: { requestsPerMinute: 5 } },
          { id: `outp-${run}`, key: PLAIN_KEY },
        ],
      },
      { REDIS_URL: `redis://127.0.0.1:${port}` },
    );
  }, 30_000);

  afterAll(async () => {
    await gw?.stop();
    probe?.disconnect();
    await redis?.stop();
  });

  const client = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  const body = { model: 'mock/echo', max_tokens: 20, messages: [{ role: 'user' as const, content: 'hello' }] };

  /** Resolves to 'ok' or the APIError, and how long the answer took. */
  async function call(key: string): Promise<{ result: 'ok' | APIError; ms: number }> {
    const t = performance.now();
    const result = await client(key)
      .chat.completions.create(body)
      .then(() => 'ok' as const)
      .catch((e: unknown) => {
        if (e instanceof APIError) return e;
        throw e;
      });
    return { result, ms: performance.now() - t };
  }

  const keysIn = async (pattern: string): Promise<string[]> => probe.keys(pattern);

  it('budgets fail closed with a prompt 503, rate limits hold locally, and both return to Redis', async () => {
    // Redis up: both go through Redis.
    expect((await call(BUDGET_KEY)).result).toBe('ok');
    expect((await call(RATE_KEY)).result).toBe('ok');
    await expect.poll(() => keysIn(`gw:b:key:outb-${run}:*`), { timeout: 5_000 }).toHaveLength(1);
    expect((await keysIn(`gw:rl*outr-${run}*`)).length).toBeGreaterThan(0);

    await stopRedis();

    // Budget calls: a clear 503 in the OpenAI shape with retry-after, never a 500, never a hang.
    for (let i = 0; i < 4; i++) {
      const { result, ms } = await call(BUDGET_KEY);
      expect(result).toBeInstanceOf(APIError);
      const e = result as APIError;
      expect(e.status).toBe(503);
      expect(e.headers?.get('retry-after')).toMatch(/^\d+$/);
      expect(e.error).toMatchObject({ type: 'api_error', code: 'store_unavailable', param: null });
      expect((e.error as { message: string }).message).toMatch(/Budgets cannot be checked/);
      expect((e.error as { message: string }).message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|MaxRetries/);
      expect(ms).toBeLessThan(PROMPT_MS);
    }

    // The rate-limited key: counted in memory (limit / replicas = 5), so the 6th call of the outage is refused.
    const outage: Array<'ok' | number> = [];
    for (let i = 0; i < 7; i++) {
      const { result, ms } = await call(RATE_KEY);
      expect(ms).toBeLessThan(PROMPT_MS);
      if (result !== 'ok') {
        expect(result.status).toBe(429);
        expect(result.error).toMatchObject({ code: 'rate_limit_exceeded' });
        expect(result.headers?.get('retry-after')).toMatch(/^\d+$/);
      }
      outage.push(result === 'ok' ? 'ok' : result.status!);
    }
    expect(outage).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 429, 429]);

    // A key with neither budget nor limit does not depend on Redis at all.
    expect((await call(PLAIN_KEY)).result).toBe('ok');

    // Redis back on the same port (empty: no persistence). ioredis reconnects; the stores use Redis again.
    await startRedis();
    await expect.poll(async () => (await call(BUDGET_KEY)).result, { timeout: 10_000, interval: 200 }).toBe('ok');
    await expect.poll(() => keysIn(`gw:b:key:outb-${run}:*`), { timeout: 5_000 }).toHaveLength(1);
    const rate = await call(RATE_KEY);
    expect(rate.result).toBe('ok');
    // Counted in the fresh Redis, not by the exhausted local window.
    expect((await keysIn(`gw:rl*outr-${run}*`)).length).toBeGreaterThan(0);
  }, 60_000);
});
