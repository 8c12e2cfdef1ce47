// Two replicas (two Redis connections) share one rate limit; with Redis unreachable each falls back to limit/replicas.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimitStore, type RateCheck } from '../../src/policy/rate-limit-store.js';

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)('rate-limit store on Redis', () => {
  const prefix = `test:rl:${randomUUID()}:`;
  let a: Redis;
  let b: Redis;

  beforeAll(async () => {
    a = new Redis(REDIS_URL!);
    b = new Redis(REDIS_URL!);
    await Promise.all([a.ping(), b.ping()]); // not ready yet = insurance limiter answers (by design)
  });

  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length) await a.del(...keys);
    a.disconnect();
    b.disconnect();
  });

  const pair = (ns: string) => [a, b].map((redis) => createRateLimitStore({ redis, keyPrefix: `${prefix}${ns}:`, replicas: 2 }));

  it('enforces one global requests/minute limit across two replicas', async () => {
    const [r1, r2] = pair('req');
    const check: RateCheck[] = [{ scope: 'key:k1', dimension: 'requests', limitPerMinute: 50 }];
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 ? r1! : r2!).consume(check)));
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    expect(Number(await a.get(`${prefix}req:rl:requests:key:k1`))).toBe(50); // counted in Redis, not locally
    const denied = results.find((r) => !r.ok);
    expect(denied && !denied.ok && denied.retryAfterSec).toBeGreaterThanOrEqual(1);
  });

  it('enforces one tokens/minute limit across replicas, and a refund on one is seen by the other', async () => {
    const [r1, r2] = pair('tok');
    const check = (points: number): RateCheck[] => [{ scope: 'team:t1', dimension: 'tokens', limitPerMinute: 10_000, points }];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? r1! : r2!).consume(check(1000))));
    const granted = results.flatMap((r) => (r.ok ? [r] : []));
    expect(granted).toHaveLength(10);
    await r1!.adjust(granted[0]!.ticket, 'tokens', 200); // actual usage was lower: 800 back
    const after = await r2!.consume(check(800));
    expect(after.ok).toBe(true);
    expect((await r2!.consume(check(1))).ok).toBe(false);
  });

  it('falls back to an in-memory limit of limit/replicas when Redis is not reachable', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const store = createRateLimitStore({ redis: down, keyPrefix: `${prefix}down:`, replicas: 2 });
    const check: RateCheck[] = [{ scope: 'key:k1', dimension: 'requests', limitPerMinute: 10 }];
    const results = await Promise.all(Array.from({ length: 12 }, () => store.consume(check)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    down.disconnect();
  });
});
