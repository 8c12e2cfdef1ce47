// One semantics table for both budget stores: memory always, Redis too when REDIS_URL is set.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { periodWindow, type BudgetLimit, type BudgetStore, type Reservation } from '../../src/policy/budget-store.js';
import { createMemoryBudgetStore } from '../../src/policy/budget-store-memory.js';
import { createRedisBudgetStore } from '../../src/policy/budget-store-redis.js';

const REDIS_URL = process.env.REDIS_URL;
const TTL = 60_000;
const START = Date.UTC(2025, 0, 31, 23, 0, 0); // one hour before a day and a month both roll over

type Factory = (now: () => number) => BudgetStore;
const redis = REDIS_URL ? new Redis(REDIS_URL, { lazyConnect: true }) : null;
const prefix = `test:budget:${randomUUID()}:`;

const stores: Array<[string, Factory]> = [['memory', (now) => createMemoryBudgetStore({ now, reservationTtlMs: TTL })]];
if (redis) stores.push(['redis', (now) => createRedisBudgetStore({ redis, keyPrefix: `${prefix}${randomUUID()}:`, now, reservationTtlMs: TTL })]);

afterAll(async () => {
  if (!redis) return;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

function reserved(r: Awaited<ReturnType<BudgetStore['reserve']>>): Reservation {
  if (!r.ok) throw new Error(`expected a reservation, got a denial on ${r.scope}`);
  return r.reservation;
}

describe.each(stores)('budget store (%s)', (_name, factory) => {
  let clock = START;
  let store: BudgetStore;
  const key = (limitMicros: number, period: BudgetLimit['period'] = 'daily'): BudgetLimit => ({ scope: 'key:k1', period, limitMicros });
  const team = (limitMicros: number, period: BudgetLimit['period'] = 'monthly'): BudgetLimit => ({ scope: 'team:t1', period, limitMicros });

  beforeEach(() => {
    clock = START;
    store = factory(() => clock);
  });

  it.each([
    { name: 'fits exactly', limit: 1000, spend: [400], amount: 600, ok: true },
    { name: 'one micro over', limit: 1000, spend: [400], amount: 601, ok: false },
    { name: 'zero amount always fits', limit: 0, spend: [], amount: 0, ok: true },
    { name: 'amount larger than limit', limit: 100, spend: [], amount: 101, ok: false },
  ])('reserve: $name', async ({ limit, spend, amount, ok }) => {
    for (const s of spend) await store.settle(reserved(await store.reserve([key(limit)], s)), s);
    expect((await store.reserve([key(limit)], amount)).ok).toBe(ok);
  });

  it('counts holds of calls in flight against the limit and reports them on denial', async () => {
    reserved(await store.reserve([key(1000)], 300));
    await store.settle(reserved(await store.reserve([key(1000)], 500)), 200);
    const r = await store.reserve([key(1000)], 600);
    expect(r).toEqual({ ok: false, scope: 'key:k1', period: 'daily', limitMicros: 1000, spentMicros: 200, reservedMicros: 300, retryAfterSec: 1 });
  });

  it.each([
    { period: 'daily' as const, retry: 3600 },
    { period: 'monthly' as const, retry: 3600 },
    { period: 'total' as const, retry: undefined },
  ])('retry-after when $period spend blocks is the time to the window end', async ({ period, retry }) => {
    await store.settle(reserved(await store.reserve([key(1000, period)], 900)), 900);
    const r = await store.reserve([key(1000, period)], 200);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.retryAfterSec).toBe(retry);
  });

  it('is all-or-nothing across scopes', async () => {
    await store.settle(reserved(await store.reserve([team(1000)], 950)), 950);
    const r = await store.reserve([key(10_000), team(1000)], 100);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.scope).toBe('team:t1');
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
  });

  it('settle turns the hold into the actual spend on every scope', async () => {
    const res = reserved(await store.reserve([key(10_000), team(10_000), { scope: 'session:k1:s1', period: 'total', limitMicros: 10_000 }], 700));
    expect(await store.usage('team:t1', 'monthly')).toMatchObject({ spentMicros: 0, reservedMicros: 700 });
    expect(await store.settle(res, 250)).toBe(true);
    for (const [scope, period] of [['key:k1', 'daily'], ['team:t1', 'monthly'], ['session:k1:s1', 'total']] as const) {
      expect(await store.usage(scope, period)).toMatchObject({ spentMicros: 250, reservedMicros: 0 });
    }
  });

  it('settle is idempotent, and settle/release after each other are no-ops', async () => {
    const res = reserved(await store.reserve([key(10_000)], 700));
    expect(await store.settle(res, 300)).toBe(true);
    expect(await store.settle(res, 300)).toBe(false);
    expect(await store.release(res)).toBe(false);
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 300, reservedMicros: 0 });
    const other = reserved(await store.reserve([key(10_000)], 700));
    expect(await store.release(other)).toBe(true);
    expect(await store.settle(other, 500)).toBe(false);
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 300, reservedMicros: 0 });
  });

  it('an aborted stream settles to what it used, even zero', async () => {
    const res = reserved(await store.reserve([key(1000)], 1000));
    expect(await store.settle(res, 0)).toBe(true);
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
  });

  it('holds a scope listed twice only once, under the tighter limit', async () => {
    const r = await store.reserve([key(1000), key(500)], 400);
    expect(r.ok).toBe(true);
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ reservedMicros: 400 });
    expect((await store.reserve([key(1000), key(500)], 200)).ok).toBe(false);
  });

  it('daily and monthly windows roll over at UTC midnight; total does not', async () => {
    for (const l of [key(1000, 'daily'), team(1000, 'monthly'), { scope: 'key:k1', period: 'total' as const, limitMicros: 5000 }]) {
      await store.settle(reserved(await store.reserve([l], 1000)), 1000);
    }
    expect((await store.reserve([key(1000, 'daily')], 1)).ok).toBe(false);
    clock = Date.UTC(2025, 1, 1, 0, 0, 0); // 2025-02-01T00:00Z: a new day and a new month
    expect(await store.usage('key:k1', 'daily')).toEqual({ spentMicros: 0, reservedMicros: 0, window: 'd2025-02-01' });
    expect(await store.usage('team:t1', 'monthly')).toEqual({ spentMicros: 0, reservedMicros: 0, window: 'm2025-02' });
    expect(await store.usage('key:k1', 'total')).toMatchObject({ spentMicros: 1000 });
    expect((await store.reserve([key(1000, 'daily'), team(1000, 'monthly')], 1000)).ok).toBe(true);
  });

  it('books a settle in the window the call started in', async () => {
    const res = reserved(await store.reserve([key(1000)], 800));
    clock = Date.UTC(2025, 1, 1, 0, 0, 5);
    await store.settle(res, 800);
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
    clock = START;
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 800, reservedMicros: 0 });
  });

  it('reclaims holds of a crashed caller after the reservation TTL; a late settle still books once', async () => {
    const lost = reserved(await store.reserve([key(1000)], 1000));
    expect((await store.reserve([key(1000)], 1)).ok).toBe(false);
    clock += TTL - 1;
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ reservedMicros: 1000 });
    clock += 1;
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ reservedMicros: 0 });
    const next = reserved(await store.reserve([key(1000)], 600));
    expect(await store.settle(lost, 300)).toBe(true);
    expect(await store.settle(lost, 300)).toBe(false);
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 300, reservedMicros: 600 });
    await store.settle(next, 600);
    expect(await store.usage('key:k1', 'daily')).toMatchObject({ spentMicros: 900, reservedMicros: 0 });
  });

  it.each([1.5, -1, Number.NaN])('rejects non-integer or negative money (%s)', async (amount) => {
    await expect(store.reserve([key(1000)], amount)).rejects.toThrow(RangeError);
  });

  it('never lets concurrent reservations pass the limit', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => store.reserve([key(1000), team(1000)], 30)));
    expect(results.filter((r) => r.ok)).toHaveLength(33);
    expect(await store.usage('team:t1', 'monthly')).toMatchObject({ reservedMicros: 990 });
  });
});

describe('periodWindow', () => {
  it.each([
    { period: 'daily' as const, at: Date.UTC(2024, 1, 29, 12), window: 'd2024-02-29', endsAt: Date.UTC(2024, 2, 1) },
    { period: 'monthly' as const, at: Date.UTC(2024, 11, 31, 23, 59), window: 'm2024-12', endsAt: Date.UTC(2025, 0, 1) },
    { period: 'total' as const, at: 0, window: 'total', endsAt: null },
  ])('$period at $window', ({ period, at, window, endsAt }) => {
    expect(periodWindow(period, at)).toEqual({ window, endsAt });
  });
});
