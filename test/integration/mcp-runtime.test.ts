// MCP and the runtime snapshot: hot reload of mcpServers (add, remove, restart, list_changed, log) and the gateway's own request ids.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { requestLog } from '../../src/storage/schema.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, startFixture, TEST_KEY, textOf, until, type Fixture } from '../helpers/mcp.js';

let fixture: Fixture;
let gw: RunningGateway;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-mcp-reload-'));
  fixture = await startFixture();
  gw = await startTestGateway({ keys: KEYS, mcpServers: { early: { type: 'http', url: fixture.url } } });
});
afterAll(async () => {
  await gw?.stop();
  await fixture?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A gateway.yaml with these MCP servers (all the one fixture, under different ids) and the test key. */
function reloadWith(servers: Record<string, Record<string, unknown>>): void {
  const path = join(dir, 'gateway.yaml');
  const lines = [`keys:\n  - id: k1\n    key: ${TEST_KEY}`, 'mcpServers:'];
  for (const [id, extra] of Object.entries(servers)) {
    lines.push(`  ${id}:\n    type: http\n    url: ${fixture.url}`);
    for (const [k, v] of Object.entries(extra)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  expect(gw.reloadConfig(path)).toEqual({ ok: true });
}

const toolNames = async (c: Client) => (await c.listTools()).tools.map((t) => t.name);
const servers = (names: string[]) => [...new Set(names.map((n) => n.split('__')[0]))].sort();

describe('hot reload of mcpServers', () => {
  it('serves an added server to new and open sessions, stops a removed one, restarts a changed one, and logs what changed', async () => {
    const info = vi.spyOn(gw.deps.log, 'info');
    const open = await connect(`${gw.url}/mcp`);
    let changed = 0;
    open.setNotificationHandler(ToolListChangedNotificationSchema, async () => void changed++);
    expect(servers(await toolNames(open))).toEqual(['early']);

    reloadWith({ early: {}, late: {} });
    // A new session lists and calls the new server (it used to fail with -32602 Unknown MCP server "late").
    const fresh = await connect(`${gw.url}/mcp`);
    expect(servers(await toolNames(fresh))).toEqual(['early', 'late']);
    expect(textOf(await fresh.callTool({ name: 'late__echo', arguments: { text: 'hi' } }))).toBe('fixture: hi');
    // The open session hears list_changed and then sees the new server too.
    await until(() => changed > 0, 'tools/list_changed on the open session');
    expect(servers(await toolNames(open))).toEqual(['early', 'late']);
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ changes: { mcpServers: { added: ['late'] } } }), 'config reloaded');

    changed = 0;
    reloadWith({ late: {} });
    expect(gw.deps.hub.ids()).toEqual(['late']);
    expect(Object.keys(gw.deps.hub.health())).toEqual(['late']); // not left connected in the background
    await until(() => changed > 0, 'list_changed after a removal');
    expect(servers(await toolNames(open))).toEqual(['late']);
    const gone = await fresh.callTool({ name: 'early__echo', arguments: { text: 'x' } }).catch((e: Error) => e);
    expect(gone instanceof Error ? gone.message : textOf(gone)).toMatch(/Unknown tool: early__echo/);
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ changes: { mcpServers: { removed: ['early'] } } }), 'config reloaded');

    reloadWith({ late: { timeouts: { callMs: 30_000 } } });
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ changes: { mcpServers: { restarted: ['late'] } } }), 'config reloaded');
    expect(textOf(await open.callTool({ name: 'late__echo', arguments: { text: 'again' } }))).toBe('fixture: again');

    reloadWith({ late: { timeouts: { callMs: 30_000 } } });
    expect(info).toHaveBeenLastCalledWith(expect.objectContaining({ changes: {} }), 'config reloaded (no changes)');
    info.mockRestore();
    await open.close();
    await fresh.close();
  });
});

describe('request ids on MCP', () => {
  it("records the gateway's own request id (the x-request-id it answered with), never the client's header", async () => {
    const answered: Array<{ method: string; requestId: string | null }> = [];
    // Remembers, per JSON-RPC method, the x-request-id the gateway answered that HTTP request with.
    const spy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { method?: string }) : {};
      answered.push({ method: body.method ?? init?.method ?? 'GET', requestId: res.headers.get('x-request-id') });
      return res;
    };
    const client = new Client({ name: 'ids', version: '1' });
    const headers = { authorization: `Bearer ${TEST_KEY}`, 'x-request-id': 'spoofed-by-client', 'x-session-id': 'agent-run-7' };
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { fetch: spy, requestInit: { headers } }));
    const names = await toolNames(client);
    const tool = names.find((n) => n.endsWith('__echo'))!;
    expect(textOf(await client.callTool({ name: tool, arguments: { text: 'id?' } }))).toBe('fixture: id?');
    await client.close();

    // Every answer carries the gateway's id (streamed ones too), and the tools/call row is filed under that id.
    for (const a of answered) expect(a.requestId, a.method).toMatch(/^req_[0-9a-f]{32}$/);
    const call = answered.find((a) => a.method === 'tools/call')!;
    await gw.deps.requestLog.flush();
    const rows = await gw.deps.database.db.select().from(requestLog).where(eq(requestLog.requestId, call.requestId!));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: 'mcp.tools/call', sessionId: 'agent-run-7', keyId: 'k1' });
    const spoofed = await gw.deps.database.db.select().from(requestLog).where(eq(requestLog.requestId, 'spoofed-by-client'));
    expect(spoofed).toHaveLength(0);
  });
});
