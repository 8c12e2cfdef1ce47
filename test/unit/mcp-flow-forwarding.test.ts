// Input flows on two replicas: a retry that reaches the replica not holding the flow is forwarded to the one that does, through
// the real SDK handler on both sides; the holder checks the key again, and a holder that is gone reads as an expired state.
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { flowRemote, serveForwardedRounds } from '../../src/mcp/inbound/flow-relay.js';
import type { ForwardedRound } from '../../src/mcp/inbound/flow-rounds.js';
import { createInputFlows, type FlowRun, type InputFlows } from '../../src/mcp/inbound/input-flows.js';
import { INPUT_KEY_META } from '../../src/mcp/inbound/input-requests.js';
import { RelayRemoteError, RelayUnavailable, type ReplicaRelay } from '../../src/mcp/inbound/replica-relay.js';
import { factsAuthInfo } from '../../src/mcp/inbound/request-facts.js';
import { createLogger } from '../../src/log.js';
import { RelayServer, relayHandler } from '../../src/mcp/sdk-adapter.js';
import type { JsonObject } from '../../src/mcp/upstream/rpc.js';

const SECRET = 'shared-secret-of-both-replicas-0123456789';
const closers: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const principal = (keyId: string) => ({ keyId, teamId: null, key: null, team: null, metadata: {} });
const askName = async (run: FlowRun): Promise<JsonObject> => {
  const r = await run.caller.request({ method: 'elicitation/create', params: { message: 'Name?', requestedSchema: { type: 'object' }, _meta: { [INPUT_KEY_META]: 'name' } } }, new AbortController().signal);
  return { content: [{ type: 'text', text: `Hello, ${String((r.content as JsonObject).name)}` }] };
};

type Handler = (body: unknown, signal: AbortSignal) => Promise<unknown>;

/** The replica relay in process: bodies go through JSON, a missing replica is unreachable, errors come back as JSON-RPC has them. */
function memoryRelay(id: string, served: Map<string, Map<string, Handler>>, seen: unknown[]): ReplicaRelay {
  return {
    id,
    ready: Promise.resolve(),
    broadcast: async () => undefined,
    onBroadcast: () => undefined,
    async call(replica, topic, body, signal) {
      seen.push(body);
      const handler = served.get(replica)?.get(topic);
      if (!handler) throw new RelayUnavailable('unreachable', 'gone');
      try {
        return JSON.parse(JSON.stringify(await handler(JSON.parse(JSON.stringify(body)), signal ?? new AbortController().signal)));
      } catch (err) {
        const e = err as { code?: number; message: string; data?: unknown };
        throw new RelayRemoteError(Number.isSafeInteger(e.code) ? e.code! : -32603, e.message, e.data);
      }
    },
    serve(topic, fn) {
      if (!served.has(id)) served.set(id, new Map());
      served.get(id)!.set(topic, fn);
    },
    close: () => void served.delete(id),
  };
}

/** Replicas by id, each with its flows and SDK handler, joined by an in-process relay. */
function cluster(ids: string[]) {
  const replicas = new Map<string, { flows: InputFlows; relay: ReplicaRelay; send(params: JsonObject, key?: string): Promise<JsonObject> }>();
  const served = new Map<string, Map<string, Handler>>();
  const forwarded: ForwardedRound[] = [];
  for (const id of ids) {
    const relay = memoryRelay(id, served, forwarded);
    const flows = createInputFlows({ secret: SECRET, remote: flowRemote(relay, createLogger('silent')) });
    serveForwardedRounds(relay, flows);
    const handler = createMcpHandler(
      () => {
        const s = new RelayServer({ name: id, version: '1' }, { capabilities: { tools: {} }, requestState: { verify: flows.verifier('r') } });
        relayHandler(s, 'tools/call', (p, ctx) => flows.serve('r', String(p.name), ctx, askName));
        return s;
      },
      { legacy: 'reject' },
    );
    closers.push(() => flows.close(), () => handler.close());
    async function send(params: JsonObject, key = 'k1'): Promise<JsonObject> {
      const _meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
      const res = await handler.fetch(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 't' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: {}, ...params, _meta } }),
        }),
        { authInfo: factsAuthInfo({ requestId: 'req_1', principal: principal(key) }) },
      );
      return (await res.json()) as JsonObject;
    }
    replicas.set(id, { flows, relay, send });
  }
  return { replica: (id: string) => replicas.get(id)!, forwarded };
}

const answer = { name: { action: 'accept', content: { name: 'Ada' } } };

describe('input flows across replicas', () => {
  it('serves a retry on the replica holding the flow, wherever it arrived', async () => {
    const c = cluster(['a', 'b']);
    const first = (await c.replica('a').send({})).result as JsonObject;
    expect(first.resultType).toBe('input_required');
    const done = await c.replica('b').send({ requestState: first.requestState, inputResponses: answer });
    expect(done.result).toMatchObject({ content: [{ type: 'text', text: 'Hello, Ada' }] });
    expect(c.forwarded).toEqual([expect.objectContaining({ route: 'r', name: 't', method: 'tools/call', keyId: 'k1', caps: { elicitation: {} } })]);
    expect(c.replica('a').flows.size()).toBe(0);
  });

  it('refuses, on the holder too, a forwarded round under another key than the flow was started with', async () => {
    const c = cluster(['a', 'b']);
    const first = (await c.replica('a').send({})).result as JsonObject;
    // A retry without the answer: the holder asks again, in a second round.
    const again = (await c.replica('b').send({ requestState: first.requestState })).result as JsonObject;
    expect(again.resultType).toBe('input_required');
    const flow = c.forwarded[0] as ForwardedRound;
    const forged: ForwardedRound = { ...flow, keyId: 'k2', round: 2, inputResponses: answer };
    const holder = c.replica('a').flows;
    await expect(holder.serveForwarded(forged, new AbortController().signal)).rejects.toMatchObject({ code: -32602 });
    // The flow is still there for its own key.
    await expect(holder.serveForwarded({ ...forged, keyId: 'k1' }, new AbortController().signal)).resolves.toMatchObject({ content: [{ text: 'Hello, Ada' }] });
  });

  it('answers a retry whose holder is gone with the invalid-state error, as for an expired state', async () => {
    const c = cluster(['a', 'b']);
    const first = (await c.replica('a').send({})).result as JsonObject;
    c.replica('a').relay.close();
    const retry = await c.replica('b').send({ requestState: first.requestState, inputResponses: answer });
    expect(retry.error).toMatchObject({ code: -32602, data: { reason: 'invalid_request_state' } });
  });
});
