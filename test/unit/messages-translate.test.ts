// The Messages door's translations: request → chat, completion → message, chunk stream → events, stream transforms, fold, native events.
import { describe, expect, it } from 'vitest';
import { chatToEvents } from '../../src/doors/messages/chat-stream.js';
import { messagesDoor } from '../../src/doors/messages/door.js';
import { toAnthropicError } from '../../src/doors/messages/errors.js';
import { fromChatCompletion } from '../../src/doors/messages/from-chat.js';
import { nativeEvents } from '../../src/doors/messages/native.js';
import { MessagesRequestSchema, type MessagesRequest } from '../../src/doors/messages/schema.js';
import { sessionFromUserId } from '../../src/doors/messages/session.js';
import { toChatRequest } from '../../src/doors/messages/to-chat.js';
import { foldMessages, transformMessages } from '../../src/doors/messages/transform.js';
import type { MessagesEvent } from '../../src/doors/messages/types.js';
import { GatewayError } from '../../src/errors.js';
import type { SseEvent } from '../../src/openai/sse.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../src/openai/types.js';
import type { StreamTransform } from '../../src/policy/engine.js';

const parse = (body: unknown): MessagesRequest => MessagesRequestSchema.parse(body);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}

const agentRequest = parse({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  system: [
    { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Be brief.' },
  ],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        { type: 'text', text: 'Reading.' },
        { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: 'a.txt' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'denied' }], is_error: true }, { type: 'text', text: 'go on' }] },
  ],
  tools: [{ name: 'Read', description: 'read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
  tool_choice: { type: 'any', disable_parallel_tool_use: true },
  stop_sequences: ['END'],
  temperature: 0.5,
  metadata: { user_id: 'u-1' },
  thinking: { type: 'enabled', budget_tokens: 2048 },
  stream: true,
  brand_new_field: { kept: true },
});

describe('Messages request → chat request', () => {
  it('keeps unknown fields on the parsed body, for pass-through', () => {
    expect((agentRequest as Record<string, unknown>).brand_new_field).toEqual({ kept: true });
  });

  it('translates system blocks, images, thinking, tool_use and tool_result turns, tools and options', () => {
    const chat = toChatRequest(agentRequest, { strict: true, kind: 'openai' });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'You are Claude Code.\nBe brief.' },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      { role: 'assistant', content: 'Reading.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'Read', arguments: '{"path":"a.txt"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Error: denied' },
      { role: 'user', content: 'go on' },
    ]);
    expect(chat.tools?.[0]?.function).toEqual({ name: 'Read', description: 'read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } });
    expect(chat.tool_choice).toBe('required');
    expect(chat.parallel_tool_calls).toBe(false);
    expect(chat.max_completion_tokens).toBe(1024);
    expect(chat.max_tokens).toBeUndefined();
    expect(chat.stop).toEqual(['END']);
    expect(chat.temperature).toBe(0.5);
    expect(chat.user).toBe('u-1');
    expect(chat.stream).toBe(true);
    expect(chat.stream_options).toEqual({ include_usage: true });
  });

  it('uses max_tokens for providers other than OpenAI and Azure', () => {
    const chat = toChatRequest(agentRequest, { strict: true, kind: 'gemini' });
    expect(chat.max_tokens).toBe(1024);
    expect(chat.max_completion_tokens).toBeUndefined();
  });

  it('refuses a server tool for a translated call, and leaves it out of the routing view', () => {
    const req = parse({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] });
    expect(() => toChatRequest(req, { strict: true })).toThrow(/web_search/);
    expect(toChatRequest(req, { strict: false }).tools).toBeUndefined();
  });

  it('maps tool_choice tool and none', () => {
    const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 't', input_schema: { type: 'object' } }] };
    expect(toChatRequest(parse({ ...base, tool_choice: { type: 'tool', name: 't' } }), { strict: true }).tool_choice).toEqual({ type: 'function', function: { name: 't' } });
    expect(toChatRequest(parse({ ...base, tool_choice: { type: 'none' } }), { strict: true }).tool_choice).toBe('none');
  });

  it('rejects a malformed known block at the schema', () => {
    const r = MessagesRequestSchema.safeParse({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x' }] }] });
    expect(r.success).toBe(false);
  });
});

describe('chat completion → Messages response', () => {
  it('builds text and tool_use blocks, the stop reason and Anthropic usage (cache tokens apart)', () => {
    const c: ChatCompletion = {
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"path":"x"}' } }] }, finish_reason: 'tool_calls', logprobs: null }],
      usage: { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 10 } },
    };
    const m = fromChatCompletion(c, 'fallback');
    expect(m).toMatchObject({ id: 'msg_abc', type: 'message', role: 'assistant', model: 'gpt-4o', stop_reason: 'tool_use', stop_sequence: null });
    expect(m.content).toEqual([{ type: 'text', text: 'hi' }, { type: 'tool_use', id: 'call_1', name: 'Read', input: { path: 'x' } }]);
    expect(m.usage).toEqual({ input_tokens: 60, output_tokens: 7, cache_read_input_tokens: 30, cache_creation_input_tokens: 10 });
    expect(messagesDoor.usage(m)).toEqual({ inputTokens: 100, outputTokens: 7, cacheReadTokens: 30, cacheWriteTokens: 10 });
  });

  it('maps length to max_tokens', () => {
    const c: ChatCompletion = { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'a' }, finish_reason: 'length', logprobs: null }] };
    expect(fromChatCompletion(c, 'm').stop_reason).toBe('max_tokens');
  });
});

const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
  id: 'chatcmpl-s1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('chat chunk stream → Messages events', () => {
  it('opens one block per text run and per tool call, in order, with usage at the end', async () => {
    const chunks: ChatCompletionChunk[] = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Let me ' }),
      chunk({ content: 'check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'Read', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'Ls', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 50, completion_tokens: 9, total_tokens: 59 } },
    ];
    const events = await collect(chatToEvents(from(chunks), { model: 'gpt-4o', inputTokens: 42 }));
    expect(events.map((e) => e.type + ('index' in e ? `#${e.index}` : ''))).toEqual([
      'message_start', 'ping',
      'content_block_start#0', 'content_block_delta#0', 'content_block_delta#0', 'content_block_stop#0',
      'content_block_start#1', 'content_block_delta#1', 'content_block_delta#1', 'content_block_stop#1',
      'content_block_start#2', 'content_block_delta#2', 'content_block_stop#2',
      'message_delta', 'message_stop',
    ]);
    const start = events[0] as Extract<MessagesEvent, { type: 'message_start' }>;
    expect(start.message).toMatchObject({ id: 'msg_s1', model: 'gpt-4o', content: [], stop_reason: null, usage: { input_tokens: 42, output_tokens: 0 } });
    expect(events[6]).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_a', name: 'Read', input: {} } });
    expect(events[7]).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"path":' } });
    const delta = events.at(-2) as Extract<MessagesEvent, { type: 'message_delta' }>;
    expect(delta.delta.stop_reason).toBe('tool_use');
    expect(delta.usage).toMatchObject({ input_tokens: 50, output_tokens: 9 });

    const fold = foldMessages();
    for (const e of events) fold.see(e);
    const tally = fold.result();
    expect(tally.usage).toEqual({ inputTokens: 50, outputTokens: 9, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(tally.servedModel).toBe('gpt-4o');
    expect(tally.outputText).toBe('Let me check.{"path":"x"}{}');
    expect(tally.response).toEqual({
      id: 'msg_s1',
      model: 'gpt-4o',
      stop_reason: 'tool_use',
      content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'call_a', name: 'Read', input: { path: 'x' } }, { type: 'tool_use', id: 'call_b', name: 'Ls', input: {} }],
    });
  });
});

/** Upper-cases text and holds back the last character of each push until flush, to see held text come out before the stop. */
function holdLast(log: string[]): StreamTransform {
  const held = new Map<string, string>();
  return {
    push(ch, d) {
      const all = (held.get(ch) ?? '') + d.toUpperCase();
      held.set(ch, all.slice(-1));
      return all.slice(0, -1);
    },
    flush(ch) {
      const h = held.get(ch) ?? '';
      held.delete(ch);
      return h;
    },
    end: () => log.push('end'),
  };
}

describe('transformStream over Messages events', () => {
  const events: MessagesEvent[] = [
    { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 5, cache_creation_input_tokens: 2 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'secret' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'SIG' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'ab' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'c' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 't', name: 'n', input: {} } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } },
    { type: 'content_block_stop', index: 2 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } },
    { type: 'message_stop' },
  ];

  it('rewrites text and tool input per block, flushes held text before each block stops, and leaves thinking alone', async () => {
    const log: string[] = [];
    const out = await collect(transformMessages([holdLast(log)], from(structuredClone(events))));
    const summary = out.map((e) =>
      e.type === 'content_block_delta' ? `${e.index}:${'text' in e.delta ? e.delta.text : 'partial_json' in e.delta ? e.delta.partial_json : 'thinking' in e.delta ? e.delta.thinking : 'sig'}` : e.type === 'content_block_stop' ? `stop${e.index}` : e.type,
    );
    expect(summary).toEqual([
      'message_start', 'content_block_start', '0:secret', '0:sig', 'stop0',
      'content_block_start', '1:A', '1:B', '1:C', 'stop1',
      'content_block_start', '2:{"A":1', '2:}', 'stop2',
      'message_delta', 'message_stop',
    ]);
    expect(log).toEqual(['end']);
  });

  it('chains several transforms and ends them when the consumer stops early', async () => {
    const log: string[] = [];
    const it = transformMessages([holdLast(log), holdLast(log)], from(structuredClone(events)))[Symbol.asyncIterator]();
    await it.next();
    await it.return?.(undefined);
    expect(log).toEqual(['end', 'end']);
    const all = await collect(transformMessages([holdLast([]), holdLast([])], from(structuredClone(events))));
    const text = all.flatMap((e) => (e.type === 'content_block_delta' && e.index === 1 && e.delta.type === 'text_delta' ? [e.delta.text] : [])).join('');
    expect(text).toBe('ABC');
  });

  it('folds usage with cache tokens, and has no usage for a stream cut before message_delta', () => {
    const fold = foldMessages();
    for (const e of events) fold.see(e);
    expect(fold.result().usage).toEqual({ inputTokens: 17, outputTokens: 20, cacheReadTokens: 5, cacheWriteTokens: 2 });
    expect(fold.result().response).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'thinking', chars: 6 }, { type: 'text', text: 'abc' }, { type: 'tool_use', input: { a: 1 } }] });
    const cut = foldMessages();
    for (const e of events.slice(0, 8)) cut.see(e);
    expect(cut.result().usage).toBeUndefined();
    expect(cut.result().outputText).toBe('secretabc');
  });
});

describe('native stream events', () => {
  const sse = (type: string, data: object = {}): SseEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });

  it('forwards events in order and stops at message_stop', async () => {
    const out = await collect(nativeEvents(from([sse('message_start', { message: {} }), sse('ping'), sse('brand_new_event', { x: 1 }), sse('message_stop'), sse('ping')]), 'anthropic'));
    expect(out.map((e) => e.type)).toEqual(['message_start', 'ping', 'brand_new_event', 'message_stop']);
  });

  it('throws an upstream error event with its Anthropic type kept, and a stream cut before message_stop', async () => {
    const err = await collect(nativeEvents(from([sse('message_start', { message: {} }), sse('error', { error: { type: 'overloaded_error', message: 'busy' } })]), 'anthropic')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(toAnthropicError(err as GatewayError).body.error.type).toBe('overloaded_error');
    await expect(collect(nativeEvents(from([sse('message_start', { message: {} })]), 'anthropic'))).rejects.toThrow(/ended early/);
  });

  it('does not forward an event type that could forge an SSE frame', async () => {
    const out = await collect(nativeEvents(from([{ data: JSON.stringify({ type: 'x\nevent: y' }) }, sse('message_stop')]), 'anthropic'));
    expect(out.map((e) => e.type)).toEqual(['message_stop']);
  });
});

describe('errors, sessions and output caps', () => {
  it('maps gateway codes to Anthropic types and statuses', () => {
    const q = toAnthropicError(new GatewayError('insufficient_quota', 'over budget'), 'req_1');
    expect(q).toEqual({ status: 402, body: { type: 'error', error: { type: 'billing_error', message: 'over budget' }, request_id: 'req_1' }, headers: { 'x-should-retry': 'false' } });
    expect(toAnthropicError(new GatewayError('model_not_found', 'x')).body.error.type).toBe('not_found_error');
    expect(toAnthropicError(new GatewayError('invalid_api_key', 'x')).status).toBe(401);
    expect(toAnthropicError(new GatewayError('rate_limit_exceeded', 'x', { headers: { 'retry-after': '3' } })).headers).toEqual({ 'retry-after': '3' });
    expect(toAnthropicError(new GatewayError('upstream_timeout', 'x'))).toMatchObject({ status: 504, body: { error: { type: 'timeout_error' } } });
  });

  it('derives the session from Claude Code user_id forms', () => {
    const sid = '3f1c2a4e-1111-4222-8333-944445555666';
    expect(sessionFromUserId(JSON.stringify({ device_id: 'd', account_uuid: 'a', session_id: sid }))).toBe(sid);
    expect(sessionFromUserId(`user_abc_account_x_session_${sid}`)).toBe(sid);
    const h = sessionFromUserId('someone@example.com');
    expect(h).toMatch(/^user-[0-9a-f]{32}$/);
    expect(sessionFromUserId('someone@example.com')).toBe(h);
    expect(sessionFromUserId(JSON.stringify({ session_id: 'has space' }))).toMatch(/^user-/);
    expect(sessionFromUserId(undefined)).toBeUndefined();
  });

  it('lowers max_tokens and a thinking budget that would no longer fit', () => {
    const capped = messagesDoor.withOutputCap(agentRequest, 1500, 'anthropic');
    expect(capped.max_tokens).toBe(1024);
    const low = messagesDoor.withOutputCap({ ...agentRequest, max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 3000 } }, 2000, 'anthropic');
    expect(low.max_tokens).toBe(2000);
    expect(low.thinking).toEqual({ type: 'enabled', budget_tokens: 1999 });
  });
});
