// Where MCP session records live so any replica can serve a session: Redis when configured, else this process.
import { Redis } from 'ioredis';
import type { Logger } from '../../log.js';

/** Enough to rebuild a session's server on another replica: who owns it, which route, what was negotiated. */
export interface SessionRecord {
  id: string;
  keyId: string | null;
  route: string;
  protocolVersion: string;
  clientInfo: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  createdAt: number;
}

export interface SessionStore {
  kind: 'redis' | 'memory';
  put(rec: SessionRecord): Promise<void>;
  /** The record, refreshing its idle TTL; null when unknown, expired or ended. */
  get(id: string): Promise<SessionRecord | null>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

function memoryStore(ttlMs: number): SessionStore {
  const map = new Map<string, { rec: SessionRecord; expires: number }>();
  return {
    kind: 'memory',
    async put(rec) {
      map.set(rec.id, { rec, expires: Date.now() + ttlMs });
    },
    async get(id) {
      const e = map.get(id);
      if (!e) return null;
      if (e.expires < Date.now()) {
        map.delete(id);
        return null;
      }
      e.expires = Date.now() + ttlMs;
      return e.rec;
    },
    async delete(id) {
      map.delete(id);
    },
    async close() {
      map.clear();
    },
  };
}

function redisStore(url: string, ttlMs: number, log: Logger): SessionStore {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'mcp session store: redis error'));
  const key = (id: string) => `gw:mcp:session:${id}`;
  return {
    kind: 'redis',
    async put(rec) {
      await redis.set(key(rec.id), JSON.stringify(rec), 'PX', ttlMs);
    },
    async get(id) {
      const raw = await redis.get(key(id));
      if (!raw) return null;
      void redis.pexpire(key(id), ttlMs).catch(() => undefined);
      return JSON.parse(raw) as SessionRecord;
    },
    async delete(id) {
      await redis.del(key(id));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export function createSessionStore(redisUrl: string | undefined, ttlMs: number, log: Logger): SessionStore {
  return redisUrl ? redisStore(redisUrl, ttlMs, log) : memoryStore(ttlMs);
}
