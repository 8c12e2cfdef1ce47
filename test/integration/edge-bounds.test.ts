// Hostile input at the edge: every client-controlled size, count, name and header is bounded, and a 413 never poisons a connection.
import http from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import type { RequestLogRow } from '../../src/storage/schema.js';
import { startTestGateway } from '../helpers/gateway.js';
import { KEYS, TEST_KEY } from '../helpers/mcp.js';

const LIMIT = 4 * 1024 * 1024;
const ADMIN_KEY = 'admin-key-edge-bounds-0123456789';
let open: RunningGateway; // no keys, no admin key: the open local proxy
let keyed: RunningGateway; // virtual keys and the admin API
const logged: RequestLogRow[] = [];

beforeAll(async () => {
  open = await startTestGateway({
    server: { bodyLimitBytes: LIMIT },
    providers: { mock: { kind: 'mock', models: ['echo'] }, fake: { kind: 'mock', models: [] } },
  });
  // Every request-log row the broker hands over (one row or a batch, whichever the writer takes).
  const log = open.deps.requestLog as unknown as { write(rows: unknown): unknown };
  const write = log.write.bind(log);
  vi.spyOn(log, 'write').mockImplementation((rows: unknown) => {
    logged.push(...((Array.isArray(rows) ? rows : [rows]) as RequestLogRow[]));
    return write(rows);
  });
  keyed = await startTestGateway({ providers: { mock: { kind: 'mock', models: ['echo'] } }, keys: KEYS }, { GATEWAY_ADMIN_KEY: ADMIN_KEY });
});
afterAll(async () => {
  await open?.stop();
  await keyed?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  json: { error: { code: string; message: string; param: string | null; type: string } } & Record<string, unknown>;
}

async function send(gw: RunningGateway, path: string, body: string | object, headers: Record<string, string> = {}, method = 'POST'): Promise<Answer> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} };
}

const admin = (path: string, method = 'GET', body?: object) =>
  send(keyed, `/admin${path}`, body ?? {}, { authorization: `Bearer ${ADMIN_KEY}` }, method);

const chat = (extra: Record<string, unknown>) => ({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('trigger 1: embeddings dimensions', () => {
  it('refuses 2^31 dimensions with a 400 naming the field, and the process lives on', async () => {
    const r = await send(open, '/v1/embeddings', { model: 'mock/echo', input: 'x', dimensions: 2147483648 });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_request', param: 'dimensions', type: 'invalid_request_error' });
    expect((await fetch(`${open.url}/healthz`)).status).toBe(200);
  });

  it('lets the mock refuse what it would not allocate, and serve what is sane', async () => {
    const big = await send(open, '/v1/embeddings', { model: 'mock/echo', input: 'x', dimensions: 65536 });
    expect(big.status).toBe(400);
    expect(big.json.error.param).toBe('dimensions');
    const ok = await send(open, '/v1/embeddings', { model: 'mock/echo', input: ['a', 'b'], dimensions: 16 });
    expect(ok.status).toBe(200);
    expect((ok.json.data as Array<{ embedding: number[] }>)[0]!.embedding).toHaveLength(16);
  });
});

describe('trigger 2: schema bounds', () => {
  const tools = (n: number, name = 'f') => Array.from({ length: n }, (_, i) => ({ type: 'function', function: { name: `${name}${i}` } }));
  it.each([
    ['a NUL in the model', '/v1/chat/completions', { ...chat({}), model: 'mock/a\u0000b' }, 'model'],
    ['a control char in the model', '/v1/chat/completions', { ...chat({}), model: 'mock/\u0007' }, 'model'],
    ['a C1 control in the model', '/v1/embeddings', { model: 'mock/\u0085', input: 'x' }, 'model'],
    ['a 300-char model', '/v1/chat/completions', { ...chat({}), model: `mock/${'m'.repeat(300)}` }, 'model'],
    ['n above 128', '/v1/chat/completions', chat({ n: 129 }), 'n'],
    ['max_tokens of 2^31', '/v1/chat/completions', chat({ max_tokens: 2 ** 31 }), 'max_tokens'],
    ['max_completion_tokens of 0', '/v1/chat/completions', chat({ max_completion_tokens: 0 }), 'max_completion_tokens'],
    ['an unsafe seed', '/v1/chat/completions', chat({ seed: 2 ** 60 }), 'seed'],
    ['513 tools', '/v1/chat/completions', chat({ tools: tools(513) }), 'tools'],
    ['a tool name with a space', '/v1/chat/completions', chat({ tools: tools(1, 'get weather') }), 'tools.0.function.name'],
    ['a 300-char tool name', '/v1/chat/completions', chat({ tools: tools(1, 'x'.repeat(300)) }), 'tools.0.function.name'],
    ['17 metadata pairs', '/v1/chat/completions', chat({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }), 'metadata'],
    ['a 513-char metadata value', '/v1/chat/completions', chat({ metadata: { k: 'v'.repeat(513) } }), 'metadata.k'],
    ['a 2000-char user', '/v1/chat/completions', chat({ user: 'u'.repeat(2000) }), 'user'],
    ['five stop strings', '/v1/chat/completions', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop'],
    ['2049 embedding inputs', '/v1/embeddings', { model: 'mock/echo', input: Array.from({ length: 2049 }, () => 'x') }, 'input'],
    ['100,001 messages', '/v1/chat/completions', { model: 'mock/echo', messages: Array.from({ length: 100_001 }, () => ({ role: 'user', content: '' })) }, 'messages'],
  ])('%s → 400 naming the field', async (_name, path, body, param) => {
    const r = await send(open, path, body);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    if (param.includes('.')) expect(r.json.error.param).toBe(param);
    else expect(r.json.error.param?.split('.')[0]).toBe(param);
  });

  it('refuses a lone surrogate in the model (sent as a JSON escape)', async () => {
    const r = await send(open, '/v1/chat/completions', '{"model":"mock/\\ud800","messages":[{"role":"user","content":"hi"}]}');
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('model');
  });

  it('refuses JSON nested deeper than any real request', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const r = await send(open, '/v1/chat/completions', `{"model":"mock/echo","messages":[{"role":"user","content":"hi"}],"x":${deep}}`);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/nests deeper/);
  });

  it('still takes what real SDKs send, at the edge of every bound', async () => {
    const client = new OpenAI({ baseURL: `${open.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: 'mock/echo',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hello bounds' }], name: 'alice' },
      ],
      n: 2,
      seed: Number.MAX_SAFE_INTEGER,
      max_tokens: 2 ** 31 - 1,
      stop: ['a', 'b', 'c', 'd'],
      user: 'u'.repeat(1024),
      metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, 'k'), 'v'.repeat(512)])),
      temperature: 0,
    });
    expect(r.choices).toHaveLength(2);
    const e = await client.embeddings.create({ model: 'mock/echo', input: ['a', 'b'], dimensions: 3072 });
    expect(e.data[0]!.embedding).toHaveLength(3072);
    const t = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], tools: tools(512, 'tool_') as never });
    expect(JSON.stringify(t.choices[0]!.message.tool_calls)).toContain('"name":"tool_0"');
  });
});

describe('trigger 3: response headers safe for any model name', () => {
  const expected = encodeURIComponent('模型');
  it('serves a non-Latin-1 model with a percent-encoded x-gateway-model (JSON)', async () => {
    const r = await send(open, '/v1/chat/completions', { ...chat({}), model: 'fake/模型' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-gateway-model')).toBe(expected);
    expect(r.headers.get('x-gateway-provider')).toBe('fake');
  });

  it('streams it too, and the stream is logged (the broker finally ran)', async () => {
    const res = await fetch(`${open.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...chat({ stream: true }), model: 'fake/模型' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-model')).toBe(expected);
    const requestId = res.headers.get('x-request-id')!;
    expect(await res.text()).toContain('[DONE]');
    const row = logged.find((r) => r.requestId === requestId);
    expect(row).toMatchObject({ status: 200, stream: true, modelRequested: 'fake/模型', provider: 'fake' });
  });
});

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request over `agent` with node:http; errors after the answer arrived (the server closing an unread upload) are ignored. */
function rawRequest(gw: RunningGateway, agent: http.Agent, path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer; chunks?: Buffer[] }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(`${gw.url}${path}`, { agent, method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}

describe('trigger 4: body limits while reading, 413 closes the connection', () => {
  const over = Buffer.alloc(LIMIT + 64 * 1024, 0x61);
  const chunks = Array.from({ length: 80 }, () => Buffer.alloc(64 * 1024, 0x61)); // 5 MiB, no content-length
  const json = { 'content-type': 'application/json' };
  let agent: http.Agent;
  beforeAll(() => {
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterAll(() => agent.destroy());

  async function expectNextWorks(): Promise<void> {
    const next = await rawRequest(open, agent, '/v1/chat/completions', { headers: json, body: Buffer.from(JSON.stringify(chat({}))) });
    expect(next.status).toBe(200);
    expect(JSON.parse(next.text).choices[0].message.content).toBe('echo: hi');
  }

  it.each([
    ['/v1 with content-length', '/v1/chat/completions', { headers: { ...json, 'content-length': String(over.length) }, body: over }],
    ['/v1 chunked', '/v1/chat/completions', { headers: json, chunks }],
  ])('%s: 413 in the OpenAI shape, then the next request on the same agent works', async (_n, path, opts) => {
    const r = await rawRequest(open, agent, path, opts);
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
    expect(JSON.parse(r.text).error.code).toBe('payload_too_large');
    await expectNextWorks();
  });

  it.each([
    ['/mcp with content-length', '/mcp', { headers: { ...json, 'content-length': String(over.length) }, body: over }],
    ['/mcp chunked', '/mcp', { headers: json, chunks }],
    ['/mcp/:id chunked', '/mcp/anything', { headers: json, chunks }],
    ['/messages chunked', '/messages?sessionId=nope', { headers: json, chunks }],
  ])('%s: 413 as a JSON-RPC error, connection closed', async (_n, path, opts) => {
    const r = await rawRequest(open, agent, path, { ...opts, headers: { ...opts.headers, accept: 'application/json, text/event-stream' } });
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
    expect(JSON.parse(r.text)).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null });
    await expectNextWorks();
  });

  it('/admin takes at most 1 MiB, chunked or not', async () => {
    const auth = { ...json, authorization: `Bearer ${ADMIN_KEY}` };
    const body = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const opts of [{ headers: { ...auth, 'content-length': String(body.length) }, body }, { headers: auth, chunks: [body] }]) {
        const r = await rawRequest(keyed, a, '/admin/keys', opts);
        expect(r.status).toBe(413);
        expect(r.headers.connection).toBe('close');
        expect(JSON.parse(r.text).error.code).toBe('payload_too_large');
      }
      const ok = await rawRequest(keyed, a, '/admin/keys', { headers: auth, body: Buffer.from(JSON.stringify({ name: 'after-413' })) });
      expect(ok.status).toBe(201);
    } finally {
      a.destroy();
    }
  });
});

describe('trigger 5: metrics labels only from config', () => {
  it('labels unconfigured and hostile model names "other", never by value', async () => {
    const long = `mock/${'q'.repeat(100_000)}`;
    expect((await send(open, '/v1/chat/completions', { ...chat({}), model: long })).status).toBe(400);
    expect((await send(open, '/v1/chat/completions', { ...chat({}), model: 'nosuch/bob@example.com' })).status).toBe(404);
    expect((await send(open, '/v1/chat/completions', { ...chat({}), model: 'fake/carol@example.com' })).status).toBe(200);
    expect((await send(open, '/v1/chat/completions', chat({}))).status).toBe(200);
    const text = await (await fetch(`${open.url}/metrics`)).text();
    expect(text).not.toContain('bob@example.com');
    expect(text).not.toContain('carol@example.com');
    expect(text).not.toContain('qqqqqqqqqqqqqqqq');
    expect(text).toMatch(/gateway_llm_requests_total\{[^}]*model="other"[^}]*status="404"/);
    expect(text).toMatch(/gateway_llm_requests_total\{[^}]*provider="fake",model="other"/);
    expect(text).toMatch(/gateway_llm_requests_total\{[^}]*provider="mock",model="echo"/);
    expect(text.length).toBeLessThan(200_000);
  });
});

describe('trigger 6: admin path and query input', () => {
  it.each([
    ['a NUL key id', '/keys/%00'],
    ['a control char key id', '/keys/a%01b'],
    ['a lone surrogate key id', '/keys/%ED%A0%80'],
    ['an over-long key id', `/keys/${'k'.repeat(300)}`],
    ['a NUL team filter', '/keys?team=%00'],
    ['an over-long team filter', `/keys?team=${'t'.repeat(300)}`],
    ['a NUL session id', '/sessions/%00'],
    ['a NUL session export', '/sessions/a%00/export'],
    ['a NUL session filter', '/sessions?key=%00'],
    ['a NUL verify session', '/audit/verify?session=%00'],
    ['a year-200000 date filter', '/sessions?from=%2B200000-01-01T00:00:00Z'],
  ])('%s → 400 in the error shape', async (_n, path) => {
    const r = await admin(path);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    expect(r.json.error.type).toBe('invalid_request_error');
  });

  it.each([
    ['PUT a team with a NUL id', 'PUT', '/teams/a%00b', { name: 'x' }, 'path'],
    ['PUT a team with an over-long id', 'PUT', `/teams/${'t'.repeat(300)}`, { name: 'x' }, 'path'],
    ['POST a key whose name holds NUL', 'POST', '/keys', { name: 'a\u0000b' }, 'name'],
    ['POST a key whose metadata holds NUL', 'POST', '/keys', { name: 'ok', metadata: { k: 'v\u0000' } }, 'metadata.k'],
    ['POST a key whose model rule holds a lone surrogate', 'POST', '/keys', { name: 'ok', models: ['\ud800'] }, 'models.0'],
    ['POST a key expiring in year 200000', 'POST', '/keys', { name: 'ok', expiresAt: '+200000-01-01T00:00:00Z' }, 'expiresAt'],
    ['PATCH an expiry in year 200000', 'PATCH', '/keys/whatever', { expiresAt: '+200000-01-01T00:00:00Z' }, 'expiresAt'],
  ])('%s → 400 naming the field', async (_n, method, path, body, param) => {
    const r = await admin(path, method, body);
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe(param);
  });

  it('still serves ordinary ids and filters', async () => {
    expect((await admin('/keys/key_doesnotexist')).status).toBe(404);
    expect((await admin('/keys?team=blue')).status).toBe(200);
    expect((await admin('/sessions?from=2024-01-01')).status).toBe(200);
    expect((await admin('/teams/team-ü', 'PUT', { name: 'Umlaut team' })).status).toBe(200);
  });
});

describe('trigger 7: browsers cannot drive an open gateway', () => {
  it('refuses a foreign Origin with 403 in the OpenAI shape', async () => {
    const r = await send(open, '/v1/chat/completions', chat({}), { origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ code: 'forbidden', param: 'origin' });
    const models = await send(open, '/v1/models', {}, { origin: 'null' }, 'GET');
    expect(models.status).toBe(403);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''])('refuses a %j body from a page, even a local one, with 415', async (type) => {
    const r = await send(open, '/v1/chat/completions', chat({}), { 'content-type': type, origin: 'http://localhost:3000' });
    expect(r.status).toBe(415);
    expect(r.json.error.param).toBe('content-type');
  });

  it('serves SDKs, curl and scripts (no Origin) whatever their content type, and local pages sending JSON', async () => {
    expect((await send(open, '/v1/chat/completions', chat({}))).status).toBe(200);
    expect((await send(open, '/v1/chat/completions', chat({}), { origin: 'http://localhost:3000' })).status).toBe(200);
    expect((await send(open, '/v1/chat/completions', chat({}), { origin: 'http://127.0.0.1:5173', 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect((await send(open, '/v1/chat/completions', chat({}), { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200); // curl -d
    const noType = await fetch(`${open.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(chat({})) }); // text/plain
    expect(noType.status).toBe(200);
  });

  it('leaves a keyed gateway alone: the key is the guard', async () => {
    const r = await send(keyed, '/v1/chat/completions', chat({}), { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'text/plain', origin: 'https://app.example' });
    expect(r.status).toBe(200);
  });
});

describe('trigger 8: client headers are bounded before use', () => {
  it('refuses an over-long x-route-tag', async () => {
    const r = await send(open, '/v1/chat/completions', chat({}), { 'x-route-tag': 't'.repeat(1000) });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('x-route-tag');
  });

  it('refuses an over-long Mcp-Session-Id as a JSON-RPC error', async () => {
    const r = await send(open, '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 's'.repeat(300), accept: 'application/json, text/event-stream' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
  });

  it('answers a bad x-session-id on /mcp as a JSON-RPC error, like every other MCP refusal', async () => {
    const r = await send(open, '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'x-session-id': 'has space', accept: 'application/json, text/event-stream' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
    expect(JSON.stringify(r.json)).toContain('x-session-id');
  });

  it('does not echo an invalid x-session-id', async () => {
    const r = await send(open, '/v1/chat/completions', chat({}), { 'x-session-id': 'has space' });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-session-id')).toBe(r.headers.get('x-request-id'));
  });
});
