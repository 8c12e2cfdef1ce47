// Budgets survive restarts: settled spend is kept in the database (budget_spend) and counters are rebuilt from it,
// after a gateway restart (memory store, or Redis store on an emptied Redis) and after a Redis restart without data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import OpenAI, { APIError } from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { BudgetLedger, BudgetLimit, BudgetStore, ReservedWindow } from '../../src/policy/budget-store.js';
import { createMemoryBudgetStore } from '../../src/policy/budget-store-memory.js';
import { createRedisBudgetStore } from '../../src/policy/budget-store-redis.js';
import { createSpendLedger } from '../../src/policy/spend-ledger.js';
import type { RunningGateway } from '../../src/server.js';
import { openDatabase } from '../../src/storage/db.js';
import { createRepo } from '../../src/storage/repo.js';
import { startTestGateway } from '../helpers/gateway.js';
import { hasRedisServer, throwawayRedis, type ThrowawayRedis } from '../helpers/throwaway-redis.js';

const run = `${Date.now()}`;
/** $0.2 total; one call's worst case is about (prompt + 20 output tokens) × $0.001, so roughly ten calls fit. */
const LIMIT_USD = 0.2;
const body = { model: 'mock/echo', max_tokens: 20, messages: [{ role: 'user' as const, content: 'how much did this cost' }] };

/** Same database for every gateway of a test: DATABASE_URL (CI) or a PGlite directory that outlives the process. */
function database(): { storage: Record<string, string>; cleanup(): void } {
  if (process.env.DATABASE_URL) return { storage: {}, cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'gw-budget-durable-'));
  return { storage: { dataDir: dir }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function config(id: string, key: string, storage: Record<string, string>): Record<string, unknown> {
  return {
    // $1000 per million tokens: one token costs 1000 micro-dollars.
    providers: { mock: { kind: 'mock', latencyMs: 2, prices: { echo: { input: 1000, output: 1000 } } } },
    keys: [{ id, key, budgets: [{ period: 'total', usd: LIMIT_USD }] }],
    storage,
  };
}

type Outcome = 'ok' | number;

async function call(gw: RunningGateway, key: string): Promise<Outcome> {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  return client.chat.completions.create(body).then(
    () => 'ok' as const,
    (e: unknown) => {
      if (!(e instanceof APIError) || e.status === undefined) throw e;
      if (e.status === 429 || e.status === 402) expect(e.error).toMatchObject({ code: 'insufficient_quota' });
      return e.status;
    },
  );
}

/** Calls one after another until the budget refuses one; returns how many went through. */
async function spendAll(gw: RunningGateway, key: string): Promise<number> {
  for (let ok = 0; ok < 100; ok++) {
    const o = await call(gw, key);
    if (o !== 'ok') {
      expect([402, 429]).toContain(o);
      return ok;
    }
  }
  throw new Error('the budget never refused a call');
}

/** Settled spend once every hold is settled (settlement runs just after each response). */
const spent = async (gw: RunningGateway, scope: string): Promise<number> => {
  const usage = () => gw.deps.policyStores.budgets.usage(scope, 'total');
  await expect.poll(async () => (await usage()).reservedMicros, { timeout: 10_000 }).toBe(0);
  return (await usage()).spentMicros;
};

const ledgerSpend = async (gw: RunningGateway, scope: string): Promise<number | undefined> =>
  [...(await gw.deps.repo.loadSpend([{ scope, window: 'total' }])).values()][0];

describe('budget spend survives a gateway restart (in-process budget store)', () => {
  const db = database();
  const id = `dur-mem-${run}`;
  const key = `sk-gw-durm-${run}-0123456789`;
  const gws: RunningGateway[] = [];
  afterAll(async () => {
    for (const gw of gws) await gw.stop();
    db.cleanup();
  });

  it('a new gateway on the same database refuses the call the old one would have refused', async () => {
    const a = await startTestGateway(config(id, key, db.storage));
    gws.push(a);
    expect(await spendAll(a, key)).toBeGreaterThan(2);
    const before = await spent(a, `key:${id}`);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(LIMIT_USD * 1e6);
    await a.stop(); // graceful: the ledger's last sums are written

    const b = await startTestGateway(config(id, key, db.storage));
    gws.push(b);
    expect(await ledgerSpend(b, `key:${id}`)).toBe(before);
    // Without the ledger this counter would start at zero and the call would go through.
    const o = await call(b, key);
    expect([402, 429]).toContain(o);
    expect(await spent(b, `key:${id}`)).toBe(before);
  });
});


describe.skipIf(!hasRedisServer)('budget spend survives a Redis restart without persistence (Redis budget store)', () => {
  const db = database();
  const id = `dur-red-${run}`;
  const key = `sk-gw-durr-${run}-0123456789`;
  const gws: RunningGateway[] = [];
  let redisUrl = '';
  let probe: Redis | null = null;

  let redis: ThrowawayRedis | null = null;
  const startRedis = () => redis!.start();
  async function loseRedisData(): Promise<void> {
    await redis!.stop();
    await redis!.start();
  }

  afterAll(async () => {
    for (const gw of gws) await gw.stop();
    probe?.disconnect();
    await redis?.stop();
    db.cleanup();
  });

  it('rebuilds the counter after a Redis restart without data, and after a gateway restart on an empty Redis', async () => {
    redis = await throwawayRedis();
    redisUrl = redis.url;
    await startRedis();
    probe = new Redis(redisUrl, { lazyConnect: true });
    probe.on('error', () => undefined);
    await probe.connect();
    const a = await startTestGateway(config(id, key, db.storage), { REDIS_URL: redisUrl });
    gws.push(a);
    expect(await spendAll(a, key)).toBeGreaterThan(2);
    const before = await spent(a, `key:${id}`);
    expect(before).toBeGreaterThan(0);
    await a.deps.policyStores.spend!.flush();
    expect(await ledgerSpend(a, `key:${id}`)).toBe(before);

    // Redis comes back empty: the same gateway must not hand out the budget again.
    await loseRedisData();
    expect(await probe.exists(`gw:b:key:${id}:total`)).toBe(0);
    let o: Outcome = 503;
    // The policy connection reconnects on its own; until then budget calls get a 503 (store unavailable).
    for (let i = 0; i < 100 && o === 503; i++) {
      o = await call(a, key);
      if (o === 503) await sleep(100);
    }
    expect([402, 429]).toContain(o);
    expect(await spent(a, `key:${id}`)).toBe(before);
    expect(Number(await probe.hget(`gw:b:key:${id}:total`, 'spent'))).toBe(before);

    // Gateway restart and Redis emptied while it was down: the new gateway rebuilds from the ledger too.
    await a.stop();
    await loseRedisData();
    const b = await startTestGateway(config(id, key, db.storage), { REDIS_URL: redisUrl });
    gws.push(b);
    expect([402, 429]).toContain(await call(b, key));
    expect(await spent(b, `key:${id}`)).toBe(before);
  });
});

describe.skipIf(!process.env.REDIS_URL)('budget spend survives its Redis keys being flushed (shared REDIS_URL)', () => {
  const id = `dur-flush-${run}`;
  const key = `sk-gw-durf-${run}-0123456789`;
  const db = database();
  const redisUrl = process.env.REDIS_URL!;
  const probe = new Redis(redisUrl, { lazyConnect: true });
  let gw: RunningGateway | null = null;
  afterAll(async () => {
    await gw?.stop();
    const keys = await probe.keys(`gw:*:key:${id}:*`);
    if (keys.length) await probe.del(...keys);
    probe.disconnect();
    db.cleanup();
  });

  it('a counter deleted under a running gateway (FLUSHALL, eviction) is rebuilt from the ledger', async () => {
    await probe.connect();
    gw = await startTestGateway(config(id, key, db.storage), { REDIS_URL: redisUrl });
    expect(await spendAll(gw, key)).toBeGreaterThan(2);
    const before = await spent(gw, `key:${id}`);
    await gw.deps.policyStores.spend!.flush();
    // No reconnect happens here, so nothing but the counter itself can tell the gateway its data is gone.
    const keys = await probe.keys(`gw:*:key:${id}:*`);
    expect(keys).toContain(`gw:b:key:${id}:total`);
    await probe.del(...keys);
    expect([402, 429]).toContain(await call(gw, key));
    expect(await spent(gw, `key:${id}`)).toBe(before);
  });
});

/** A ledger in a Map that counts its reads, for the stores' rebuild rules. */
function fakeLedger(initial: Record<string, number>): BudgetLedger & { loads: number; booked: Record<string, number> } {
  const booked: Record<string, number> = { ...initial };
  const l = {
    loads: 0,
    booked,
    record(windows: ReservedWindow[], micros: number) {
      for (const w of windows) booked[`${w.scope}|${w.window}`] = (booked[`${w.scope}|${w.window}`] ?? 0) + micros;
    },
    async load(windows: Array<Pick<ReservedWindow, 'scope' | 'window'>>) {
      l.loads++;
      await sleep(5);
      return windows.map((w) => booked[`${w.scope}|${w.window}`] ?? 0);
    },
  };
  return l;
}

const probeRedis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL, { lazyConnect: true }) : null;
const storePrefix = `test:budget-durable:${run}:`;
afterAll(async () => {
  if (!probeRedis) return;
  const keys = await probeRedis.keys(`${storePrefix}*`);
  if (keys.length) await probeRedis.del(...keys);
  probeRedis.disconnect();
});

const storeKinds: Array<[string, (ledger: BudgetLedger, ns: string) => BudgetStore]> = [['memory', (ledger) => createMemoryBudgetStore({ ledger })]];
if (probeRedis) storeKinds.push(['redis', (ledger, ns) => createRedisBudgetStore({ redis: probeRedis, keyPrefix: `${storePrefix}${ns}:`, ledger })]);

describe.each(storeKinds)('budget store rebuilt from a ledger (%s)', (_kind, make) => {
  const limits: BudgetLimit[] = [
    { scope: 'key:k1', period: 'total', limitMicros: 1_000 },
    { scope: 'team:t1', period: 'total', limitMicros: 10_000 },
  ];

  it('seeds each counter once, even for concurrent first calls, and books settles in the ledger once', async () => {
    const ledger = fakeLedger({ 'key:k1|total': 900 });
    const store = make(ledger, 'once');
    const results = await Promise.all(Array.from({ length: 20 }, () => store.reserve(limits, 60)));
    // 900 already spent before the restart: one 60 fits (960), the second would not (1020).
    const granted = results.flatMap((r) => (r.ok ? [r.reservation] : []));
    expect(granted).toHaveLength(1);
    expect(await store.usage('key:k1', 'total')).toMatchObject({ spentMicros: 900, reservedMicros: 60 });
    expect(await store.settle(granted[0]!, 50)).toBe(true);
    expect(await store.settle(granted[0]!, 50)).toBe(false);
    expect(ledger.booked).toEqual({ 'key:k1|total': 950, 'team:t1|total': 50 });
    const loads = ledger.loads;
    expect(loads).toBe(1); // concurrent first calls share one read
    await store.reserve(limits, 1);
    expect(ledger.loads).toBe(loads); // seeded counters are not read again
  });

  it('never lowers a counter that is ahead of the ledger', async () => {
    const ledger = fakeLedger({});
    const store = make(ledger, 'ahead');
    const r = await store.reserve(limits, 500);
    if (!r.ok) throw new Error('expected a reservation');
    await store.settle(r.reservation, 500);
    ledger.booked['key:k1|total'] = 100; // the ledger lags (its flush is still to come)
    expect(await store.usage('key:k1', 'total')).toMatchObject({ spentMicros: 500 });
  });
});

describe('spend ledger', () => {
  const db = database();
  const scope = `key:ledger-${run}`;
  const w = (window: string, period: ReservedWindow['period'] = 'daily'): ReservedWindow => ({ scope, period, window, endsAt: null });

  it('sums settles per window in memory, counts them on read before they are written, and adds them to the rows', async () => {
    const database_ = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: db.storage.dataDir ?? 'memory://' });
    const repo = createRepo(database_.db);
    const ledger = createSpendLedger(repo, createLogger('silent'), { flushIntervalMs: 60_000 });
    try {
      for (let i = 0; i < 50; i++) ledger.record([w('d2025-01-31'), w('total', 'total')], 7);
      // Nothing written yet, but a counter rebuilt now must still see it.
      expect(await repo.loadSpend([{ scope, window: 'total' }])).toEqual(new Map());
      expect(await ledger.load([w('total', 'total'), w('d2025-01-31'), w('d2025-02-01')])).toEqual([350, 350, 0]);
      await ledger.flush();
      expect(await ledger.load([w('total', 'total'), w('d2025-01-31')])).toEqual([350, 350]);
      ledger.record([w('total', 'total')], 1);
      await ledger.flush();
      const rows = await repo.loadSpend([{ scope, window: 'total' }, { scope, window: 'd2025-01-31' }]);
      expect([...rows.values()].sort((a, b) => a - b)).toEqual([350, 351]);
      expect(ledger.stats()).toMatchObject({ written: 3, dropped: 0, deadLettered: 0 });
      if (!process.env.DATABASE_URL) {
        // Own database only (a prune on the shared one would reach other runs' rows): ended windows go, totals stay.
        expect(await repo.pruneSpend(new Date(Date.now() + 60_000))).toBe(1);
        expect([...(await repo.loadSpend([{ scope, window: 'total' }, { scope, window: 'd2025-01-31' }])).values()]).toEqual([351]);
      }
    } finally {
      await ledger.close();
      await database_.close();
      db.cleanup();
    }
  });
});
