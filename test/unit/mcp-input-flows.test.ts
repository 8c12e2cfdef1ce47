// Input flows: an upstream's push-style asks become 2026-07-28 input_required rounds, through the real SDK handler.
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayServer, relayHandler } from '../../src/mcp/sdk-adapter.js';
import { createInputFlows, type FlowRun, type InputFlows } from '../../src/mcp/inbound/input-flows.js';
import { INPUT_KEY_META } from '../../src/mcp/inbound/input-requests.js';
import { factsAuthInfo } from '../../src/mcp/inbound/request-facts.js';
import type { JsonObject } from '../../src/mcp/upstream/rpc.js';
import { until } from '../helpers/mcp.js';

type Call = (run: FlowRun) => Promise<JsonObject>;
interface Answer {
  status: number;
  result?: { resultType?: string; inputRequests?: Record<string, { method: string; params: JsonObject }>; requestState?: string; content?: unknown };
  error?: { code: number; data?: JsonObject };
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const principal = (keyId: string) => ({ keyId, teamId: null, key: null, team: null, metadata: {} });
const form = { type: 'object', properties: { name: { type: 'string' } } };
const elicit = (run: FlowRun, key?: string) =>
  run.caller.request({ method: 'elicitation/create', params: { message: 'Name?', requestedSchema: form, ...(key ? { _meta: { [INPUT_KEY_META]: key } } : {}) } }, new AbortController().signal);
const sample = (run: FlowRun) => run.caller.request({ method: 'sampling/createMessage', params: { messages: [], maxTokens: 5 } }, new AbortController().signal);
const accept = (content: JsonObject) => ({ action: 'accept', content });

/** A route whose tools/call runs `call` as an input flow; `send` posts one 2026-07-28 request as a given key. */
function harness(call: Call, opts: { ttlMs?: number } = {}) {
  const flows: InputFlows = createInputFlows({ ttlMs: opts.ttlMs ?? 60_000 });
  const handler = createMcpHandler(
    () => {
      const s = new RelayServer({ name: 't', version: '1' }, { capabilities: { tools: {} }, requestState: { verify: flows.verifier('r') } });
      relayHandler(s, 'tools/call', (p, ctx) => flows.serve('r', String(p.name), ctx, call));
      return s;
    },
    { legacy: 'reject' },
  );
  closers.push(() => flows.close(), () => handler.close());
  async function send(params: JsonObject, o: { caps?: JsonObject; key?: string } = {}): Promise<Answer> {
    const _meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': o.caps ?? { elicitation: {} } };
    const res = await handler.fetch(
      new Request('http://localhost/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 't' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: {}, ...params, _meta } }),
      }),
      { authInfo: factsAuthInfo({ requestId: 'req_1', principal: principal(o.key ?? 'k1') }) },
    );
    return { status: res.status, ...((await res.json()) as Omit<Answer, 'status'>) };
  }
  return { flows, send };
}

describe('input flows', () => {
  it('turns an ask into a round named by the upstream hint; the answer resumes the same upstream call', async () => {
    const { flows, send } = harness(async (run) => {
      const r = await elicit(run, 'user_name');
      return { content: [{ type: 'text', text: `Hello, ${String((r.content as JsonObject).name)}` }] };
    });
    const first = await send({});
    expect(first.result).toMatchObject({ resultType: 'input_required', inputRequests: { user_name: { method: 'elicitation/create', params: { message: 'Name?' } } } });
    expect(first.result!.inputRequests!.user_name!.params._meta).toBeUndefined();
    expect(flows.size()).toBe(1);
    const done = await send({ requestState: first.result!.requestState, inputResponses: { user_name: accept({ name: 'Ada' }) } });
    expect(done.result).toMatchObject({ content: [{ type: 'text', text: 'Hello, Ada' }] });
    expect(flows.size()).toBe(0);
  });

  it('puts asks made together in one round, names them <kind>_n or by a hint never reused, and re-asks what was not answered', async () => {
    const { send } = harness(async (run) => {
      const got = await Promise.all([elicit(run), elicit(run, 'same'), elicit(run, 'same')]);
      return { content: [{ type: 'text', text: got.map((g) => (g.content as JsonObject).name).join(',') }] };
    });
    const first = await send({});
    expect(Object.keys(first.result!.inputRequests!).sort()).toEqual(['elicitation_1', 'same', 'same_2']);
    const partial = await send({ requestState: first.result!.requestState, inputResponses: { elicitation_1: accept({ name: 'a' }), same_2: accept({ name: 'c' }) } });
    expect(Object.keys(partial.result!.inputRequests!)).toEqual(['same']);
    const done = await send({ requestState: partial.result!.requestState, inputResponses: { same: accept({ name: 'b' }) } });
    expect(done.result).toMatchObject({ content: [{ text: 'a,b,c' }] });
  });

  it('binds requestState to the caller: another key, a replayed round or a tampered state is refused with -32602', async () => {
    const { send } = harness(async (run) => {
      await elicit(run, 'k');
      await elicit(run, 'k2');
      return { content: [] };
    });
    const first = await send({});
    const state = first.result!.requestState!;
    const answers = { inputResponses: { k: accept({}) } };
    expect((await send({ requestState: state, ...answers }, { key: 'someone-else' })).error).toMatchObject({ code: -32602 });
    expect((await send({ requestState: `${state}x`, ...answers })).error).toMatchObject({ code: -32602 });
    const second = await send({ requestState: state, ...answers });
    expect(second.result?.inputRequests).toHaveProperty('k2');
    expect((await send({ requestState: state, ...answers })).error).toMatchObject({ code: -32602 });
  });

  it('refuses the upstream a capability the client lacks (-32021), and an upstream that fails on it answers -32021', async () => {
    const fallback = harness(async (run) => {
      const err = await sample(run).catch((e: { code?: number; data?: unknown }) => e);
      expect(err).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
      return { content: [{ type: 'text', text: 'fell back' }] };
    });
    expect((await fallback.send({})).result).toMatchObject({ content: [{ text: 'fell back' }] });
    const needs = harness(async (run) => ({ content: [{ type: 'text', text: JSON.stringify(await sample(run)) }] }));
    const refused = await needs.send({});
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
  });

  it('takes answers sent before the ask (a retry that knows the key) and completes in one round', async () => {
    const { send } = harness(async (run) => ({ content: [{ type: 'text', text: String(((await elicit(run, 'user_name')).content as JsonObject).name) }] }));
    const r = await send({ inputResponses: { user_name: accept({ name: 'Early' }), stray: accept({}) } });
    expect(r.result).toMatchObject({ content: [{ text: 'Early' }] });
    const invalid = await send({ inputResponses: { user_name: { action: 'maybe' } } });
    expect(invalid.result?.resultType).toBe('input_required');
  });

  it('cancels a flow the client never resumes: its ask fails upstream and the upstream call is aborted', async () => {
    let signal: AbortSignal | undefined;
    let askError: unknown;
    const { flows, send } = harness(
      async (run) => {
        signal = run.signal;
        await elicit(run, 'late').catch((e: unknown) => (askError = e));
        return { content: [] };
      },
      { ttlMs: 30 },
    );
    expect((await send({})).result?.resultType).toBe('input_required');
    await until(() => signal?.aborted, 'the flow to be cancelled');
    expect(askError).toMatchObject({ code: expect.any(Number) });
    expect(flows.size()).toBe(0);
  });
});
