// Keeps embedded PGlite small: Postgres settings sized for one backend, and a fresh data directory built in a throwaway process.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's start parameters plus ours (passing startParams replaces PGlite's, so they are repeated).
 * Postgres runs inside a WASM heap that never shrinks: every buffer it touches stays resident until the process exits.
 */
export const pgliteStartParams: readonly string[] = [
  ...PGlite.defaultStartParams,
  // The buffer pool is in the WASM heap: the 128MB default grows the heap to ~190MB and fills as tables are read
  // (~130MB of RSS). Pages a small pool evicts are re-read from the OS page cache, which the kernel can reclaim.
  '-c',
  'shared_buffers=8MB',
  // Index builds take up to this much at once; 16MB instead of 64MB so a migration cannot raise the heap's high-water mark by 64MB.
  '-c',
  'maintenance_work_mem=16MB',
];

const requireHere = createRequire(import.meta.url);

/** The child's code: CommonJS so it needs no loader, and handed resolved paths so it uses the gateway's own copies. */
const INIT_SCRIPT = `
const [pglite, driver, migrator, pgvector, dataDir, migrationsFolder, params] = process.argv.slice(1);
(async () => {
  const client = await require(pglite).PGlite.create(dataDir, { startParams: JSON.parse(params), extensions: { vector: require(pgvector).vector } });
  await require(migrator).migrate(require(driver).drizzle(client), { migrationsFolder });
  await client.exec('create extension if not exists vector');
  await client.close();
})().catch((err) => { process.stderr.write(String((err && err.stack) || err)); process.exitCode = 1; });
`;

/**
 * Creates and migrates the database in `dataDir` when it has none yet. PGlite runs initdb in a second PGlite instance
 * plus initdb.wasm; in this process their heaps (~500MB) would stay resident until a major GC, which an idle gateway
 * never triggers, and a fresh database's first migrations leave ~40MB more (creating pgvector, which the semantic cache
 * uses, ~25MB more). A child process gives it all back on exit.
 * The caller holds the directory's lock, so nothing else opens it meanwhile.
 */
export async function initialiseDataDir(dataDir: string, migrationsFolder: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const modules = ['@electric-sql/pglite', 'drizzle-orm/pglite', 'drizzle-orm/pglite/migrator', '@electric-sql/pglite-pgvector'].map((m) =>
    requireHere.resolve(m),
  );
  const args = ['-e', INIT_SCRIPT, ...modules, dataDir, migrationsFolder, JSON.stringify(pgliteStartParams)];
  try {
    await promisify(execFile)(process.execPath, args);
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`could not create the embedded database in ${dataDir}: ${detail}`, { cause: err });
  }
}
