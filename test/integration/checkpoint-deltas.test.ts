// Delta checkpoints on both backends: only changed sessions become leaves, the database's root is the documented digest,
// a change no checkpoint saw is named, and (Postgres) a change committed while a checkpoint runs is in the next one.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { checkpointRepo, DELTA_DOMAIN, type CheckpointRepo } from '../../src/storage/checkpoint-repo.js';
import { openDatabase, type Database } from '../../src/storage/db.js';
import { agentSessions, auditCheckpointLeaves, type AuditCheckpointRow } from '../../src/storage/schema.js';
import { createCheckpoints, type Checkpoints } from '../../src/tracing/checkpoints.js';

const seed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32).toString('base64');
const backends: Array<[string, () => { databaseUrl?: string; dataDir: string }]> = [['pglite', () => ({ dataDir: 'memory://' })]];
if (process.env.DATABASE_URL) backends.push(['postgres', () => ({ databaseUrl: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'ckd-')) })]);

interface LeafRow {
  keyId: string;
  sessionId: string;
  lastSeq: number;
  lastHash: string;
  anchorSeq: number;
  anchorHash: string;
  /** Microseconds since the epoch, as text. */
  firstUs: string;
  lastUs: string;
}
const LEAF_ROWS = sql`select key_id as "keyId", session_id as "sessionId", last_seq as "lastSeq", last_hash as "lastHash", anchor_seq as "anchorSeq",
  anchor_hash as "anchorHash", (extract(epoch from first_seen) * 1000000)::bigint::text as "firstUs", (extract(epoch from last_seen) * 1000000)::bigint::text as "lastUs"
  from audit_checkpoint_leaves`;

/** The version-2 root as src/storage/checkpoint-repo.ts defines it, computed here from the leaf rows alone. */
function referenceRoot(rows: LeafRow[]): string {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  const f = (s: string) => `${utf8(s).length}:${s}`;
  const sorted = [...rows].sort((a, b) => Buffer.compare(utf8(a.keyId), utf8(b.keyId)) || Buffer.compare(utf8(a.sessionId), utf8(b.sessionId)));
  const leaf = (l: (typeof sorted)[number]) =>
    createHash('sha256').update(utf8([f(l.keyId), f(l.sessionId), l.lastSeq, f(l.lastHash), l.anchorSeq, f(l.anchorHash), l.firstUs, l.lastUs].join(','))).digest();
  const root = createHash('sha256').update(`${DELTA_DOMAIN}\n${sorted.length}\n`);
  for (let i = 0; i < sorted.length; i += 1024) {
    root.update(createHash('sha256').update(Buffer.concat(sorted.slice(i, i + 1024).map(leaf))).digest());
  }
  return root.digest('hex');
}

describe.each(backends)('%s', (name, storage) => {
  let database: Database;
  let repo: CheckpointRepo;
  let checkpoints: Checkpoints;
  const exec = (q: ReturnType<typeof sql>) => database.db.execute(q);
  const rows = <T>(r: unknown): T[] => (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
  const write = async (): Promise<AuditCheckpointRow> => (await checkpoints.write(true))!;
  const leavesOf = (id: number) =>
    database.db
      .select({ key: auditCheckpointLeaves.keyId, session: auditCheckpointLeaves.sessionId, lastSeq: auditCheckpointLeaves.lastSeq })
      .from(auditCheckpointLeaves)
      .where(eq(auditCheckpointLeaves.checkpointId, id))
      .orderBy(asc(auditCheckpointLeaves.sessionId));
  /** `n` sessions of `key` at seq 0 (no events to compare), last seen a microsecond-precise moment ago. */
  const seedSessions = (key: string, n: number) =>
    exec(sql`insert into agent_sessions (key_id, session_id, first_seen, last_seen)
      select ${key}, 's' || lpad(i::text, 6, '0'), now() - interval '1 hour' + i * interval '1 microsecond', now() from generate_series(1, ${n}) i`);

  beforeAll(async () => {
    database = await openDatabase(storage());
    repo = checkpointRepo(database.db);
    const config = parseConfig({ storage: { dataDir: 'memory://' }, audit: { signingKey: seed, checkpointFile: '' } }, {});
    checkpoints = createCheckpoints(config, repo, createLogger('silent'), { timer: false });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('writes only the sessions that changed: 20,000 seeded, 10 changed, 10 leaves', async () => {
    await seedSessions('bulk', 20_000);
    const full = await write();
    expect(full.version).toBe(2);
    expect(full.sessions).toBeGreaterThanOrEqual(20_000);
    // The database's root is the documented digest of the stored leaves (20 pages of 1,024 and a short one).
    const stored = rows<LeafRow>(await exec(sql`${LEAF_ROWS} where checkpoint_id = ${full.id}`));
    expect(stored).toHaveLength(full.sessions);
    expect(referenceRoot(stored)).toBe(full.root);

    const changed = Array.from({ length: 10 }, (_, i) => `s${String(i * 1999 + 7).padStart(6, '0')}`);
    // A new last_seen (seq stays 0: these sessions have no events for verification to compare).
    await exec(sql`update agent_sessions set last_seen = now() + interval '1 second'
      where key_id = 'bulk' and session_id in (select json_array_elements_text(${JSON.stringify(changed)}::json))`);
    // Counters alone are not chain state: a row updated only there is not stamped as changed.
    const [before] = await database.db.select({ x: agentSessions.changeXid }).from(agentSessions).where(sql`key_id = 'bulk' and session_id = 's000001'`);
    await exec(sql`update agent_sessions set calls = calls + 1 where key_id = 'bulk' and session_id = 's000001'`);
    const [after] = await database.db.select({ x: agentSessions.changeXid }).from(agentSessions).where(sql`key_id = 'bulk' and session_id = 's000001'`);
    expect(after!.x).toBe(before!.x);

    const delta = await write();
    expect(delta).toMatchObject({ version: 2, sessions: 10, prevHash: full.hash });
    expect(await leavesOf(delta.id)).toEqual(changed.map((session) => ({ key: 'bulk', session, lastSeq: 0 })));
    // Nothing changed since: an empty delta, still signed and chained.
    expect(await write()).toMatchObject({ sessions: 0, prevHash: delta.hash });
    expect((await checkpoints.check('bulk')).status).toBe('ok');
  }, 120_000);

  it('digests any key and session text the same way as the reference (UTF-8 byte order, lengths in bytes)', async () => {
    await write();
    const ids = ['ü-é', 'z', 'Z', 'a\nb', '😀', 'ﬀ', ''];
    for (const [i, s] of ids.entries()) {
      await exec(sql`insert into agent_sessions (key_id, session_id, first_seen, last_seen, last_seq, last_hash, anchor_seq, anchor_hash)
        values (${ids[(i + 1) % ids.length]!}, ${s}, '2030-01-01T00:00:00.123456Z', '2030-01-02T00:00:00.000001Z', ${i}, ${`h:${s}`}, 1, ${s})`);
    }
    const c = await write();
    expect(c.sessions).toBe(ids.length);
    const stored = rows<LeafRow>(await exec(sql`${LEAF_ROWS} where checkpoint_id = ${c.id}`));
    expect(stored.map((r) => r.firstUs)).toContain('1893456000123456');
    expect(referenceRoot(stored)).toBe(c.root);
  });

  it('names sessions changed behind the change trigger, which no checkpoint would ever look at', async () => {
    await seedSessions('hidden', 3);
    await write();
    expect((await checkpoints.check('hidden')).status).toBe('ok');
    await exec(sql`alter table agent_sessions disable trigger agent_sessions_change_on_update`);
    try {
      await exec(sql`update agent_sessions set last_seq = 5, last_hash = 'x', last_seen = now() where key_id = 'hidden' and session_id = 's000002'`);
    } finally {
      await exec(sql`alter table agent_sessions enable trigger agent_sessions_change_on_update`);
    }
    expect((await write()).sessions).toBe(0);
    const r = await checkpoints.check('hidden');
    expect(r.status).toBe('broken');
    expect(r.problems.join('\n')).toMatch(/1 session\(s\) changed since their last checkpoint without being marked .*s000002/);
    expect(await repo.unseenChanges(Number.MAX_SAFE_INTEGER, 'hidden', 5)).toMatchObject({ count: 1 });
  });

  it.runIf(name === 'postgres')('puts a change committed while a checkpoint runs into the next checkpoint', async () => {
    await seedSessions('race', 2);
    await write();
    const other = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      let during: AuditCheckpointRow | null = null;
      await other.begin(async (tx) => {
        // The append is not committed when the checkpoint takes its snapshot: it cannot be in this one...
        await tx`update agent_sessions set last_seq = 1, last_hash = 'h1', last_seen = now() where key_id = 'race' and session_id = 's000001'`;
        during = await write();
      });
      expect((await leavesOf(during!.id)).filter((l) => l.key === 'race')).toEqual([]);
      // ...and, committed now, its transaction id (in flight then) is not below that checkpoint's watermark: it is in the next.
      const next = await write();
      expect((await leavesOf(next.id)).filter((l) => l.key === 'race')).toEqual([{ key: 'race', session: 's000001', lastSeq: 1 }]);
    } finally {
      await other.end();
    }
  });
});
