// Every provider kind against the fake upstream over real HTTP, driven by the official openai SDK.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

let fake: FakeUpstream;
let gw: RunningGateway;
let client: OpenAI;

const KEYS = { openai: 'sk-upstream-openai-secret-1', compat: 'sk-upstream-compat-secret-2', azure: 'azure-secret-3', anthropic: 'sk-ant-upstream-4', gemini: 'AIzaUpstreamGeminiSecret5xxxxxxxxxxxx' };

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    providers: {
      openai: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: KEYS.openai },
      compat: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: KEYS.compat },
      azure: { kind: 'azure-openai', baseUrl: fake.url, apiKey: KEYS.azure, apiVersion: '2024-10-21', deployments: { 'gpt-4o': 'prod-4o' } },
      anthropic: { kind: 'anthropic', baseUrl: fake.url, apiKey: KEYS.anthropic },
      gemini: { kind: 'gemini', baseUrl: `${fake.url}/v1beta`, apiKey: KEYS.gemini },
    },
  });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-token-never-forwarded', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const weather = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const kinds = [
  { model: 'openai/gpt-4o-mini', path: '/v1/chat/completions', auth: ['authorization', `Bearer ${KEYS.openai}`] },
  { model: 'compat/llama-3', path: '/v1/chat/completions', auth: ['authorization', `Bearer ${KEYS.compat}`] },
  { model: 'azure/gpt-4o', path: '/openai/deployments/prod-4o/chat/completions', auth: ['api-key', KEYS.azure] },
  { model: 'anthropic/claude-sonnet-4-5', path: '/v1/messages', auth: ['x-api-key', KEYS.anthropic] },
  { model: 'gemini/gemini-2.5-flash', path: '/v1beta/models/gemini-2.5-flash:generateContent', auth: ['x-goog-api-key', KEYS.gemini] },
] as const;

describe.each(kinds)('$model', ({ model, path, auth }) => {
  it('answers a plain chat, with the provider credentials and never the client token upstream', async () => {
    const res = await client.chat.completions.create({ model, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello world' }] });
    expect(res.choices[0]?.message.content).toBe('echo: hello world');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    const req = fake.requests.at(-1)!;
    expect(req.path).toBe(path);
    expect(req.headers[auth[0]]).toBe(auth[1]);
    expect(JSON.stringify(req.headers)).not.toContain('client-token-never-forwarded');
  });

  it('streams in OpenAI framing with usage at the end when asked', async () => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'one two three' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: one two three');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('always asks the upstream for stream usage, and hides it when the client did not ask', async () => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.usage === undefined && c.choices.length > 0)).toBe(true);
    const body = fake.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } };
    if (path.endsWith('chat/completions')) expect(body.stream_options?.include_usage).toBe(true);
  });

  it('translates tool definitions and returns tool calls, plain and streamed', async () => {
    const res = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'weather?' }], tools: [weather] });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    expect(JSON.parse(call?.type === 'function' ? call.function.arguments : '{}')).toEqual({ city: 'Paris' });

    const final = await client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'weather?' }], tools: [weather] }).finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed?.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('sends a tool result back and gets the follow-up answer', async () => {
    const res = await client.chat.completions.create({
      model,
      tools: [weather],
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
    });
    expect(res.choices[0]?.message.content).toContain('21');
  });

  it('passes images in user content', async () => {
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    expect(res.choices[0]?.message.content).toBe('echo: what is this [images:1]');
  });
});

describe('parameters and embeddings', () => {
  it('passes n, stop, seed, max_completion_tokens, user, metadata and response_format to OpenAI unchanged', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false };
    const res = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'json please' }],
      n: 2, stop: ['END'], seed: 7, max_completion_tokens: 50, user: 'u-1', metadata: { team: 'a' },
      response_format: { type: 'json_schema', json_schema: { name: 'r', schema, strict: true } },
    });
    expect(res.choices).toHaveLength(2);
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ ok: true });
    const body = fake.requests.at(-1)!.body as Record<string, unknown>;
    expect(body).toMatchObject({ n: 2, stop: ['END'], seed: 7, max_completion_tokens: 50, user: 'u-1', metadata: { team: 'a' }, model: 'gpt-4o-mini' });
    expect((body.response_format as { json_schema: { schema: unknown } }).json_schema.schema).toEqual(schema);
  });

  it('maps max_tokens, stop and user to Anthropic and generation settings to Gemini', async () => {
    await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }], max_tokens: 33, stop: 'END', user: 'u-2' });
    expect(fake.requests.at(-1)!.body).toMatchObject({ max_tokens: 33, stop_sequences: ['END'], metadata: { user_id: 'u-2' } });
    await client.chat.completions.create({ model: 'gemini/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }], max_tokens: 44, seed: 3, n: 1 });
    expect(fake.requests.at(-1)!.body).toMatchObject({ generationConfig: { maxOutputTokens: 44, seed: 3 } });
  });

  it.each(['openai/text-embedding-3-small', 'compat/nomic', 'azure/emb', 'gemini/gemini-embedding-001'])('embeds with %s, base64 (SDK default) and float agree', async (model) => {
    const b64 = await client.embeddings.create({ model, input: ['alpha', 'beta'] });
    const floats = await client.embeddings.create({ model, input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(b64.data).toHaveLength(2);
    expect(b64.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(b64.data[1]!.embedding[0]).toBeCloseTo(floats.data[1]!.embedding[0]!, 5);
  });

  it('refuses embeddings on Anthropic with a clear 400', async () => {
    await expect(client.embeddings.create({ model: 'anthropic/claude-sonnet-4-5', input: 'x' })).rejects.toMatchObject({ status: 400, code: 'unsupported' });
  });
});
