// Signed audit checkpoints on the real database: each quiet rewrite the chain alone misses is named by verify after a checkpoint,
// and so is tampering with the checkpoints themselves (a delta's leaves, a checkpoint taken out of the chain).
import { createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desc, max, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_EMPTY, runAuditCommand } from '../../src/admin/audit-cli.js';
import type { RunningGateway } from '../../src/server.js';
import { auditCheckpointLeaves, auditCheckpoints } from '../../src/storage/schema.js';
import { canonical, eventHash, payloadHash } from '../../src/tracing/audit-chain.js';
import { checkpointHash, digestLeaves, fingerprint, sortLeaves, spkiBase64, toLeaf } from '../../src/tracing/checkpoint-digest.js';
import { parsePrivateKey } from '../../src/tracing/checkpoint-keys.js';
import type { CallRecord } from '../../src/tracing/call-record.js';
import { createSessionsService, type VerifyAllResult } from '../../src/tracing/sessions-service.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-for-checkpoint-tests-0123';
const admin = { authorization: `Bearer ${ADMIN}` };
const seed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32).toString('base64');
const sinkFile = join(mkdtempSync(join(tmpdir(), 'ckpt-it-')), 'checkpoints.jsonl');
let gw: RunningGateway;

const call = (keyId: string, sessionId: string, n = 0): CallRecord => ({
  kind: 'model_call',
  principal: { keyId, teamId: null },
  sessionId,
  requestId: `req_${randomUUID()}`,
  model: { requested: 'mock/echo', served: 'echo', provider: 'mock' },
  status: 200,
  latencyMs: 5,
  usage: { inputTokens: 5, outputTokens: 3 + n },
  costMicros: 40,
  request: { messages: [{ role: 'user', content: `hi ${n}` }] },
  response: { content: `echo ${n}` },
});

/** A fresh key id per test: other test files share the Postgres database, and verify?key= only looks at this one. */
async function sessions(counts: number[]): Promise<{ key: string; ids: string[] }> {
  const key = `ck-${randomUUID().slice(0, 8)}`;
  const ids = counts.map((_, i) => `s${i}-${randomUUID()}`);
  counts.forEach((n, i) => {
    for (let j = 0; j < n; j++) gw.deps.audit.recordCall(call(key, ids[i]!, j));
  });
  await gw.deps.audit.flush();
  return { key, ids };
}

const exec = (q: ReturnType<typeof sql>) => gw.deps.database.db.execute(q);
async function verify(g: RunningGateway, key?: string): Promise<VerifyAllResult> {
  const res = await fetch(`${g.url}/admin/audit/verify${key ? `?key=${key}` : ''}`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as VerifyAllResult;
}
const named = (r: VerifyAllResult) => (r.checkpoint?.findings ?? []).map((f) => [f.session, f.problem]);
async function hashAt(key: string, sid: string, seq: number): Promise<string> {
  const [e] = await gw.deps.repo.readAuditEvents({ keyId: key, sessionId: sid }, seq - 1, 1);
  return e!.hash;
}

beforeAll(async () => {
  gw = await startTestGateway({
    auth: { adminKey: ADMIN },
    audit: { flushIntervalMs: 20, checkpointIntervalMs: 3_600_000, signingKey: seed, checkpointFile: sinkFile, spoolDir: mkdtempSync(join(tmpdir(), 'ckpt-spool-')) },
  });
});
afterAll(async () => {
  await gw?.stop();
});

describe('signed checkpoints', () => {
  it('a clean trail verifies ok against the checkpoint, sessions growing after it included', async () => {
    const { key, ids } = await sessions([2, 3]);
    expect(await gw.deps.checkpoints.write(true)).toBeTruthy();
    gw.deps.audit.recordCall(call(key, ids[0]!, 9));
    await gw.deps.audit.flush();
    const r = await verify(gw, key);
    expect(r).toMatchObject({ ok: true, sessions: 2, empty: false, broken: [] });
    expect(r.checkpoint).toMatchObject({ status: 'ok', signature: 'ok', checkpointSessions: 2, findings: [], problems: [] });
    const out: string[] = [];
    const code = await runAuditCommand(createSessionsService(gw.deps.repo, gw.deps.checkpoints), 'audit', 'verify', undefined, { key }, (s) => out.push(s));
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/ok: 2 sessions, every chain intact, and match signed checkpoint #\d+/);
    expect(statSync(sinkFile).mode & 0o777).toBe(0o600);
  });

  it('names a session whose last rows were deleted and whose tip was moved back', async () => {
    const { key, ids } = await sessions([4]);
    const sid = ids[0]!;
    await gw.deps.checkpoints.write(true);
    const h2 = await hashAt(key, sid, 2);
    await exec(sql`delete from audit_events where key_id = ${key} and session_id = ${sid} and seq > 2`);
    await exec(sql`update agent_sessions set last_seq = 2, last_hash = ${h2} where key_id = ${key} and session_id = ${sid}`);
    const r = await verify(gw, key);
    expect(r.broken).toEqual([]); // the chain alone is intact
    expect(r.ok).toBe(false);
    expect(named(r)).toEqual([[sid, 'truncated']]);
  });

  it('names a session whose first rows were deleted and whose anchor was set after them', async () => {
    const { key, ids } = await sessions([4]);
    const sid = ids[0]!;
    await gw.deps.checkpoints.write(true);
    const h2 = await hashAt(key, sid, 2);
    await exec(sql`delete from audit_events where key_id = ${key} and session_id = ${sid} and seq <= 2`);
    await exec(sql`update agent_sessions set anchor_seq = 3, anchor_hash = ${h2} where key_id = ${key} and session_id = ${sid}`);
    const r = await verify(gw, key);
    expect(r.broken).toEqual([]);
    expect(r.ok).toBe(false);
    expect(named(r)).toEqual([[sid, 'anchor_moved']]);
  });

  it('names a whole deleted session', async () => {
    const { key, ids } = await sessions([2, 3]);
    await gw.deps.checkpoints.write(true);
    await exec(sql`delete from audit_events where key_id = ${key} and session_id = ${ids[1]!}`);
    await exec(sql`delete from agent_sessions where key_id = ${key} and session_id = ${ids[1]!}`);
    const r = await verify(gw, key);
    expect(r).toMatchObject({ ok: false, sessions: 1, broken: [] });
    expect(named(r)).toEqual([[ids[1], 'session_deleted']]);
  });

  it('names a session rewritten with its hashes recomputed', async () => {
    const { key, ids } = await sessions([4]);
    const sid = ids[0]!;
    await gw.deps.checkpoints.write(true);
    const rows = await gw.deps.repo.readAuditEvents({ keyId: key, sessionId: sid }, 0, 100);
    let prev = '';
    for (const e of rows) {
      const row = { ...e, prevHash: prev, outputTokens: e.seq === 2 ? 999 : e.outputTokens };
      const hash = eventHash(row, payloadHash(e.payloadId ? e.sidePayload : e.payload));
      await exec(sql`update audit_events set "gen_ai.usage.output_tokens" = ${row.outputTokens}, prev_hash = ${prev}, hash = ${hash} where id = ${e.id}`);
      prev = hash;
    }
    await exec(sql`update agent_sessions set last_hash = ${prev} where key_id = ${key} and session_id = ${sid}`);
    const r = await verify(gw, key);
    expect(r.broken).toEqual([]); // a recomputed chain is internally consistent
    expect(r.ok).toBe(false);
    expect(named(r)).toEqual([[sid, 'rewritten']]);
  });

  it('refuses a checkpoint row whose content was edited after signing, and its leaves edited or deleted', async () => {
    const { key, ids } = await sessions([2, 3]);
    const row = (await gw.deps.checkpoints.write(true))!;
    const leaf = sql`checkpoint_id = ${row.id} and key_id = ${key} and session_id = ${ids[0]!}`;
    const [kept] = await gw.deps.database.db.select().from(auditCheckpointLeaves).where(leaf);
    expect(kept).toBeTruthy();
    // The admin hides a session by dropping its leaf and fixing the count: the signature no longer holds.
    await exec(sql`delete from audit_checkpoint_leaves where ${leaf}`);
    await exec(sql`update audit_checkpoints set sessions = ${row.sessions - 1} where id = ${row.id}`);
    const r = await verify(gw, key);
    expect(r.ok).toBe(false);
    expect(r.checkpoint).toMatchObject({ status: 'broken', signature: 'bad_signature' });
    expect(r.checkpoint!.problems.join('\n')).toMatch(/bad signature/);
    // Leaf deleted but count and signature left alone: the leaves no longer give the signed root.
    await exec(sql`update audit_checkpoints set sessions = ${row.sessions} where id = ${row.id}`);
    const r2 = await verify(gw, key);
    expect(r2.checkpoint).toMatchObject({ status: 'broken', signature: 'ok' });
    expect(r2.checkpoint!.problems.join('\n')).toMatch(new RegExp(`checkpoint #${row.id}: its leaves .* do not match its signed root`));
    // The leaf back, but with another tip: the same.
    await gw.deps.database.db.insert(auditCheckpointLeaves).values({ ...kept!, lastHash: 'f'.repeat(64) });
    expect((await verify(gw, key)).checkpoint!.problems.join('\n')).toMatch(/do not match its signed root/);
    await exec(sql`update audit_checkpoint_leaves set last_hash = ${kept!.lastHash} where ${leaf}`);
    expect(await verify(gw, key)).toMatchObject({ ok: true, checkpoint: { status: 'ok', checkpointSessions: 2 } });
  });

  it('verifies a session untouched for several checkpoints against its newest leaf, and names its truncation', async () => {
    const { key, ids } = await sessions([4, 2]);
    const first = (await gw.deps.checkpoints.write(true))!;
    gw.deps.audit.recordCall(call(key, ids[1]!, 7));
    await gw.deps.audit.flush();
    const deltas = [(await gw.deps.checkpoints.write(true))!, (await gw.deps.checkpoints.write(true))!, (await gw.deps.checkpoints.write(true))!];
    // Only the session that grew is in a later delta; the untouched one stays in the first.
    expect(deltas.map((c) => c.sessions)).toEqual([1, 0, 0]);
    const [untouched] = await gw.deps.database.db.select({ id: max(auditCheckpointLeaves.checkpointId) }).from(auditCheckpointLeaves)
      .where(sql`key_id = ${key} and session_id = ${ids[0]!}`);
    expect(untouched!.id).toBe(first.id);
    expect(await verify(gw, key)).toMatchObject({ ok: true, checkpoint: { status: 'ok', checkpointSessions: 2, checkpoint: { id: deltas[2]!.id } } });
    const h2 = await hashAt(key, ids[0]!, 2);
    await exec(sql`delete from audit_events where key_id = ${key} and session_id = ${ids[0]!} and seq > 2`);
    await exec(sql`update agent_sessions set last_seq = 2, last_hash = ${h2} where key_id = ${key} and session_id = ${ids[0]!}`);
    const r = await verify(gw, key);
    expect(r.ok).toBe(false);
    expect(named(r)).toEqual([[ids[0], 'truncated']]);
  });

  it('names a checkpoint deleted from the middle of the chain', async () => {
    const { key, ids } = await sessions([1]);
    const before = (await gw.deps.checkpoints.write(true))!;
    gw.deps.audit.recordCall(call(key, ids[0]!, 3));
    await gw.deps.audit.flush();
    const middle = (await gw.deps.checkpoints.write(true))!;
    await gw.deps.checkpoints.write(true);
    expect(middle.sessions).toBe(1);
    const [row] = await gw.deps.database.db.select().from(auditCheckpoints).where(sql`id = ${middle.id}`);
    await exec(sql`delete from audit_checkpoints where id = ${middle.id}`);
    const r = await verify(gw, key);
    expect(r.checkpoint!.status).toBe('broken');
    const problems = r.checkpoint!.problems.join('\n');
    expect(problems).toContain(`does not chain to the checkpoint before it (#${before.id})`);
    expect(problems).toContain(`leaves name checkpoint(s) #${middle.id} that are gone`);
    await gw.deps.database.db.insert(auditCheckpoints).values(row!);
    expect((await verify(gw, key)).ok).toBe(true);
  });

  it('still verifies against an old full-snapshot checkpoint, and chains deltas after it', async () => {
    const { key, ids } = await sessions([2, 1]);
    await gw.deps.checkpoints.write(true);
    // A version-1 checkpoint as the code before delta checkpoints wrote it: every session's leaf in the row, signed as v1.
    const [prev] = await gw.deps.database.db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
    const found = await gw.deps.repo.tipsOf(ids.map((sessionId) => ({ keyId: key, sessionId })));
    const leaves = sortLeaves(found.map(toLeaf));
    const priv = parsePrivateKey(seed);
    const pub = createPublicKey(priv);
    const body = { v: 1, time: new Date().toISOString(), root: digestLeaves(leaves), sessions: leaves.length, prevHash: prev!.hash, keyId: fingerprint(spkiBase64(pub)) };
    const signature = sign(null, Buffer.from(canonical(body)), priv).toString('base64');
    const [v1] = await gw.deps.database.db.insert(auditCheckpoints).values({
      time: new Date(body.time), root: body.root, sessions: body.sessions, prevHash: body.prevHash, hash: checkpointHash(body, signature),
      keyId: body.keyId, publicKey: spkiBase64(pub), signature, leaves,
    }).returning();
    expect(v1!.version).toBe(1);
    expect(await verify(gw, key)).toMatchObject({ ok: true, checkpoint: { status: 'ok', signature: 'ok', checkpointSessions: 2, checkpoint: { id: v1!.id } } });
    // A truncation is named against the full snapshot too.
    const h1 = await hashAt(key, ids[0]!, 1);
    await exec(sql`update agent_sessions set last_seq = 1, last_hash = ${h1} where key_id = ${key} and session_id = ${ids[0]!}`);
    expect(named(await verify(gw, key))).toEqual([[ids[0], 'truncated']]);
    const h2 = await hashAt(key, ids[0]!, 2);
    await exec(sql`update agent_sessions set last_seq = 2, last_hash = ${h2} where key_id = ${key} and session_id = ${ids[0]!}`);
    // The next checkpoint is a delta chained to it; the full snapshot's leaf list is no longer needed.
    const next = (await gw.deps.checkpoints.write(true))!;
    expect(next).toMatchObject({ version: 2, prevHash: v1!.hash });
    const [old] = await gw.deps.database.db.select().from(auditCheckpoints).where(sql`id = ${v1!.id}`);
    expect(old!.leaves).toBeNull();
    expect(await verify(gw, key)).toMatchObject({ ok: true, checkpoint: { status: 'ok', checkpointSessions: 2 } });
  });

  it('the file sink names a checkpoint row deleted from the database', async () => {
    const { key } = await sessions([1]);
    await gw.deps.checkpoints.write(true);
    const row = (await gw.deps.checkpoints.write(true))!;
    expect((await verify(gw, key)).ok).toBe(true);
    await exec(sql`delete from audit_checkpoints where id = ${row.id}`);
    const r = await verify(gw, key);
    expect(r.ok).toBe(false);
    expect(r.checkpoint!.status).toBe('broken');
    expect(r.checkpoint!.problems.join('\n')).toContain(`checkpoint #${row.id} of ${row.time.toISOString()} is in the file sink`);
  });

  it('publishes the public key in the API and the OpenAPI document', async () => {
    const r = (await (await fetch(`${gw.url}/admin/audit/public-key`, { headers: admin })).json()) as { enabled: boolean; keys: Array<{ keyId: string; pem: string; signing: boolean }> };
    expect(r.enabled).toBe(true);
    expect(r.keys).toEqual([{ keyId: expect.stringMatching(/^ed25519:[0-9a-f]{32}$/), pem: expect.stringContaining('BEGIN PUBLIC KEY'), signing: true }]);
    expect(JSON.stringify(r)).not.toContain(seed);
    expect((await fetch(`${gw.url}/admin/audit/public-key`)).status).toBe(401);
    const doc = (await (await fetch(`${gw.url}/admin/openapi.json`, { headers: admin })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/admin/audit/public-key');
  });
});

describe('an empty store', () => {
  it('is reported as empty (not a plain ok) without a checkpoint, and as broken once a checkpoint had sessions', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ckpt-empty-'));
    const g = await startTestGateway({ auth: { adminKey: ADMIN }, storage: { dataDir }, audit: { checkpointIntervalMs: 3_600_000, flushIntervalMs: 20 } });
    try {
      const r = await verify(g);
      expect(r).toMatchObject({ ok: true, empty: true, sessions: 0 });
      expect(r.warnings.join('\n')).toContain('the store is empty (0 sessions, no checkpoint)');
      const out: string[] = [];
      const svc = createSessionsService(g.deps.repo, g.deps.checkpoints);
      expect(await runAuditCommand(svc, 'audit', 'verify', undefined, {}, (s) => out.push(s))).toBe(EXIT_EMPTY);
      expect(out.join('\n')).toContain('ok, but the store is empty (0 sessions, no checkpoint)');

      g.deps.audit.recordCall(call('k', 'only'));
      await g.deps.audit.flush();
      await g.deps.checkpoints.write(true);
      await g.deps.database.db.execute(sql`delete from audit_events`);
      await g.deps.database.db.execute(sql`delete from agent_sessions`);
      const gone = await verify(g);
      expect(gone).toMatchObject({ ok: false, empty: false, sessions: 0 });
      expect(named(gone)).toEqual([['only', 'session_deleted']]);
      expect(await runAuditCommand(svc, 'audit', 'verify', undefined, {}, () => {})).toBe(1);
    } finally {
      await g.stop();
    }
    // The generated key and the default sink live in the data directory, owner-only.
    for (const f of ['audit-signing-key.pem', 'audit-checkpoints.jsonl']) {
      expect(existsSync(join(dataDir, f))).toBe(true);
      expect(statSync(join(dataDir, f)).mode & 0o777).toBe(0o600);
    }
  }, 120_000); // an on-disk PGlite starts slowly on a busy machine
});
