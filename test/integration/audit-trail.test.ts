// The audit trail on the real database (PGlite, or Postgres with DATABASE_URL): admin reads, export, tamper detection, outage, retention, shutdown.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../../src/admin/audit-cli.js';
import { openDatabase } from '../../src/storage/db.js';
import { createRepo } from '../../src/storage/repo.js';
import type { RunningGateway } from '../../src/server.js';
import type { CallRecord } from '../../src/tracing/call-record.js';
import { createSessionsService } from '../../src/tracing/sessions-service.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-for-audit-tests-0123';
const admin = { authorization: `Bearer ${ADMIN}` };
let gw: RunningGateway;

const call = (sessionId: string, over: Partial<CallRecord> = {}): CallRecord => ({
  kind: 'model_call',
  principal: { keyId: 'k1', teamId: 'red' },
  sessionId,
  requestId: `req_${randomUUID()}`,
  model: { requested: 'mock/echo', served: 'echo', provider: 'mock' },
  status: 200,
  latencyMs: 12,
  usage: { inputTokens: 5, outputTokens: 3 },
  costMicros: 40,
  request: { messages: [{ role: 'user', content: 'hi' }] },
  response: { content: 'echo: hi' },
  ...over,
});

async function get(path: string): Promise<Response> {
  return fetch(`${gw.url}${path}`, { headers: admin });
}

beforeAll(async () => {
  gw = await startTestGateway({
    auth: { adminKey: ADMIN },
    audit: { flushIntervalMs: 20, maxBatch: 50, maxQueue: 8, inlinePayloadBytes: 256, spoolDir: mkdtempSync(join(tmpdir(), 'audit-it-')) },
  });
});
afterAll(async () => {
  await gw?.stop();
});

describe('audit trail on the database', () => {
  it('serves the session list, timeline, export and a valid chain', async () => {
    const sid = `run-${randomUUID()}`;
    const audit = gw.deps.audit;
    audit.recordCall(call(sid, { client: { userAgent: 'OpenAI/JS 6' } }));
    audit.recordCall(call(sid, { kind: 'tool_call', model: undefined, mcp: { method: 'tools/call', server: 'fs', tool: 'fs__read' }, usage: undefined, costMicros: null, mcpSessionId: 'm1', client: { name: 'agent', version: '2.0' }, response: { big: 'x'.repeat(1000) } }));
    audit.recordCall(call(sid, { status: 403, errorCode: 'forbidden', usage: undefined, costMicros: null, response: undefined, decisions: [{ step: 'authorize', decision: 'denied', rule: 'authorize:models', reason: 'model not allowed' }] }));
    await audit.flush();

    const list = (await (await get(`/admin/sessions?key=k1&hasDenials=true&limit=500`)).json()) as { data: Array<{ id: string; totals: Record<string, number>; client: Record<string, unknown> }> };
    const s = list.data.find((x) => x.id === sid)!;
    expect(s.totals).toEqual({ calls: 3, inputTokens: 5, outputTokens: 3, costMicros: 40, denials: 1, redactions: 0 });
    expect(s.client).toEqual({ name: 'agent', version: '2.0', userAgent: 'OpenAI/JS 6' });

    const t = (await (await get(`/admin/sessions/${sid}`)).json()) as { events: Array<Record<string, unknown>> };
    expect(t.events.map((e) => [e.seq, e.kind, e.decision, e.status])).toEqual([
      [1, 'model_call', 'allowed', 200],
      [2, 'tool_call', 'allowed', 200],
      [3, 'policy_decision', 'denied', null],
      [4, 'model_call', 'denied', 403],
    ]);
    expect(t.events[1]).toMatchObject({ 'gen_ai.tool.name': 'fs__read', 'mcp.method.name': 'tools/call', 'mcp.session.id': 'm1', payload: { response: { big: 'x'.repeat(1000) } } });
    expect(t.events[1]!.payload_id).toBeTruthy();
    expect(t.events[2]).toMatchObject({ rule: 'authorize:models', reason: 'model not allowed' });

    const lines = (await (await get(`/admin/sessions/${sid}/export`)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(['session', 'event', 'event', 'event', 'event']);

    expect(await (await get(`/admin/audit/verify?session=${sid}`)).json()).toMatchObject({ ok: true, checked: 4, broken: null });
    expect((await get('/admin/sessions/nope-never')).status).toBe(404);
    expect((await get('/admin/sessions?limit=0')).status).toBe(400);
    expect((await fetch(`${gw.url}/admin/sessions`)).status).toBe(401);
    const doc = (await (await fetch(`${gw.url}/admin/openapi.json`, { headers: admin })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/admin/sessions', '/admin/sessions/{id}', '/admin/sessions/{id}/export', '/admin/audit/verify']));
  });

  it('names the edited row when someone changes one in the database', async () => {
    const sid = `tamper-${randomUUID()}`;
    for (let i = 0; i < 4; i++) gw.deps.audit.recordCall(call(sid));
    await gw.deps.audit.flush();
    await gw.deps.database.db.execute(sql`update audit_events set "gen_ai.usage.output_tokens" = 999 where session_id = ${sid} and seq = 3`);
    const r = (await (await get(`/admin/audit/verify?session=${sid}`)).json()) as { ok: boolean; broken: { seq: number; id: number; problem: string } };
    expect(r.ok).toBe(false);
    expect(r.broken).toMatchObject({ seq: 3, problem: 'hash_mismatch' });
    const out: string[] = [];
    const code = await runAuditCommand(createSessionsService(gw.deps.repo), 'audit', 'verify', undefined, { session: sid }, (s) => out.push(s));
    expect(code).toBe(1);
    expect(out.join('\n')).toContain(`first broken link at seq 3 (row id ${r.broken.id})`);
    const shown: string[] = [];
    await runAuditCommand(createSessionsService(gw.deps.repo), 'sessions', 'show', sid, {}, (s) => shown.push(s));
    expect(shown.join('\n')).toMatch(/TIME\s+SEQ\s+KIND\s+TARGET\s+DECISION\s+STATUS\s+TOKENS\s+COST/);
    expect(shown.join('\n')).toContain('mock/echo → mock/echo');
    // Leave no broken chain behind in a shared database.
    await gw.deps.database.db.execute(sql`delete from audit_events where session_id = ${sid}`);
    await gw.deps.database.db.execute(sql`delete from agent_sessions where session_id = ${sid}`);
  });

  it('loses nothing through a database outage (spooling past the queue bound) and keeps the chain', async () => {
    const sid = `outage-${randomUUID()}`;
    const repo = gw.deps.repo;
    const real = repo.appendAudit;
    repo.appendAudit = async () => {
      throw new Error('connection refused (simulated outage)');
    };
    const ids: string[] = [];
    try {
      gw.deps.audit.recordCall(call(sid));
      await gw.deps.audit.flush();
      for (let i = 0; i < 20; i++) {
        const c = call(sid);
        ids.push(c.requestId);
        gw.deps.audit.recordCall(c);
      }
      expect(gw.deps.audit.stats()).toMatchObject({ mode: 'spool' });
      expect(gw.deps.audit.stats().spooled).toBeGreaterThan(0);
      expect(gw.deps.audit.stats().failures).toBeGreaterThan(0);
    } finally {
      repo.appendAudit = real;
    }
    for (let i = 0; i < 100 && (gw.deps.audit.stats().spooled > 0 || gw.deps.audit.stats().queued > 0); i++) await gw.deps.audit.flush();
    const t = (await (await get(`/admin/sessions/${sid}`)).json()) as { events: Array<{ seq: number; request_id: string }> };
    expect(t.events.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(t.events.slice(1).map((e) => e.request_id)).toEqual(ids);
    expect(await (await get(`/admin/audit/verify?session=${sid}`)).json()).toMatchObject({ ok: true, checked: 21 });
    expect(gw.deps.audit.stats()).toMatchObject({ mode: 'memory', spooled: 0, accepting: true });
  });

  it('retention deletes idle sessions and cuts old events of live ones, which still verify from their anchor', async () => {
    const old = `old-${randomUUID()}`;
    const live = `live-${randomUUID()}`;
    const t0 = new Date(Date.now() - 40 * 86_400_000);
    gw.deps.audit.recordCall(call(old, { time: t0 }));
    gw.deps.audit.recordCall(call(live, { time: t0 }));
    gw.deps.audit.recordCall(call(live, { time: new Date(t0.getTime() + 1000) }));
    gw.deps.audit.recordCall(call(live));
    await gw.deps.audit.flush();
    await gw.deps.database.db.execute(sql`update agent_sessions set last_seen = ${t0.toISOString()}::timestamptz where session_id = ${old}`);
    const r = await gw.deps.repo.pruneAudit(new Date(Date.now() - 30 * 86_400_000), 100);
    expect(r.sessions).toBeGreaterThanOrEqual(1);
    expect((await get(`/admin/sessions/${old}`)).status).toBe(404);
    const t = (await (await get(`/admin/sessions/${live}`)).json()) as { events: Array<{ seq: number }> };
    expect(t.events.map((e) => e.seq)).toEqual([3]);
    expect(await (await get(`/admin/audit/verify?session=${live}`)).json()).toMatchObject({ ok: true, checked: 1 });
  });
});

describe('shutdown', () => {
  it('flushes queued events before the database closes', async () => {
    const dataDir = process.env.DATABASE_URL ? undefined : mkdtempSync(join(tmpdir(), 'audit-pglite-'));
    const g = await startTestGateway({ ...(dataDir ? { storage: { dataDir } } : {}), audit: { flushIntervalMs: 600_000, maxBatch: 10_000 } });
    const sid = `shutdown-${randomUUID()}`;
    for (let i = 0; i < 5; i++) g.deps.audit.recordCall(call(sid));
    expect(g.deps.audit.stats().queued).toBe(5);
    await g.stop();
    const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: dataDir ?? 'memory://' });
    try {
      const svc = createSessionsService(createRepo(db.db));
      expect((await svc.verify(sid)).checked).toBe(5);
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('two replicas writing to one session', () => {
  it('serialise on the session row: one gapless chain, no seq reused', async () => {
    const [a, b] = await Promise.all([startTestGateway({ audit: { flushIntervalMs: 5, maxBatch: 3 } }), startTestGateway({ audit: { flushIntervalMs: 5, maxBatch: 3 } })]);
    try {
      const sid = `replicas-${randomUUID()}`;
      for (let i = 0; i < 60; i++) (i % 2 ? a : b).deps.audit.recordCall(call(sid));
      await Promise.all([a.deps.audit.flush(), b.deps.audit.flush()]);
      const r = await createSessionsService(a.deps.repo).verify(sid);
      expect(r).toMatchObject({ ok: true, checked: 60 });
      expect((await createSessionsService(b.deps.repo).get(sid)).totals.calls).toBe(60);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('audit.failClosed', () => {
  it('refuses new calls with 503 while the trail is dropping events, and serves again once it accepts them', async () => {
    const g = await startTestGateway({ providers: { mock: { kind: 'mock' } }, audit: { failClosed: true, maxQueue: 1, flushIntervalMs: 10 } });
    const chat = () =>
      fetch(`${g.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] }) });
    const repo = g.deps.repo;
    const real = repo.appendAudit;
    try {
      repo.appendAudit = async () => {
        throw new Error('down');
      };
      expect((await chat()).status).toBe(200); // queued
      expect((await chat()).status).toBe(200); // answered, but its event had to be dropped
      const refused = await chat();
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/audit/);
      expect(g.deps.audit.stats()).toMatchObject({ accepting: false });
      repo.appendAudit = real;
      await g.deps.audit.flush();
      expect((await chat()).status).toBe(200);
    } finally {
      repo.appendAudit = real;
      await g.stop();
    }
  });
});
