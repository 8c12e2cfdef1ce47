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
 */
const RECLAIM = `
local function reclaim(h, z, now)
  local ids = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 512)
  for _, rid in ipairs(ids) do
    local held = redis.call('HGET', h, 'r:' .. rid)
    if held then
      redis.call('HINCRBY', h, 'reserved', -tonumber(held))
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

// KEYS: hash, zset per scope. ARGV: now, id, amount, expiresAt, then limit, expireSec per scope.
const RESERVE = `${RECLAIM}
local now, id, amount, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), #KEYS / 2
for i = 1, n do
  local h = KEYS[2 * i - 1]
  reclaim(h, KEYS[2 * i], now)
  local spent, reserved = counts(h)
  if spent + reserved + amount > tonumber(ARGV[3 + 2 * i]) then return {0, i, spent, reserved} end
end
for i = 1, n do
  local h, z, exp = KEYS[2 * i - 1], KEYS[2 * i], tonumber(ARGV[4 + 2 * i])
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
    redis.call('HINCRBY', h, 'reserved', -tonumber(held))
    redis.call('HDEL', h, 'r:' .. id)
  end
  redis.call('ZREM', z, id)
  if actual > 0 then redis.call('HINCRBY', h, 'spent', ARGV[2]) end
  if exp > 0 then redis.call('EXPIRE', h, exp) redis.call('EXPIRE', z, exp) end
end
return 1
`;

// KEYS: hash, zset. ARGV: now.
const USAGE = `${RECLAIM}
reclaim(KEYS[1], KEYS[2], tonumber(ARGV[1]))
local spent, reserved = counts(KEYS[1])
return {spent, reserved}
`;

export interface RedisBudgetStoreOptions extends BudgetStoreOptions {
  redis: Redis;
  /** Namespaces every key (tests use a unique one per run). */
  keyPrefix?: string;
}

/** Runs a script by sha and loads it on the first NOSCRIPT (after a Redis restart or on a fresh server). */
function scriptRunner(redis: Redis, source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys: string[], args: Array<string | number>): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
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

  const keysOf = (scope: string, window: string): [string, string] => [`${prefix}b:${scope}:${window}`, `${prefix}x:${scope}:${window}`];
  // Relative TTLs from the caller's clock (not EXPIREAT), so an injected clock and Redis's own clock cannot disagree.
  const expireSec = (endsAt: number | null, t: number): number => (endsAt === null ? 0 : Math.max(1, Math.ceil((endsAt + WINDOW_GRACE_MS - t) / 1000)));

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
      const args = [t, id, amountMicros, expiresAt, ...checks.flatMap(({ l, w }) => [l.limitMicros, expireSec(w.endsAt, t)])];
      const [ok = 0, index = 0, spent = 0, reserved = 0] = toInts(await runReserve(keys, args));
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
      return finish(reservation, actualMicros);
    },

    async release(reservation) {
      return finish(reservation, 0);
    },

    async usage(scope, period) {
      const t = now();
      const w = periodWindow(period, t);
      const [spent = 0, reserved = 0] = toInts(await runUsage(keysOf(scope, w.window), [t]));
      return { spentMicros: spent, reservedMicros: reserved, window: w.window };
    },
  };
}
