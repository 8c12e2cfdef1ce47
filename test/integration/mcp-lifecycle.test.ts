// Upstream lifecycle: a stdio server that dies mid-call is restarted; a hanging call times out; a dead server degrades listing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAVAILABLE_META } from '../../src/mcp/inbound/listing.js';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, startFixture, stdioFixture, textOf, until, type Fixture } from '../helpers/mcp.js';

let fixture: Fixture;
let blackhole: Server;
let gw: RunningGateway;
let client: Client;

beforeAll(async () => {
  fixture = await startFixture();
  // Accepts connections and never answers: the "hangs" upstream.
  blackhole = createServer(() => undefined);
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  const deadUrl = `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}/mcp`;
  gw = await startTestGateway({
    keys: KEYS,
    mcp: { reconnectBaseMs: 50, reconnectMaxMs: 500 },
    mcpServers: {
      crashy: stdioFixture(),
      tight: { type: 'http', url: fixture.url, timeouts: { callMs: 300 } },
      dead: { type: 'http', url: deadUrl, timeouts: { connectMs: 300, listMs: 300 } },
    },
  });
  client = await connect(`${gw.url}/mcp`);
});
afterAll(async () => {
  await client?.close();
  await gw?.stop();
  blackhole?.closeAllConnections();
  blackhole?.close();
  await fixture?.stop();
});

describe('MCP upstream lifecycle', () => {
  it('lists the healthy servers and names the missing one', async () => {
    const res = await client.listTools();
    const names = res.tools.map((t) => t.name);
    expect(names).toContain('crashy__echo');
    expect(names).toContain('tight__echo');
    expect(names.some((n) => n.startsWith('dead__'))).toBe(false);
    const missing = (res._meta as Record<string, { server: string }[]>)[UNAVAILABLE_META]!;
    expect(missing.map((m) => m.server)).toEqual(['dead']);
  });

  it('turns a call to a dead server into an isError result', async () => {
    const r = await client.callTool({ name: 'dead__anything' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/dead/);
  });

  it('times out a hanging call with an isError result, and the server keeps serving', async () => {
    const r = await client.callTool({ name: 'tight__hang' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/did not answer/);
    expect(textOf(await client.callTool({ name: 'tight__echo', arguments: { text: 'still here' } }))).toBe('fixture: still here');
  });

  it('restarts a stdio server that dies mid-call; the call fails readably', async () => {
    const pid1 = textOf(await client.callTool({ name: 'crashy__pid' }));
    const r = await client.callTool({ name: 'crashy__die' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/crashy/);
    const pid2 = await until(async () => {
      const res = await client.callTool({ name: 'crashy__pid' });
      return res.isError ? null : textOf(res);
    }, 'crashy to come back');
    expect(pid2).not.toBe(pid1);
    const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as { mcp: Record<string, { state: string }> };
    expect(ready.mcp.crashy!.state).toBe('ready');
    expect(ready.mcp.dead!.state).not.toBe('ready');
  });
});
