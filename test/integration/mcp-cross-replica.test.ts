// Two replicas behind a balancer without stickiness (Redis shared): the answer to a sampling or elicitation request, or the
// retry of a 2026-07-28 input_required round, lands on the replica that does not hold the call and is relayed to the one that does.
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, startFixture, textOf, until, type Fixture } from '../helpers/mcp.js';

const KEYS = [
  { id: 'k1', key: 'sk-gw-replica-key-one-0123456789' },
  { id: 'k2', key: 'sk-gw-replica-key-two-0123456789' },
];
const [K1, K2] = [KEYS[0]!.key, KEYS[1]!.key];
// One admin key on every replica: 2026-07-28 requestState keys derive from it, so each replica verifies the others' states.
const ADMIN = 'replica-admin-key-0123456789abcdef';
const REVISION = '2026-07-28';

type Json = Record<string, any>;
/** Where each POST went: the replica's index, what it carried, and the status it got. */
interface Hop {
  to: number;
  message: Json | null;
  status: number;
}
/** Picks a replica for a POST's JSON-RPC message (undefined: take turns). */
type Route = (message: Json | null) => number | undefined;

/** A transport fetch that sends each request to the replica `route` picks, as a round-robin balancer would send it somewhere. */
function balancer(urls: () => string[], route: Route, hops: Hop[]): typeof fetch {
  let turn = 0;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    let message: Json | null = null;
    if (typeof init?.body === 'string') {
      try {
        message = JSON.parse(init.body) as Json;
      } catch {
        message = null;
      }
    }
    const to = route(message) ?? turn++ % urls().length;
    const target = new URL(urls()[to]!);
    url.host = target.host;
    const res = await fetch(url, init);
    if ((init?.method ?? 'GET') === 'POST') hops.push({ to, message, status: res.status });
    return res;
  };
}

const isAnswer = (m: Json | null) => !!m && !('method' in m) && 'id' in m;

describe.runIf(process.env.REDIS_URL)('MCP across replicas without sticky sessions (needs REDIS_URL: replicas relay through Redis pub/sub)', () => {
  let fixture: Fixture;
  const gateways: RunningGateway[] = [];
  const open: { close(): Promise<void> }[] = [];
  let a: RunningGateway;
  let b: RunningGateway;

  const start = async () => {
    const gw = await startTestGateway({
      keys: KEYS,
      auth: { adminKey: ADMIN },
      mcpServers: { fixture: { type: 'http', url: fixture.url } },
      storage: { redisUrl: process.env.REDIS_URL },
      server: { shutdownGraceMs: 500 },
    });
    gateways.push(gw);
    return gw;
  };

  beforeAll(async () => {
    fixture = await startFixture();
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
    for (const gw of gateways) await gw.stop();
    await fixture?.stop();
  });

  /** A 2025 client whose calls go to `holder` and whose answers to server→client requests (and cancellations) go to the other replica. */
  async function legacyClient(holder: () => RunningGateway, other: () => RunningGateway, hops: Hop[], key = K1): Promise<Client> {
    const urls = () => [`${holder().url}/mcp`, `${other().url}/mcp`];
    const route: Route = (m) => (m?.method === 'tools/call' && m.params?.name !== 'fixture__get_cancellations' ? 0 : isAnswer(m) || m?.method === 'notifications/cancelled' ? 1 : undefined);
    const client = await connect(urls()[0]!, { key, capabilities: { sampling: {}, elicitation: { form: {} } }, fetch: balancer(urls, route, hops) });
    open.push(client);
    return client;
  }

  describe('2025 sessions: answers to server→client requests', () => {
    it('relays a sampling answer that reached the other replica to the call waiting for it', async () => {
      const hops: Hop[] = [];
      const client = await legacyClient(() => a, () => b, hops);
      client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        const first = req.params.messages[0]?.content as { text?: string };
        return { role: 'assistant', content: { type: 'text', text: `sampled(${first.text})` }, model: 'test-model', stopReason: 'endTurn' };
      });
      const r = await client.callTool({ name: 'fixture__test_sampling', arguments: { prompt: 'two plus two' } });
      expect(textOf(r)).toBe('LLM response: sampled(two plus two)');
      // The call went to one replica and its sampling answer to the other, which accepted it as the transport would.
      expect(hops.find((h) => h.message?.method === 'tools/call')?.to).toBe(0);
      expect(hops.filter((h) => isAnswer(h.message))).toEqual([expect.objectContaining({ to: 1, status: 202 })]);
    });

    it('relays an elicitation answer the same way, and a second call on the session still works', async () => {
      const hops: Hop[] = [];
      const client = await legacyClient(() => b, () => a, hops);
      client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { username: 'ada', email: 'ada@example.com' } }));
      const r = await client.callTool({ name: 'fixture__test_elicitation', arguments: { message: 'who are you?' } });
      expect(textOf(r)).toContain('"username":"ada"');
      expect(hops.filter((h) => isAnswer(h.message)).map((h) => h.to)).toEqual([1]);
      expect(textOf(await client.callTool({ name: 'fixture__echo', arguments: { text: 'again' } }))).toBe('fixture: again');
    });

    it("relays the client's cancellation to the replica running the call, which cancels it upstream", async () => {
      const hops: Hop[] = [];
      const client = await legacyClient(() => a, () => b, hops);
      const cancellations = async () => (JSON.parse(textOf(await client.callTool({ name: 'fixture__get_cancellations' }))) as string[]).length;
      const before = await cancellations();
      const ac = new AbortController();
      const route = (m: Json | null) => m?.method === 'notifications/cancelled';
      const call = client.callTool({ name: 'fixture__slow', arguments: { ms: 30_000 } }, undefined, { signal: ac.signal, onprogress: () => ac.abort('test cancel') });
      await expect(call).rejects.toThrow();
      await until(async () => (await cancellations()) > before, 'the fixture to see the cancellation');
      expect(hops.filter((h) => route(h.message)).map((h) => [h.to, h.status])).toEqual([[1, 202]]);
    });

    it('never relays across keys: another key cannot answer for the session, on the HTTP side or on the Redis side', async () => {
      const hops: Hop[] = [];
      const client = await legacyClient(() => a, () => b, hops);
      const transport = client.transport as { sessionId?: string };
      const forged: number[] = [];
      const publisher = new Redis(process.env.REDIS_URL!);
      client.setRequestHandler(CreateMessageRequestSchema, async (_req, extra) => {
        const fake = { jsonrpc: '2.0', id: extra.requestId, result: { role: 'assistant', content: { type: 'text', text: 'forged' }, model: 'x' } };
        // The other key posts an answer naming this session: the session is not found for it.
        const res = await fetch(`${b.url}/mcp`, {
          method: 'POST',
          headers: { authorization: `Bearer ${K2}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' },
          body: JSON.stringify(fake),
        });
        forged.push(res.status);
        // A relayed message naming the session under another key is dropped by the replica holding it.
        const cast = { t: 'cast', from: 'intruder', topic: 'session-answers', body: { sessionId: transport.sessionId, keyId: 'k2', route: '', messages: [fake] } };
        forged.push(await publisher.publish('gw:mcp:relay:all', JSON.stringify(cast)));
        return { role: 'assistant', content: { type: 'text', text: 'genuine' }, model: 'test-model', stopReason: 'endTurn' };
      });
      try {
        const r = await client.callTool({ name: 'fixture__test_sampling', arguments: { prompt: 'q' } });
        expect(textOf(r)).toBe('LLM response: genuine');
        expect(forged[0]).toBe(404);
        expect(forged[1]).toBeGreaterThanOrEqual(2);
      } finally {
        publisher.disconnect();
      }
    });
  });

  describe('2026-07-28: input_required retries', () => {
    /** A modern client whose first call goes to replica 0 and whose retries (with requestState) go to replica 1. */
    async function modernClient(urls: () => string[], hops: Hop[]): Promise<ModernClient> {
      const client = new ModernClient({ name: 'replica-test', version: '1.0.0' }, { capabilities: { elicitation: { form: {} }, sampling: {} }, versionNegotiation: { mode: 'auto' } });
      client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada', color: 'teal' } }));
      client.setRequestHandler('sampling/createMessage', async () => ({ role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model' }));
      const route: Route = (m) => (m?.method !== 'tools/call' ? undefined : m.params?.requestState ? 1 : 0);
      await client.connect(new ModernTransport(new URL(urls()[0]!), { requestInit: { headers: { authorization: `Bearer ${K1}` } }, fetch: balancer(urls, route, hops) }));
      open.push(client);
      return client;
    }
    const retries = (hops: Hop[]) => hops.filter((h) => h.message?.method === 'tools/call' && h.message.params?.requestState);

    it('forwards a retry that reached the other replica to the one holding the upstream call (elicitation, sampling, two rounds)', async () => {
      const hops: Hop[] = [];
      const client = await modernClient(() => [`${a.url}/mcp`, `${b.url}/mcp`], hops);
      expect(client.getNegotiatedProtocolVersion()).toBe(REVISION);
      expect(textOf(await client.callTool({ name: 'fixture__test_input_required_result_elicitation' }))).toBe('Hello, Ada!');
      expect(textOf(await client.callTool({ name: 'fixture__test_input_required_result_sampling' }))).toBe('Sampling said: Paris');
      expect(textOf(await client.callTool({ name: 'fixture__test_input_required_result_multi_round' }))).toBe('Ada likes teal');
      // Four retries (one per round), every one served by the replica that did not start the call.
      expect(retries(hops).map((h) => [h.to, h.status])).toEqual([
        [1, 200],
        [1, 200],
        [1, 200],
        [1, 200],
      ]);
    });

    /** One raw 2026-07-28 tools/call, as the wire has it. */
    async function post(gw: RunningGateway, params: Json, key = K1): Promise<Json> {
      const envelope = { 'io.modelcontextprotocol/protocolVersion': REVISION, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
      const res = await fetch(`${gw.url}/mcp/fixture`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': REVISION, 'mcp-method': 'tools/call', 'mcp-name': String(params.name) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { arguments: {}, ...params, _meta: envelope } }),
      });
      return (await res.json()) as Json;
    }
    const TOOL = 'test_input_required_result_request_state';
    const confirm = { confirm: { action: 'accept', content: { ok: true } } };

    it("refuses a forwarded retry under another key, like a local one: the state is bound to the caller's key", async () => {
      const first = await post(a, { name: TOOL });
      const state = first.result.requestState as string;
      expect((await post(b, { name: TOOL, requestState: state, inputResponses: confirm }, K2)).error).toMatchObject({ code: -32602 });
      // The flow is untouched: its key still resumes it, through the other replica.
      expect((await post(b, { name: TOOL, requestState: state, inputResponses: confirm })).result).toMatchObject({ content: [{ type: 'text', text: 'state-ok' }] });
    });

    it('fails cleanly with an expired requestState when the replica holding the flow has stopped', async () => {
      const c = await start();
      const first = await post(c, { name: TOOL });
      expect(first.result).toMatchObject({ resultType: 'input_required' });
      await c.stop();
      const retry = await post(b, { name: TOOL, requestState: first.result.requestState, inputResponses: confirm });
      expect(retry).toMatchObject({ id: 7, error: { code: -32602, data: { reason: 'invalid_request_state' } } });
    });
  });

  it('2025: an answer meant for a replica that has stopped is accepted by the other at once, and the session goes on there', async () => {
    const c = await start();
    let holder = c;
    const hops: Hop[] = [];
    const client = await legacyClient(() => holder, () => b, hops);
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      await c.stop();
      return { role: 'assistant', content: { type: 'text', text: 'late' }, model: 'test-model', stopReason: 'endTurn' };
    });
    const call = client.callTool({ name: 'fixture__test_sampling', arguments: { prompt: 'q' } }).then(
      () => 'answered',
      () => 'failed',
    );
    const answer = await until(() => hops.find((h) => isAnswer(h.message)), 'the client to answer the sampling request');
    expect(answer).toMatchObject({ to: 1, status: 202 });
    // The balancer now sends everything to the live replica, which rebuilds the session from Redis.
    holder = b;
    expect(textOf(await client.callTool({ name: 'fixture__echo', arguments: { text: 'still here' } }))).toBe('fixture: still here');
    // The call's stream lived on the stopped replica: nobody can finish it, and closing the client ends it.
    await client.close();
    expect(await call).toBe('failed');
  });
});
