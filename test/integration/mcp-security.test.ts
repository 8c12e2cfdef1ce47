// MCP transport security and sessions: key required (401 + WWW-Authenticate), Origin/Host checks, 400/404 session rules.
import { request } from 'node:http';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, startFixture, TEST_KEY, textOf, type Fixture } from '../helpers/mcp.js';

let fixture: Fixture;
let gw: RunningGateway;
const OTHER_KEY = 'sk-gw-other-key-9876543210';
const cfg = () => ({ keys: [...KEYS, { id: 'k2', key: OTHER_KEY }], mcpServers: { fixture: { type: 'http', url: fixture.url } } });

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const ACCEPT = 'application/json, text/event-stream';

function post(body: unknown, headers: Record<string, string> = {}, path = '/mcp'): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${TEST_KEY}`, ...headers }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  fixture = await startFixture();
  gw = await startTestGateway(cfg());
});
afterAll(async () => {
  await gw?.stop();
  await fixture?.stop();
});

describe('MCP auth', () => {
  it('rejects a missing key with 401 and WWW-Authenticate before any JSON-RPC', async () => {
    const res = await post(INIT, { authorization: '' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Missing API key/);
  });

  it('rejects a bad key with 401, also through the SDK client', async () => {
    expect((await post(INIT, { authorization: 'Bearer sk-wrong-key-000000000' })).status).toBe(401);
    await expect(connect(`${gw.url}/mcp`, { key: 'sk-wrong-key-000000000' })).rejects.toThrow();
  });
});

describe('DNS-rebinding protection', () => {
  it('rejects a foreign Origin with 403 and accepts localhost ones', async () => {
    expect((await post(INIT, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(INIT, { origin: 'http://localhost:5173' })).status).toBe(200);
  });

  it('rejects a foreign Host with 403', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${gw.url}/mcp`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${TEST_KEY}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(INIT));
    });
    expect(status).toBe(403);
  });
});

describe('MCP sessions', () => {
  it('answers 400 without a session id and 404 for an unknown one', async () => {
    expect((await post(LIST)).status).toBe(400);
    expect((await post(LIST, { 'mcp-session-id': 'no-such-session' })).status).toBe(404);
  });

  it('ends a session on DELETE (then 404), and another key cannot use it', async () => {
    const init = await post(INIT);
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    expect(sid).toMatch(/^[0-9a-f]{32}$/);
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    expect((await post(LIST, { ...h, authorization: `Bearer ${OTHER_KEY}` })).status).toBe(404);
    const ok = await post(LIST, h);
    expect(ok.status).toBe(200);
    await ok.text();
    const del = await fetch(`${gw.url}/mcp`, { method: 'DELETE', headers: { ...h, authorization: `Bearer ${TEST_KEY}` } });
    expect(del.status).toBe(200);
    expect((await post(LIST, h)).status).toBe(404);
  });

  it.skipIf(!process.env.REDIS_URL)('serves one session from two replicas through Redis', async () => {
    const b = await startTestGateway(cfg(), { REDIS_URL: process.env.REDIS_URL! });
    const a = await startTestGateway(cfg(), { REDIS_URL: process.env.REDIS_URL! });
    try {
      let n = 0;
      // Alternate replicas per HTTP request, as a round-robin load balancer would.
      const lb: typeof fetch = (input, init) => {
        const url = new URL(String(input instanceof Request ? input.url : input));
        url.port = String((n++ % 2 === 0 ? a : b).port);
        return fetch(url, init);
      };
      const client = new Client({ name: 'lb', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${a.url}/mcp`), { fetch: lb, requestInit: { headers: { authorization: `Bearer ${TEST_KEY}` } } }));
      for (let i = 0; i < 3; i++) expect(textOf(await client.callTool({ name: 'fixture__echo', arguments: { text: `r${i}` } }))).toBe(`fixture: r${i}`);
      expect(a.mcp.localCount() + b.mcp.localCount()).toBe(2);
      await client.close();
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
