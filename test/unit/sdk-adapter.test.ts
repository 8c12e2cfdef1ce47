// Guards src/mcp/sdk-adapter.ts: fails when an MCP SDK upgrade removes or changes the internals it relies on.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { CallToolRequestSchema, CreateMessageRequestSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createMcpHandler, InMemoryTransport as V2InMemoryTransport, Server as V2Server, type JSONRPCMessage as V2Message } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { awaitsResponse, nextRequestId, rawRequestHandler, RelayServer, relayHandler, type RawExtra } from '../../src/mcp/sdk-adapter.js';
import { LooseResult } from '../../src/mcp/upstream/rpc.js';
import { until } from '../helpers/mcp.js';

const open: Array<Client | Server> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

/** A client and a server joined in memory; `sent` records every message the client puts on the wire. */
async function pair(setup: (server: Server, client: Client) => void = () => undefined) {
  const server = new Server({ name: 's', version: '1' }, { capabilities: { tools: {} } });
  const client = new Client({ name: 'c', version: '1' }, { capabilities: { sampling: {} } });
  setup(server, client);
  const [ct, st] = InMemoryTransport.createLinkedPair();
  const sent: JSONRPCMessage[] = [];
  const send = ct.send.bind(ct);
  ct.send = (m, o) => {
    sent.push(m);
    return send(m, o);
  };
  await Promise.all([server.connect(st), client.connect(ct)]);
  open.push(client, server);
  return { server, client, sent };
}

// Content of a type this SDK does not know: a newer upstream may send it, and the gateway must relay it as is.
const FUTURE = { content: [{ type: 'hologram', beam: 7 }], vendor: { x: 1 } };

describe('what the adapter reaches for still exists', () => {
  it('Protocol.prototype.setRequestHandler is a function, and a new Client has a numeric request counter', () => {
    expect(typeof Protocol.prototype.setRequestHandler).toBe('function');
    expect(nextRequestId(new Client({ name: 'c', version: '1' }))).toBe(0);
  });
});

describe('nextRequestId', () => {
  it('is the id the next request carries on the wire, and moves on by one', async () => {
    const { client, sent } = await pair();
    const id = nextRequestId(client);
    expect(id).toEqual(expect.any(Number));
    await client.request({ method: 'ping' }, LooseResult);
    const ping = sent.find((m) => 'method' in m && m.method === 'ping');
    expect(ping).toMatchObject({ id });
    expect(nextRequestId(client)).toBe(id! + 1);
  });
});

describe('rawRequestHandler', () => {
  it('on a Server: a tools/call result reaches the client unchanged, with the request and an abort signal', async () => {
    let seen: { req: unknown; extra: RawExtra } | null = null;
    const { client } = await pair((server) =>
      rawRequestHandler(server, CallToolRequestSchema, async (req, extra) => {
        seen = { req, extra };
        return FUTURE;
      }),
    );
    const res = await client.request({ method: 'tools/call', params: { name: 't', arguments: { a: 1 } } }, LooseResult);
    expect(res).toEqual(FUTURE);
    expect(seen!.req).toMatchObject({ method: 'tools/call', params: { name: 't', arguments: { a: 1 } } });
    expect(seen!.extra.signal).toBeInstanceOf(AbortSignal);
  });

  it('on a Client: a sampling result reaches the server unchanged', async () => {
    const result = { role: 'assistant', model: 'm', ...FUTURE, content: { type: 'hologram', beam: 7 } };
    const { server } = await pair((_s, client) => rawRequestHandler(client, CreateMessageRequestSchema, async () => result));
    const res = await server.request({ method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } }, LooseResult);
    expect(res).toEqual(result);
  });

  // Why the bypass exists. If this starts failing after an upgrade, the SDK stopped re-validating results: the raw
  // handler may no longer be needed (the adapter still works; consider dropping it).
  it('is needed: the public Server.setRequestHandler still rejects a result this SDK does not model', async () => {
    const { client } = await pair((server) => server.setRequestHandler(CallToolRequestSchema, async () => FUTURE as never));
    await expect(client.request({ method: 'tools/call', params: { name: 't' } }, LooseResult)).rejects.toThrow(/Invalid tools\/call result/);
  });
});

/** One tools/call through a v2 handler factory, on the modern revision or a stateless 2025 request; the result as the client reads it. */
async function callThrough(make: () => V2Server, modern: boolean): Promise<Record<string, unknown>> {
  const handler = createMcpHandler(make);
  const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': modern ? '2026-07-28' : '2025-11-25' };
  const res = await handler.fetch(
    new Request('http://localhost/mcp', {
      method: 'POST',
      headers: modern ? { ...headers, 'mcp-method': 'tools/call', 'mcp-name': 't' } : headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: {}, ...(modern ? { _meta: envelope } : {}) } }),
    }),
  );
  const text = await res.text();
  const json = text.startsWith('{') ? text : text.split('\n').find((l) => l.startsWith('data: '))!.slice(6);
  await handler.close();
  return (JSON.parse(json) as { result: Record<string, unknown> }).result;
}

// A text block with a vendor field and a content type no SDK models: a newer upstream may send both.
const RELAYED = { content: [{ type: 'text', text: 'x', vendorX: 1 }, { type: 'hologram', beam: 7 }], vendor: { x: 1 } };
const relayServer = () => {
  const s = new RelayServer({ name: 'r', version: '1' }, { capabilities: { tools: {} } });
  relayHandler(s, 'tools/call', async () => RELAYED);
  return s;
};

describe('RelayServer (v2)', () => {
  it.each([
    ['2026-07-28', true],
    ['2025-11-25', false],
  ])('relays a tools/call result as the upstream sent it (%s)', async (_rev, modern) => {
    const got = await callThrough(relayServer, modern);
    expect(got.content).toEqual(RELAYED.content);
    expect(got.vendor).toEqual(RELAYED.vendor);
  });

  // Why the override exists. If this starts failing after an upgrade, the v2 Server stopped re-validating tools/call
  // results: the override may no longer be needed.
  it('is needed: the plain v2 Server strips or refuses what its schema does not model', async () => {
    const plain = () => {
      const s = new V2Server({ name: 'p', version: '1' }, { capabilities: { tools: {} } });
      relayHandler(s, 'tools/call', async () => RELAYED);
      return s;
    };
    const got = await callThrough(plain, true).catch(() => null);
    expect(got?.content).not.toEqual(RELAYED.content);
  });
});

/** A RelayServer joined in memory to a bare peer that records what the server sends and can answer it. */
async function relayPeer() {
  const server = new RelayServer({ name: 'r', version: '1' }, { capabilities: { tools: {} } });
  const [peer, st] = V2InMemoryTransport.createLinkedPair();
  const sent: V2Message[] = [];
  peer.onmessage = (m) => void sent.push(m);
  await peer.start();
  await server.connect(st);
  return { server, peer, sent, close: () => server.close() };
}

describe('RelayServer ids of server→client requests and awaitsResponse', () => {
  it('starts ids at a random point below 2^31, so replicas serving one session hand out different ids', async () => {
    const one = await relayPeer();
    const two = await relayPeer();
    void one.server.request({ method: 'ping' }, LooseResult).catch(() => undefined);
    void two.server.request({ method: 'ping' }, LooseResult).catch(() => undefined);
    await until(() => one.sent.length > 0 && two.sent.length > 0, 'the pings on the wire');
    const [a, b] = [one.sent[0] as { id: number }, two.sent[0] as { id: number }];
    expect(a.id).toBeGreaterThan(0);
    expect(a.id).toBeLessThan(2 ** 31);
    expect(b.id).not.toBe(a.id);
    await one.close();
    await two.close();
  });

  it('tells whether the server waits for an answer with this id, until the answer came', async () => {
    const { server, peer, sent, close } = await relayPeer();
    const ping = server.request({ method: 'ping' }, LooseResult);
    await until(() => sent.length > 0, 'the ping on the wire');
    const { id } = sent[0] as { id: number };
    expect(awaitsResponse(server, id)).toBe(true);
    expect(awaitsResponse(server, String(id))).toBe(true);
    expect(awaitsResponse(server, id + 1)).toBe(false);
    expect(awaitsResponse(server, { id })).toBe(false);
    await peer.send({ jsonrpc: '2.0', id, result: {} });
    await expect(ping).resolves.toEqual({});
    expect(awaitsResponse(server, id)).toBe(false);
    await close();
  });
});
