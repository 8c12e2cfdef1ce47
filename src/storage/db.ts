// Opens the database (postgres.js when DATABASE_URL is set, embedded PGlite otherwise) and applies migrations.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { acquireDataDirLock, type DataDirLock, type LockInfo } from './data-dir-lock.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The data directory's lock (PGlite on disk); null for Postgres, which many replicas share. */
  lock: DataDirLock | null;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Any constant works; it only has to be the same for every replica. */
const MIGRATION_LOCK = 7_246_311;

/** `holder` names who takes a PGlite directory's lock; it throws DataDirLockedError when another process holds it. */
export async function openDatabase(opts: { databaseUrl?: string; dataDir: string }, holder: LockInfo['holder'] = 'gateway'): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(opts.dataDir, holder);
}

async function openPostgres(url: string): Promise<Database> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  // Replicas starting together must not run the same migration twice: serialise on an advisory lock.
  const one = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await one`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(one), { migrationsFolder });
    await one`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await one.end();
  }
  const client = postgres(url, { max: 10, onnotice: () => {} });
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    lock: null,
    ping: async () => void (await db.execute(sql`select 1`)),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string, holder: LockInfo['holder']): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const { initialiseDataDir, pgliteStartParams } = await import('./pglite-boot.js');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const onDisk = !dataDir.includes('://');
  if (onDisk) mkdirSync(dataDir, { recursive: true });
  // Two processes on one PGlite directory corrupt it: take the lock before PGlite touches a file.
  const lock = onDisk ? acquireDataDirLock(dataDir, holder) : null;
  let client: Awaited<ReturnType<typeof PGlite.create>> | undefined;
  try {
    if (onDisk) await initialiseDataDir(dataDir, migrationsFolder);
    // pgvector's bundle costs no measurable memory until the semantic cache creates the extension (bench/SEMANTIC.md).
    client = await PGlite.create(dataDir, { startParams: [...pgliteStartParams], extensions: { vector } });
    const pdb = drizzle(client, { schema });
    await migrate(pdb, { migrationsFolder });
  } catch (err) {
    await client?.close().catch(() => {});
    lock?.release();
    throw err;
  }
  const open = client;
  const db = drizzle(open, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    lock,
    ping: async () => void (await db.execute(sql`select 1`)),
    async close() {
      try {
        await open.close();
      } finally {
        lock?.release();
      }
    },
  };
}
