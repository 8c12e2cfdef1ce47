// Storage on both backends: migrations apply, request-log rows land in batches, and shutdown flushes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openDatabase, type Database } from '../../src/storage/db.js';
import { createRepo } from '../../src/storage/repo.js';
import { createRequestLogWriter } from '../../src/tracing/request-log.js';
import { startTestGateway } from '../helpers/gateway.js';

const tmp = mkdtempSync(join(tmpdir(), 'gw-storage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const backends: Array<[string, () => { databaseUrl?: string; dataDir: string }]> = [['pglite', () => ({ dataDir: join(tmp, 'pglite') })]];
if (process.env.DATABASE_URL) backends.push(['postgres', () => ({ databaseUrl: process.env.DATABASE_URL, dataDir: tmp })]);

async function rowsFor(db: Database, requestIds: string[]): Promise<Array<Record<string, unknown>>> {
  const res = await db.db.execute(sql`select * from request_log where request_id in ${requestIds} order by id`);
  return (Array.isArray(res) ? res : (res as { rows: Array<Record<string, unknown>> }).rows) as Array<Record<string, unknown>>;
}

describe.each(backends)('%s', (_name, storage) => {
  it('applies the migrations (twice is a no-op) and writes batched rows', async () => {
    const first = await openDatabase(storage());
    await first.close();
    const db = await openDatabase(storage());
    try {
      const tables = await db.db.execute(sql`select table_name from information_schema.tables where table_name = 'request_log'`);
      expect(JSON.stringify(tables)).toContain('request_log');
      const config = parseConfig({ storage: { dataDir: 'memory://' }, requestLog: { flushIntervalMs: 60_000, maxBatch: 3, maxQueue: 100 } }, {});
      const writer = await createRequestLogWriter(config, createRepo(db.db), createLogger('silent'));
      const ids = Array.from({ length: 7 }, (_, i) => `req_storage_${Date.now()}_${i}`);
      for (const id of ids) writer.write([{ time: new Date(), requestId: id, endpoint: 'chat.completions', status: 200, latencyMs: 1, inputTokens: 5, outputTokens: 2, costMicros: 12 }]);
      await writer.close();
      const rows = await rowsFor(db, ids);
      expect(rows).toHaveLength(7);
      expect(rows[0]).toMatchObject({ status: 200, input_tokens: 5, output_tokens: 2 });
      expect(writer.stats()).toMatchObject({ written: 7, queued: 0, dropped: 0 });
    } finally {
      await db.close();
    }
    // A fresh on-disk PGlite runs initdb in a child process, then opens twice: tens of seconds on a loaded 2-core machine.
  }, 120_000);

  it('flushes every served request on graceful shutdown', async () => {
    const gw = await startTestGateway({
      storage: storage(),
      requestLog: { flushIntervalMs: 600_000, maxBatch: 10_000, maxQueue: 10_000 },
      providers: { mock: { kind: 'mock', models: ['echo'] } },
    });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: `n${i}` }] }).withResponse();
      ids.push(r.response.headers.get('x-request-id')!);
    }
    const s = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'stream me' }], stream: true }).withResponse();
    for await (const _ of s.data) void _;
    ids.push(s.response.headers.get('x-request-id')!);
    expect(gw.deps.requestLog.stats().written).toBe(0); // nothing flushed yet: the interval is long
    await gw.stop();

    const db = await openDatabase(storage());
    try {
      const rows = await rowsFor(db, ids);
      expect(rows).toHaveLength(6);
      const streamRow = rows.find((r) => r.request_id === ids[5]);
      expect(streamRow).toMatchObject({ stream: true, status: 200, provider: 'mock', model_requested: 'mock/echo', model_served: 'echo' });
      expect(Number(streamRow?.cost_micros)).toBe(0);
      expect(Number(streamRow?.output_tokens)).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });
});
