// Shared budget store on Redis: reserve and settle are single Lua scripts, so N replicas never overspend together.
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  assertMicros,
  DEFAULT_RESERVATION_TTL_MS,
  denial,
  normalizeLimits,
  periodWindow,
  SETTLE_MEMORY_MS,
  WINDOW_GRACE_MS,
  type BudgetStore,
  type BudgetStoreOptions,
  type Reservation,
  type ReservedWindow,
  StoreUnavailableError,
} from './budget-store.js';

/*
 * Layout per scope and window (`<p>` = key prefix):
 *   <p>b:<scope>:<window>  hash  spent, reserved (integer micro-dollars), r:<id> → amount held by reservation <id>
 *   <p>x:<scope>:<window>  zset  reservation id → its expiry (unix ms)
 *   <p>d:<id>              string  "settled or released" marker, so a repeated settle books nothing twice
 * Leak-proofing: a replica that crashes between reserve and settle leaves its hold in the hash. Every reserve
 * (and usage read) first pops the zset's expired ids and subtracts their held amounts from `reserved`, so an
 * abandoned hold blocks budget for at most the reservation TTL and is reclaimed by whichever replica comes next;
 * no background job is needed. A late settle after reclaim still books the spend once (hold already gone).
 * Window keys expire a grace period after the window ends, so daily and monthly counters clean themselves up.
 * Times come from the caller's clock (ARGV), not Redis TIME: tests inject a clock, and replicas' skew of seconds
 * is small against a TTL of minutes. All keys of one call must live on one node (single Redis, or a prefix with a
 * `{hash tag}` on Redis Cluster), because the all-or-nothing check spans scopes.
 * Rebuild from the ledger: with a ledger, a hash without its `seeded` field has not been raised to the ledger's spend
 * (new window, Redis restarted without persistence, keys flushed or evicted). Reserve then books nothing and names those
 * scopes; the store reads the ledger and runs SEED (spent = max(spent, ledger), mark seeded), then reserves again.
 * The max makes replicas seeding together harmless. Spend settled into an emptied hash by another replica before it was
 * seeded, and not yet flushed to the ledger, is not counted (at most one ledger flush interval of spend).
 */
const RECLAIM = `
local function reclaim(h, z, now)
  local ids = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 512)
  for _, rid in ipairs(ids) do
    local held = redis.call('HGET', h, 'r:' .. rid)
    if held then
      redis.call('HINCRBY', h, 'reserved', 0 - tonumber(held))
      redis.call('HDEL', h, 'r:' .. rid)
    end
    redis.call('ZREM', z, rid)
  end
end
local function counts(h)
  local v = redis.call('HMGET', h, 'spent', 'reserved')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0
end
`;

// KEYS: hash, zset per scope. ARGV: now, id, amount, expiresAt, checkSeeded (1/0), then limit, expireSec per scope.
// Returns {1} (held), {0, i, spent, reserved} (scope i over its limit) or {2, i, j, …} (scopes to seed first, nothing held).
const RESERVE = `${RECLAIM}
local now, id, amount, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), #KEYS / 2
if ARGV[5] == '1' then
  local unseeded = {2}
  for i = 1, n do
    if redis.call('HEXISTS', KEYS[2 * i - 1], 'seeded') == 0 then unseeded[#unseeded + 1] = i end
  end
  if #unseeded > 1 then return unseeded end
end
for i = 1, n do
  local h = KEYS[2 * i - 1]
  reclaim(h, KEYS[2 * i], now)
  local spent, reserved = counts(h)
  if spent + reserved + amount > tonumber(ARGV[4 + 2 * i]) then return {0, i, spent, reserved} end
end
for i = 1, n do
  local h, z, exp = KEYS[2 * i - 1], KEYS[2 * i], tonumber(ARGV[5 + 2 * i])
  redis.call('HINCRBY', h, 'reserved', ARGV[3])
  redis.call('HSET', h, 'r:' .. id, ARGV[3])
  redis.call('ZADD', z, ARGV[4], id)
  if exp > 0 then redis.call('EXPIRE', h, exp) redis.call('EXPIRE', z, exp) end
end
return {1}
`;

// KEYS: marker, then hash, zset per scope. ARGV: id, actual, markerTtlSec, then expireSec per scope.
const SETTLE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then return 0 end
local id, actual = ARGV[1], tonumber(ARGV[2])
for i = 1, (#KEYS - 1) / 2 do
  local h, z, exp = KEYS[2 * i], KEYS[2 * i + 1], tonumber(ARGV[3 + i])
  local held = redis.call('HGET', h, 'r:' .. id)
  if held then
    redis.call('HINCRBY', h, 'reserved', 0 - tonumber(held))
    redis.call('HDEL', h, 'r:' .. id)
  end
  redis.call('ZREM', z, id)
  if actual > 0 then redis.call('HINCRBY', h, 'spent', ARGV[2]) end
  if exp > 0 then redis.call('EXPIRE', h, exp) redis.call('EXPIRE', z, exp) end
end
return 1
`;

// KEYS: hash, zset. ARGV: now. Returns spent, reserved and whether the hash was seeded from the ledger.
const USAGE = `${RECLAIM}
reclaim(KEYS[1], KEYS[2], tonumber(ARGV[1]))
local spent, reserved = counts(KEYS[1])
return {spent, reserved, redis.call('HEXISTS', KEYS[1], 'seeded')}
`;

// KEYS: hash per window. ARGV: ledger spend, expireSec per window. Only raises: a counter ahead of the ledger keeps its
// lead (spend settled here but not flushed yet).
const SEED = `
for i = 1, #KEYS do
  local h, v, exp = KEYS[i], tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  if v > (tonumber(redis.call('HGET', h, 'spent')) or 0) then redis.call('HSET', h, 'spent', ARGV[2 * i - 1]) end
  redis.call('HSET', h, 'seeded', '1')
  if exp > 0 then redis.call('EXPIRE', h, exp) end
end
return 1
`;

export interface RedisBudgetStoreOptions extends BudgetStoreOptions {
  redis: Redis;
  /** Namespaces every key (tests use a unique one per run). */
  keyPrefix?: string;
}

/**
 * Runs a script by sha and loads it on the first NOSCRIPT (after a Redis restart or on a fresh server). Any failure to
 * get an answer (timeout, disconnect, error reply) becomes a StoreUnavailableError: no half-known state is returned.
 */
function scriptRunner(redis: Redis, source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys: string[], args: Array<string | number>): Promise<unknown> => {
    try {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return await redis.eval(source, keys.length, ...keys, ...args);
      }
    } catch (err) {
      throw new StoreUnavailableError('budget', err);
    }
  };
}

const toInts = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => Number(x)) : []);

export function createRedisBudgetStore(opts: RedisBudgetStoreOptions): BudgetStore {
  const { redis } = opts;
  const prefix = opts.keyPrefix ?? 'gw:';
  const now = opts.now ?? Date.now;
  const ttlMs = opts.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  const runReserve = scriptRunner(redis, RESERVE);
  const runSettle = scriptRunner(redis, SETTLE);
  const runUsage = scriptRunner(redis, USAGE);
  const runSeed = scriptRunner(redis, SEED);
  const ledger = opts.ledger;

  const keysOf = (scope: string, window: string): [string, string] => [`${prefix}b:${scope}:${window}`, `${prefix}x:${scope}:${window}`];
  // Relative TTLs from the caller's clock (not EXPIREAT), so an injected clock and Redis's own clock cannot disagree.
  const expireSec = (endsAt: number | null, t: number): number => (endsAt === null ? 0 : Math.max(1, Math.ceil((endsAt + WINDOW_GRACE_MS - t) / 1000)));

  // Concurrent first calls on a scope share one ledger read: a seed in flight is awaited, and one finished after the
  // script answered "unseeded" (`observed`: the seed count before it ran) makes that answer stale, so it is not redone.
  let seeds = 0;
  const seededAt = new Map<string, number>();
  const seeding = new Map<string, Promise<void>>();

  async function seed(ws: ReservedWindow[], t: number, observed: number): Promise<void> {
    if (!ledger) return;
    const waits: Promise<void>[] = [];
    const load: ReservedWindow[] = [];
    for (const w of ws) {
      const h = keysOf(w.scope, w.window)[0];
      if ((seededAt.get(h) ?? -1) > observed) continue;
      const inFlight = seeding.get(h);
      if (inFlight) waits.push(inFlight);
      else load.push(w);
    }
    if (load.length) {
      const hashes = load.map((w) => keysOf(w.scope, w.window)[0]);
      const p = (async () => {
        const values = await ledger.load(load);
        await runSeed(hashes, load.flatMap((w, i) => [values[i] ?? 0, expireSec(w.endsAt, t)]));
        if (seededAt.size > 10_000) seededAt.clear(); // only an optimisation: forgetting costs a repeated read
        seeds++;
        for (const h of hashes) seededAt.set(h, seeds);
      })().finally(() => hashes.forEach((h) => seeding.delete(h)));
      for (const h of hashes) seeding.set(h, p);
      waits.push(p);
    }
    await Promise.all(waits);
  }

  async function finish(r: Reservation, actual: number): Promise<boolean> {
    const keys = [`${prefix}d:${r.id}`, ...r.windows.flatMap((w) => keysOf(w.scope, w.window))];
    const t = now();
    const markerTtlSec = Math.ceil((Math.max(r.expiresAt - t, 0) + SETTLE_MEMORY_MS) / 1000);
    const args = [r.id, actual, markerTtlSec, ...r.windows.map((w) => expireSec(w.endsAt, t))];
    return Number(await runSettle(keys, args)) === 1;
  }

  return {
    async reserve(limits, amountMicros) {
      assertMicros(amountMicros, 'amount');
      const t = now();
      const checks = normalizeLimits(limits).map((l) => ({ l, w: { scope: l.scope, period: l.period, ...periodWindow(l.period, t) } }));
      const id = randomUUID();
      const expiresAt = t + ttlMs;
      const keys = checks.flatMap(({ w }) => keysOf(w.scope, w.window));
      const args = [t, id, amountMicros, expiresAt, ledger ? 1 : 0, ...checks.flatMap(({ l, w }) => [l.limitMicros, expireSec(w.endsAt, t)])];
      let observed = seeds;
      let answer = toInts(await runReserve(keys, args));
      // Seed what the script named, then try again; the last try skips the check, so a keyspace being flushed over and
      // over cannot keep a call waiting.
      for (let attempt = 1; answer[0] === 2; attempt++) {
        await seed(answer.slice(1).flatMap((i) => checks[i - 1]?.w ?? []), t, observed);
        if (attempt >= 2) args[4] = 0;
        observed = seeds;
        answer = toInts(await runReserve(keys, args));
      }
      const [ok = 0, index = 0, spent = 0, reserved = 0] = answer;
      if (ok !== 1) {
        const failed = checks[index - 1];
        if (!failed) throw new Error('budget reserve script returned an unknown scope index');
        return denial(failed.l, failed.w.endsAt, spent, reserved, amountMicros, t);
      }
      const reservation: Reservation = { id, amountMicros, windows: checks.map(({ w }): ReservedWindow => w), expiresAt };
      return { ok: true, reservation };
    },

    async settle(reservation, actualMicros) {
      assertMicros(actualMicros, 'actual cost');
      let booked: boolean;
      try {
        booked = await finish(reservation, actualMicros);
      } catch (err) {
        // The money was spent upstream whether or not Redis heard of it: the ledger keeps it, and a rebuild restores it.
        if (err instanceof StoreUnavailableError && actualMicros > 0) ledger?.record(reservation.windows, actualMicros);
        throw err;
      }
      if (booked && actualMicros > 0) ledger?.record(reservation.windows, actualMicros);
      return booked;
    },

    async release(reservation) {
      return finish(reservation, 0);
    },

    async usage(scope, period) {
      const t = now();
      const w = periodWindow(period, t);
      const observed = seeds;
      let [spent = 0, reserved = 0, seeded = 1] = toInts(await runUsage(keysOf(scope, w.window), [t]));
      if (ledger && seeded !== 1) {
        await seed([{ scope, period, ...w }], t, observed);
        [spent = 0, reserved = 0] = toInts(await runUsage(keysOf(scope, w.window), [t]));
      }
      return { spentMicros: spent, reservedMicros: reserved, window: w.window };
    },
  };
}
