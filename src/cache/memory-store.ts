// The in-process cache store (no REDIS_URL): least-recently-used entries evicted to stay under a byte bound, each with a TTL.
import type { CacheStore } from './types.js';

interface Entry {
  value: string;
  bytes: number;
  expiresAt: number;
}

/** A Map keeps insertion order: re-inserting on a read makes its first key the least recently used. */
export function createMemoryStore(maxBytes: number, now: () => number = Date.now): CacheStore {
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const drop = (key: string, e: Entry) => {
    entries.delete(key);
    bytes -= e.bytes;
  };
  return {
    kind: 'memory',
    async get(key) {
      const e = entries.get(key);
      if (!e) return null;
      if (e.expiresAt <= now()) {
        drop(key, e);
        return null;
      }
      entries.delete(key);
      entries.set(key, e);
      return e.value;
    },
    async set(key, value, ttlMs) {
      const size = Buffer.byteLength(value) + Buffer.byteLength(key);
      const old = entries.get(key);
      if (old) drop(key, old);
      if (size > maxBytes) return;
      entries.set(key, { value, bytes: size, expiresAt: now() + ttlMs });
      bytes += size;
      for (const [k, e] of entries) {
        if (bytes <= maxBytes) break;
        drop(k, e);
      }
    },
    async stats() {
      const t = now();
      for (const [k, e] of entries) if (e.expiresAt <= t) drop(k, e);
      return { entries: entries.size, bytes };
    },
    async close() {
      entries.clear();
      bytes = 0;
    },
  };
}
