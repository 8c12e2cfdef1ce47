// messagesDoor.call/openStream: native pass-through (body untouched but the model) versus the chat translation; native headers.
import { describe, expect, it } from 'vitest';
import { messagesDoor } from '../../src/doors/messages/door.js';
import { MessagesRequestSchema } from '../../src/doors/messages/schema.js';
import { ProviderConfigSchema } from '../../src/providers/config-schema.js';
import { nativeHeaders } from '../../src/providers/anthropic-native.js';
import type { SseEvent } from '../../src/openai/sse.js';
import type { ChatRequest } from '../../src/openai/schemas.js';
import type { ChatCompletionChunk } from '../../src/openai/types.js';
import type { Provider, ProviderCall } from '../../src/providers/types.js';

const req = MessagesRequestSchema.parse({
  model: 'alias-x',
  max_tokens: 64,
  system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
  messages: [{ role: 'user', content: 'hello' }],
  future_field: [1, 2],
});
const call: ProviderCall = { model: 'upstream-model', signal: new AbortController().signal, requestId: 'req_1', passHeaders: { 'anthropic-beta': 'b1' } };

function fakeProvider(kind: Provider['kind'], seen: { native?: unknown[]; chat?: ChatRequest[] }, native = false): Provider {
  const events: SseEvent[] = [
    { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_n', model: 'upstream-model', content: [], usage: { input_tokens: 3, output_tokens: 1 } } }) },
    { event: 'message_stop', data: '{"type":"message_stop"}' },
  ];
  const chunk: ChatCompletionChunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'upstream-model', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] };
  return {
    id: 'p',
    kind,
    models: () => [],
    embeddings: () => Promise.reject(new Error('no')),
    async chat(r) {
      (seen.chat ??= []).push(r);
      return { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'upstream-model', choices: [{ index: 0, message: { role: 'assistant', content: 'translated' }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } };
    },
    async chatStream(r) {
      (seen.chat ??= []).push(r);
      return (async function* () {
        yield chunk;
        yield { ...chunk, choices: [], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } };
      })();
    },
    ...(native
      ? {
          native: {
            format: 'messages' as const,
            async send(body: Record<string, unknown>, c: ProviderCall) {
              (seen.native ??= []).push({ body, passHeaders: c.passHeaders });
              return { id: 'msg_n', type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: 'native' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } };
            },
            async stream(body: Record<string, unknown>) {
              (seen.native ??= []).push({ body });
              return (async function* () {
                yield* events;
              })();
            },
          },
        }
      : {}),
  };
}

describe('messagesDoor.call', () => {
  it('sends the body natively with only the model replaced, unknown fields and cache_control intact', async () => {
    const seen: { native?: unknown[]; chat?: ChatRequest[] } = {};
    const res = await messagesDoor.call(fakeProvider('anthropic', seen, true), req, call);
    expect(res.content).toEqual([{ type: 'text', text: 'native' }]);
    expect(seen.chat).toBeUndefined();
    expect(seen.native).toEqual([{ body: { ...req, model: 'upstream-model' }, passHeaders: { 'anthropic-beta': 'b1' } }]);
  });

  it('translates through chat for a provider without the native format', async () => {
    const seen: { native?: unknown[]; chat?: ChatRequest[] } = {};
    const res = await messagesDoor.call(fakeProvider('openai', seen), req, call);
    expect(res).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'translated' }], stop_reason: 'end_turn', usage: { input_tokens: 5, output_tokens: 1 } });
    expect(seen.chat?.[0]?.messages[0]).toEqual({ role: 'system', content: 'sys' });
    expect(seen.chat?.[0]?.stream).toBeUndefined();
  });

  it('streams natively with stream:true set, and through chat as Messages events', async () => {
    const seen: { native?: Array<{ body: Record<string, unknown> }>; chat?: ChatRequest[] } = {};
    const native = [];
    for await (const e of await messagesDoor.openStream(fakeProvider('anthropic', seen, true), req, call)) native.push(e.type);
    expect(native).toEqual(['message_start', 'message_stop']);
    expect(seen.native?.[0]?.body.stream).toBe(true);
    const translated = [];
    for await (const e of await messagesDoor.openStream(fakeProvider('gemini', seen), req, call)) translated.push(e.type);
    expect(translated).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(seen.chat?.[0]?.stream_options).toEqual({ include_usage: true });
  });
});

describe('nativeHeaders', () => {
  const config = ProviderConfigSchema.parse({ kind: 'anthropic', apiKey: 'sk-ant-gw', headers: { 'anthropic-beta': 'cfg-beta', 'x-extra': '1', 'x-api-key': 'stray' } });
  if (config.kind !== 'anthropic') throw new Error('unreachable');

  it('passes the client version and joins betas, with the gateway key last', () => {
    const h = nativeHeaders(config, { 'anthropic-version': '2026-10-21', 'anthropic-beta': 'client-beta,cfg-beta', authorization: 'Bearer client' });
    expect(h).toEqual({ 'x-extra': '1', 'anthropic-version': '2026-10-21', 'anthropic-beta': 'cfg-beta,client-beta', 'x-api-key': 'sk-ant-gw' });
  });

  it('falls back to the configured version and drops a header value with a line break', () => {
    const h = nativeHeaders(config, { 'anthropic-version': 'x\r\ny: z' });
    expect(h['anthropic-version']).toBe('2023-06-01');
  });
});
