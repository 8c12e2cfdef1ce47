// Embedded PGlite on disk: created and migrated in a child process, started with the small-memory settings, durable across reopen.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { rowsOf } from '../../src/storage/audit-repo.js';
import { openDatabase, type Database } from '../../src/storage/db.js';
import { initialiseDataDir } from '../../src/storage/pglite-boot.js';
import { createRepo } from '../../src/storage/repo.js';
import { createRequestLogWriter } from '../../src/tracing/request-log.js';

const tmp = mkdtempSync(join(tmpdir(), 'gw-pglite-mem-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };

async function one<T>(db: Database, query: ReturnType<typeof sql>): Promise<T> {
  return rowsOf<T>(await db.db.execute(query))[0] as T;
}

describe('embedded PGlite on disk', () => {
  const dataDir = join(tmp, 'data');

  it('creates and migrates a fresh directory outside this process', async () => {
    const external = process.memoryUsage().external;
    await initialiseDataDir(dataDir, migrationsFolder);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    // In-process, initdb would leave two WASM heaps (>= 128MB each, counted as external memory) behind.
    expect(process.memoryUsage().external - external).toBeLessThan(64 * 1024 * 1024);
  });

  it('opens it with the small buffer pool, already migrated, and keeps rows across close and reopen', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `req_pglite_mem_${i}`);
    const first = await openDatabase({ dataDir });
    try {
      expect(await one(first, sql`select current_setting('shared_buffers') as v`)).toEqual({ v: '8MB' });
      expect(await one(first, sql`select current_setting('maintenance_work_mem') as v`)).toEqual({ v: '16MB' });
      expect(await one(first, sql`select count(*)::int as n from drizzle.__drizzle_migrations`)).toEqual({ n: journal.entries.length });
      const config = parseConfig({ storage: { dataDir: 'memory://' }, requestLog: { flushIntervalMs: 60_000, maxBatch: 100, maxQueue: 1_000 } }, {});
      const writer = await createRequestLogWriter(config, createRepo(first.db), createLogger('silent'));
      for (const id of ids) writer.write([{ time: new Date(), requestId: id, endpoint: 'chat.completions', status: 200, latencyMs: 1, inputTokens: 5, outputTokens: 2, costMicros: 12 }]);
      await writer.close();
      expect(writer.stats()).toMatchObject({ written: ids.length, dropped: 0 });
    } finally {
      await first.close();
    }

    const again = await openDatabase({ dataDir });
    try {
      expect(await one(again, sql`select current_setting('shared_buffers') as v`)).toEqual({ v: '8MB' });
      expect(await one(again, sql`select count(*)::int as n from request_log where request_id like 'req_pglite_mem_%'`)).toEqual({ n: ids.length });
    } finally {
      await again.close();
    }
  });

  it('says which directory it could not create', async () => {
    const notADir = join(tmp, 'file');
    writeFileSync(notADir, 'x');
    await expect(initialiseDataDir(notADir, migrationsFolder)).rejects.toThrow(`could not create the embedded database in ${notADir}`);
  });
});
