// The batched writers on the real database (PGlite, or Postgres with DATABASE_URL): hostile values are stored cleaned, and a row the
// database refuses becomes a dead letter (and, in the audit trail, a gap the chain explains) without stopping anything behind it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Repo } from '../../src/storage/repo.js';
import type { RequestLogRow } from '../../src/storage/schema.js';
import type { RunningGateway } from '../../src/server.js';
import type { CallRecord } from '../../src/tracing/call-record.js';
import { createRequestLogWriter } from '../../src/tracing/request-log.js';
import { createSessionsService } from '../../src/tracing/sessions-service.js';
import { startTestGateway } from '../helpers/gateway.js';

const POISON_MODEL = `poison-${randomUUID()}`;
const ADMIN = 'admin-key-for-writer-tests-0123';
let gw: RunningGateway;

type Rows = Array<Record<string, unknown>>;
const rowsOf = (res: unknown): Rows => (Array.isArray(res) ? res : (res as { rows: Rows }).rows) as Rows;
const exec = async (q: ReturnType<typeof sql>) => rowsOf(await gw.deps.database.db.execute(q));

beforeAll(async () => {
  gw = await startTestGateway({
    auth: { adminKey: ADMIN },
    audit: { flushIntervalMs: 20, maxBatch: 50, maxPayloadBytes: 64 * 1024 },
    providers: { mock: { kind: 'mock', models: ['echo'] } },
  });
  // A real refusal by the real database, for one marked value only: the shape of any row it cannot take.
  const name = POISON_MODEL.replaceAll('-', '_');
  await exec(sql.raw(`alter table request_log add constraint "rl_${name}" check (model_requested is distinct from '${POISON_MODEL}') not valid`));
  await exec(sql.raw(`alter table audit_events add constraint "ae_${name}" check ("gen_ai.request.model" is distinct from '${POISON_MODEL}') not valid`));
});
afterAll(async () => {
  const name = POISON_MODEL.replaceAll('-', '_');
  await exec(sql.raw(`alter table request_log drop constraint if exists "rl_${name}"`)).catch(() => {});
  await exec(sql.raw(`alter table audit_events drop constraint if exists "ae_${name}"`)).catch(() => {});
  await gw?.stop();
});

const row = (over: Partial<RequestLogRow>): RequestLogRow => ({ time: new Date(), requestId: `req_${randomUUID()}`, endpoint: 'chat.completions', status: 200, latencyMs: 1, ...over });

const call = (sessionId: string, over: Partial<CallRecord> = {}): CallRecord => ({
  kind: 'model_call',
  principal: { keyId: 'writers', teamId: null },
  sessionId,
  requestId: `req_${randomUUID()}`,
  model: { requested: 'mock/echo', served: 'echo', provider: 'mock' },
  status: 200,
  latencyMs: 3,
  request: { messages: [{ role: 'user', content: 'hi' }] },
  ...over,
});

describe('request log writer on the database', () => {
  it('stores hostile text and numbers cleaned, and dead-letters a row the database refuses without holding up the rest', async () => {
    const ids = Array.from({ length: 6 }, () => `req_${randomUUID()}`);
    const deadBefore = gw.deps.requestLog.stats().deadLettered;
    gw.deps.requestLog.write([
      row({ requestId: ids[0], modelRequested: 'a\u0000b\ud800c', sessionId: 's\udc00' }),
      row({ requestId: ids[1], modelRequested: 'x'.repeat(100_000), inputTokens: 3e12, outputTokens: -1e12, latencyMs: Number.NaN }),
      row({ requestId: ids[2], modelRequested: POISON_MODEL }),
      row({ requestId: ids[3], routeReason: 'r\u0000'.repeat(10) }),
      row({ requestId: ids[4], costMicros: 1e300 }),
      row({ requestId: ids[5] }),
    ]);
    await gw.deps.requestLog.flush();
    const got = await exec(sql`select request_id, model_requested, session_id, input_tokens, output_tokens, latency_ms from request_log where request_id in ${ids}`);
    const by = new Map(got.map((r) => [r.request_id, r]));
    expect(by.size).toBe(5);
    expect(by.has(ids[2])).toBe(false);
    expect(by.get(ids[0])).toMatchObject({ model_requested: 'ab\uFFFDc', session_id: 's\uFFFD' });
    expect(String(by.get(ids[1])!.model_requested).length).toBeLessThan(1100);
    expect(by.get(ids[1])).toMatchObject({ input_tokens: 2_147_483_647, output_tokens: -2_147_483_647, latency_ms: 0 });
    const s = gw.deps.requestLog.stats();
    expect(s.deadLettered).toBe(deadBefore + 1);
    expect(s.accepting).toBe(true);
    const dead = await (gw.deps.repo as Repo).listDeadLetters(20);
    expect(dead.find((d) => d.writer === 'request_log' && d.item.includes(POISON_MODEL))?.reason).toMatch(/^23514: .*constraint/);
    // The admin API serves them to a reviewer.
    const res = await fetch(`${gw.url}/admin/dead-letters?limit=20`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ writer: string; item: string }> };
    expect(body.data.some((d) => d.writer === 'request_log' && d.item.includes(POISON_MODEL))).toBe(true);
    expect((await fetch(`${gw.url}/admin/dead-letters?limit=100000`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(400);
  });

  it('spools rows at shutdown while the database is down and replays them at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-spool-'));
    const config = parseConfig({ storage: { dataDir: 'memory://' }, requestLog: { flushIntervalMs: 60_000, spoolDir: dir } }, {});
    const written: RequestLogRow[] = [];
    let down = true;
    const repo = {
      insertRequestLogs: async (rows: RequestLogRow[]) => {
        if (down) throw new Error('connect ECONNREFUSED');
        written.push(...rows);
      },
      insertDeadLetter: async () => 1,
    };
    const first = await createRequestLogWriter(config, repo, createLogger('silent'));
    first.write([row({ requestId: 'spooled-1' }), row({ requestId: 'spooled-2' })]);
    await first.close();
    expect(written).toHaveLength(0);
    expect(readdirSync(dir).some((f) => f.startsWith('request-log-'))).toBe(true);
    down = false;
    const second = await createRequestLogWriter(config, repo, createLogger('silent'));
    expect(second.stats()).toMatchObject({ mode: 'spool', spooled: 2 });
    second.write([row({ requestId: 'after-restart' })]);
    await second.flush();
    await second.close();
    expect(written.map((r) => r.requestId)).toEqual(['spooled-1', 'spooled-2', 'after-restart']);
  });
});

describe('audit writer on the database', () => {
  it('records a refused event as a gap that verify explains, and keeps the chain going', async () => {
    const sid = `writers-${randomUUID()}`;
    const audit = gw.deps.audit;
    let deep: unknown = 'x';
    for (let i = 0; i < 3000; i++) deep = { a: deep };
    audit.recordCall(call(sid, { request: { messages: [{ role: 'user', content: 'x \ud800 \u0000' }], extra: deep } }));
    audit.recordCall(call(sid, { model: { requested: POISON_MODEL, served: 'echo', provider: 'mock' } }));
    audit.recordCall(call(sid, { model: { requested: 'm\u0000\ud800', served: null, provider: null }, request: { tools: [{ description: 'd'.repeat(200_000) }] } }));
    await audit.flush();
    const svc = createSessionsService(gw.deps.repo);
    const timeline = await svc.timeline(sid, 'writers');
    expect(timeline.events.map((e) => e.kind)).toEqual(['model_call', 'gap', 'model_call']);
    const v = await svc.verify(sid, 'writers');
    expect(v).toMatchObject({ ok: true, checked: 3, broken: null });
    expect(v.gaps).toHaveLength(1);
    expect(v.gaps[0]).toMatchObject({ seq: 2 });
    expect(v.gaps[0]!.reason).toMatch(/model_call event could not be stored \(23514: .*check constraint.*\); kept as dead letter \d+/);
    expect(audit.stats()).toMatchObject({ accepting: true });
    expect(audit.stats().deadLettered).toBeGreaterThanOrEqual(1);
    const all = await svc.verifyAll('writers');
    expect(all.ok).toBe(true);
    expect(all.gaps.some((g) => g.session === sid)).toBe(true);
  });
});
