// The shared cache store (REDIS_URL): entries with a TTL, plus an expiry index so /metrics can count live entries and bytes.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { CacheStore } from './types.js';

const NS = 'gw:{cache}';
const INDEX = `${NS}:idx`;
const SIZES = `${NS}:sz`;
const TOTAL = `${NS}:bytes`;

// Writes an entry and keeps the index (member → expiry), the size hash and the byte total in step, replacing an old entry.
const SET_SCRIPT = `
local old = redis.call('HGET', KEYS[3], KEYS[1])
if old then redis.call('DECRBY', KEYS[4], old) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('HSET', KEYS[3], KEYS[1], ARGV[4])
redis.call('INCRBY', KEYS[4], ARGV[4])
return 1`;

// Forgets expired entries in the index (Redis already dropped their values), then reports what is live.
const STATS_SCRIPT = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 10000)
for _, k in ipairs(gone) do
  local n = redis.call('HGET', KEYS[2], k)
  if n then redis.call('DECRBY', KEYS[3], n) end
  redis.call('HDEL', KEYS[2], k)
  redis.call('ZREM', KEYS[1], k)
end
return { redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0') }`;

type Scripted = Redis & {
  gwCacheSet(entry: string, index: string, sizes: string, total: string, value: string, ttlMs: number, expiresAt: number, bytes: number): Promise<number>;
  gwCacheStats(index: string, sizes: string, total: string, now: number): Promise<[number, number]>;
};

/** A cache read or write waits at most `timeoutMs`; past it the call goes on as a miss (a cache never holds a call up). */
function bounded<T>(p: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cache: Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export function createRedisStore(client: Redis, log: Logger, timeoutMs: number): CacheStore {
  if (!('gwCacheSet' in client)) {
    client.defineCommand('gwCacheSet', { numberOfKeys: 4, lua: SET_SCRIPT });
    client.defineCommand('gwCacheStats', { numberOfKeys: 3, lua: STATS_SCRIPT });
  }
  const redis = client as Scripted;
  let warned = 0;
  const warn = (err: unknown) => {
    // One line a minute at most: an outage must not flood the log.
    if (Date.now() - warned < 60_000) return;
    warned = Date.now();
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cache: Redis unavailable; calls go on uncached');
  };
  const entryKey = (key: string) => `${NS}:e:${key}`;
  return {
    kind: 'redis',
    async get(key) {
      try {
        return await bounded(redis.get(entryKey(key)), timeoutMs);
      } catch (err) {
        warn(err);
        return null;
      }
    },
    async set(key, value, ttlMs) {
      try {
        await bounded(redis.gwCacheSet(entryKey(key), INDEX, SIZES, TOTAL, value, ttlMs, Date.now() + ttlMs, Buffer.byteLength(value) + Buffer.byteLength(key)), timeoutMs);
      } catch (err) {
        warn(err);
      }
    },
    async stats() {
      try {
        const [entries, bytes] = await bounded(redis.gwCacheStats(INDEX, SIZES, TOTAL, Date.now()), timeoutMs * 4);
        return { entries, bytes };
      } catch (err) {
        warn(err);
        return { entries: 0, bytes: 0 };
      }
    },
    async close() {},
  };
}
