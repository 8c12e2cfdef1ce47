// The rehearsal's share of the machine's Postgres and Redis: a throwaway database, and one Redis db whose new keys are removed after.
import { Redis } from 'ioredis';
import postgres from 'postgres';

export interface Storage {
  databaseUrl: string;
  redisUrl: string;
  /** Drops the throwaway database (if this run made it) and deletes the Redis keys the run created. */
  close(): Promise<void>;
}

/**
 * `fresh`: create a database of the run's own beside DATABASE_URL's (named gw_test_* so CI sweeps one an interrupted run
 * left); otherwise use DATABASE_URL as it is (the test file's isolated database). `redisDb`: the Redis database number to
 * use; the gateway has no key prefix setting, so a db of its own keeps the run's counters and sessions apart.
 */
export async function openStorage(o: { databaseUrl: string; redisUrl: string; fresh: boolean; redisDb: number }): Promise<Storage> {
  let databaseUrl = o.databaseUrl;
  let drop: (() => Promise<void>) | null = null;
  if (o.fresh) {
    const name = `gw_test_rehearsal_${process.pid}_${Date.now().toString(36)}`;
    const admin = postgres(o.databaseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(o.databaseUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.href;
    drop = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
      await admin.end();
    };
  }
  const url = new URL(o.redisUrl);
  url.pathname = `/${o.redisDb}`;
  const redisUrl = url.href;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const before = new Set(await scanAll(redis));
  return {
    databaseUrl,
    redisUrl,
    async close() {
      // Only keys that appeared during the run: anything already in this db belongs to someone else.
      const created = (await scanAll(redis).catch(() => [])).filter((k) => !before.has(k));
      for (let i = 0; i < created.length; i += 500) await redis.del(...created.slice(i, i + 500)).catch(() => undefined);
      redis.disconnect();
      await drop?.();
    },
  };
}

async function scanAll(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
