// The shared Redis connection (REDIS_URL) for counters, caches and cross-replica messages; null without Redis.
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';

export interface SharedRedis {
  /** Commands (counters, scripts, caches). */
  client: Redis;
  /** Subscribes to a channel on a dedicated connection (a subscribed connection cannot run commands). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

export async function openRedis(url: string | undefined, log: Logger): Promise<SharedRedis | null> {
  if (!url) return null;
  const client = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: true });
  client.on('error', (err: Error) => log.warn({ err: err.message }, 'redis: connection error'));
  await client.connect();
  let sub: Redis | null = null;
  const handlers = new Map<string, (message: string) => void>();
  return {
    client,
    async subscribe(channel, onMessage) {
      if (!sub) {
        sub = client.duplicate();
        sub.on('error', (err: Error) => log.warn({ err: err.message }, 'redis: subscriber error'));
        sub.on('message', (ch: string, message: string) => handlers.get(ch)?.(message));
      }
      handlers.set(channel, onMessage);
      await sub.subscribe(channel);
    },
    async close() {
      sub?.disconnect();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
