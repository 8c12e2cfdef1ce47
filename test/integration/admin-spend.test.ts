// /admin/spend/series, /admin/spend/top-sessions and /admin/budgets against real calls through the gateway (fake upstream) and the request log.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/admin/routes.js';
import type { RunningGateway } from '../../src/server.js';
import { rowsOf } from '../../src/storage/audit-repo.js';
import type { RequestLogRow } from '../../src/storage/schema.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-spend-0123456789abcdef';
const CFG_KEY = 'sk-gw-spend-config-key-0123456789';
const MICROS = 1_000_000;
let up: FakeUpstream;
let gw: RunningGateway;
let dbKey = '';
let dbKeyId = '';
const dbTeam = `db-team-${Date.now().toString(36)}`;
const started = new Date(Date.now() - 60_000);
const sessions = { a: `spend-a-${randomUUID()}`, b: `spend-b-${randomUUID()}` };

type Json = any; // response bodies, checked field by field below

async function admin(path: string, init: RequestInit = {}): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${gw.url}/admin${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...init.headers } });
  return { status: res.status, json: await res.json() };
}

async function chat(key: string, model: string, session: string, content: string): Promise<void> {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: { 'x-session-id': session } });
  await client.chat.completions.create({ model, max_tokens: 50, messages: [{ role: 'user', content }] });
}

async function query<T>(q: ReturnType<typeof sql>): Promise<T[]> {
  return rowsOf<T>(await gw.deps.database.db.execute(q));
}

const range = () => `from=${started.toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
const sumOf = (series: Json[], f: (p: Json) => number) => series.reduce((n: number, s: Json) => n + s.points.reduce((m: number, p: Json) => m + f(p), 0), 0);
const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9);

beforeAll(async () => {
  up = await startFakeUpstream();
  gw = await startTestGateway(
    {
      // $1000 and $2000 per million tokens: each token costs 1000 or 2000 micro-dollars.
      providers: { up: { kind: 'openai-compatible', baseUrl: `${up.url}/v1`, apiKey: 'up-key', prices: { cheap: { input: 1000, output: 1000 }, dear: { input: 2000, output: 2000 } } } },
      teams: { ml: { name: 'ML', budgets: [{ period: 'daily', usd: 5 }] } },
      keys: [{ id: 'k-cfg', key: CFG_KEY, team: 'ml', budgets: [{ period: 'total', usd: 1 }, { period: 'daily', usd: 0.5, per: 'session' }] }],
    },
    { GATEWAY_ADMIN_KEY: ADMIN },
  );
  expect((await admin(`/teams/${dbTeam}`, { method: 'PUT', body: JSON.stringify({ name: 'DB team', budgets: [{ period: 'monthly', usd: 3 }] }) })).status).toBe(200);
  const created = await admin('/keys', { method: 'POST', body: JSON.stringify({ name: 'spender', team: dbTeam, budgets: [{ period: 'daily', usd: 2 }] }) });
  expect(created.status).toBe(201);
  dbKey = created.json.key;
  dbKeyId = created.json.record.id;

  await chat(CFG_KEY, 'up/cheap', sessions.a, 'one two three');
  await chat(CFG_KEY, 'up/dear', sessions.a, 'four five six seven');
  await chat(dbKey, 'up/dear', sessions.b, 'eight nine ten eleven twelve thirteen fourteen fifteen');
  await chat(dbKey, 'up/cheap', sessions.b, 'sixteen');
  await gw.deps.requestLog.flush();
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

describe('spend series', () => {
  it('sums to the request log, grouped by key', async () => {
    const { status, json } = await admin(`/spend/series?${range()}&groupBy=key&bucket=hour`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ bucket: 'hour', groupBy: 'key', from: started.toISOString() });
    const rows = await query<{ key_id: string; cost: string; n: number; inp: string; outp: string }>(
      sql`select key_id, sum(cost_micros)::text as cost, count(*)::int as n, sum(input_tokens)::text as inp, sum(output_tokens)::text as outp from request_log where time >= ${started.toISOString()}::timestamptz group by key_id`,
    );
    expect(rows.map((r) => r.key_id).sort()).toEqual([dbKeyId, 'k-cfg'].sort());
    for (const r of rows) {
      const s = json.series.find((x: Json) => x.group === r.key_id);
      expect(s, r.key_id).toBeDefined();
      close(s.totals.costUsd, Number(r.cost) / MICROS);
      close(sumOf([s], (p) => p.costUsd), Number(r.cost) / MICROS);
      expect(sumOf([s], (p) => p.requests)).toBe(r.n);
      expect(sumOf([s], (p) => p.inputTokens)).toBe(Number(r.inp));
      expect(sumOf([s], (p) => p.outputTokens)).toBe(Number(r.outp));
      expect(Number(r.cost)).toBeGreaterThan(0);
    }
    expect(json.series).toHaveLength(2);
    // Costliest first.
    expect(json.series[0].totals.costUsd).toBeGreaterThanOrEqual(json.series[1].totals.costUsd);
    for (const s of json.series) for (const p of s.points) expect(new Date(p.t).getTime() % 3_600_000).toBe(0);
  });

  it('groups by team (config key → config team, database key → its database team) and by model', async () => {
    const byKey = (await admin(`/spend/series?${range()}&groupBy=key`)).json.series as Json[];
    const cost = (k: string) => byKey.find((s) => s.group === k)!.totals.costUsd as number;
    const teams = (await admin(`/spend/series?${range()}&groupBy=team&bucket=day`)).json;
    expect(teams.series.map((s: Json) => s.group).sort()).toEqual([dbTeam, 'ml'].sort());
    close(teams.series.find((s: Json) => s.group === 'ml').totals.costUsd, cost('k-cfg'));
    close(teams.series.find((s: Json) => s.group === dbTeam).totals.costUsd, cost(dbKeyId));
    for (const s of teams.series) for (const p of s.points) expect(new Date(p.t).getTime() % 86_400_000).toBe(0);

    const models = (await admin(`/spend/series?${range()}&groupBy=model`)).json.series as Json[];
    const rows = await query<{ m: string; cost: string; n: number }>(sql`select provider || '/' || model_served as m, sum(cost_micros)::text as cost, count(*)::int as n from request_log where time >= ${started.toISOString()}::timestamptz group by 1`);
    expect(models.map((s) => s.group).sort()).toEqual(['up/cheap', 'up/dear']);
    for (const r of rows) {
      const s = models.find((x) => x.group === r.m)!;
      close(s.totals.costUsd, Number(r.cost) / MICROS);
      expect(s.totals.requests).toBe(r.n);
    }
  });

  it('puts rows in UTC buckets: from inclusive, to exclusive, boundaries exact', async () => {
    const key = `k-bounds-${randomUUID()}`;
    const row = (time: string, costMicros: number): RequestLogRow => ({ time: new Date(time), requestId: randomUUID(), keyId: key, endpoint: 'chat.completions', status: 200, latencyMs: 1, costMicros, inputTokens: 1, outputTokens: 2, modelRequested: 'up/x', provider: 'up', modelServed: 'x' });
    await gw.deps.repo.insertRequestLogs([
      row('2001-03-04T00:29:59.999Z', 1), // before from
      row('2001-03-04T00:30:00.000Z', 10), // at from: counted, in the 00:00 bucket
      row('2001-03-04T00:59:59.999Z', 20),
      row('2001-03-04T01:00:00.000Z', 40), // next hour
      row('2001-03-04T23:59:59.999Z', 80),
      row('2001-03-05T00:00:00.000Z', 160), // at to: not counted
    ]);
    const url = (bucket: string) => `/spend/series?from=2001-03-04T00:30:00Z&to=2001-03-05T00:00:00Z&groupBy=key&bucket=${bucket}`;
    const hours = (await admin(url('hour'))).json;
    expect(hours.series).toHaveLength(1);
    expect(hours.series[0].group).toBe(key);
    expect(hours.series[0].points.map((p: Json) => [p.t, Math.round(p.costUsd * MICROS), p.requests])).toEqual([
      ['2001-03-04T00:00:00.000Z', 30, 2],
      ['2001-03-04T01:00:00.000Z', 40, 1],
      ['2001-03-04T23:00:00.000Z', 80, 1],
    ]);
    const days = (await admin(url('day').replace('to=2001-03-05T00:00:00Z', 'to=2001-03-05T00:00:00.001Z'))).json;
    expect(days.series[0].points.map((p: Json) => [p.t, Math.round(p.costUsd * MICROS), p.outputTokens])).toEqual([
      ['2001-03-04T00:00:00.000Z', 150, 8],
      ['2001-03-05T00:00:00.000Z', 160, 2],
    ]);
    // A date alone is midnight UTC.
    expect((await admin('/spend/series?from=2001-03-04&to=2001-03-05&bucket=day')).json.series[0].totals.requests).toBe(5);
  });

  it('shows the 50 costliest groups and folds the rest into one "other" series', async () => {
    const rows: RequestLogRow[] = [];
    for (let i = 0; i < 55; i++) {
      for (const hour of [1, 2]) rows.push({ time: new Date(Date.UTC(2002, 0, 1, hour)), requestId: randomUUID(), keyId: `k-many-${String(i).padStart(2, '0')}`, endpoint: 'chat.completions', status: 200, latencyMs: 1, costMicros: (i + 1) * 1000, inputTokens: 1, outputTokens: 1 });
    }
    rows.push({ time: new Date(Date.UTC(2002, 0, 1, 3)), requestId: randomUUID(), keyId: null, endpoint: 'chat.completions', status: 200, latencyMs: 1, costMicros: null });
    await gw.deps.repo.insertRequestLogs(rows);
    const { json } = await admin('/spend/series?from=2002-01-01T00:00:00Z&to=2002-01-02T00:00:00Z&groupBy=key');
    expect(json.series).toHaveLength(51);
    expect(json.series.slice(0, 3).map((s: Json) => s.group)).toEqual(['k-many-54', 'k-many-53', 'k-many-52']);
    const other = json.series[50];
    expect(other).toMatchObject({ group: null, other: true });
    // Folded: keys 0-4 (2 calls each, (i+1)·1000 µ$ each) and the keyless, unpriced call.
    expect(other.totals.requests).toBe(11);
    close(other.totals.costUsd, (2 * (1 + 2 + 3 + 4 + 5) * 1000) / MICROS);
    expect(other.points.map((p: Json) => [p.t, p.requests])).toEqual([
      ['2002-01-01T01:00:00.000Z', 5],
      ['2002-01-01T02:00:00.000Z', 5],
      ['2002-01-01T03:00:00.000Z', 1],
    ]);
    expect(json.series.filter((s: Json) => s.other)).toHaveLength(1);
  });
});

describe('top sessions', () => {
  it('ranks sessions by cost with the request log’s figures', async () => {
    const { status, json } = await admin(`/spend/top-sessions?${range()}&limit=5`);
    expect(status).toBe(200);
    const rows = await query<{ session_id: string; key_id: string; cost: string; calls: number }>(
      sql`select session_id, key_id, sum(cost_micros)::text as cost, count(*)::int as calls from request_log where session_id in (${sessions.a}, ${sessions.b}) group by 1, 2 order by sum(cost_micros) desc`,
    );
    expect(rows).toHaveLength(2);
    expect(json.data.map((s: Json) => s.sessionId)).toEqual(rows.map((r) => r.session_id));
    for (const [i, r] of rows.entries()) {
      expect(json.data[i]).toMatchObject({ sessionId: r.session_id, keyId: r.key_id, calls: 2 });
      close(json.data[i].costUsd, Number(r.cost) / MICROS);
      expect(new Date(json.data[i].firstAt).getTime()).toBeLessThanOrEqual(new Date(json.data[i].lastAt).getTime());
    }
    expect((await admin(`/spend/top-sessions?${range()}&limit=1`)).json.data).toHaveLength(1);
  });
});

describe('budgets', () => {
  it('lists key and team budgets with spent and remaining after real calls', async () => {
    const costs = await query<{ key_id: string; cost: string }>(sql`select key_id, sum(cost_micros)::text as cost from request_log where time >= ${started.toISOString()}::timestamptz group by key_id`);
    const spent = (k: string) => Number(costs.find((r) => r.key_id === k)!.cost) / MICROS;
    const { status, json } = await admin('/budgets');
    expect(status).toBe(200);
    const find = (scope: string, id: string, period: string, per = 'key') => json.data.find((b: Json) => b.scope === scope && b.id === id && b.period === period && b.per === per);
    const nextMidnight = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1)).toISOString();

    const total = find('key', 'k-cfg', 'total');
    expect(total).toMatchObject({ limitUsd: 1, reservedUsd: 0, resetsAt: null });
    close(total.spentUsd, spent('k-cfg'));
    close(total.remainingUsd, 1 - spent('k-cfg'));
    expect(find('key', 'k-cfg', 'daily', 'session')).toMatchObject({ limitUsd: 0.5, spentUsd: null, remainingUsd: null, resetsAt: nextMidnight });

    const team = find('team', 'ml', 'daily');
    expect(team).toMatchObject({ name: 'ML', limitUsd: 5, resetsAt: nextMidnight });
    close(team.spentUsd, spent('k-cfg'));
    close(team.remainingUsd, 5 - spent('k-cfg'));

    const key = find('key', dbKeyId, 'daily');
    expect(key).toMatchObject({ name: 'spender', limitUsd: 2 });
    close(key.spentUsd, spent(dbKeyId));
    const monthly = find('team', dbTeam, 'monthly');
    close(monthly.spentUsd, spent(dbKeyId));
    expect(new Date(monthly.resetsAt).getUTCDate()).toBe(1);
    expect(spent(dbKeyId)).toBeGreaterThan(0);

    // Pages, and a filter by scope.
    const teamsOnly = (await admin('/budgets?scope=team')).json.data as Json[];
    expect(new Set(teamsOnly.map((b) => b.scope))).toEqual(new Set(['team']));
    const first = (await admin('/budgets?limit=1')).json;
    expect(first.data).toHaveLength(1);
    expect(first.nextOffset).toBe(1);
    expect((await admin(`/budgets?offset=${json.data.length}`)).json).toEqual({ data: [], nextOffset: null });
  });

  it('drops a revoked key’s budgets', async () => {
    const k = await admin('/keys', { method: 'POST', body: JSON.stringify({ name: 'short-lived', budgets: [{ period: 'daily', usd: 1 }] }) });
    const listed = async () => ((await admin('/budgets')).json.data as Json[]).some((b) => b.id === k.json.record.id);
    expect(await listed()).toBe(true);
    await admin(`/keys/${k.json.record.id}/revoke`, { method: 'POST' });
    expect(await listed()).toBe(false);
  });
});

describe('bounds', () => {
  it.each([
    ['/spend/series?from=yesterday', 'from'],
    ['/spend/series?to=2024-13-01', 'to'],
    ['/spend/series?from=0000-06-01&to=0001-01-02', 'from'],
    ['/spend/top-sessions?from=0001-01-01T00:00:00%2B01:00', 'from'],
    ['/spend/series?from=2024-01-02&to=2024-01-01', 'from'],
    ['/spend/series?from=2024-01-01&to=2024-01-01', 'from'],
    ['/spend/series?from=2024-01-01&to=2024-06-01&bucket=hour', 'from'],
    ['/spend/series?from=2000-01-01&to=2024-01-01&bucket=day', 'from'],
    ['/spend/series?bucket=minute', 'bucket'],
    ['/spend/series?groupBy=user', 'groupBy'],
    ['/spend/series?nope=1', null],
    ['/spend/top-sessions?limit=0', 'limit'],
    ['/spend/top-sessions?limit=101', 'limit'],
    ['/spend/top-sessions?limit=ten', 'limit'],
    ['/spend/top-sessions?from=2024-01-01T00:00:00', 'from'],
    ['/budgets?limit=1001', 'limit'],
    ['/budgets?scope=session', 'scope'],
  ])('%s is a 400 naming %s', async (path, param) => {
    const { status, json } = await admin(path);
    expect(status).toBe(400);
    expect(json).toEqual({ error: { message: expect.stringContaining('Invalid query'), type: 'invalid_request_error', code: 'invalid_request', param } });
  });

  it('defaults to the last 24 hours, accepts a ~83-day hourly range, and needs the admin key', async () => {
    const { json } = await admin('/spend/series');
    expect(new Date(json.to).getTime() - new Date(json.from).getTime()).toBe(86_400_000);
    expect(json.series.length).toBeGreaterThan(0);
    // 2,000 hourly buckets is the most; one millisecond more opens a 2,001st.
    expect((await admin('/spend/series?from=2024-01-01&to=2024-03-24T08:00:00Z')).status).toBe(200);
    expect((await admin('/spend/series?from=2024-01-01&to=2024-03-24T08:00:00.001Z')).status).toBe(400);
    for (const p of ['/spend/series', '/spend/top-sessions', '/budgets', '/health']) expect((await fetch(`${gw.url}/admin${p}`)).status).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('lists every admin route, with the query parameters the schemas accept', async () => {
    const doc = (await admin('/openapi.json')).json as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
    const routes = adminRoutes()
      .routes.filter((r) => r.method !== 'ALL' && r.path !== '/openapi.json')
      .map((r) => `${r.method.toLowerCase()} /admin${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(routes.length).toBeGreaterThan(15);
    expect(documented.sort()).toEqual([...new Set(routes)].sort());
    const names = (p: string) => doc.paths[p]!.get!.parameters!.map((x) => x.name);
    expect(names('/admin/spend/series')).toEqual(['from', 'to', 'bucket', 'groupBy']);
    expect(names('/admin/spend/top-sessions')).toEqual(['from', 'to', 'limit']);
    expect(names('/admin/budgets')).toEqual(['scope', 'limit', 'offset']);
  });
});
