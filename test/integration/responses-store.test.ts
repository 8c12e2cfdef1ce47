// The stored-responses queries on both backends: scoping by key, chains and their bounds, item lookups, size cuts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/db.js';
import { createLogger } from '../../src/log.js';
import { createResponsesRetention } from '../../src/storage/responses-retention.js';
import { responsesRepo, STORED_RESPONSE_LIMITS, type NewStoredResponse, type ResponsesRepo } from '../../src/storage/responses-repo.js';

const backends: Array<[string, () => { databaseUrl?: string; dataDir: string }]> = [['pglite', () => ({ dataDir: 'memory://' })]];
if (process.env.DATABASE_URL) backends.push(['postgres', () => ({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://' })]);

const row = (id: string, prev: string | null, keyId: string | null, extra: Partial<NewStoredResponse> = {}): NewStoredResponse => ({
  id, keyId, sessionId: 's', previousResponseId: prev, model: 'm', status: 'completed', instructions: 'be brief',
  input: [{ type: 'message', role: 'user', content: `q-${id}` }],
  response: { id, object: 'response', output: [{ id: `msg-${id}`, type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `a-${id}` }] }] },
  usage: { input_tokens: 1, output_tokens: 1 },
  ...extra,
});

describe.each(backends)('%s', (_name, storage) => {
  let db: Database;
  let repo: ResponsesRepo;
  const u = randomUUID().slice(0, 8);
  const id = (n: string) => `resp_${u}_${n}`;

  beforeAll(async () => {
    db = await openDatabase(storage());
    repo = responsesRepo(db.db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('retention deletes responses older than retentionDays and keeps newer ones; 0 keeps everything', async () => {
    await repo.insertStoredResponse(row(id('kept'), null, 'k-ret'));
    const log = createLogger('silent');
    const keepAll = createResponsesRetention(repo, { retentionDays: 0, retentionIntervalMs: 3_600_000 }, log);
    expect(await keepAll.prune(new Date(Date.now() + 400 * 86_400_000))).toBe(0);
    keepAll.close();
    const thirty = createResponsesRetention(repo, { retentionDays: 30, retentionIntervalMs: 3_600_000 }, log);
    try {
      await thirty.prune(new Date(Date.now() + 29 * 86_400_000));
      expect(await repo.getStoredResponse(id('kept'), 'k-ret')).not.toBeNull();
      expect(await thirty.prune(new Date(Date.now() + 31 * 86_400_000))).toBeGreaterThanOrEqual(1);
      expect(await repo.getStoredResponse(id('kept'), 'k-ret')).toBeNull();
    } finally {
      thirty.close();
    }
  });

  it('reads and deletes only within the key (the open gateway is its own scope)', async () => {
    await repo.insertStoredResponse(row(id('a'), null, 'k1'));
    await repo.insertStoredResponse(row(id('open'), null, null));
    expect((await repo.getStoredResponse(id('a'), 'k1'))?.response).toMatchObject({ id: id('a') });
    expect(await repo.getStoredResponse(id('a'), 'k2')).toBeNull();
    expect(await repo.getStoredResponse(id('a'), null)).toBeNull();
    expect(await repo.getStoredResponse(id('open'), null)).not.toBeNull();
    expect(await repo.getStoredResponse(id('open'), 'k1')).toBeNull();
    expect(await repo.deleteStoredResponse(id('a'), 'k2')).toBe(false);
    expect(await repo.deleteStoredResponse(id('a'), 'k1')).toBe(true);
    expect(await repo.getStoredResponse(id('a'), 'k1')).toBeNull();
  });

  it('loads a chain oldest first, stops at another key, and bounds links and bytes', async () => {
    await repo.insertStoredResponse(row(id('c1'), null, 'k1'));
    await repo.insertStoredResponse(row(id('c2'), id('c1'), 'k1'));
    await repo.insertStoredResponse(row(id('c3'), id('c2'), 'k1'));
    const chain = await repo.loadResponseChain(id('c3'), 'k1', { maxLinks: 100, maxBytes: 1_000_000 });
    expect(chain.map((l) => l.id)).toEqual([id('c1'), id('c2'), id('c3')]);
    expect(chain[0]).toMatchObject({ previousResponseId: null, input: [{ content: `q-${id('c1')}` }], output: [{ content: [{ text: `a-${id('c1')}` }] }], truncated: false });
    expect(chain[0]!.totalBytes).toBeGreaterThan(chain[2]!.totalBytes);
    expect(await repo.loadResponseChain(id('c3'), 'k2', { maxLinks: 100, maxBytes: 1_000_000 })).toEqual([]);
    const short = await repo.loadResponseChain(id('c3'), 'k1', { maxLinks: 2, maxBytes: 1_000_000 });
    expect(short.map((l) => l.id)).toEqual([id('c2'), id('c3')]);
    const small = await repo.loadResponseChain(id('c3'), 'k1', { maxLinks: 100, maxBytes: 1 });
    expect(small[0]!.totalBytes).toBeGreaterThan(1);

    await repo.insertStoredResponse(row(id('x2'), id('c1'), 'k2'));
    expect((await repo.loadResponseChain(id('x2'), 'k2', { maxLinks: 100, maxBytes: 1_000_000 })).map((l) => l.id)).toEqual([id('x2')]);
  });

  it('finds output items by id within the key', async () => {
    await repo.insertStoredResponse(row(id('i1'), null, 'k1'));
    const found = await repo.findStoredItems([`msg-${id('i1')}`, 'msg-missing'], 'k1');
    expect([...found.keys()]).toEqual([`msg-${id('i1')}`]);
    expect(found.get(`msg-${id('i1')}`)).toMatchObject({ type: 'message', content: [{ text: `a-${id('i1')}` }] });
    expect((await repo.findStoredItems([`msg-${id('i1')}`], 'k2')).size).toBe(0);
  });

  it('stores what Postgres refuses as storable text, and marks an oversized row truncated', async () => {
    await repo.insertStoredResponse(row(id('nul'), null, 'k1', { input: [{ type: 'message', role: 'user', content: 'a\u0000b \ud800' }] }));
    expect((await repo.getStoredResponse(id('nul'), 'k1'))?.input).toEqual([{ type: 'message', role: 'user', content: 'ab \ufffd' }]);
    const big = 'x'.repeat(STORED_RESPONSE_LIMITS.maxBytes + 10);
    await repo.insertStoredResponse(row(id('big'), null, 'k1', { input: [{ type: 'message', role: 'user', content: big }] }));
    const stored = await repo.getStoredResponse(id('big'), 'k1');
    expect(stored?.truncated).toBe(true);
    expect(JSON.stringify(stored?.input).length).toBeLessThan(STORED_RESPONSE_LIMITS.maxBytes + 100);
  });
});
