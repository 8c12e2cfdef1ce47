// POST /v1/messages end to end with the real Anthropic SDK: native pass-through to Anthropic, translation to OpenAI and the mock, errors, models.
import Anthropic from '@anthropic-ai/sdk';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { FAKE_THINKING } from '../fixtures/fake-upstream-anthropic.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, startFixture, textOf, type Fixture } from '../helpers/mcp.js';

const KEY = 'sk-gw-messages-door-0123456789';
const ADMIN = 'admin-key-for-messages-door-0123';
const UPSTREAM = { anthropic: 'sk-ant-upstream-messages-1', openai: 'sk-upstream-openai-messages-2' };
let fake: FakeUpstream;
let fixture: Fixture;
let gw: RunningGateway;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeUpstream();
  fixture = await startFixture();
  gw = await startTestGateway({
    auth: { adminKey: ADMIN },
    providers: {
      anthropic: { kind: 'anthropic', baseUrl: fake.url, apiKey: UPSTREAM.anthropic, models: ['claude-sonnet-4-5'] },
      openai: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: UPSTREAM.openai, models: ['gpt-4o-mini'] },
      mock: { kind: 'mock', models: ['echo'] },
    },
    models: {
      'claude-via-openai': { targets: [{ model: 'openai/gpt-4o-mini' }] },
      'claude-fallback': { strategy: 'fallback', targets: [{ model: 'anthropic/claude-fail-503' }, { model: 'openai/gpt-4o-mini' }], retry: { attempts: 0 } },
    },
    keys: [{ id: 'k-messages', key: KEY }],
    mcpServers: { fixture: { type: 'http', url: fixture.url } },
    audit: { flushIntervalMs: 50 },
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await fixture?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const weather = { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };
const TARGETS = [
  { name: 'anthropic (native)', model: 'anthropic/claude-sonnet-4-5', path: '/v1/messages' },
  { name: 'openai (translated)', model: 'claude-via-openai', path: '/v1/chat/completions' },
] as const;

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

async function frames(res: Response): Promise<Frame[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((f) => f.trim())
    .map((f) => {
      const event = /^event: (.*)$/m.exec(f)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(f)?.[1] ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

describe.each(TARGETS)('Messages through $name', ({ model, path }) => {
  it('answers messages.create with text, usage and the gateway headers, upstream on the gateway credentials', async () => {
    const { data, response } = await client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hello world' }] }).withResponse();
    expect(data.type).toBe('message');
    expect(data.content).toEqual([expect.objectContaining({ type: 'text', text: 'echo: hello world' })]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gateway-provider')).toBe(model.startsWith('anthropic') ? 'anthropic' : 'openai');
    const up = fake.requests.at(-1)!;
    expect(up.path).toBe(path);
    expect(JSON.stringify(up.headers)).not.toContain(KEY);
  });

  it('streams text with messages.stream in Anthropic event order', async () => {
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'one two three' }] });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    const final = await stream.finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'echo: one two three' })]);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types).toContain('content_block_start');
    expect(types.indexOf('content_block_stop')).toBeLessThan(types.indexOf('message_delta'));
  });

  it('returns tool_use (plain and streamed) and completes a tool_result round trip', async () => {
    const plain = await client.messages.create({ model, max_tokens: 64, tools: [weather], messages: [{ role: 'user', content: 'weather?' }] });
    expect(plain.stop_reason).toBe('tool_use');
    const use = plain.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });

    const streamed = await client.messages.stream({ model, max_tokens: 64, tools: [weather], messages: [{ role: 'user', content: 'weather?' }] }).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });

    const id = use!.type === 'tool_use' ? use!.id : '';
    const answer = await client.messages.create({
      model,
      max_tokens: 64,
      tools: [weather],
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: plain.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'sunny' }] },
      ],
    });
    expect(answer.content).toEqual([expect.objectContaining({ type: 'text', text: 'tool said: sunny' })]);
    if (path === '/v1/chat/completions') {
      const body = fake.requests.at(-1)!.body as { messages: Array<Record<string, unknown>> };
      expect(body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: id, content: 'sunny' });
    }
  });

  it('counts tokens without calling the upstream', async () => {
    const short = await client.messages.countTokens({ model, messages: [{ role: 'user', content: 'hi' }] });
    const long = await client.messages.countTokens({ model, system: 'be brief', tools: [weather], messages: [{ role: 'user', content: 'hi '.repeat(200) }] });
    expect(short.input_tokens).toBeGreaterThan(0);
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens + 150);
    expect(fake.requests).toHaveLength(0);
  });
});

/** What Claude Code sends: ?beta=true, betas, cached system blocks, tools, thinking, a signed thinking block in history, its session JSON. */
function claudeCodeBody(model: string, sessionId: string) {
  return {
    model,
    max_tokens: 32000,
    stream: true,
    system: [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Working directory: /repo', cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      { role: 'user', content: [{ type: 'text', text: '<system-reminder>ctx</system-reminder>' }, { type: 'text', text: 'list files', cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'I should list.', signature: 'EqQBCkYIARgCKkD-signed' }, { type: 'text', text: 'Listing.' }] },
      { role: 'user', content: 'and now the weather' },
    ],
    tools: [{ ...weather, cache_control: { type: 'ephemeral' } }],
    thinking: { type: 'enabled', budget_tokens: 1024 },
    metadata: { user_id: JSON.stringify({ device_id: 'dev-1', account_uuid: '', session_id: sessionId }) },
    context_management: { edits: [{ type: 'clear_thinking_20251015' }] },
  };
}

describe('a recorded Claude Code request', () => {
  const send = (body: unknown) =>
    fetch(`${gw.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' },
      body: JSON.stringify(body),
    });

  it('passes through to Anthropic unchanged but the model: unknown fields, cache_control, signatures, betas; thinking streams back', async () => {
    const session = randomUUID();
    const body = claudeCodeBody('anthropic/claude-sonnet-4-5', session);
    const res = await send(body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-session-id')).toBe(session);
    const fs = await frames(res);
    const up = fake.requests.at(-1)!;
    expect(up.path).toBe('/v1/messages');
    expect(up.body).toEqual({ ...body, model: 'claude-sonnet-4-5' });
    expect(up.headers['anthropic-beta']).toBe('claude-code-20250219,interleaved-thinking-2025-05-14');
    expect(up.headers['anthropic-version']).toBe('2023-06-01');
    expect(up.headers['x-api-key']).toBe(UPSTREAM.anthropic);
    expect(up.headers.authorization).toBeUndefined();
    const deltas = fs.filter((f) => f.event === 'content_block_delta').map((f) => f.data.delta as Record<string, unknown>);
    expect(deltas).toContainEqual({ type: 'thinking_delta', thinking: FAKE_THINKING });
    expect(deltas).toContainEqual({ type: 'signature_delta', signature: expect.stringMatching(/^sig_fake_/) });
    expect(fs.at(-1)?.event).toBe('message_stop');
  });

  it('is translated for an OpenAI target, and both calls land in the Claude Code session', async () => {
    const session = randomUUID();
    const res = await send(claudeCodeBody('claude-via-openai', session));
    expect(res.status).toBe(200);
    const fs = await frames(res);
    expect(fs.map((f) => f.event)).toEqual(expect.arrayContaining(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']));
    const start = fs.find((f) => f.event === 'content_block_start')!.data.content_block;
    expect(start).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    const up = fake.requests.at(-1)!;
    expect(up.path).toBe('/v1/chat/completions');
    const chat = up.body as { messages: Array<{ role: string; content: unknown }>; tools: unknown[]; max_completion_tokens: number };
    expect(chat.messages[0]).toEqual({ role: 'system', content: "You are Claude Code, Anthropic's official CLI for Claude.\nWorking directory: /repo" });
    expect(chat.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(JSON.stringify(chat)).not.toContain('signed');
    expect(chat.max_completion_tokens).toBe(32000);

    await send(claudeCodeBody('anthropic/claude-sonnet-4-5', session)).then((r) => r.text());
    await gw.deps.audit.flush();
    const got = await fetch(`${gw.url}/admin/sessions/${session}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const t = (await got.json()) as { events: Array<Record<string, unknown>> };
    expect(got.status, JSON.stringify(t)).toBe(200);
    expect(t.events.filter((e) => e.kind === 'model_call').map((e) => e['gen_ai.request.model'])).toEqual(['claude-via-openai', 'anthropic/claude-sonnet-4-5']);
  });
});

describe('aliases, fallbacks and the mock', () => {
  it('falls back from a failing Anthropic target to an OpenAI one within one Messages call', async () => {
    const res = await client.messages.create({ model: 'claude-fallback', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(res.data.content).toEqual([expect.objectContaining({ text: 'echo: hi' })]);
    expect(res.response.headers.get('x-gateway-provider')).toBe('openai');
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/messages', '/v1/chat/completions']);
  });

  it('runs an agent loop on the mock with an MCP tool: schema-valid arguments, tool result, answer', async () => {
    let mcp: Client | null = null;
    try {
      mcp = await connect(`${gw.url}/mcp`, { key: KEY });
      const listed = (await mcp.listTools()).tools.find((t) => t.name === 'fixture__echo')!;
      const tools = [{ name: listed.name, description: listed.description, input_schema: listed.inputSchema }];
      const first = await client.messages.create({ model: 'mock/echo', max_tokens: 64, tools, messages: [{ role: 'user', content: 'ping the fixture' }] });
      const use = first.content.find((b) => b.type === 'tool_use');
      expect(use).toMatchObject({ name: 'fixture__echo', input: { text: 'ping the fixture' } });
      const result = textOf(await mcp.callTool({ name: use!.type === 'tool_use' ? use!.name : '', arguments: use!.type === 'tool_use' ? (use!.input as Record<string, unknown>) : {} }));
      expect(result).toBe('fixture: ping the fixture');
      const final = await client.messages.stream({
        model: 'mock/echo',
        max_tokens: 64,
        tools,
        messages: [
          { role: 'user', content: 'ping the fixture' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.type === 'tool_use' ? use!.id : '', content: result }] },
        ],
      }).finalMessage();
      expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'tool said: fixture: ping the fixture' })]);
    } finally {
      await mcp?.close();
    }
  });
});

describe('errors and models in Anthropic shape', () => {
  it('answers a missing or bad key with 401 authentication_error', async () => {
    const bad = new Anthropic({ baseURL: gw.url, apiKey: 'sk-not-a-key', maxRetries: 0 });
    const err = await bad.messages.create({ model: 'mock/echo', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
    const none = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('answers an unknown model with 404 not_found_error, and a bad body with 400 invalid_request_error', async () => {
    const err = await client.messages.create({ model: 'nope/unknown', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' }, request_id: expect.stringMatching(/^req_/) });
    const bad = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: JSON.stringify({ model: 'mock/echo', messages: [] }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('lists models in Anthropic shape for Anthropic clients, and in OpenAI shape otherwise', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      expect(m).toMatchObject({ type: 'model', display_name: m.id, created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
      ids.push(m.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['anthropic/claude-sonnet-4-5', 'claude-via-openai', 'mock/echo']));
    const one = await client.models.retrieve('anthropic/claude-sonnet-4-5');
    expect(one.id).toBe('anthropic/claude-sonnet-4-5');
    const page = await (await fetch(`${gw.url}/v1/models?limit=1`, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } })).json() as { data: unknown[]; has_more: boolean; first_id: string };
    expect(page.data).toHaveLength(1);
    expect(page.has_more).toBe(true);
    const openai = await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json() as { object: string };
    expect(openai.object).toBe('list');
  });
});
