// The semantic cache's index on every backend: PGlite with pgvector, PGlite scanning, Postgres (scan unless the server has pgvector).
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cosineWith, createSemanticIndex, MAX_SEMANTIC_DIMS } from '../../src/cache/semantic-index.js';
import type { SemanticIndex, SemanticScope } from '../../src/cache/types.js';
import type { Logger } from '../../src/log.js';
import { rowsOf } from '../../src/storage/audit-repo.js';
import { openDatabase, type Database, type Db } from '../../src/storage/db.js';
import * as schema from '../../src/storage/schema.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { LEXICAL_MODEL } from '../fixtures/lexical-embedding.js';

interface Backend {
  name: string;
  open: () => Promise<Database>;
  method: 'auto' | 'scan';
  expected: () => Promise<'pgvector' | 'scan'>;
}

/** PGlite as src/storage/db.ts opens it, but without the pgvector bundle: the index must fall back to the scan. */
async function openPgliteWithoutVector(): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const client = await PGlite.create('memory://');
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)) });
  return { db: db as unknown as Db, kind: 'pglite', lock: null, ping: async () => undefined, close: () => client.close() };
}

let postgresHasVector = false;
const backends: Backend[] = [
  { name: 'pglite with pgvector', open: () => openDatabase({ dataDir: 'memory://' }), method: 'auto', expected: async () => 'pgvector' },
  { name: 'pglite, scan forced', open: () => openDatabase({ dataDir: 'memory://' }), method: 'scan', expected: async () => 'scan' },
  { name: 'pglite without the extension', open: openPgliteWithoutVector, method: 'auto', expected: async () => 'scan' },
];
if (process.env.DATABASE_URL) {
  backends.push({
    name: 'postgres',
    open: () => openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: 'unused' }),
    method: 'auto',
    expected: async () => (postgresHasVector ? 'pgvector' : 'scan'),
  });
}

const WHERE: SemanticScope = { scope: 'key:k1', contextHash: 'ctx1', embeddingModel: 'openai/text-embedding-3-small' };
const HOUR = 3_600_000;
const unit = (v: number[]): number[] => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
/** Deterministic pseudo-random unit vectors, so a failure reproduces. */
function randomVector(seed: number, dims: number): number[] {
  let s = seed * 2_654_435_761 + 1;
  return unit(Array.from({ length: dims }, () => ((s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32) * 2 - 1));
}
const quietLogger = (): Logger & { warn: ReturnType<typeof vi.fn> } =>
  ({ warn: vi.fn(), info: vi.fn(), debug: vi.fn(), error: vi.fn() }) as unknown as Logger & { warn: ReturnType<typeof vi.fn> };

describe.each(backends)('$name', (backend) => {
  let database: Database;
  let clock: Date;
  const make = (opts: { maxCandidates?: number; logger?: Logger } = {}): Promise<SemanticIndex> =>
    createSemanticIndex({ db: database.db, logger: opts.logger ?? quietLogger(), method: backend.method, now: () => clock, maxCandidates: opts.maxCandidates });
  const count = async (): Promise<number> => rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from cache_semantic`))[0]?.n ?? -1;

  beforeAll(async () => {
    database = await backend.open();
    const found = rowsOf(await database.db.execute(sql`select 1 from pg_available_extensions where name = 'vector'`));
    if (backend.name === 'postgres') postgresHasVector = found.length > 0;
  });
  afterAll(() => database?.close());
  beforeEach(async () => {
    clock = new Date('2026-01-01T00:00:00Z');
    await database.db.execute(sql`delete from cache_semantic`);
  });

  it('uses the method the database allows', async () => {
    expect((await make()).method).toBe(await backend.expected());
  });

  it('finds the nearest vector of the same group, with its cosine similarity, and nothing below the threshold', async () => {
    const index = await make();
    const vectors = Array.from({ length: 20 }, (_, i) => randomVector(i + 1, 16));
    for (const [i, v] of vectors.entries()) await index.add(WHERE, v, `entry-${i}`, new Date(clock.getTime() + HOUR));
    const query = unit(vectors[7]!.map((x, i) => x + 0.05 * randomVector(99, 16)[i]!));
    const expected = cosineWith(query, 1, vectors[7]!)!;
    const hit = await index.nearest(WHERE, query, 0.5);
    expect(hit?.entryKey).toBe('entry-7');
    // Stored as real (float32): equal to the float64 cosine to about 6 digits.
    expect(hit?.similarity).toBeCloseTo(expected, 5);
    expect(await index.nearest(WHERE, query, Math.min(1, expected + 0.001))).toBeNull();
    expect((await index.nearest(WHERE, query, expected - 0.001))?.entryKey).toBe('entry-7');
    expect((await index.nearest(WHERE, vectors[3]!, 0.9999))?.entryKey).toBe('entry-3');
  });

  it('never crosses scope, context or embedding model, and skips expired rows until prune deletes them', async () => {
    const index = await make();
    const v = randomVector(5, 8);
    await index.add(WHERE, v, 'mine', new Date(clock.getTime() + HOUR));
    for (const other of [{ scope: 'key:k2' }, { scope: 'team:t1' }, { contextHash: 'ctx2' }, { embeddingModel: 'openai/other' }]) {
      expect(await index.nearest({ ...WHERE, ...other }, v, -1)).toBeNull();
    }
    expect((await index.nearest(WHERE, v, 0.99))?.entryKey).toBe('mine');
    clock = new Date(clock.getTime() + HOUR);
    expect(await index.nearest(WHERE, v, -1)).toBeNull();
    await database.db.execute(sql`insert into cache_semantic (scope, context_hash, embedding_model, embedding, dims, entry_key, expires_at)
      select 'key:k9', 'c', 'm', '{1,0}'::real[], 2, 'old-' || g, ${new Date(clock.getTime() - 1).toISOString()}::timestamptz from generate_series(1, 2345) g`);
    await index.add(WHERE, v, 'fresh', new Date(clock.getTime() + HOUR));
    expect(await index.prune(clock)).toBe(2346);
    expect(await count()).toBe(1);
    expect((await index.nearest(WHERE, v, 0.99))?.entryKey).toBe('fresh');
  });

  it('ignores rows of another dimension and refuses unusable vectors without throwing', async () => {
    const index = await make();
    const until = new Date(clock.getTime() + HOUR);
    await index.add(WHERE, randomVector(1, 8), 'eight', until);
    await index.add(WHERE, randomVector(2, 4), 'four', until);
    expect((await index.nearest(WHERE, randomVector(2, 4), 0.99))?.entryKey).toBe('four');
    expect((await index.nearest(WHERE, randomVector(1, 8), 0.99))?.entryKey).toBe('eight');
    expect(await index.nearest(WHERE, randomVector(3, 3), -1)).toBeNull();
    const bad = [[], [0, 0, 0], [1, Number.NaN], [1, Number.POSITIVE_INFINITY], new Array(MAX_SEMANTIC_DIMS + 1).fill(1), ['1', 2] as unknown as number[]];
    for (const v of bad) {
      await index.add(WHERE, v, 'bad', until);
      expect(await index.nearest(WHERE, v, -1)).toBeNull();
    }
    await index.add({ ...WHERE, scope: 'x'.repeat(2000) }, [1, 0], 'long-scope', until);
    await index.add(WHERE, [1, 0], '', until);
    expect(await count()).toBe(2);
    const biggest = randomVector(4, MAX_SEMANTIC_DIMS);
    await index.add(WHERE, biggest, 'biggest', until);
    expect((await index.nearest(WHERE, biggest, 0.999))?.entryKey).toBe('biggest');
  });

  it('prefers the newest of equals, compares only the newest maxCandidates rows, and trims a group lazily', async () => {
    const index = await make({ maxCandidates: 5 });
    const until = new Date(clock.getTime() + HOUR);
    const target = randomVector(42, 8);
    await index.add(WHERE, target, 'old-twin', until);
    await index.add(WHERE, target, 'new-twin', until);
    expect((await index.nearest(WHERE, target, 0.99))?.entryKey).toBe('new-twin');
    for (let i = 0; i < 4; i++) await index.add(WHERE, randomVector(100 + i, 8), `other-${i}`, until);
    // The twins are now the 5th and 6th newest: only new-twin is still a candidate.
    expect((await index.nearest(WHERE, target, 0.99))?.entryKey).toBe('new-twin');
    await index.add(WHERE, randomVector(200, 8), 'other-4', until);
    expect(await index.nearest(WHERE, target, 0.99)).toBeNull();
    for (let i = 5; i < 12; i++) await index.add(WHERE, randomVector(100 + i, 8), `other-${i}`, until);
    // 14 adds: trimmed back to the newest 5 at the 5th and 10th add (this index's count), 4 added since.
    expect(await count()).toBe(9);
    const keys = rowsOf<{ entry_key: string }>(await database.db.execute(sql`select entry_key from cache_semantic order by id`)).map((r) => r.entry_key);
    expect(keys).toEqual(['other-3', 'other-4', ...Array.from({ length: 7 }, (_, i) => `other-${i + 5}`)]);
  });

  it('returns null and resolves on database errors, logging each kind once', async () => {
    const logger = quietLogger();
    const index = await make({ logger });
    const v = randomVector(7, 8);
    await index.add(WHERE, v, 'kept', new Date(clock.getTime() + HOUR));
    await database.db.execute(sql`alter table cache_semantic rename to cache_semantic_away`);
    try {
      expect(await index.nearest(WHERE, v, 0)).toBeNull();
      expect(await index.nearest(WHERE, v, 0)).toBeNull();
      await expect(index.add(WHERE, v, 'lost', new Date(clock.getTime() + HOUR))).resolves.toBeUndefined();
      await index.add(WHERE, v, 'lost', new Date(clock.getTime() + HOUR));
      expect(await index.prune(clock)).toBe(0);
    } finally {
      await database.db.execute(sql`alter table cache_semantic_away rename to cache_semantic`);
    }
    expect(logger.warn.mock.calls.map((c) => (c[0] as { op: string }).op)).toEqual(['nearest', 'add', 'prune']);
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(String(v[0]));
    expect((await index.nearest(WHERE, v, 0.99))?.entryKey).toBe('kept');
  });
});

describe('pgvector and the scan agree', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
  });
  afterAll(() => database?.close());

  it('on the same rows: same neighbour, same similarity', async () => {
    const logger = quietLogger();
    const byDb = await createSemanticIndex({ db: database.db, logger });
    const byScan = await createSemanticIndex({ db: database.db, logger, method: 'scan' });
    expect([byDb.method, byScan.method]).toEqual(['pgvector', 'scan']);
    const until = new Date(Date.now() + HOUR);
    for (let i = 0; i < 60; i++) await byDb.add(WHERE, randomVector(i + 1000, 32), `e${i}`, until);
    for (let q = 0; q < 20; q++) {
      const query = randomVector(q + 5000, 32);
      const [a, b] = [await byDb.nearest(WHERE, query, -1), await byScan.nearest(WHERE, query, -1)];
      expect(a?.entryKey).toBe(b?.entryKey);
      expect(a?.similarity).toBeCloseTo(b?.similarity ?? NaN, 5);
    }
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('with the fake upstream lexical embedding', () => {
  let up: FakeUpstream;
  let database: Database;
  beforeAll(async () => {
    up = await startFakeUpstream();
    database = await openDatabase({ dataDir: 'memory://' });
  });
  afterAll(async () => {
    await up.close();
    await database?.close();
  });

  const embed = async (input: string): Promise<number[]> => {
    const res = await fetch(`${up.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      body: JSON.stringify({ model: LEXICAL_MODEL, input }),
    });
    return ((await res.json()) as { data: Array<{ embedding: number[] }> }).data[0]!.embedding;
  };

  it('matches a reworded question and not a different one at 0.8', async () => {
    const index = await createSemanticIndex({ db: database.db, logger: quietLogger() });
    const where = { ...WHERE, embeddingModel: `openai/${LEXICAL_MODEL}` };
    const stored = await embed('How do I center a div horizontally in CSS?');
    expect(stored).toHaveLength(256);
    await index.add(where, stored, 'center-div', new Date(Date.now() + HOUR));
    expect((await index.nearest(where, await embed('CSS: how to horizontally center a div?'), 0.8))?.entryKey).toBe('center-div');
    expect((await index.nearest(where, await embed('how do i center divs horizontally with css'), 0.8))?.entryKey).toBe('center-div');
    expect(await index.nearest(where, await embed('How do I center a div vertically in CSS?'), 0.8)).toBeNull();
    expect(await index.nearest(where, await embed('What is the boiling point of water at sea level?'), 0.8)).toBeNull();
  });
});
