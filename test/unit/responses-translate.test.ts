// Unit tests for the Responses door: request → chat, completion → response, chunks → events, stream transforms, fold, native bodies, chains.
import { describe, expect, it } from 'vitest';
import { responsesDoor } from '../../src/doors/responses/door.js';
import { eventsFromChunks } from '../../src/doors/responses/chunks-to-events.js';
import { responseFromChat } from '../../src/doors/responses/from-chat.js';
import { nativeBody, nativeEvents } from '../../src/doors/responses/native.js';
import { assertServable, ResponsesRequestSchema, type ResponsesRequest } from '../../src/doors/responses/schema.js';
import { responsesFraming } from '../../src/doors/responses/sse.js';
import { expandPrevious, resolveReferences } from '../../src/doors/responses/store.js';
import { toChatRequest } from '../../src/doors/responses/to-chat.js';
import type { ResponsesEvent } from '../../src/doors/responses/types.js';
import { GatewayError } from '../../src/errors.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../src/openai/types.js';
import type { StreamTransform } from '../../src/policy/engine.js';
import type { ChainLink, ResponsesRepo } from '../../src/storage/responses-repo.js';

const parse = (body: Record<string, unknown>): ResponsesRequest => ResponsesRequestSchema.parse({ model: 'm', ...body });
const weather = { type: 'function', name: 'get_weather', description: 'w', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* from<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}

function gatewayError(run: () => unknown): GatewayError {
  try {
    run();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('request → chat', () => {
  it('maps instructions, items, the function_call_output round trip, tools and options', () => {
    const chat = toChatRequest(
      parse({
        instructions: 'be brief',
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'weather in' }, { type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'low' }] },
          { type: 'message', role: 'assistant', id: 'msg_1', content: [{ type: 'output_text', text: 'checking', annotations: [] }] },
          { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', id: 'fc_1' },
          { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
          { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'rain' }] },
        ],
        tools: [weather],
        tool_choice: { type: 'function', name: 'get_weather' },
        parallel_tool_calls: false,
        text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
        reasoning: { effort: 'low' },
        max_output_tokens: 50,
        temperature: 0.5,
        metadata: { a: 'b' },
      }),
    );
    expect(chat.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'weather in' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'low' } }] },
      {
        role: 'assistant',
        content: 'checking',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'rain' }] },
    ]);
    expect(chat).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'w', parameters: weather.parameters, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'low',
      max_completion_tokens: 50,
      temperature: 0.5,
    });
    expect(chat).not.toHaveProperty('metadata');
  });

  it('turns a string input into one user message', () => {
    expect(toChatRequest(parse({ input: 'hi' })).messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('refuses what it cannot translate when strict, and leaves it out when lenient', () => {
    const req = parse({ input: [{ type: 'item_reference', id: 'x' }, { role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }, { type: 'input_text', text: 'hi' }] }] });
    const e = gatewayError(() => toChatRequest(req));
    expect(e).toMatchObject({ status: 400, code: 'unsupported', param: 'input[0].type' });
    expect(e.message).toContain('item_reference');
    expect(toChatRequest(req, { strict: false }).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    expect(gatewayError(() => toChatRequest(parse({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] }))).param).toBe('input[0].content[0]');
  });

  it('maps allowed_tools to the allowed functions', () => {
    const chat = toChatRequest(parse({ input: 'hi', tools: [weather, { ...weather, name: 'other' }], tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'other' }] } }));
    expect(chat.tools?.map((t) => t.function.name)).toEqual(['other']);
    expect(chat.tool_choice).toBe('required');
  });

  it('validates items by type', () => {
    expect(ResponsesRequestSchema.safeParse({ model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }).success).toBe(false);
    expect(ResponsesRequestSchema.safeParse({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text' }] }] }).success).toBe(false);
    expect(ResponsesRequestSchema.safeParse({ model: 'm', input: 'x', future_field: { a: 1 } }).data).toMatchObject({ future_field: { a: 1 } });
  });

  it('withOutputCap lowers or sets max_output_tokens', () => {
    expect(responsesDoor.withOutputCap(parse({ max_output_tokens: 500 }), 100, 'anthropic').max_output_tokens).toBe(100);
    expect(responsesDoor.withOutputCap(parse({ max_output_tokens: 50 }), 100, 'openai').max_output_tokens).toBe(50);
    expect(responsesDoor.withOutputCap(parse({}), 100, 'openai').max_output_tokens).toBe(100);
  });
});

describe('hosted tools and unsupported fields', () => {
  it.each([
    [{ tools: [weather, { type: 'web_search_preview' }] }, 'tools[1].type', 'web_search_preview'],
    [{ tools: [{ type: 'file_search', vector_store_ids: ['v'] }] }, 'tools[0].type', 'file_search'],
    [{ tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }, 'tools[0].type', 'code_interpreter'],
    [{ tools: [{ type: 'mcp', server_label: 's', server_url: 'https://x' }] }, 'tools[0].type', 'mcp'],
    [{ tools: [{ type: 'image_generation' }] }, 'tools[0].type', 'image_generation'],
    [{ tools: [{ type: 'some_future_hosted_tool' }] }, 'tools[0].type', 'some_future_hosted_tool'],
    [{ conversation: 'conv_1' }, 'conversation', 'conversation'],
    [{ background: true }, 'background', 'background'],
  ])('%j is a 400 naming it', (body, param, named) => {
    const e = gatewayError(() => assertServable(parse({ input: 'hi', ...body })));
    expect(e).toMatchObject({ status: 400, param });
    expect(e.message).toContain(named);
  });

  it('passes tools the client runs; only function tools translate to a chat provider', () => {
    const custom = { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } };
    const req = parse({ input: 'hi', tools: [weather, custom, { type: 'local_shell' }], background: false });
    expect(() => assertServable(req)).not.toThrow();
    expect(gatewayError(() => toChatRequest(req))).toMatchObject({ status: 400, param: 'tools[1].type', message: expect.stringContaining('natively') });
    expect(toChatRequest(req, { strict: false }).tools?.map((t) => t.function.name)).toEqual(['get_weather']);
  });
});

const completion = (message: ChatCompletion['choices'][number]['message'], finish: ChatCompletion['choices'][number]['finish_reason']): ChatCompletion => ({
  id: 'c1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'served-model',
  choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
  usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 1 } },
});

describe('completion → response', () => {
  it('text becomes a message item with usage in Responses form', () => {
    const r = responseFromChat(parse({ input: 'hi', metadata: { a: 'b' } }), completion({ role: 'assistant', content: 'hello' }, 'stop'));
    expect(r).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'served-model',
      metadata: { a: 'b' },
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hello', annotations: [] }] }],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 3 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 14 },
    });
    expect(r.id).toMatch(/^resp_/);
    expect(responsesDoor.usage(r)).toEqual({ inputTokens: 10, outputTokens: 4, cacheReadTokens: 3 });
  });

  it('tool calls become function_call items; length is incomplete', () => {
    const calls = [{ id: 'call_9', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }];
    const r = responseFromChat(parse({ input: 'hi' }), completion({ role: 'assistant', content: '', tool_calls: calls }, 'tool_calls'));
    expect(r.output).toEqual([{ id: expect.stringMatching(/^fc_/), type: 'function_call', call_id: 'call_9', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' }]);
    const cut = responseFromChat(parse({ input: 'hi' }), completion({ role: 'assistant', content: 'hel' }, 'length'));
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});

const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
  id: 'x', object: 'chat.completion.chunk', created: 1, model: 'served', choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk: ChatCompletionChunk = { id: 'x', object: 'chat.completion.chunk', created: 1, model: 'served', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } };
const textChunks = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'hello ' }), chunk({ content: 'world' }), chunk({}, 'stop'), usageChunk];
const toolChunks = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  usageChunk,
];

describe('chunk stream → events', () => {
  it('text: the events real SDKs read, in order, numbered by the framing', async () => {
    const events = await collect(eventsFromChunks(parse({ input: 'hi' }), 'm', from(textChunks)));
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(events[6]).toMatchObject({ text: 'hello world', output_index: 0, content_index: 0 });
    expect(events.at(-1)!.response).toMatchObject({ status: 'completed', model: 'served', output: [{ type: 'message', content: [{ text: 'hello world' }] }], usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } });
    const framing = responsesFraming();
    const frames = events.map((e) => framing.frame(e)!);
    expect(frames[0]).toMatch(/^event: response\.created\ndata: /);
    expect(frames.map((f) => (JSON.parse(f.split('data: ')[1]!) as ResponsesEvent).sequence_number)).toEqual(events.map((_, i) => i));
    expect(framing.error(new GatewayError('upstream_error', 'boom'))).toMatch(/^event: error\ndata: .*"type":"error".*"sequence_number":10/);
  });

  it('a function call: added, argument deltas, done, completed', async () => {
    const events = await collect(eventsFromChunks(parse({ input: 'hi', tools: [weather] }), 'm', from(toolChunks)));
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.function_call_arguments.delta',
      'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done', 'response.completed',
    ]);
    expect(events[5]).toMatchObject({ arguments: '{"city":"Paris"}', name: 'get_weather' });
    expect(events.at(-1)!.response).toMatchObject({ output: [{ type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
  });

  it('finish_reason length ends with response.incomplete', async () => {
    const events = await collect(eventsFromChunks(parse({ input: 'hi' }), 'm', from([chunk({ content: 'a' }), chunk({}, 'length'), usageChunk])));
    expect(events.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
  });
});

/** Replaces "secret" with "[X]" across deltas, holding back the last 5 characters of each channel until more arrive or it ends. */
function redactor(): StreamTransform & { ended: boolean } {
  const buf = new Map<string, string>();
  const t = {
    ended: false,
    push(ch: string, d: string): string {
      const s = ((buf.get(ch) ?? '') + d).replaceAll('secret', '[X]');
      buf.set(ch, s.slice(-5));
      return s.slice(0, -5);
    },
    flush(ch: string): string {
      const s = buf.get(ch) ?? '';
      buf.delete(ch);
      return s;
    },
    end() {
      t.ended = true;
    },
  };
  return t;
}

describe('transformStream', () => {
  it('rewrites deltas, flushes held text before each done, and every done event carries the rewritten text', async () => {
    const chunks = [chunk({ content: 'my sec' }), chunk({ content: 'ret is out' }), chunk({}, 'stop'), usageChunk];
    const t = redactor();
    const events = await collect(responsesDoor.transformStream([t], eventsFromChunks(parse({ input: 'hi' }), 'm', from(chunks))));
    const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
    expect(deltas.join('')).toBe('my [X] is out');
    const types = events.map((e) => e.type);
    expect(types.indexOf('response.output_text.done')).toBeGreaterThan(types.lastIndexOf('response.output_text.delta'));
    expect(events.find((e) => e.type === 'response.output_text.done')).toMatchObject({ text: 'my [X] is out' });
    expect(events.find((e) => e.type === 'response.content_part.done')).toMatchObject({ part: { text: 'my [X] is out' } });
    expect(events.find((e) => e.type === 'response.output_item.done')).toMatchObject({ item: { content: [{ text: 'my [X] is out' }] } });
    expect(events.at(-1)).toMatchObject({ response: { output: [{ content: [{ text: 'my [X] is out' }] }] } });
    expect(JSON.stringify(events)).not.toContain('secret');
    expect(t.ended).toBe(true);
  });

  it('rewrites function call arguments the same way', async () => {
    const chunks = [
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":"sec' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ret"}' } }] }),
      chunk({}, 'tool_calls'),
      usageChunk,
    ];
    const events = await collect(responsesDoor.transformStream([redactor()], eventsFromChunks(parse({ input: 'hi', tools: [weather] }), 'm', from(chunks))));
    expect(events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('')).toBe('{"a":"[X]"}');
    expect(events.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({ arguments: '{"a":"[X]"}' });
    expect(JSON.stringify(events)).not.toContain('secret');
  });
});

describe('transformStream over native events', () => {
  it('rewrites custom tool input the same way, and leaves other events alone', async () => {
    const native: ResponsesEvent[] = [
      { type: 'response.created', response: { id: 'r', output: [] } },
      { type: 'response.output_item.added', output_index: 0, item: { id: 'ct_1', type: 'custom_tool_call', call_id: 'c', name: 'apply_patch', input: '' } },
      { type: 'response.custom_tool_call_input.delta', item_id: 'ct_1', output_index: 0, delta: 'a sec' },
      { type: 'response.custom_tool_call_input.delta', item_id: 'ct_1', output_index: 0, delta: 'ret b' },
      { type: 'response.custom_tool_call_input.done', item_id: 'ct_1', output_index: 0, input: 'a secret b' },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'ct_1', type: 'custom_tool_call', call_id: 'c', name: 'apply_patch', input: 'a secret b' } },
      { type: 'response.completed', response: { id: 'r', output: [{ id: 'ct_1', type: 'custom_tool_call', call_id: 'c', name: 'apply_patch', input: 'a secret b' }] } },
    ];
    const events = await collect(responsesDoor.transformStream([redactor()], from(native)));
    expect(events.filter((e) => e.type === 'response.custom_tool_call_input.delta').map((e) => e.delta).join('')).toBe('a [X] b');
    expect(events.find((e) => e.type === 'response.custom_tool_call_input.done')).toMatchObject({ input: 'a [X] b' });
    expect(JSON.stringify(events)).not.toContain('secret');
    expect(events[1]).toEqual(native[1]);
  });
});

describe('fold', () => {
  it('tallies usage, served model, output text and the audit view', async () => {
    const fold = responsesDoor.fold();
    for (const e of await collect(eventsFromChunks(parse({ input: 'hi' }), 'm', from(textChunks)))) fold.see(e);
    const r = fold.result();
    expect(r).toMatchObject({ usage: { inputTokens: 5, outputTokens: 2 }, servedModel: 'served', outputText: 'hello world' });
    expect(r.response).toMatchObject({ status: 'completed', output: [{ content: [{ text: 'hello world' }] }] });
  });

  it('a cut stream has no usage and keeps what was sent', async () => {
    const fold = responsesDoor.fold();
    const events = await collect(eventsFromChunks(parse({ input: 'hi' }), 'm', from(textChunks)));
    for (const e of events.slice(0, 5)) fold.see(e);
    const r = fold.result();
    expect(r.usage).toBeUndefined();
    expect(r).toMatchObject({ outputText: 'hello ', response: { status: 'cut', output: [{ type: 'message', text: 'hello ' }] } });
  });
});

describe('native pass-through', () => {
  const call = { model: 'gpt-4o-mini', signal: new AbortController().signal, requestId: 'r1' };

  it('sends the body as it is, with the upstream model, store:false and no previous_response_id', () => {
    const body = nativeBody(parse({ model: 'openai/gpt-4o-mini', input: 'hi', previous_response_id: 'resp_1', store: true, custom: { x: 1 }, stream: true }), call, false);
    expect(body).toEqual({ model: 'gpt-4o-mini', input: 'hi', store: false, custom: { x: 1 } });
    expect(nativeBody(parse({ input: 'hi' }), call, true)).toMatchObject({ stream: true, store: false });
  });

  it('stops at the terminal event, throws on an error event or an early end', async () => {
    const ok = [{ data: JSON.stringify({ type: 'response.created', response: {} }) }, { data: JSON.stringify({ type: 'response.completed', response: {} }) }, { data: '{"type":"late"}' }];
    const got = await collect(nativeEvents(from(ok), 'p'));
    expect(got.map((e) => e.type)).toEqual(['response.created', 'response.completed']);
    // One gateway id for the whole stream, whatever the upstream called it.
    const ids = got.map((e) => (e.response as { id: string }).id);
    expect(ids[0]).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(ids[1]).toBe(ids[0]);
    await expect(collect(nativeEvents(from([{ event: 'error', data: JSON.stringify({ type: 'error', code: 'server_error', message: 'boom' }) }]), 'p'))).rejects.toMatchObject({ code: 'upstream_error', message: expect.stringContaining('boom') });
    await expect(collect(nativeEvents(from(ok.slice(0, 1)), 'p'))).rejects.toMatchObject({ code: 'upstream_error' });
    await expect(collect(nativeEvents(from([{ data: 'not json' }]), 'p'))).rejects.toMatchObject({ code: 'upstream_error' });
  });
});

describe('previous_response_id expansion', () => {
  const link = (id: string, prev: string | null, extra: Partial<ChainLink> = {}): ChainLink => ({
    id, previousResponseId: prev, truncated: false, totalBytes: 100,
    input: [{ type: 'message', role: 'user', content: `q-${id}` }],
    output: [
      { id: `rs_${id}`, type: 'reasoning', summary: [] },
      { id: `msg_${id}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `a-${id}`, annotations: [] }] },
      { id: `fc_${id}`, type: 'function_call', call_id: `call_${id}`, name: 'f', arguments: '{}', status: 'completed' },
    ],
    ...extra,
  });
  const repo = (chain: ChainLink[]): ResponsesRepo => ({ loadResponseChain: async () => chain }) as unknown as ResponsesRepo;
  const scope = { keyId: 'k1', sessionId: 's1' };

  it('prepends the chain oldest first, replaying outputs without ids, then the new input', async () => {
    const out = await expandPrevious(repo([link('r1', null), link('r2', 'r1')]), scope, parse({ input: 'next', previous_response_id: 'r2' }), 1000);
    expect(out).not.toHaveProperty('previous_response_id');
    expect(out.input).toEqual([
      { type: 'message', role: 'user', content: 'q-r1' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'a-r1' }] },
      { type: 'function_call', call_id: 'call_r1', name: 'f', arguments: '{}' },
      { type: 'message', role: 'user', content: 'q-r2' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'a-r2' }] },
      { type: 'function_call', call_id: 'call_r2', name: 'f', arguments: '{}' },
      { type: 'message', role: 'user', content: 'next' },
    ]);
  });

  it('an unknown id is 404; a deleted link is 404; a cut or oversized chain is 400', async () => {
    const req = parse({ input: 'x', previous_response_id: 'r2' });
    await expect(expandPrevious(repo([]), scope, req, 1000)).rejects.toMatchObject({ status: 404, param: 'previous_response_id' });
    await expect(expandPrevious(repo([link('r2', 'r1')]), scope, req, 1000)).rejects.toMatchObject({ status: 404, message: expect.stringContaining("'r1'") });
    await expect(expandPrevious(repo([link('r1', null, { truncated: true }), link('r2', 'r1')]), scope, req, 1000)).rejects.toMatchObject({ status: 400 });
    await expect(expandPrevious(repo([link('r1', null, { totalBytes: 2000 }), link('r2', 'r1')]), scope, req, 1000)).rejects.toMatchObject({ status: 400 });
  });
});

describe('item_reference resolution', () => {
  const stored = new Map<string, unknown>([
    ['msg_1', { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'earlier', annotations: [] }] }],
    ['rs_1', { id: 'rs_1', type: 'reasoning', summary: [] }],
  ]);
  let asked: unknown[] = [];
  const repo = { findStoredItems: async (ids: string[], keyId: string | null) => ((asked = [ids, keyId]), new Map([...stored].filter(([k]) => ids.includes(k)))) } as unknown as ResponsesRepo;
  const scope = { keyId: 'k1', sessionId: 's1' };

  it('replaces references with the stored items, in place, looked up in the caller key', async () => {
    const out = await resolveReferences(repo, scope, parse({ input: [{ role: 'user', content: 'hi' }, { type: 'item_reference', id: 'rs_1' }, { type: 'item_reference', id: 'msg_1' }, { role: 'user', content: 'again' }] }));
    expect(asked).toEqual([['rs_1', 'msg_1'], 'k1']);
    expect(out.input).toEqual([
      { role: 'user', content: 'hi' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'earlier' }] },
      { role: 'user', content: 'again' },
    ]);
  });

  it('an unknown reference is a 404 naming it', async () => {
    await expect(resolveReferences(repo, scope, parse({ input: [{ type: 'item_reference', id: 'msg_other' }] }))).rejects.toMatchObject({ status: 404, param: 'input[0].id' });
  });
});
