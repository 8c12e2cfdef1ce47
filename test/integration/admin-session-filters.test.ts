// GET /admin/sessions filters by client (name or user agent), redactions, cost and id prefix, over sessions made by real calls through the gateway.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-session-filters-0123456';
const PII_KEY = 'sk-filters-pii-key-0123456789abcdef';
const PLAIN_KEY = 'sk-filters-plain-key-0123456789abcd';
const run = randomUUID().slice(0, 8);
const sid = {
  plain: `flt-${run}-plain`,
  pii: `flt-${run}-pii`,
  free: `flt-${run}-free`,
  lookalike: `flt-${run}x-lookalike`,
  other: `zzz-${run}-other`,
  mcp: `flt-${run}-mcp`,
};
let gw: RunningGateway;

async function chat(key: string, session: string, content: string, opts: { model?: string; userAgent?: string } = {}): Promise<void> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-session-id': session, ...(opts.userAgent ? { 'user-agent': opts.userAgent } : {}) },
    body: JSON.stringify({ model: opts.model ?? 'mock/echo', messages: [{ role: 'user', content }] }),
  });
  expect(res.status, await res.text()).toBe(200);
}

async function list(query: string): Promise<{ status: number; ids: string[]; json: any }> {
  const res = await fetch(`${gw.url}/admin/sessions?limit=500&${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const json = (await res.json()) as any;
  // Only this run's sessions: the database may hold others.
  const ids = res.status === 200 ? (json.data as Array<{ id: string }>).map((s) => s.id).filter((id) => id.includes(run)).sort() : [];
  return { status: res.status, ids, json };
}

beforeAll(async () => {
  gw = await startTestGateway(
    {
      // $1000 per million tokens for echo (a call costs cents); `free` is unpriced and counts as $0.
      providers: { mock: { kind: 'mock', models: ['echo', 'free'], prices: { echo: { input: 1000, output: 1000 } } } },
      keys: [
        { id: 'k-pii', key: PII_KEY, pii: 'redact' },
        { id: 'k-plain', key: PLAIN_KEY },
      ],
      audit: { flushIntervalMs: 20 },
    },
    { GATEWAY_ADMIN_KEY: ADMIN },
  );
  await chat(PLAIN_KEY, sid.plain, 'hello there', { userAgent: 'Sales_Bot/1.0 (50%-off edition)' });
  await chat(PII_KEY, sid.pii, 'write to alice.smith@example.com about the invoice');
  await chat(PLAIN_KEY, sid.free, 'hi', { model: 'mock/free', userAgent: 'SalesXBot/1.0 (50 off)' });
  await chat(PLAIN_KEY, sid.lookalike, 'hi', { model: 'mock/free', userAgent: 'curl/8.5' });
  await chat(PLAIN_KEY, sid.other, 'hi there, a longer prompt to cost a little more than the others', { userAgent: 'curl/8.5' });
  // An MCP client names itself in its initialize; recorded through the audit trail's own writer.
  gw.deps.audit.recordCall({
    kind: 'tool_call',
    principal: { keyId: 'k-plain', teamId: null },
    sessionId: sid.mcp,
    requestId: `req_${randomUUID()}`,
    mcp: { method: 'tools/call', server: 'fs', tool: 'fs__read' },
    mcpSessionId: 'm-1',
    client: { name: 'Claude-Desktop', version: '1.2', userAgent: null },
    status: 200,
    latencyMs: 3,
    costMicros: null,
    request: { arguments: { path: '/tmp/a' } },
    response: { content: [] },
  });
  await gw.deps.audit.flush();
});
afterAll(async () => {
  await gw?.stop();
});

describe('GET /admin/sessions filters', () => {
  it('sees every session of the run without filters, with the redaction and the costs counted', async () => {
    const all = await list('');
    expect(all.ids).toEqual(Object.values(sid).sort());
    const byId = new Map((all.json.data as Array<{ id: string; totals: { redactions: number; costMicros: number } }>).map((s) => [s.id, s.totals]));
    expect(byId.get(sid.pii)!.redactions).toBeGreaterThan(0);
    expect(byId.get(sid.plain)!.costMicros).toBeGreaterThan(0);
    expect(byId.get(sid.free)!.costMicros).toBe(0);
  });

  it('client: any case, in the client name or the user agent, with % and _ taken literally', async () => {
    expect((await list('client=sales_bot')).ids).toEqual([sid.plain]);
    expect((await list('client=SALES')).ids).toEqual([sid.plain, sid.free].sort());
    expect((await list(`client=${encodeURIComponent('50%')}`)).ids).toEqual([sid.plain]);
    expect((await list('client=_')).ids).toEqual([sid.plain]);
    expect((await list('client=claude-desk')).ids).toEqual([sid.mcp]);
    expect((await list('client=curl')).ids).toEqual([sid.lookalike, sid.other].sort());
    expect((await list('client=nobody-uses-this')).ids).toEqual([]);
  });

  it('hasRedactions: true and false, like hasDenials', async () => {
    expect((await list('hasRedactions=true')).ids).toEqual([sid.pii]);
    expect((await list('hasRedactions=false')).ids).toEqual(Object.values(sid).filter((s) => s !== sid.pii).sort());
  });

  it('minCostUsd: at least that much, in micro-dollars as stored', async () => {
    const all = (await list('')).json.data as Array<{ id: string; totals: { costMicros: number } }>;
    const mine = all.filter((s) => s.id.includes(run));
    const costs = [...new Set(mine.map((s) => s.totals.costMicros))].sort((a, b) => a - b);
    expect(costs.length).toBeGreaterThanOrEqual(3); // 0 and at least two priced amounts
    for (const c of costs) {
      const want = mine.filter((s) => s.totals.costMicros >= c).map((s) => s.id).sort();
      expect((await list(`minCostUsd=${c / 1e6}`)).ids, `minCostUsd=${c / 1e6}`).toEqual(want);
    }
    const top = costs.at(-1)!;
    expect((await list(`minCostUsd=${(top + 1) / 1e6}`)).ids).toEqual([]);
    expect((await list('minCostUsd=0')).ids).toEqual(Object.values(sid).sort());
  });

  it('sessionPrefix: the id starts with it, % and _ taken literally', async () => {
    expect((await list(`sessionPrefix=flt-${run}-`)).ids).toEqual([sid.plain, sid.pii, sid.free, sid.mcp].sort());
    expect((await list(`sessionPrefix=flt-${run}`)).ids).toEqual([sid.plain, sid.pii, sid.free, sid.lookalike, sid.mcp].sort());
    expect((await list(`sessionPrefix=zzz-${run}`)).ids).toEqual([sid.other]);
    expect((await list(`sessionPrefix=${encodeURIComponent(`flt_${run}`)}`)).ids).toEqual([]);
    expect((await list(`sessionPrefix=${encodeURIComponent(`%${run}`)}`)).ids).toEqual([]);
    expect((await list(`sessionPrefix=${run}`)).ids).toEqual([]); // a prefix, not a substring
  });

  it('combines with the other filters', async () => {
    expect((await list(`sessionPrefix=flt-${run}&client=sales&minCostUsd=0.000001`)).ids).toEqual([sid.plain]);
    expect((await list(`key=k-pii&hasRedactions=false`)).ids).toEqual([]);
    expect((await list(`key=k-plain&hasRedactions=false&hasDenials=false&client=curl`)).ids).toEqual([sid.lookalike, sid.other].sort());
  });

  it('refuses bad values with a 400 naming the parameter', async () => {
    const bad: Array<[string, string]> = [
      ['hasRedactions=yes', 'hasRedactions'],
      ['minCostUsd=-1', 'minCostUsd'],
      ['minCostUsd=abc', 'minCostUsd'],
      ['minCostUsd=1e12', 'minCostUsd'],
      [`sessionPrefix=${'a'.repeat(129)}`, 'sessionPrefix'],
      ['client=', 'client'],
      [`client=${'c'.repeat(257)}`, 'client'],
    ];
    for (const [query, param] of bad) {
      const r = await list(query);
      expect(r.status, query).toBe(400);
      expect(r.json.error.param, query).toBe(param);
    }
  });

  it('lists the new parameters in the OpenAPI document, one for each field the route takes', async () => {
    const { SessionQuerySchema } = await import('../../src/tracing/sessions-service.js');
    const doc = (await (await fetch(`${gw.url}/admin/openapi.json`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as any;
    const params = (doc.paths['/admin/sessions'].get.parameters as Array<{ name: string; schema: Record<string, unknown> }>).filter((p) => p.name);
    expect(params.map((p) => p.name).sort()).toEqual(Object.keys(SessionQuerySchema.shape).sort());
    expect(params.find((p) => p.name === 'sessionPrefix')!.schema).toMatchObject({ maxLength: 128 });
    expect(params.find((p) => p.name === 'minCostUsd')!.schema).toMatchObject({ type: 'number', minimum: 0 });
  });
});
