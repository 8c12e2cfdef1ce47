// Two gateway replicas (two Redis connections) share one budget: 200 concurrent calls never overspend it.
import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetLimit, BudgetStore, Reservation } from '../../src/policy/budget-store.js';
import { createRedisBudgetStore } from '../../src/policy/budget-store-redis.js';

const REDIS_URL = process.env.REDIS_URL;
const W = 50_000; // one request's worst case: 5 cents
const LIMIT = 10_000_000; // $10 a day
const TTL = 60_000;

describe.skipIf(!REDIS_URL)('Redis budget store across two replicas', () => {
  const prefix = `test:budget-int:${randomUUID()}:`;
  let a: Redis;
  let b: Redis;
  let clock = Date.now();
  const now = (): number => clock;

  /** Two stores on two connections, sharing only the Redis keyspace, as two gateway processes would. */
  function replicas(ns: string): [BudgetStore, BudgetStore] {
    const opts = { keyPrefix: `${prefix}${ns}:`, now, reservationTtlMs: TTL };
    return [createRedisBudgetStore({ ...opts, redis: a }), createRedisBudgetStore({ ...opts, redis: b })];
  }

  beforeAll(() => {
    a = new Redis(REDIS_URL!);
    b = new Redis(REDIS_URL!);
  });

  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length) await a.del(...keys);
    a.disconnect();
    b.disconnect();
  });

  const limits: BudgetLimit[] = [
    { scope: 'key:k1', period: 'daily', limitMicros: LIMIT },
    { scope: 'team:t1', period: 'monthly', limitMicros: LIMIT * 10 },
    { scope: 'session:k1:s1', period: 'total', limitMicros: LIMIT * 100 },
  ];

  async function exhaust(store: BudgetStore, leftMicros: number): Promise<void> {
    const r = await store.reserve(limits, LIMIT - leftMicros);
    if (!r.ok) throw new Error('could not pre-spend');
    await store.settle(r.reservation, LIMIT - leftMicros);
  }

  it('settles and reclaims a reservation of $0 (an unpriced model on a budgeted key)', async () => {
    const [s1] = replicas('zero');
    const r = await s1.reserve(limits, 0);
    if (!r.ok) throw new Error('a $0 reservation was refused');
    // Lua's -0 is "-0" on the wire, which HINCRBY refuses: this threw StoreUnavailableError before.
    await expect(s1.settle(r.reservation, 0)).resolves.not.toThrow();
    expect(await s1.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
  });

  it('200 concurrent reserves, then settles: spend stays within the limit', async () => {
    const [s1, s2] = replicas('burst');
    const left = 1_234_567; // room for 24 worst cases, and then some
    await exhaust(s1, left);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? s1 : s2).reserve(limits, W)));
    const granted = results.flatMap((r) => (r.ok ? [r.reservation] : []));
    expect(granted).toHaveLength(Math.floor(left / W));
    expect(await s2.usage('key:k1', 'daily')).toMatchObject({ spentMicros: LIMIT - left, reservedMicros: granted.length * W });
    let actualSum = 0;
    await Promise.all(
      granted.map((res, i) => {
        const actual = randomInt(0, W + 1);
        actualSum += actual;
        return (i % 2 ? s2 : s1).settle(res, actual);
      }),
    );
    const key = await s1.usage('key:k1', 'daily');
    console.log(`[budget burst] limit=${LIMIT} left=${left} W=${W}: ${granted.length}/200 granted, spent=${key.spentMicros} (overspend ${key.spentMicros - LIMIT})`);
    expect(key).toMatchObject({ spentMicros: LIMIT - left + actualSum, reservedMicros: 0 });
    expect(key.spentMicros).toBeLessThanOrEqual(LIMIT);
    // All-or-nothing: every scope saw exactly the same holds and spends.
    for (const [scope, period] of [['team:t1', 'monthly'], ['session:k1:s1', 'total']] as const) {
      expect(await s2.usage(scope, period)).toEqual({ ...key, window: expect.any(String) });
    }
  });

  it('200 concurrent calls that reserve, run and settle while others reserve: spend ≤ limit', async () => {
    const [s1, s2] = replicas('churn');
    const left = 10 * W + 7_777;
    await exhaust(s2, left);
    let granted = 0;
    let maxReserved = 0;
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const store = i % 2 ? s1 : s2;
        await sleep(randomInt(0, 40)); // stagger, so reserves interleave with other calls' settles
        const r = await store.reserve(limits, W);
        if (!r.ok) return;
        granted += 1;
        await sleep(randomInt(0, 10)); // the "upstream call"
        const u = await store.usage('key:k1', 'daily');
        maxReserved = Math.max(maxReserved, u.spentMicros + u.reservedMicros);
        await (i % 3 ? s1 : s2).settle(r.reservation, randomInt(0, W + 1));
      }),
    );
    const key = await s1.usage('key:k1', 'daily');
    console.log(`[budget churn] left=${left}: ${granted}/200 granted, spent=${key.spentMicros} (limit ${LIMIT}), peak spent+held=${maxReserved}`);
    expect(key.reservedMicros).toBe(0);
    expect(key.spentMicros).toBeLessThanOrEqual(LIMIT);
    expect(maxReserved).toBeLessThanOrEqual(LIMIT);
    expect(granted).toBeGreaterThanOrEqual(10);
  });

  it('a settle raced from both replicas books once', async () => {
    const [s1, s2] = replicas('idem');
    const r = await s1.reserve(limits, W);
    if (!r.ok) throw new Error('expected a reservation');
    const done = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? s1 : s2).settle(r.reservation, 12_345)));
    expect(done.filter(Boolean)).toHaveLength(1);
    expect(await s2.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 12_345, reservedMicros: 0 });
  });

  it("reclaims a crashed replica's holds after the TTL, from the other replica", async () => {
    const [s1, s2] = replicas('crash');
    await exhaust(s1, 3 * W);
    const held: Reservation[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await s1.reserve(limits, W);
      if (r.ok) held.push(r.reservation);
    }
    expect(held).toHaveLength(3);
    // replica 1 "crashes": its reservations are never settled
    expect((await s2.reserve(limits, W)).ok).toBe(false);
    clock += TTL;
    const r = await s2.reserve(limits, W);
    expect(r.ok).toBe(true);
    expect(await s2.usage('key:k1', 'daily')).toMatchObject({ reservedMicros: W });
    clock -= TTL;
  });

  it('keeps window keys with a TTL and the total counter without one', async () => {
    const [s1] = replicas('ttl');
    const r = await s1.reserve(limits, W);
    if (!r.ok) throw new Error('expected a reservation');
    await s1.settle(r.reservation, W);
    const keys = await a.keys(`${prefix}ttl:b:*`);
    expect(keys).toHaveLength(3);
    for (const k of keys) {
      const ttl = await a.ttl(k);
      if (k.endsWith(':total')) expect(ttl).toBe(-1);
      else expect(ttl).toBeGreaterThan(7 * 86_400);
    }
  });
});
