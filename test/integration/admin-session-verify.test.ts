// GET /admin/sessions/{id}?verify=true: the timeline and its chain verification from one read, exactly what /admin/audit/verify says.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import type { CallRecord } from '../../src/tracing/call-record.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-for-session-verify-01';
let gw: RunningGateway;

const call = (sessionId: string, i: number, over: Partial<CallRecord> = {}): CallRecord => ({
  kind: 'model_call',
  principal: { keyId: 'k-sv', teamId: null },
  sessionId,
  requestId: `req_${randomUUID()}`,
  model: { requested: 'mock/echo', served: 'echo', provider: 'mock' },
  status: 200,
  latencyMs: 10 + i,
  usage: { inputTokens: 5, outputTokens: 3 },
  costMicros: 40,
  // Every other payload is past the inline limit, so both the inline column and the side table are covered.
  request: { messages: [{ role: 'user', content: i % 2 ? `call ${i} ${'x'.repeat(400)}` : `call ${i}` }] },
  response: { content: `answer ${i}` },
  ...over,
});

type Json = Record<string, unknown>;
const get = async (path: string): Promise<{ status: number; body: Json }> => {
  const res = await fetch(`${gw.url}/admin${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, body: (await res.json()) as Json };
};
const exec = (q: ReturnType<typeof sql>) => gw.deps.database.db.execute(q);

/** A fresh session of `n` calls (optionally a denial among them), flushed. */
async function session(n: number): Promise<string> {
  const sid = `sv-${randomUUID()}`;
  const t0 = Date.now() - 60_000;
  for (let i = 0; i < n; i++) {
    const denied = i === 2;
    const over: Partial<CallRecord> = { time: new Date(t0 + i * 1000) };
    if (denied) Object.assign(over, { status: 403, errorCode: 'forbidden', usage: undefined, costMicros: null, decisions: [{ step: 'authorize', decision: 'denied', rule: 'authorize:models', reason: 'not allowed' }] });
    gw.deps.audit.recordCall(call(sid, i, over));
  }
  await gw.deps.audit.flush();
  return sid;
}

/** The timeline with verify=true, checked against the plain timeline and the verify route. */
async function both(sid: string): Promise<{ verify: Json; events: Json[] }> {
  const plain = await get(`/sessions/${sid}?key=k-sv`);
  const withVerify = await get(`/sessions/${sid}?key=k-sv&verify=true`);
  const alone = await get(`/audit/verify?session=${sid}&key=k-sv`);
  expect(withVerify.status).toBe(200);
  expect(Object.keys(plain.body).sort()).toEqual(['events', 'session']);
  expect(withVerify.body.session).toEqual(plain.body.session);
  expect(withVerify.body.events).toEqual(plain.body.events);
  expect(withVerify.body.verify).toEqual(alone.body);
  return { verify: withVerify.body.verify as Json, events: withVerify.body.events as Json[] };
}

beforeAll(async () => {
  gw = await startTestGateway({
    auth: { adminKey: ADMIN },
    audit: { flushIntervalMs: 20, inlinePayloadBytes: 256, spoolDir: mkdtempSync(join(tmpdir(), 'session-verify-')) },
  });
});
afterAll(async () => {
  await gw?.stop();
});

describe('GET /admin/sessions/{id}?verify=true', () => {
  it('answers as before without it, and with it adds the verify route’s answer for an intact chain', async () => {
    const sid = await session(5);
    const { verify, events } = await both(sid);
    expect(verify).toMatchObject({ session: sid, key: 'k-sv', ok: true, checked: 6, broken: null, gaps: [] });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.keys((await get(`/sessions/${sid}?key=k-sv&verify=false`)).body).sort()).toEqual(['events', 'session']);
  });

  it('refuses a verify value other than true or false, naming the parameter', async () => {
    const sid = await session(1);
    const r = await get(`/sessions/${sid}?verify=yes`);
    expect(r.status).toBe(400);
    expect((r.body.error as Json).param).toBe('verify');
    expect((await get(`/sessions/${sid}?verify=true&extra=1`)).status).toBe(400);
    expect((await get(`/sessions/sv-never-${randomUUID()}?verify=true`)).status).toBe(404);
  });

  // Each tampering, then the same answer from both routes; the timeline still lists every row left, past the break.
  const tamper: Array<[string, (sid: string) => ReturnType<typeof sql>, number, Json]> = [
    ['an edited column', (sid) => sql`update audit_events set "gen_ai.usage.output_tokens" = 999 where session_id = ${sid} and seq = 4`, 6, { seq: 4, problem: 'hash_mismatch' }],
    ['an edited inline payload', (sid) => sql`update audit_events set payload = '{"request":"edited"}'::jsonb where session_id = ${sid} and seq = 1`, 6, { seq: 1, problem: 'hash_mismatch' }],
    ['an edited side-table payload', (sid) => sql`update audit_payloads set payload = '{"request":"edited"}'::jsonb where id = (select payload_id from audit_events where session_id = ${sid} and seq = 5)`, 6, { seq: 5, problem: 'hash_mismatch' }],
    ['a deleted side-table payload', (sid) => sql`delete from audit_payloads where id = (select payload_id from audit_events where session_id = ${sid} and seq = 5)`, 6, { seq: 5, problem: 'payload_missing' }],
    ['a re-linked row', (sid) => sql`update audit_events set prev_hash = 'x' where session_id = ${sid} and seq = 3`, 6, { seq: 3, problem: 'prev_hash_mismatch' }],
    ['a deleted row', (sid) => sql`delete from audit_events where session_id = ${sid} and seq = 3`, 5, { seq: 4, problem: 'seq_gap' }],
    ['a deleted last row', (sid) => sql`delete from audit_events where session_id = ${sid} and seq = 6`, 5, { seq: 6, problem: 'tail_missing' }],
  ];
  for (const [what, change, left, broken] of tamper) {
    it(`names the same first broken link as /admin/audit/verify after ${what}`, async () => {
      const sid = await session(5);
      await exec(change(sid));
      const { verify, events } = await both(sid);
      expect(verify).toMatchObject({ ok: false, broken });
      expect(events).toHaveLength(left);
      await exec(sql`delete from audit_events where session_id = ${sid}`);
      await exec(sql`delete from agent_sessions where session_id = ${sid}`);
    });
  }

  it('lists events in call order while the verification walks seq order', async () => {
    const sid = `sv-order-${randomUUID()}`;
    const t0 = Date.now() - 60_000;
    // The later call is chained first (as when two replicas flush out of call order).
    gw.deps.audit.recordCall(call(sid, 1, { time: new Date(t0 + 5_000) }));
    await gw.deps.audit.flush();
    gw.deps.audit.recordCall(call(sid, 2, { time: new Date(t0) }));
    await gw.deps.audit.flush();
    const { verify, events } = await both(sid);
    expect(events.map((e) => e.seq)).toEqual([2, 1]);
    expect(verify).toMatchObject({ ok: true, checked: 2, broken: null });
  });

  it('documents the parameter in the OpenAPI document, from the route’s schema', async () => {
    const doc = (await get('/openapi.json')).body as { paths: Record<string, { get: { parameters: Json[]; responses: Record<string, Json> } }> };
    const op = doc.paths['/admin/sessions/{id}']!.get;
    expect(op.parameters.map((p) => p.name)).toEqual(['id', 'key', 'verify', 'payloads']);
    expect(op.parameters.find((p) => p.name === 'verify')).toMatchObject({ in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } });
    expect(JSON.stringify(op.responses['200'])).toContain('#/components/schemas/VerifyResult');
  });
});
