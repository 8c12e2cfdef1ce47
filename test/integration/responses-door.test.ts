// The Responses door end to end with real clients: the openai SDK (create, stream, retrieve, delete, chaining), the AI SDK's default
// provider and an @openai/agents run with an MCP tool served by the gateway, through OpenAI (pass-through), Anthropic and mock targets.
import { createOpenAI } from '@ai-sdk/openai';
import { Agent, MCPServerStreamableHttp, OpenAIProvider, Runner } from '@openai/agents';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { startFixture, TEST_KEY, type Fixture } from '../helpers/mcp.js';

const OTHER_KEY = 'sk-gw-other-key-9876543210';
let fake: FakeUpstream;
let fixture: Fixture;
let gw: RunningGateway;
let client: OpenAI;
let other: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  fixture = await startFixture();
  gw = await startTestGateway({
    providers: {
      openai: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: 'sk-upstream-openai-1' },
      anthropic: { kind: 'anthropic', baseUrl: fake.url, apiKey: 'sk-ant-upstream-2' },
      mock: { kind: 'mock', models: ['echo'] },
    },
    keys: [
      { id: 'k1', key: TEST_KEY, models: ['*'], tools: ['fixture__test_simple_text'], mcpServers: ['*'] },
      { id: 'k2', key: OTHER_KEY, models: ['*'] },
    ],
    mcpServers: { fixture: { type: 'http', url: fixture.url } },
  });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
  other = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: OTHER_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await fixture?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const weather = { type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true };
const lastBody = (path: string) => fake.requests.filter((r) => r.path === path).at(-1)?.body as Record<string, unknown> | undefined;

describe('through an OpenAI target (pass-through)', () => {
  const model = 'openai/gpt-4o-mini';

  it('creates, retrieves and deletes a stored response; the upstream gets the body with store:false', async () => {
    const r = await client.responses.create({ model, input: 'hello world', metadata: { run: 'r1' }, ...({ future_field: { keep: true } } as object) });
    expect(r.output_text).toBe('echo: hello world');
    expect(r.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(r).toMatchObject({ store: true, status: 'completed', usage: { input_tokens: 2, output_tokens: 3 } });
    expect(lastBody('/v1/responses')).toEqual({ model: 'gpt-4o-mini', input: 'hello world', metadata: { run: 'r1' }, future_field: { keep: true }, store: false });

    const got = await client.responses.retrieve(r.id);
    expect(got.output_text).toBe('echo: hello world');
    expect(got.id).toBe(r.id);
    await expect(other.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.responses.delete(r.id)).rejects.toMatchObject({ status: 404 });

    const del = await fetch(`${gw.url}/v1/responses/${r.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_KEY}` } });
    expect(await del.json()).toEqual({ id: r.id, object: 'response', deleted: true });
    await expect(client.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
  });

  it('chains previous_response_id inside the key only, and store:false keeps nothing', async () => {
    const first = await client.responses.create({ model, input: 'first question', instructions: 'be brief' });
    const second = await client.responses.create({ model, input: 'second question', previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    const sent = lastBody('/v1/responses')!;
    expect(sent).not.toHaveProperty('previous_response_id');
    expect(sent.input).toEqual([
      { type: 'message', role: 'user', content: 'first question' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'echo: first question' }] },
      { type: 'message', role: 'user', content: 'second question' },
    ]);
    expect(sent).not.toHaveProperty('instructions');
    await expect(other.responses.create({ model, input: 'x', previous_response_id: first.id })).rejects.toMatchObject({ status: 404, param: 'previous_response_id' });

    const unstored = await client.responses.create({ model, input: 'forget me', store: false });
    expect(unstored).toMatchObject({ store: false });
    await expect(client.responses.retrieve(unstored.id)).rejects.toMatchObject({ status: 404 });
  });

  it('streams text with numbered events, and the streamed response is stored', async () => {
    const stream = client.responses.stream({ model, input: 'one two three' });
    const events: Array<{ type: string; sequence_number: number }> = [];
    for await (const e of stream) events.push(e);
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('echo: one two three');
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types).toContain('response.output_text.done');
    expect(types.at(-1)).toBe('response.completed');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect((await client.responses.retrieve(final.id)).output_text).toBe('echo: one two three');
  });

  it('streams a function call and completes the round trip with function_call_output', async () => {
    const stream = client.responses.stream({ model, input: 'weather in Paris?', tools: [weather] });
    let args = '';
    stream.on('response.function_call_arguments.delta', (e) => (args += e.delta));
    const final = await stream.finalResponse();
    const call = final.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(args).toBe('{"city":"Paris"}');
    const next = await client.responses.create({ model, previous_response_id: final.id, tools: [weather], input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: 'sunny' }] });
    expect(next.output_text).toBe('tool said: sunny');
  });

  it('reports an upstream failure mid-stream in-band, as an error the SDK throws', async () => {
    fake.fault({ path: '/v1/responses', streamErrorAt: 4 });
    const stream = client.responses.stream({ model, input: 'one two three' });
    await expect(stream.finalResponse()).rejects.toThrow(/stream failed/);
  });

  it('refuses hosted tools with a 400 naming the tool', async () => {
    await expect(client.responses.create({ model, input: 'search', tools: [{ type: 'web_search_preview' }] })).rejects.toMatchObject({ status: 400, param: 'tools[0].type', message: expect.stringContaining('web_search_preview') });
    await expect(client.responses.create({ model, input: 'x', tools: [{ type: 'mcp', server_label: 's', server_url: 'https://mcp.example', require_approval: 'never' }] })).rejects.toMatchObject({ status: 400, param: 'tools[0].type' });
    expect(fake.requests).toHaveLength(0);
  });

  it('passes a client-run custom tool (Codex apply_patch) to OpenAI unchanged; a translated target refuses it', async () => {
    const custom = { type: 'custom' as const, name: 'apply_patch', description: 'patch', format: { type: 'grammar' as const, syntax: 'lark' as const, definition: 'start: "x"' } };
    await client.responses.create({ model, input: 'patch it', tools: [custom] });
    expect(lastBody('/v1/responses')!.tools).toEqual([custom]);
    await expect(client.responses.create({ model: 'anthropic/claude-x', input: 'patch it', tools: [custom] })).rejects.toMatchObject({ status: 400, param: 'tools[0].type' });
  });
});

describe('through a translated target', () => {
  it('an Anthropic target answers plain and streamed calls, tools included', async () => {
    const r = await client.responses.create({ model: 'anthropic/claude-x', input: 'hello there', instructions: 'be brief' });
    expect(r.output_text).toBe('echo: hello there');
    expect(fake.requests.at(-1)?.path).toBe('/v1/messages');
    expect(lastBody('/v1/messages')).toMatchObject({ system: 'be brief' });

    const stream = client.responses.stream({ model: 'anthropic/claude-x', input: 'weather?', tools: [weather] });
    const final = await stream.finalResponse();
    const call = final.output.find((o) => o.type === 'function_call') as { call_id: string; arguments: string } | undefined;
    expect(JSON.parse(call!.arguments)).toEqual({ city: 'Paris' });
    const next = await client.responses.create({ model: 'anthropic/claude-x', previous_response_id: final.id, tools: [weather], input: [{ type: 'function_call_output', call_id: call!.call_id, output: 'sunny' }] });
    expect(next.output_text).toBe('tool said: sunny');
    expect((lastBody('/v1/messages')!.messages as unknown[]).length).toBe(3);
  });

  it('a mock target streams and reports usage', async () => {
    const final = await client.responses.stream({ model: 'mock/echo', input: 'ping pong' }).finalResponse();
    expect(final.output_text).toBe('echo: ping pong');
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
  });
});

describe('the AI SDK default openai() provider (Responses)', () => {
  it('runs a tool loop, then a second turn whose item references the gateway resolves', async () => {
    const sent: Array<Record<string, unknown>> = [];
    const recording: typeof fetch = async (url, init) => {
      if (typeof init?.body === 'string') sent.push(JSON.parse(init.body) as Record<string, unknown>);
      return fetch(url, init);
    };
    const openai = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, fetch: recording });
    const seen: unknown[] = [];
    const tools = {
      get_weather: tool({
        description: 'Weather for a city',
        inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
        execute: async (input) => {
          seen.push(input);
          return 'sunny';
        },
      }),
    };
    const r1 = await generateText({ model: openai('openai/gpt-4o-mini'), prompt: 'weather in Paris?', tools, stopWhen: stepCountIs(3) });
    expect(seen).toEqual([{ city: 'Paris' }]);
    expect(r1.text).toBe('tool said: sunny');
    expect(fake.requests.every((q) => q.path === '/v1/responses')).toBe(true);

    const r2 = await generateText({ model: openai('openai/gpt-4o-mini'), messages: [{ role: 'user', content: 'weather in Paris?' }, ...r1.response.messages, { role: 'user', content: 'thanks' }] });
    expect(r2.text).toBe('echo: thanks');
    // The client named the earlier answer by reference (it believes the server stored it); the upstream got the item itself.
    expect(sent.at(-1)!.input).toContainEqual({ type: 'item_reference', id: expect.stringMatching(/^msg_/) });
    const input = lastBody('/v1/responses')!.input as Array<Record<string, unknown>>;
    expect(input.some((i) => i.type === 'item_reference')).toBe(false);
    expect(input).toContainEqual({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'tool said: sunny' }] });
  });
});

describe('an @openai/agents run on its default Responses API', () => {
  it('calls an MCP tool served by the gateway and answers with its result', async () => {
    const mcp = new MCPServerStreamableHttp({ url: `${gw.url}/mcp`, name: 'gateway', requestInit: { headers: { authorization: `Bearer ${TEST_KEY}` } } });
    await mcp.connect();
    try {
      const runner = new Runner({ modelProvider: new OpenAIProvider({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY }), tracingDisabled: true });
      const agent = new Agent({ name: 'tester', instructions: 'Use the tool.', model: 'mock/echo', mcpServers: [mcp] });
      const result = await runner.run(agent, 'run the simple tool');
      expect(String(result.finalOutput)).toContain('This is a simple text response for testing.');
      expect(result.newItems.some((i) => i.type === 'tool_call_item')).toBe(true);
      const streamed = await runner.run(agent, 'run it streamed', { stream: true });
      for await (const _event of streamed) {
        // drained: the run advances as its events are read
      }
      await streamed.completed;
      expect(String(streamed.finalOutput)).toContain('This is a simple text response for testing.');
    } finally {
      await mcp.close();
    }
  });
});
