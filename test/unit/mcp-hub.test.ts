// The hub against SDK McpServers over in-memory transports: listing, calls, and reconciling with a reloaded server set.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/log.js';
import { McpServerConfigSchema, McpSettingsSchema, type McpServerConfig } from '../../src/mcp/upstream/config-schema.js';
import { createHub, type Hub } from '../../src/mcp/upstream/hub.js';
import type { ListKind } from '../../src/mcp/upstream/lists.js';
import type { TransportFactory } from '../../src/mcp/upstream/transports.js';

const settings = McpSettingsSchema.parse({});
/** The URL is never dialled: it only tells two configs of one server apart. */
const server = (url: string): McpServerConfig => McpServerConfigSchema.parse({ url });

/** In-process upstreams: each connection gets a fresh McpServer whose echo tool names the server and its config. */
function upstreams() {
  const connections: Record<string, number> = {};
  const open = new Map<string, Set<McpServer>>();
  const transports: TransportFactory = (sid, cfg) => {
    const [client, side] = InMemoryTransport.createLinkedPair();
    const url = cfg.type === 'stdio' ? cfg.command : cfg.url;
    const mcp = new McpServer({ name: sid, version: '1.0.0' });
    mcp.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text: `${sid}@${url}: ${text}` }] }));
    connections[sid] = (connections[sid] ?? 0) + 1;
    const set = open.get(sid) ?? new Set();
    open.set(sid, set.add(mcp));
    mcp.server.onclose = () => void set.delete(mcp);
    void mcp.connect(side);
    return client;
  };
  return { transports, connections, openCount: (sid: string) => open.get(sid)?.size ?? 0 };
}

const echo = async (hub: Hub, sid: string, text: string) => {
  const res = await hub.request(sid, { method: 'tools/call', params: { name: 'echo', arguments: { text } } });
  return (res.content as { text: string }[])[0]!.text;
};

let hub: Hub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

function start(servers: Record<string, McpServerConfig>) {
  const u = upstreams();
  const h = createHub({ servers, settings, log: createLogger('silent'), transports: u.transports });
  const changed: Array<[string, ListKind[]]> = [];
  h.listen({ onListChanged: (sid, kinds) => void changed.push([sid, kinds]), onResourceUpdated: () => undefined });
  h.start();
  hub = h;
  return { hub: h, changed, ...u };
}

describe('hub over in-memory transports', () => {
  it('lists and calls an upstream server', async () => {
    const { hub } = start({ a: server('http://a.test/v1') });
    const tools = await hub.list('a', 'tools');
    expect(tools.map((t) => t.name)).toEqual(['echo']);
    expect(tools[0]!.inputSchema).toMatchObject({ type: 'object', properties: { text: { type: 'string' } } });
    expect(await echo(hub, 'a', 'hi')).toBe('a@http://a.test/v1: hi');
    expect(hub.health().a?.state).toBe('ready');
  });

  it('reports an unknown server as a rejected promise, not a throw, so one missing server cannot sink a listing', async () => {
    const { hub } = start({ a: server('http://a.test/v1') });
    const settled = await Promise.allSettled(['a', 'late'].map((sid) => hub.list(sid, 'tools')));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect(String((settled[1] as PromiseRejectedResult).reason.message)).toMatch(/Unknown MCP server "late"/);
  });

  it('reconciles: starts an added server, stops a removed one, restarts a changed one, leaves the rest alone', async () => {
    const { hub, changed, connections, openCount } = start({ a: server('http://a.test/v1'), b: server('http://b.test/v1') });
    expect(await echo(hub, 'a', 'x')).toBe('a@http://a.test/v1: x');
    expect(await echo(hub, 'b', 'x')).toBe('b@http://b.test/v1: x');
    changed.length = 0;

    const r = hub.reconcile({ b: server('http://b.test/v2'), c: server('http://c.test/v1') }, settings);
    expect({ added: r.added, removed: r.removed, restarted: r.restarted }).toEqual({ added: ['c'], removed: ['a'], restarted: ['b'] });
    // The map changed at once: a listing right after the reload already sees the new set.
    expect(hub.ids().sort()).toEqual(['b', 'c']);
    await r.closed;

    expect(openCount('a')).toBe(0); // the removed server's connection is gone, not left running
    expect(hub.has('a')).toBe(false);
    await expect(hub.list('a', 'tools')).rejects.toThrow(/Unknown MCP server "a"/);
    expect(await echo(hub, 'b', 'y')).toBe('b@http://b.test/v2: y');
    expect(connections.b).toBe(2);
    expect(openCount('b')).toBe(1);
    expect(await echo(hub, 'c', 'z')).toBe('c@http://c.test/v1: z');
    expect(changed.map(([sid]) => sid)).toEqual(expect.arrayContaining(['a', 'b']));

    const again = hub.reconcile({ b: server('http://b.test/v2'), c: server('http://c.test/v1') }, settings);
    expect({ added: again.added, removed: again.removed, restarted: again.restarted }).toEqual({ added: [], removed: [], restarted: [] });
    await again.closed;
    expect(connections).toEqual({ a: 1, b: 2, c: 1 });
    // A new tool pin is judged at the next listing: the connection stays.
    const pinned = hub.reconcile({ b: { ...server('http://b.test/v2'), pins: { lookup: 'a'.repeat(64) } }, c: server('http://c.test/v1') } as never, settings);
    expect(pinned.restarted).toEqual([]);
  });

  it('keeps a cached listing per server and drops it when that server restarts', async () => {
    const { hub, connections } = start({ a: server('http://a.test/v1') });
    // Coming up is itself a list change (clients hear it), so the cache counts from the ready connection on.
    await vi.waitFor(() => expect(hub.health().a?.state).toBe('ready'));
    const first = await hub.list('a', 'tools');
    expect(await hub.list('a', 'tools')).toBe(first);
    await hub.reconcile({ a: server('http://a.test/v2') }, settings).closed;
    const second = await hub.list('a', 'tools');
    expect(second).not.toBe(first);
    expect(connections.a).toBe(2);
  });
});
