// Property-based fuzzing of every route with mutated valid bodies and headers; invariants checked after each property.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMutation, headerMutation, mutation, pathSegment, type Json, type Path } from './arbitraries.js';
import { ADMIN_KEY, INIT, KEY, json, mcpSession, send, startRig, type Rig } from './harness.js';
import { assertAlive, assertRssBounded, assertWritersProgress, Tally } from './invariants.js';

const SEED = 20_260_611;
const RUNS = { chat: 200, embeddings: 100, models: 30, mcp: 150, mcp2026: 150, admin: 150 };
/** Generous per-property limits: CI runs this beside ~650 other tests on 2 cores. */
const LIMIT = { timeout: 120_000 };
const totals = { requests: 0, fivexx: 0, breaks: 0 };
let rig: Rig;
let mcpSid = '';
let seq = 0;

beforeAll(async () => {
  rig = await startRig({}, { mcp: true });
  mcpSid = await mcpSession(rig.gw.url);
});
afterAll(async () => {
  console.log(`[robustness] fuzz total: ${totals.requests} requests, 5xx=${totals.fivexx}, contract breaks=${totals.breaks}`);
  await rig?.stop();
});

/** Valid headers, sometimes overlaid with hostile ones (a fresh, valid x-session-id by default so the audit gets many sessions). */
const headers = (base: Record<string, string>) =>
  sometimes(headerMutation(KEY)).map((h) => ({ 'x-session-id': `fuzz-${++seq}`, ...base, ...(h ?? {}) }));

/** One run in four gets the hostile variant, so most requests still reach the deep layers. */
function sometimes<T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });
}

async function finish(t: Tally): Promise<void> {
  totals.requests += t.requests;
  totals.fivexx += t.fivexx;
  totals.breaks += t.bad.length;
  console.log(t.summary());
  expect.soft(t.bad.slice(0, 5), `${t.bad.length} of ${t.requests} requests broke the contract`).toEqual([]);
  await assertAlive(rig.gw.url);
  assertRssBounded();
  await assertWritersProgress(rig.gw);
}

const CHAT: Record<string, Json> = {
  model: 'mock/echo',
  messages: [{ role: 'user', content: 'hello there' }],
  tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  metadata: { route_tag: 'fuzz' },
  max_tokens: 16,
  temperature: 0.5,
  user: 'fuzzer',
};
const CHAT_PATHS: Path[] = [['model'], ['messages'], ['messages', 0], ['messages', 0, 'content'], ['messages', 0, 'role'], ['messages', 0, 'name'], ['tools'], ['tools', 0, 'function', 'parameters'], ['tools', 0, 'function', 'name'], ['tools', 0, 'function', 'description'], ['metadata'], ['metadata', 'route_tag'], ['max_tokens'], ['temperature'], ['n'], ['stream'], ['stream_options'], ['user'], ['tool_choice'], ['response_format'], ['seed']];

const EMBED: Record<string, Json> = { model: 'mock/echo', input: 'hello', dimensions: 4, encoding_format: 'float' };
const EMBED_PATHS: Path[] = [['model'], ['input'], ['input', 0], ['dimensions'], ['encoding_format'], ['user']];

describe('fuzzing every route', () => {
  it('POST /v1/chat/completions (stream and not)', LIMIT, async () => {
    const t = new Tally('chat');
    await fc.assert(
      fc.asyncProperty(mutation(CHAT_PATHS), fc.boolean(), fc.constantFrom('mock/echo', 'fake/gpt-4o-mini'), headers({ ...json, authorization: `Bearer ${KEY}` }), async (m, stream, model, h) => {
        const { bytes, label } = applyMutation({ ...CHAT, model, stream }, m);
        t.record(await send(rig.gw.url, '/v1/chat/completions', { method: 'POST', headers: h, body: bytes }), `chat ${label}`);
      }),
      { seed: SEED, numRuns: RUNS.chat, endOnFailure: true },
    );
    await finish(t);
  });

  it('POST /v1/embeddings', LIMIT, async () => {
    const t = new Tally('embeddings');
    await fc.assert(
      fc.asyncProperty(mutation(EMBED_PATHS), fc.constantFrom('mock/echo', 'fake/text-embedding-3-small'), headers({ ...json, authorization: `Bearer ${KEY}` }), async (m, model, h) => {
        const { bytes, label } = applyMutation({ ...EMBED, model }, m);
        t.record(await send(rig.gw.url, '/v1/embeddings', { method: 'POST', headers: h, body: bytes }), `embeddings ${label}`);
      }),
      { seed: SEED, numRuns: RUNS.embeddings, endOnFailure: true },
    );
    await finish(t);
  });

  it('GET /v1/models', LIMIT, async () => {
    const t = new Tally('models');
    await fc.assert(
      fc.asyncProperty(pathSegment, headers({ authorization: `Bearer ${KEY}` }), async (q, h) => {
        t.record(await send(rig.gw.url, `/v1/models?after=${q}&limit=${q}`, { headers: h }), `models ?${q.slice(0, 40)}`);
      }),
      { seed: SEED, numRuns: RUNS.models, endOnFailure: true },
    );
    await finish(t);
  });

  /** The 2026-07-28 envelope a stateless request carries in `params._meta`. */
  const ENVELOPE = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'fuzz', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
  };
  const ENV_PATHS: Path[] = [['params', '_meta'], ['params', '_meta', 'io.modelcontextprotocol/protocolVersion'], ['params', '_meta', 'io.modelcontextprotocol/clientCapabilities'], ['params', '_meta', 'io.modelcontextprotocol/clientInfo'], ['id'], ['method']];
  const RPC_2026: Array<{ body: Record<string, Json>; paths: Path[] }> = [
    { body: { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: ENVELOPE } }, paths: ENV_PATHS },
    { body: { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: ENVELOPE } }, paths: [...ENV_PATHS, ['params', 'cursor']] },
    { body: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'fixture__echo', arguments: { text: 'hi' }, _meta: ENVELOPE } }, paths: [...ENV_PATHS, ['params', 'name'], ['params', 'arguments']] },
    {
      // A retry of an input_required round: the requestState and inputResponses are the client's to forge.
      body: { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'fixture__test_input_required_result_elicitation', arguments: {}, requestState: 'AAAA.BBBB', inputResponses: { user_name: { action: 'accept', content: { name: 'x' } } }, _meta: ENVELOPE } },
      paths: [...ENV_PATHS, ['params', 'requestState'], ['params', 'inputResponses'], ['params', 'inputResponses', 'user_name'], ['params', 'inputResponses', 'user_name', 'content']],
    },
    { body: { jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 'fixture+test://static-text', _meta: ENVELOPE } }, paths: [...ENV_PATHS, ['params', 'uri']] },
  ];

  it('/mcp JSON-RPC, protocol 2026-07-28 (stateless): discover, list, call, input_required retries, read', LIMIT, async () => {
    const t = new Tally('mcp 2026-07-28');
    const rpc = fc.constantFrom(...RPC_2026).chain((r) => fc.tuple(fc.constant(r), mutation(r.paths)));
    const extra = sometimes(fc.record({ 'mcp-protocol-version': fc.constantFrom('2026-07-28', '2099-01-01', '', 'ÿ'), 'mcp-method': pathSegment, 'mcp-name': pathSegment }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(rpc, headers({ ...json, authorization: `Bearer ${KEY}`, accept: 'application/json, text/event-stream' }), extra, async ([r, m], h, x) => {
        const { bytes, label } = applyMutation(r.body, m);
        const name = (r.body.params as { name?: string; uri?: string }).name ?? (r.body.params as { uri?: string }).uri;
        const hs = { ...h, 'mcp-protocol-version': '2026-07-28', 'mcp-method': String(r.body.method), ...(name ? { 'mcp-name': name } : {}), ...(x ?? {}) };
        t.record(await send(rig.gw.url, '/mcp', { method: 'POST', headers: hs, body: bytes }), `mcp2026 ${String(r.body.method)} ${label}`);
      }),
      { seed: SEED, numRuns: RUNS.mcp2026, endOnFailure: true },
    );
    await finish(t);
  });

  const RPC: Array<{ body: Record<string, Json>; paths: Path[] }> = [
    { body: INIT as unknown as Record<string, Json>, paths: [['params', 'protocolVersion'], ['params', 'capabilities'], ['params', 'clientInfo'], ['params', 'clientInfo', 'name'], ['id']] },
    { body: { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, paths: [['params', 'cursor'], ['params'], ['id'], ['method'], ['jsonrpc']] },
    { body: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'fixture__echo', arguments: { text: 'hi' } } }, paths: [['params', 'name'], ['params', 'arguments'], ['params', 'arguments', 'text'], ['params', '_meta'], ['params', '_meta', 'progressToken'], ['id'], ['method']] },
    { body: { jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'fixture+test://static-text' } }, paths: [['params', 'uri'], ['params'], ['id']] },
    { body: { jsonrpc: '2.0', id: 5, method: 'prompts/get', params: { name: 'fixture__test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } } }, paths: [['params', 'name'], ['params', 'arguments'], ['params', 'arguments', 'arg1'], ['id']] },
  ];

  it('/mcp JSON-RPC: initialize, tools/list, tools/call, resources/read, prompts/get', LIMIT, async () => {
    const t = new Tally('mcp');
    const rpc = fc.constantFrom(...RPC).chain((r) => fc.tuple(fc.constant(r), mutation(r.paths)));
    const mcpHeaders = sometimes(fc.record({ 'mcp-session-id': pathSegment, 'mcp-protocol-version': fc.constantFrom('2025-11-25', '1999-01-01', '', 'ÿ') }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(rpc, headers({ ...json, authorization: `Bearer ${KEY}`, accept: 'application/json, text/event-stream' }), mcpHeaders, async ([r, m], h, mh) => {
        const { bytes, label } = applyMutation(r.body, m);
        const hs = { ...h, 'mcp-session-id': mcpSid, 'mcp-protocol-version': '2025-11-25', ...(mh ?? {}) };
        t.record(await send(rig.gw.url, '/mcp', { method: 'POST', headers: hs, body: bytes }), `mcp ${String(r.body.method)} ${label}`);
      }),
      { seed: SEED, numRuns: RUNS.mcp, endOnFailure: true },
    );
    await finish(t);
  });

  const KEY_BODY: Record<string, Json> = { name: 'fuzz', metadata: { a: 'b' }, models: ['mock/*'], budgets: [{ period: 'daily', usd: 1 }], rateLimits: { requestsPerMinute: 10 }, expiresAt: '2030-01-01T00:00:00Z', pii: 'redact' };
  const KEY_PATHS: Path[] = [['name'], ['team'], ['expiresAt'], ['metadata'], ['metadata', 'a'], ['models'], ['models', 0], ['tools'], ['mcpServers'], ['budgets'], ['budgets', 0, 'usd'], ['budgets', 0, 'period'], ['budgets', 0, 'per'], ['rateLimits'], ['rateLimits', 'requestsPerMinute'], ['pii']];
  const TEAM_BODY: Record<string, Json> = { name: 'team', metadata: {}, models: ['*'] };
  const TEAM_PATHS: Path[] = [['name'], ['metadata'], ['models'], ['budgets'], ['rateLimits'], ['pii']];

  it('/admin: keys, teams, sessions, audit', LIMIT, async () => {
    const t = new Tally('admin');
    type Op = { method: string; path: string; body?: Buffer; label: string };
    const withBody = (method: string, path: fc.Arbitrary<string>, body: Record<string, Json>, paths: Path[]): fc.Arbitrary<Op> =>
      fc.tuple(path, mutation(paths)).map(([p, m]) => {
        const { bytes, label } = applyMutation(body, m);
        return { method, path: p, body: bytes, label };
      });
    const get = (path: fc.Arbitrary<string>): fc.Arbitrary<Op> => path.map((p) => ({ method: 'GET', path: p, label: '' }));
    const seg = pathSegment;
    const op: fc.Arbitrary<Op> = fc.oneof(
      withBody('POST', fc.constant('/admin/keys'), KEY_BODY, KEY_PATHS),
      withBody('PUT', seg.map((s) => `/admin/teams/${s}`), TEAM_BODY, TEAM_PATHS),
      withBody('PATCH', seg.map((s) => `/admin/keys/${s}`), { expiresAt: '2030-01-01T00:00:00Z' }, [['expiresAt']]),
      get(fc.record({ limit: seg, offset: seg, from: seg, to: seg, hasDenials: seg, key: seg, team: seg, junk: seg }, { requiredKeys: [] }).map((q) => `/admin/sessions?${Object.entries(q).map(([k, v]) => `${k}=${v}`).join('&')}`)),
      get(fc.tuple(seg, seg, seg).map(([s, v, p]) => `/admin/sessions/${s}?verify=${v}&payloads=${p}`)),
      get(fc.tuple(seg, seg, seg).map(([s, n, k]) => `/admin/sessions/${s}/events/${n}?key=${k}`)),
      get(fc.tuple(seg, seg).map(([s, k]) => `/admin/sessions/${s}/export?key=${k}`)),
      get(fc.tuple(seg, seg).map(([s, k]) => `/admin/audit/verify?session=${s}&key=${k}`)),
      get(seg.map((s) => `/admin/keys?team=${s}`)),
      get(seg.map((s) => `/admin/keys/${s}`)),
      fc.tuple(seg, fc.constantFrom('rotate', 'revoke')).map(([s, a]) => ({ method: 'POST', path: `/admin/keys/${s}/${a}`, label: '' })),
    );
    const adminHeaders = sometimes(headerMutation(ADMIN_KEY)).map((h) => ({ ...json, authorization: `Bearer ${ADMIN_KEY}`, ...(h ?? {}) }));
    await fc.assert(
      fc.asyncProperty(op, adminHeaders, async (o, h) => {
        t.record(await send(rig.gw.url, o.path, { method: o.method, headers: h, body: o.body }), `${o.method} ${o.path.slice(0, 80)} ${o.label}`);
      }),
      { seed: SEED, numRuns: RUNS.admin, endOnFailure: true },
    );
    await finish(t);
  });
});
