// Edge behaviour through app.request() with no socket: 404 and error shapes, auth, bad JSON, body limit, request/session ids, health.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApp, createMcpSessionsFor, type AppParts } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import type { AppEnv } from '../../src/http/context.js';
import { KEYS, TEST_KEY } from '../helpers/mcp.js';

const LIMIT = 1024;
const REQUEST_ID = /^req_[0-9a-f]{32}$/;
let deps: Deps;
let app: Hono<AppEnv>;
let parts: AppParts;

beforeAll(async () => {
  // In-memory PGlite even when DATABASE_URL is set: nothing here needs a server.
  const config = parseConfig(
    { logLevel: 'silent', keys: KEYS, providers: { mock: { kind: 'mock', models: ['echo'] } }, server: { bodyLimitBytes: LIMIT }, storage: { dataDir: 'memory://' } },
    { DATABASE_URL: '' },
  );
  deps = await createDeps(config);
  parts = { mcp: createMcpSessionsFor(deps) };
  app = createApp(deps, parts);
});
afterAll(async () => {
  await parts?.mcp.close();
  await deps?.close();
});

const auth = { authorization: `Bearer ${TEST_KEY}` };
const json = { 'content-type': 'application/json' };

interface OpenAIError {
  error: { message: string; type: string; code: string; param: string | null };
}

async function errorOf(res: Response): Promise<OpenAIError['error']> {
  const body = (await res.json()) as OpenAIError;
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

describe('unknown routes', () => {
  it.each(['/nope', '/v1/nothing'])('answer 404 in the OpenAI error shape (%s)', async (path) => {
    const res = await app.request(path, { headers: auth });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'not_found', param: null, message: expect.stringContaining(path) as string });
  });
});

describe('authentication once a key exists', () => {
  it('refuses a missing key with 401 and a WWW-Authenticate challenge', async () => {
    const res = await app.request('/v1/models');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gateway"');
    expect(await errorOf(res)).toMatchObject({ code: 'unauthorized', type: 'authentication_error' });
  });

  it('refuses an unknown key, and takes a good one as Bearer or x-api-key', async () => {
    const bad = await app.request('/v1/models', { headers: { authorization: 'Bearer sk-gw-not-a-key-0000000000' } });
    expect(bad.status).toBe(401);
    expect((await errorOf(bad)).code).toBe('invalid_api_key');
    for (const headers of [auth, { 'x-api-key': TEST_KEY }]) {
      const res = await app.request('/v1/models', { headers });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toContain('mock/echo');
    }
  });
});

describe('request bodies', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: { ...auth, ...json }, body: '{"model":' });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'invalid_json', type: 'invalid_request_error', param: null });
  });

  it('answers a body over the limit with 413 and Connection: close, declared or streamed', async () => {
    const big = JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }] });
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const bodies: Array<{ body: BodyInit; headers: Record<string, string>; duplex?: 'half' }> = [
      { body: big, headers: { 'content-length': String(big.length) } },
      { body: streamed, headers: {}, duplex: 'half' },
    ];
    for (const { body, headers, duplex } of bodies) {
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: { ...auth, ...json, ...headers }, body, duplex } as RequestInit);
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect((await errorOf(res)).code).toBe('payload_too_large');
    }
  });

  it('passes a body within the limit on to the route', async () => {
    const res = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { ...auth, ...json },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
  });
});

describe('request and session ids', () => {
  it('gives every response its own request id, ignoring one the client sent', async () => {
    const a = await app.request('/healthz', { headers: { 'x-request-id': 'client-chosen' } });
    const b = await app.request('/nope');
    const ids = [a, b].map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(REQUEST_ID);
    expect(ids[0]).not.toBe(ids[1]);
    // Without x-session-id a request is its own session.
    expect(b.headers.get('x-session-id')).toBe(ids[1]);
  });

  it('echoes a valid x-session-id and refuses an invalid one with a 400 naming the header', async () => {
    const ok = await app.request('/v1/models', { headers: { ...auth, 'x-session-id': 'run-42' } });
    expect(ok.headers.get('x-session-id')).toBe('run-42');
    const bad = await app.request('/v1/models', { headers: { ...auth, 'x-session-id': 'x'.repeat(129) } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-session-id')).toBe(bad.headers.get('x-request-id'));
    expect(await errorOf(bad)).toMatchObject({ code: 'invalid_request', param: 'x-session-id' });
  });

  it('answers the same fault on an MCP path in JSON-RPC, not the OpenAI shape', async () => {
    const res = await app.request('/mcp', { method: 'POST', headers: { ...auth, ...json, 'x-session-id': 'has space' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
  });
});

describe('health endpoints', () => {
  it('/healthz and /readyz need no key', async () => {
    const live = await app.request('/healthz');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', auth: 'keys', checks: { database: 'ok' } });
  });

  it('while draining, /readyz says not ready and new calls get 503 shutting_down', async () => {
    deps.state.shuttingDown = true;
    try {
      expect((await app.request('/readyz')).status).toBe(503);
      const res = await app.request('/v1/models', { headers: auth });
      expect(res.status).toBe(503);
      expect(res.headers.get('connection')).toBe('close');
      expect((await errorOf(res)).code).toBe('shutting_down');
    } finally {
      deps.state.shuttingDown = false;
    }
  });
});
