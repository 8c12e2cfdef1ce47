// Protocol 2026-07-28 on /mcp and /mcp/<id> beside 2025 sessions: the SDK v2 client discovers, lists, calls, and answers
// input_required rounds that the gateway makes out of an upstream's push-style elicitation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, startFixture, TEST_KEY, textOf, until, type Fixture } from '../helpers/mcp.js';

const REVISION = '2026-07-28';
let fixture: Fixture;
let gw: RunningGateway;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  fixture = await startFixture();
  gw = await startTestGateway({
    keys: KEYS,
    mcpServers: { fixture: { type: 'http', url: fixture.url } },
    virtualServers: { picked: { tools: ['fixture__echo', 'fixture__test_input_required_result_elicitation'] } },
  });
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
  await gw?.stop();
  await fixture?.stop();
});

const asked: unknown[] = [];

async function modernClient(path: string, capabilities: ClientCapabilities = { elicitation: { form: {} } }): Promise<Client> {
  const client = new Client({ name: 'modern-test', version: '1.0.0' }, { capabilities, versionNegotiation: { mode: 'auto' } });
  client.setRequestHandler('elicitation/create', async (req) => {
    asked.push(req.params);
    return { action: 'accept', content: { name: 'Ada', color: 'teal' } };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}${path}`), { requestInit: { headers: { authorization: `Bearer ${TEST_KEY}` } } }));
  open.push(client);
  return client;
}

/** One raw 2026-07-28 request, as the wire has it: the `_meta` envelope and the standard headers, no session. */
async function post(path: string, method: string, params: Record<string, unknown>, caps: ClientCapabilities = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const envelope = { 'io.modelcontextprotocol/protocolVersion': REVISION, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': caps };
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TEST_KEY}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': REVISION,
      'mcp-method': method,
      // SEP-2243: the name (or URI) the request acts on, mirrored for intermediaries.
      ...(typeof (params.name ?? params.uri) === 'string' ? { 'mcp-name': String(params.name ?? params.uri) } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: envelope } }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('protocol 2026-07-28', () => {
  it('discovers, lists and calls on federated /mcp with no session', async () => {
    const client = await modernClient('/mcp');
    expect(client.getNegotiatedProtocolVersion()).toBe(REVISION);
    expect(client.getServerVersion()?.name).toBe('mcp-agent-gateway');
    const discovered = await client.discover();
    expect(discovered.capabilities.tools).toBeDefined();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('fixture__echo');
    expect(textOf(await client.callTool({ name: 'fixture__echo', arguments: { text: 'hi' } }))).toBe('fixture: hi');
    const read = await client.readResource({ uri: 'fixture+test://static-text' });
    expect(read.contents[0]).toMatchObject({ uri: 'fixture+test://static-text' });
  });

  it('serves one upstream and a virtual server at /mcp/<id> with their own names', async () => {
    const one = await modernClient('/mcp/fixture');
    expect((await one.listTools()).tools.map((t) => t.name)).toContain('test_simple_text');
    expect(textOf(await one.callTool({ name: 'test_simple_text' }))).toBe('This is a simple text response for testing.');
    const picked = await modernClient('/mcp/picked');
    expect((await picked.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'test_input_required_result_elicitation']);
  });

  it('turns an upstream elicitation into an input_required round the client answers, on /mcp and /mcp/<id>', async () => {
    const federated = await modernClient('/mcp');
    const before = asked.length;
    const r = await federated.callTool({ name: 'fixture__test_input_required_result_elicitation' });
    expect(textOf(r)).toBe('Hello, Ada!');
    expect(asked[before]).toMatchObject({ message: 'What is your name?' });
    const picked = await modernClient('/mcp/picked');
    expect(textOf(await picked.callTool({ name: 'test_input_required_result_elicitation' }))).toBe('Hello, Ada!');
    // Two rounds, one after the other, on one call.
    const one = await modernClient('/mcp/fixture');
    expect(textOf(await one.callTool({ name: 'test_input_required_result_multi_round' }))).toBe('Ada likes teal');
  });

  it('on the wire: input_required names the ask by the upstream hint, a signed requestState resumes it, a tampered one is refused', async () => {
    const caps = { elicitation: {} };
    const first = await post('/mcp/fixture', 'tools/call', { name: 'test_input_required_result_request_state', arguments: {} }, caps);
    expect(first.status).toBe(200);
    expect(first.headers.get('mcp-session-id')).toBeNull();
    const round = first.body.result as { resultType: string; inputRequests: Record<string, { method: string }>; requestState: string };
    expect(round.resultType).toBe('input_required');
    expect(round.inputRequests.confirm?.method).toBe('elicitation/create');
    const tampered = await post('/mcp/fixture', 'tools/call', { name: 'test_input_required_result_request_state', arguments: {}, requestState: `${round.requestState}x`, inputResponses: { confirm: { action: 'accept', content: { ok: true } } } }, caps);
    expect(tampered.body).toMatchObject({ id: 7, error: { code: -32602 } });
    const done = await post('/mcp/fixture', 'tools/call', { name: 'test_input_required_result_request_state', arguments: {}, requestState: round.requestState, inputResponses: { confirm: { action: 'accept', content: { ok: true } } } }, caps);
    expect(done.body.result).toMatchObject({ content: [{ type: 'text', text: 'state-ok' }] });
  });

  it('answers -32021 with HTTP 400 when the upstream needs a capability the client did not declare', async () => {
    const r = await post('/mcp/fixture', 'tools/call', { name: 'test_missing_capability', arguments: {} });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ id: 7, error: { code: -32021, data: { requiredCapabilities: { sampling: {} } } } });
  });

  it('refuses the methods 2026-07-28 removed, and an unknown resource with -32602', async () => {
    const ping = await post('/mcp', 'ping', {});
    expect(ping.status).toBe(404);
    expect(ping.body).toMatchObject({ error: { code: -32601 } });
    const missing = await post('/mcp/fixture', 'resources/read', { uri: 'test://nope' });
    expect(missing.body).toMatchObject({ id: 7, error: { code: -32602 } });
  });

  it('leaves the null id out of the gateway’s own errors for a 2026-07-28 client', async () => {
    const res = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': REVISION }, body: '{}' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toMatchObject({ code: -32001 });
    expect('id' in body).toBe(false);
    // Refused before the MCP routes run (a bad x-session-id): the app's error handler leaves it out too, and keeps it for 2025.
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}`, 'x-session-id': 'x'.repeat(500) };
    const early = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-protocol-version': REVISION }, body: '{}' });
    expect(early.status).toBe(400);
    expect('id' in ((await early.json()) as object)).toBe(false);
    const legacy = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-protocol-version': '2025-11-25' }, body: '{}' });
    expect(await legacy.json()).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it('tells a listening client of list changes and of updates to the resources it listens for', async () => {
    const client = await modernClient('/mcp');
    const seen: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void seen.push('tools'));
    client.setNotificationHandler('notifications/resources/updated', (n) => void seen.push(`updated ${String(n.params.uri)}`));
    const sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: ['fixture+test://watched-resource'] });
    await client.callTool({ name: 'fixture__add_tool', arguments: { name: 'late_tool' } });
    await client.callTool({ name: 'fixture__touch_resource' });
    await until(() => seen.includes('tools') && seen.includes('updated fixture+test://watched-resource'), 'the listen stream to carry both');
    await sub.close();
  });

  it('keeps serving a 2025 session on the same endpoint', async () => {
    const legacy = await connect(`${gw.url}/mcp`);
    open.push(legacy);
    expect(legacy.getServerVersion()?.name).toBe('mcp-agent-gateway');
    expect(textOf(await legacy.callTool({ name: 'fixture__echo', arguments: { text: 'old' } }))).toBe('fixture: old');
  });

  it('applies a config reload to the next request: listeners hear list_changed, an added server is served, a removed route is gone', async () => {
    const client = await modernClient('/mcp');
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
    const sub = await client.listen({ toolsListChanged: true });
    const dir = mkdtempSync(join(tmpdir(), 'gw-mcp-2026-'));
    try {
      const path = join(dir, 'gateway.yaml');
      writeFileSync(path, `keys:\n  - id: k1\n    key: ${TEST_KEY}\nmcpServers:\n  fixture: { type: http, url: "${fixture.url}" }\n  again: { type: http, url: "${fixture.url}" }\n`);
      await gw.reloadConfig(path);
      await until(() => changed > 0, 'list_changed on the listen stream');
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('again__echo');
      expect((await post('/mcp/picked', 'tools/list', {})).status).toBe(404);
    } finally {
      await sub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
