// Unit tests for the Anthropic adapter's request, response and stream translation (no HTTP).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { SseEvent } from '../../src/openai/sse.js';
import { ChatRequestSchema, type ChatRequest } from '../../src/openai/schemas.js';
import type { ChatCompletionChunk } from '../../src/openai/types.js';
import { createAnthropicProvider } from '../../src/providers/anthropic.js';
import { toAnthropicRequest } from '../../src/providers/anthropic-request.js';
import { toChatCompletion } from '../../src/providers/anthropic-response.js';
import { translateAnthropicStream } from '../../src/providers/anthropic-stream.js';
import type { AnthropicMessage } from '../../src/providers/anthropic-types.js';
import { ProviderConfigSchema } from '../../src/config.js';

const opts = { model: 'claude-x', defaultMaxTokens: 4096, stream: false };
const chat = (extra: Record<string, unknown>): ChatRequest =>
  ChatRequestSchema.parse({ model: 'anthropic/claude-x', messages: [{ role: 'user', content: 'hi' }], ...extra });
const hi = { role: 'user', content: [{ type: 'text', text: 'hi' }] };

describe('toAnthropicRequest', () => {
  const cases: Array<{ name: string; req: Record<string, unknown>; want: Record<string, unknown> }> = [
    { name: 'minimal request uses defaultMaxTokens', req: {}, want: { model: 'claude-x', max_tokens: 4096, messages: [hi] } },
    { name: 'max_completion_tokens wins over max_tokens', req: { max_tokens: 10, max_completion_tokens: 20 }, want: { max_tokens: 20 } },
    { name: 'max_tokens', req: { max_tokens: 10 }, want: { max_tokens: 10 } },
    {
      name: 'system and developer messages join into system',
      req: {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'developer', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
          { role: 'user', content: 'hi' },
        ],
      },
      want: { system: 'be brief\n\na\nb', messages: [hi] },
    },
    {
      name: 'images: data URL → base64, http URL → url',
      req: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0' } },
              { type: 'image_url', image_url: { url: 'https://x.test/cat.jpg', detail: 'high' } },
            ],
          },
        ],
      },
      want: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0' } },
              { type: 'image', source: { type: 'url', url: 'https://x.test/cat.jpg' } },
            ],
          },
        ],
      },
    },
    {
      name: 'tool calls, merged tool results, merged user turns',
      req: {
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'user', content: 'in Paris and Rome' },
          {
            role: 'assistant',
            content: 'checking',
            tool_calls: [
              { id: 't1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } },
              { id: 't2', type: 'function', function: { name: 'w', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 't1', content: 'sunny' },
          { role: 'tool', tool_call_id: 't2', content: [{ type: 'text', text: 'rain' }] },
          { role: 'user', content: 'thanks' },
        ],
      },
      want: {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'text', text: 'in Paris and Rome' }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'checking' },
              { type: 'tool_use', id: 't1', name: 'w', input: { city: 'Paris' } },
              { type: 'tool_use', id: 't2', name: 'w', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
              { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'rain' }] },
              { type: 'text', text: 'thanks' },
            ],
          },
        ],
      },
    },
    {
      name: 'tools with default schema, tool_choice required, no parallel calls',
      req: {
        tools: [
          { type: 'function', function: { name: 'a', description: 'A', parameters: { type: 'object', properties: {} } } },
          { type: 'function', function: { name: 'b' } },
        ],
        tool_choice: 'required',
        parallel_tool_calls: false,
      },
      want: {
        tools: [
          { name: 'a', description: 'A', input_schema: { type: 'object', properties: {} } },
          { name: 'b', input_schema: { type: 'object' } },
        ],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      },
    },
    ...(
      [
        ['auto', { type: 'auto' }],
        ['none', { type: 'none' }],
        [{ type: 'function', function: { name: 'b' } }, { type: 'tool', name: 'b' }],
      ] as const
    ).map(([choice, want]) => ({
      name: `tool_choice ${JSON.stringify(choice)}`,
      req: { tools: [{ type: 'function', function: { name: 'b' } }], tool_choice: choice },
      want: { tool_choice: want },
    })),
    { name: 'stop string', req: { stop: 'END' }, want: { stop_sequences: ['END'] } },
    { name: 'stop array', req: { stop: ['a', 'b'] }, want: { stop_sequences: ['a', 'b'] } },
    { name: 'temperature clamped to 1, top_p kept', req: { temperature: 1.7, top_p: 0.9 }, want: { temperature: 1, top_p: 0.9 } },
    { name: 'user → metadata.user_id', req: { user: 'u-1' }, want: { metadata: { user_id: 'u-1' } } },
    { name: 'seed and penalties are dropped', req: { seed: 7, presence_penalty: 1 }, want: { seed: undefined, presence_penalty: undefined } },
    {
      name: 'json_schema (not strict) → system instruction',
      req: { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } },
      want: { system: expect.stringContaining('{"type":"object"}'), output_config: undefined },
    },
    {
      name: 'json_schema strict → output_config.format',
      req: { response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema: { type: 'object' } } } },
      want: { output_config: { format: { type: 'json_schema', schema: { type: 'object' } } }, system: undefined },
    },
    { name: 'json_object → system instruction', req: { response_format: { type: 'json_object' } }, want: { system: expect.stringContaining('JSON object') } },
  ];
  it.each(cases)('$name', ({ req, want }) => {
    const out = toAnthropicRequest(chat(req), opts) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) expect(out[k], k).toEqual(v);
  });

  it('sets stream only for streaming calls', () => {
    expect(toAnthropicRequest(chat({}), { ...opts, stream: true }).stream).toBe(true);
    expect(toAnthropicRequest(chat({}), opts)).not.toHaveProperty('stream');
  });

  const errors: Array<{ name: string; req: Record<string, unknown>; code: string; message: RegExp }> = [
    { name: 'n > 1', req: { n: 2 }, code: 'unsupported', message: /"n"/ },
    {
      name: 'invalid tool arguments JSON names the message',
      req: {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{nope' } }] },
        ],
      },
      code: 'invalid_request',
      message: /messages\[1\]/,
    },
    {
      name: 'unsupported content part',
      req: { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] },
      code: 'unsupported',
      message: /input_audio/,
    },
    {
      name: 'non-base64 data URL',
      req: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,raw' } }] }] },
      code: 'invalid_request',
      message: /base64/,
    },
  ];
  it.each(errors)('rejects $name', ({ req, code, message }) => {
    let caught: unknown;
    try {
      toAnthropicRequest(chat(req), opts);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect((caught as GatewayError).code).toBe(code);
    expect((caught as GatewayError).status).toBe(400);
    expect((caught as GatewayError).message).toMatch(message);
  });
});

const message = (over: Partial<AnthropicMessage>): AnthropicMessage => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-x-20250101',
  content: [{ type: 'text', text: 'Hello' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 10, output_tokens: 5 },
  ...over,
});

describe('toChatCompletion', () => {
  it('maps id, model, text and usage', () => {
    const usage = { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 };
    expect(toChatCompletion(message({ usage }), 123)).toEqual({
      id: 'chatcmpl-msg_1',
      object: 'chat.completion',
      created: 123,
      model: 'claude-x-20250101',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 130, completion_tokens: 5, total_tokens: 135, prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 20 } },
    });
  });

  it('joins text, skips thinking, and maps tool_use to tool_calls', () => {
    const out = toChatCompletion(
      message({
        content: [
          { type: 'thinking', thinking: 'hmm' } as never,
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B' },
          { type: 'tool_use', id: 'toolu_1', name: 'w', input: { city: 'Paris' } },
        ],
        stop_reason: 'tool_use',
      }),
    );
    expect(out.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'AB',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } }],
    });
    expect(out.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('has null content when there is no text', () => {
    expect(toChatCompletion(message({ content: [] })).choices[0]!.message.content).toBeNull();
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
  ])('stop_reason %s → %s', (stop, finish) => {
    expect(toChatCompletion(message({ stop_reason: stop })).choices[0]!.finish_reason).toBe(finish);
  });
});

const ev = (type: string, data: Record<string, unknown> = {}): SseEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });
async function* from(events: SseEvent[]): AsyncGenerator<SseEvent> {
  yield* events;
}
async function collect(events: SseEvent[]): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of translateAnthropicStream(from(events), { providerId: 'anthropic', created: 1 })) out.push(c);
  return out;
}
async function failure(events: SseEvent[]): Promise<GatewayError> {
  try {
    await collect(events);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the stream to fail');
}

const start = ev('message_start', {
  message: { id: 'msg_9', model: 'claude-x-20250101', usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 3 } },
});

describe('translateAnthropicStream', () => {
  it('translates a recorded text + tool_use stream', async () => {
    const chunks = await collect([
      start,
      ev('ping'),
      ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }),
      ev('content_block_stop', { index: 0 }),
      ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
      ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Hel' } }),
      ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'lo' } }),
      ev('content_block_stop', { index: 1 }),
      ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'w', input: {} } }),
      ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"city":' } }),
      ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }),
      ev('content_block_stop', { index: 2 }),
      ev('content_block_start', { index: 3, content_block: { type: 'tool_use', id: 'toolu_2', name: 'v', input: {} } }),
      ev('content_block_delta', { index: 3, delta: { type: 'input_json_delta', partial_json: '{}' } }),
      ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 42, input_tokens: null } }),
      ev('message_stop'),
    ]);
    const base = { id: 'chatcmpl-msg_9', object: 'chat.completion.chunk', created: 1, model: 'claude-x-20250101' };
    const delta = (d: Record<string, unknown>, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish }] });
    expect(chunks).toEqual([
      delta({ role: 'assistant', content: '' }),
      delta({ content: 'Hel' }),
      delta({ content: 'lo' }),
      delta({ tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'w', arguments: '' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      delta({ tool_calls: [{ index: 1, id: 'toolu_2', type: 'function', function: { name: 'v', arguments: '' } }] }),
      delta({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      delta({}, 'tool_calls'),
      {
        ...base,
        choices: [],
        usage: { prompt_tokens: 15, completion_tokens: 42, total_tokens: 57, prompt_tokens_details: { cached_tokens: 3, cache_write_tokens: 0 } },
      },
    ]);
  });

  it('maps max_tokens to length', async () => {
    const chunks = await collect([start, ev('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 2 } }), ev('message_stop')]);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
  });

  const failures: Array<{ name: string; events: SseEvent[]; code: string; message: RegExp }> = [
    {
      name: 'overloaded_error',
      events: [start, ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })],
      code: 'upstream_error',
      message: /Overloaded/,
    },
    {
      name: 'rate_limit_error',
      events: [start, ev('error', { error: { type: 'rate_limit_error', message: 'slow down' } })],
      code: 'upstream_rate_limited',
      message: /slow down/,
    },
    { name: 'end without message_stop', events: [start, ev('message_delta', { delta: { stop_reason: 'end_turn' } })], code: 'upstream_error', message: /ended early/ },
    { name: 'malformed event data', events: [start, { event: 'content_block_delta', data: '{oops' }], code: 'upstream_error', message: /malformed/ },
  ];
  it.each(failures)('throws on $name', async ({ events, code, message }) => {
    const err = await failure(events);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });
});

describe('createAnthropicProvider', () => {
  const config = ProviderConfigSchema.parse({ kind: 'anthropic', apiKey: 'sk-ant', models: ['claude-x'] });
  if (config.kind !== 'anthropic') throw new Error('unreachable');
  const provider = createAnthropicProvider('anthropic', config);

  it('lists configured models', () => {
    expect(provider.kind).toBe('anthropic');
    expect(provider.models()).toEqual(['claude-x']);
  });

  it('refuses embeddings', async () => {
    const call = { model: 'x', signal: new AbortController().signal, requestId: 'r' };
    await expect(provider.embeddings({ model: 'x', input: 'hi' }, call)).rejects.toMatchObject({
      code: 'unsupported',
      message: 'Provider "anthropic" (anthropic) does not offer embeddings.',
    });
  });
});

describe('createAnthropicProvider over HTTP', () => {
  let seen: { url?: string; headers?: IncomingHttpHeaders; body?: Record<string, unknown> } = {};
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      seen = { url: req.url, headers: req.headers, body: JSON.parse(raw) as Record<string, unknown> };
      if (seen.body?.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const sse = [start, ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } })];
        const full = [...sse, ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } }), ev('message_stop')];
        res.end(full.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join(''));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(message({})));
      }
    });
  });
  let baseUrl = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const provider = () => {
    const c = ProviderConfigSchema.parse({ kind: 'anthropic', apiKey: 'sk-ant', baseUrl, headers: { 'anthropic-beta': 'b1' } });
    if (c.kind !== 'anthropic') throw new Error('unreachable');
    return createAnthropicProvider('anthropic', c);
  };
  const call = () => ({ model: 'claude-x', signal: new AbortController().signal, requestId: 'r' });

  it('posts to /v1/messages with auth headers and translates the reply', async () => {
    const out = await provider().chat(chat({}), call());
    expect(seen.url).toBe('/v1/messages');
    expect(seen.headers).toMatchObject({ 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'b1' });
    expect(seen.body).toMatchObject({ model: 'claude-x', max_tokens: 4096 });
    expect(out.choices[0]!.message.content).toBe('Hello');
  });

  it('streams chunks ending with usage', async () => {
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of await provider().chatStream(chat({ stream: true }), call())) chunks.push(c);
    expect(seen.body).toMatchObject({ stream: true });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['', 'Hi', null, null]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 15, completion_tokens: 1 } });
  });
});
