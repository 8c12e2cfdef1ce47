// Hot reload of MCP servers through a real gateway and gateway.yaml: add, remove (stdio process ends), change a URL, reject a bad entry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, startFixture, stdioFixture, TEST_KEY, textOf, until, type Fixture } from '../helpers/mcp.js';

let gw: RunningGateway;
let dir: string;
let a: Fixture;
let b: Fixture;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-mcp-hot-'));
  [a, b] = await Promise.all([startFixture(), startFixture()]);
  gw = await startTestGateway({ keys: KEYS, mcpServers: { early: stdioFixture() } });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Writes gateway.yaml with the test key and these MCP servers (given as YAML-ready objects) and reloads it. */
function write(servers: Record<string, Record<string, unknown>>, extra = ''): string {
  const path = join(dir, 'gateway.yaml');
  const lines = [`keys:\n  - id: k1\n    key: ${TEST_KEY}`, 'mcpServers:'];
  for (const [id, cfg] of Object.entries(servers)) {
    lines.push(`  ${id}:`);
    for (const [k, v] of Object.entries(cfg)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n${extra}`);
  return path;
}
const reload = (servers: Record<string, Record<string, unknown>>, extra = '') => gw.reloadConfig(write(servers, extra));

const toolNames = async (c: Client) => (await c.listTools()).tools.map((t) => t.name);
const serversOf = (names: string[]) => [...new Set(names.map((n) => n.split('__')[0]))].sort();
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Counts the list_changed notifications a client receives, per kind. */
function counting(c: Client) {
  const n = { tools: 0, prompts: 0, resources: 0 };
  c.setNotificationHandler(ToolListChangedNotificationSchema, async () => void n.tools++);
  c.setNotificationHandler(PromptListChangedNotificationSchema, async () => void n.prompts++);
  c.setNotificationHandler(ResourceListChangedNotificationSchema, async () => void n.resources++);
  return n;
}

describe('hot reload of MCP servers', () => {
  it('adds a stdio server for new and open sessions, then removes it: its process exits and its tools are gone', async () => {
    const info = vi.spyOn(gw.deps.log, 'info');
    const open = await connect(`${gw.url}/mcp`);
    const heard = counting(open);
    expect(serversOf(await toolNames(open))).toEqual(['early']);

    expect(reload({ early: stdioFixture(), late: stdioFixture() })).toEqual({ ok: true });
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ changes: { mcpServers: { added: ['late'] } } }), 'config reloaded');
    expect(gw.deps.hub.ids().sort()).toEqual(['early', 'late']);

    // A session opened after the reload lists the new server's tools and can call them.
    const fresh = await connect(`${gw.url}/mcp`);
    const listed = await fresh.listTools();
    expect(serversOf(listed.tools.map((t) => t.name))).toEqual(['early', 'late']);
    expect(listed._meta).toBeUndefined(); // no server reported unavailable
    expect(textOf(await fresh.callTool({ name: 'late__echo', arguments: { text: 'hi' } }))).toBe('fixture: hi');
    expect((await fresh.listPrompts()).prompts.some((p) => p.name.startsWith('late__'))).toBe(true);
    expect((await fresh.listResources()).resources.some((r) => r.uri.startsWith('late+'))).toBe(true);

    // The session that was already open is told every list changed, and then sees the new server.
    await until(() => heard.tools > 0 && heard.prompts > 0 && heard.resources > 0, 'list_changed for tools, prompts and resources');
    expect(serversOf(await toolNames(open))).toEqual(['early', 'late']);
    expect(textOf(await open.callTool({ name: 'late__echo', arguments: { text: 'open' } }))).toBe('fixture: open');

    const pid = Number(textOf(await open.callTool({ name: 'late__pid', arguments: {} })));
    expect(alive(pid)).toBe(true);
    heard.tools = 0;
    expect(reload({ early: stdioFixture() })).toEqual({ ok: true });
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ changes: { mcpServers: { removed: ['late'] } } }), 'config reloaded');
    expect(gw.deps.hub.ids()).toEqual(['early']);
    await until(() => !alive(pid), 'the removed stdio server to exit');
    await until(() => heard.tools > 0, 'list_changed after the removal');
    for (const c of [open, fresh]) expect(serversOf(await toolNames(c))).toEqual(['early']);
    const gone = await open.callTool({ name: 'late__echo', arguments: { text: 'x' } }).catch((e: Error) => e);
    expect(gone instanceof Error ? gone.message : textOf(gone)).toMatch(/Unknown tool: late__echo/);
    info.mockRestore();
    await Promise.all([open.close(), fresh.close()]);
  });

  it("reconnects a server whose URL changed, and open sessions' calls reach the new address", async () => {
    const info = vi.spyOn(gw.deps.log, 'info');
    expect(reload({ early: stdioFixture(), web: { type: 'http', url: a.url } })).toEqual({ ok: true });
    const open = await connect(`${gw.url}/mcp`);
    const heard = counting(open);
    expect(textOf(await open.callTool({ name: 'web__pid', arguments: {} }))).toBe(String(a.proc.pid));

    expect(reload({ early: stdioFixture(), web: { type: 'http', url: b.url } })).toEqual({ ok: true });
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ changes: { mcpServers: { restarted: ['web'] } } }), 'config reloaded');
    expect(textOf(await open.callTool({ name: 'web__pid', arguments: {} }))).toBe(String(b.proc.pid));
    await until(() => heard.tools > 0, 'list_changed after the restart');
    expect(serversOf(await toolNames(open))).toEqual(['early', 'web']);
    info.mockRestore();
    await open.close();
  });

  it('tells a legacy HTTP+SSE session once per kind and serves it the added server', async () => {
    expect(reload({ early: stdioFixture() })).toEqual({ ok: true });
    const sse = new Client({ name: 'legacy', version: '1' });
    await sse.connect(new SSEClientTransport(new URL(`${gw.url}/sse`), { requestInit: { headers: { authorization: `Bearer ${TEST_KEY}` } } }));
    const heard = counting(sse);
    expect(serversOf(await toolNames(sse))).toEqual(['early']);

    expect(reload({ early: stdioFixture(), web: { type: 'http', url: a.url } })).toEqual({ ok: true });
    // Two rounds: the new view at the reload, then the new server's catalog once it is connected.
    await until(() => heard.tools >= 2 && heard.prompts >= 2, 'list_changed at the reload and when the server came up');
    expect(serversOf(await toolNames(sse))).toEqual(['early', 'web']);
    expect(textOf(await sse.callTool({ name: 'web__echo', arguments: { text: 'legacy' } }))).toBe('fixture: legacy');
    expect(heard.resources).toBe(heard.tools); // resources and their templates changed together: one notification, not two
    await sse.close();
  });

  it('rejects a bad server entry like any bad edit: the error names the field and the old servers keep serving', async () => {
    expect(reload({ early: stdioFixture(), web: { type: 'http', url: a.url } })).toEqual({ ok: true });
    const before = gw.deps.hub.ids().sort();
    const error = vi.spyOn(gw.deps.log, 'error');
    const bad: Array<[Record<string, Record<string, unknown>>, string, RegExp]> = [
      [{ early: stdioFixture(), web: { type: 'http', url: a.url }, late: { type: 'http' } }, '', /mcpServers\.late\.url/],
      [{ early: stdioFixture(), web: { type: 'http', url: 'not a url' } }, '', /mcpServers\.web\.url/],
      [{ early: stdioFixture(), web: { type: 'http', url: a.url }, 'bad_id': { type: 'http', url: a.url } }, '', /mcpServers\.bad_id/],
      [{ early: { type: 'stdio', command: '' } }, '', /mcpServers\.early\.command/],
      [{ early: stdioFixture(), web: { type: 'http', url: a.url } }, 'virtualServers:\n  web:\n    tools: [early__echo]\n', /virtualServers\.web/],
    ];
    for (const [servers, extra, field] of bad) {
      const r = reload(servers, extra);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.error).toMatch(field);
      expect(error).toHaveBeenLastCalledWith(expect.objectContaining({ error: expect.stringMatching(field) }), 'config reload rejected; the previous config keeps serving');
    }
    expect(gw.deps.hub.ids().sort()).toEqual(before);
    expect(gw.deps.runtime.catalog.servers.sort()).toEqual(before);
    const c = await connect(`${gw.url}/mcp`);
    expect(serversOf(await toolNames(c))).toEqual(['early', 'web']);
    expect(textOf(await c.callTool({ name: 'web__echo', arguments: { text: 'still' } }))).toBe('fixture: still');
    error.mockRestore();
    await c.close();
  });
});
