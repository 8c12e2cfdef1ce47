// Virtual keys end to end: admin API and CLI lifecycle, one auth table run against every route, revocation across replicas.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/admin/cli.js';
import type { RunningGateway } from '../../src/server.js';
import { adminCall, startTestGateway } from '../helpers/gateway.js';
import { connect, startFixture, type Fixture } from '../helpers/mcp.js';

const ADMIN = 'admin-key-for-tests-0123456789';
let fixture: Fixture;
let a: RunningGateway;
let b: RunningGateway;
const keys: Record<'good' | 'revoked' | 'expired' | 'narrow', string> = { good: '', revoked: '', expired: '', narrow: '' };

const admin = (gw: RunningGateway, method: string, path: string, body?: unknown) => adminCall(gw, ADMIN, method, path, body);

beforeAll(async () => {
  fixture = await startFixture();
  const cfg = { mcpServers: { fixture: { type: 'http', url: fixture.url } }, providers: { mock: { kind: 'mock', models: ['echo'] } }, auth: { keyCacheTtlMs: 600_000 } };
  // Two replicas on one database (and one Redis when REDIS_URL is set).
  a = await startTestGateway(cfg, { GATEWAY_ADMIN_KEY: ADMIN, ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}) });
  // A second replica needs a shared database; PGlite in memory is private to one instance, so then b is a.
  b = process.env.DATABASE_URL ? await startTestGateway(cfg, { GATEWAY_ADMIN_KEY: ADMIN, ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}) }) : a;
  const team = `t${Date.now()}`;
  expect((await admin(a, 'PUT', `/teams/${team}`, { name: 'Team', models: ['mock/*'] })).status).toBe(200);
  for (const k of ['good', 'revoked', 'expired'] as const) keys[k] = (await admin(a, 'POST', '/keys', { name: k, team })).json.key;
  keys.narrow = (await admin(a, 'POST', '/keys', { name: 'narrow', models: ['nothing/*'], tools: [], mcpServers: [] })).json.key;
  const list = (await admin(a, 'GET', `/keys?team=${team}`)).json.data as Array<{ id: string; name: string }>;
  const id = (n: string) => list.find((k) => k.name === n)!.id;
  expect((await admin(a, 'POST', `/keys/${id('revoked')}/revoke`)).json.status).toBe('revoked');
  expect((await admin(a, 'PATCH', `/keys/${id('expired')}`, { expiresAt: '2020-01-01T00:00:00Z' })).json.status).toBe('expired');
});
afterAll(async () => {
  await Promise.all([a?.stop(), b !== a ? b?.stop() : undefined]);
  await fixture?.stop();
});

const ROUTES: Array<[string, (gw: RunningGateway, key: string | null) => Promise<number>]> = [
  ['POST /v1/chat/completions', (gw, key) => call(gw, 'POST', '/v1/chat/completions', key, { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] })],
  ['POST /v1/embeddings', (gw, key) => call(gw, 'POST', '/v1/embeddings', key, { model: 'mock/echo', input: 'hi' })],
  ['GET /v1/models', (gw, key) => call(gw, 'GET', '/v1/models', key)],
  ['POST /mcp (initialize)', (gw, key) => call(gw, 'POST', '/mcp', key, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })],
  ['POST /mcp/fixture (initialize)', (gw, key) => call(gw, 'POST', '/mcp/fixture', key, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })],
];

async function call(gw: RunningGateway, method: string, path: string, key: string | null, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${gw.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  await res.body?.cancel();
  return res.status;
}

describe.each(ROUTES)('%s', (_name, hit) => {
  it.each([
    ['no key', null, 401],
    ['a bad key', 'sk-gw-not-a-real-key-000000', 401],
    ['a revoked key', 'revoked', 401],
    ['an expired key', 'expired', 401],
    ['a valid key', 'good', 200],
  ] as const)('%s → %i', async (_w, key, status) => {
    const k = key === null ? null : key in keys ? keys[key as keyof typeof keys] : key;
    expect(await hit(a, k)).toBe(status);
  });
});

describe('keys', () => {
  it('answers 403 for a valid key outside its rules, on both doors', async () => {
    expect(await ROUTES[0]![1](a, keys.narrow)).toBe(403);
    const mcp = await connect(`${a.url}/mcp`, { key: keys.narrow });
    expect((await mcp.listTools()).tools).toEqual([]);
    expect((await mcp.callTool({ name: 'fixture__echo', arguments: { text: 'x' } })).isError).toBe(true);
    await mcp.close();
  });

  it('refuses the legacy SSE endpoint without a key', async () => {
    const c = new Client({ name: 't', version: '1' });
    await expect(c.connect(new SSEClientTransport(new URL(`${a.url}/sse`)))).rejects.toThrow();
  });

  it('rotates: the new key works at once, the old one stops, on the other replica too', async () => {
    const created = await admin(a, 'POST', '/keys', { name: 'rotating' });
    const old = created.json.key as string;
    expect(await ROUTES[2]![1](b, old)).toBe(200); // cached on replica b now
    const rotated = await admin(a, 'POST', `/keys/${created.json.record.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.json.key).not.toBe(old);
    expect(await ROUTES[2]![1](a, rotated.json.key)).toBe(200);
    expect(await ROUTES[2]![1](a, old)).toBe(401);
    // Replica b learns of it through Redis; without Redis only after its cache TTL (10 min here), so skip then.
    if (process.env.REDIS_URL) await expect.poll(() => ROUTES[2]![1](b, old)).toBe(401);
  });

  it('never returns a key or its hash from lists', async () => {
    const res = await admin(a, 'GET', '/keys');
    const text = JSON.stringify(res.json);
    expect(text).not.toContain(keys.good);
    expect(text).not.toContain('sha256:');
  });

  it('refuses the admin API without the admin key', async () => {
    const res = await fetch(`${a.url}/admin/keys`, { headers: { authorization: `Bearer ${keys.good}` } });
    expect(res.status).toBe(401);
    expect((await fetch(`${a.url}/admin/openapi.json`)).status).toBe(401);
    expect((await fetch(`${a.url}/admin/openapi.json`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
  });

  it('creates, edits and revokes keys from the CLI', async () => {
    const out: string[] = [];
    const env = { DATABASE_URL: process.env.DATABASE_URL, GATEWAY_DATA_DIR: undefined };
    if (!env.DATABASE_URL) return; // the CLI opens the database itself: PGlite in memory is not shared with the test gateway
    expect(await runCli(['keys', 'create', '--name', 'from-cli', '--models', 'mock/*', '--rpm', '5', '--json'], (s) => out.push(s))).toBe(0);
    const created = JSON.parse(out.pop()!) as { key: string; record: { id: string; policy: { rateLimits: { requestsPerMinute: number } } } };
    expect(created.key).toMatch(/^sk-gw-[A-Za-z0-9]{32}$/);
    expect(created.record.policy.rateLimits.requestsPerMinute).toBe(5);
    expect(await ROUTES[2]![1](a, created.key)).toBe(200);
    // `keys set` replaces the rules it is given and keeps the others (the admin API's PATCH).
    expect(await runCli(['keys', 'set', created.record.id, '--models', 'other/*', '--tpm', '900', '--expires', '2031-01-01T00:00:00Z', '--json'], (s) => out.push(s))).toBe(0);
    const set = JSON.parse(out.pop()!) as { expiresAt: string; policy: { models: string[]; rateLimits: { tokensPerMinute: number; requestsPerMinute?: number } } };
    expect(set.policy.models).toEqual(['other/*']);
    expect(set.policy.rateLimits.tokensPerMinute).toBe(900);
    expect(set.expiresAt).toBe('2031-01-01T00:00:00.000Z');
    const chat = ROUTES[0]![1];
    if (process.env.REDIS_URL) await expect.poll(() => chat(a, created.key)).toBe(403);
    expect(await runCli(['keys', 'set', created.record.id], (s) => out.push(s))).toBe(1);
    expect(out.pop()).toMatch(/give at least one of/);
    expect(await runCli(['keys', 'set', created.record.id, '--expires', 'never', '--json'], (s) => out.push(s))).toBe(0);
    expect((JSON.parse(out.pop()!) as { expiresAt: string | null }).expiresAt).toBeNull();
    expect(await runCli(['keys', 'revoke', created.record.id], (s) => out.push(s))).toBe(0);
    expect(out.pop()).toContain('revoked');
    if (process.env.REDIS_URL) await expect.poll(() => ROUTES[2]![1](a, created.key)).toBe(401);
  });
});
