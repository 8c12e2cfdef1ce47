// Unit tests for the Gemini adapter: request, response, stream and embeddings translation, and the wire calls.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderConfigSchema } from '../../src/config.js';
import { GatewayError } from '../../src/errors.js';
import { encodeEmbeddingBase64 } from '../../src/openai/embedding-encoding.js';
import { ChatRequestSchema, type ChatRequest } from '../../src/openai/schemas.js';
import type { SseEvent } from '../../src/openai/sse.js';
import type { ChatCompletionChunk } from '../../src/openai/types.js';
import { closeUpstreamAgents } from '../../src/providers/http.js';
import { createGeminiProvider } from '../../src/providers/gemini.js';
import { embeddingInputs, fromGeminiEmbedResponse, toGeminiEmbedRequest } from '../../src/providers/gemini-embeddings.js';
import { SKIP_SIGNATURE, toGeminiRequest } from '../../src/providers/gemini-request.js';
import { toChatCompletion } from '../../src/providers/gemini-response.js';
import { translateGeminiStream } from '../../src/providers/gemini-stream.js';
import type { GeminiResponse } from '../../src/providers/gemini-types.js';

const chat = (extra: Record<string, unknown>): ChatRequest =>
  ChatRequestSchema.parse({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], ...extra });

const weatherCall = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } };

describe('gemini request translation', () => {
  it.each([
    {
      name: 'system and developer become systemInstruction; consecutive users merge',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'No emoji.' }] },
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'c' },
      ],
      expected: {
        systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'No emoji.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'a' }, { text: 'b' }] },
          { role: 'model', parts: [{ text: 'c' }] },
        ],
      },
    },
    {
      name: 'images: data URLs inline, http URLs by reference with a guessed mime type',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
            { type: 'image_url', image_url: { url: 'https://x.test/cat.webp?s=1' } },
            { type: 'image_url', image_url: { url: 'https://x.test/photo' } },
          ],
        },
      ],
      expected: {
        contents: [
          {
            role: 'user',
            parts: [
              { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
              { fileData: { fileUri: 'https://x.test/cat.webp?s=1', mimeType: 'image/webp' } },
              { fileData: { fileUri: 'https://x.test/photo', mimeType: 'image/jpeg' } },
            ],
          },
        ],
      },
    },
    {
      name: 'tool calls and results: names looked up, JSON objects kept, text wrapped, results merged',
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { ...weatherCall, extra_content: { google: { thought_signature: 'SIG' } } },
            { id: 'call_2', type: 'function', function: { name: 'time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'noon' }] },
        { role: 'assistant', content: 'ok', tool_calls: [weatherCall] },
        { role: 'tool', tool_call_id: 'call_1', content: '[1,2]' },
      ],
      expected: {
        contents: [
          { role: 'user', parts: [{ text: 'weather?' }] },
          {
            role: 'model',
            parts: [
              { functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG' },
              { functionCall: { name: 'time', args: {} } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'weather', response: { temp: 21 } } },
              { functionResponse: { name: 'time', response: { content: 'noon' } } },
            ],
          },
          {
            role: 'model',
            parts: [{ text: 'ok' }, { functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: SKIP_SIGNATURE }],
          },
          { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { content: '[1,2]' } } }] },
        ],
      },
    },
  ])('$name', ({ messages, expected }) => {
    expect(toGeminiRequest(chat({ messages }))).toEqual(expected);
  });

  it.each([
    { name: 'invalid tool arguments', code: 'invalid_request', messages: [{ role: 'assistant', content: null, tool_calls: [{ ...weatherCall, function: { name: 'w', arguments: '{oops' } }] }] },
    { name: 'unknown tool_call_id', code: 'invalid_request', messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] },
    { name: 'unsupported content part', code: 'unsupported', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] },
    { name: 'bad image URL', code: 'invalid_request', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] },
  ])('rejects $name with a 400', ({ messages, code }) => {
    const err = (() => {
      try {
        toGeminiRequest(chat({ messages }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code, status: 400 });
  });

  it('declares tools with schemas trimmed to what Gemini accepts', () => {
    const parameters = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      properties: {
        strict: { type: 'boolean', description: 'a property named like a keyword survives' },
        tags: { type: 'array', items: { type: 'object', properties: { v: { type: ['string', 'null'] } }, additionalProperties: false } },
      },
      required: ['strict'],
    };
    const body = toGeminiRequest(
      chat({
        tools: [
          { type: 'function', function: { name: 'f', description: 'd', parameters, strict: true } },
          { type: 'function', function: { name: 'g', parameters: { type: 'object', properties: {} } } },
        ],
      }),
    );
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'f',
            description: 'd',
            parameters: {
              type: 'object',
              properties: {
                strict: { type: 'boolean', description: 'a property named like a keyword survives' },
                tags: { type: 'array', items: { type: 'object', properties: { v: { type: 'string', nullable: true } } } },
              },
              required: ['strict'],
            },
          },
          { name: 'g' },
        ],
      },
    ]);
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [{ type: 'function', function: { name: 'f' } }, { mode: 'ANY', allowedFunctionNames: ['f'] }],
  ])('maps tool_choice %j', (tool_choice, expected) => {
    expect(toGeminiRequest(chat({ tool_choice })).toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it.each([
    { req: {}, expected: undefined },
    {
      req: { temperature: 0.2, top_p: 0.9, max_tokens: 10, max_completion_tokens: 20, stop: 'END', n: 2, seed: 7, presence_penalty: 0.5, frequency_penalty: -0.5 },
      expected: { temperature: 0.2, topP: 0.9, maxOutputTokens: 20, stopSequences: ['END'], candidateCount: 2, seed: 7, presencePenalty: 0.5, frequencyPenalty: -0.5 },
    },
    { req: { max_tokens: 10, stop: ['a', 'b'] }, expected: { maxOutputTokens: 10, stopSequences: ['a', 'b'] } },
    { req: { response_format: { type: 'json_object' } }, expected: { responseMimeType: 'application/json' } },
    {
      req: { response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object', additionalProperties: false } } } },
      expected: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object', additionalProperties: false } },
    },
  ])('generationConfig from $req', ({ req, expected }) => {
    expect(toGeminiRequest(chat(req)).generationConfig).toEqual(expected);
  });
});

const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 3, totalTokenCount: 18, cachedContentTokenCount: 4 };

describe('gemini response translation', () => {
  it('joins answer text, skips thoughts, maps usage, id and model', () => {
    const res: GeminiResponse = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'hmm', thought: true }, { text: 'Hel' }, { text: 'lo' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata,
      modelVersion: 'gemini-2.5-flash-001',
      responseId: 'r1',
    };
    expect(toChatCompletion(res, 'gemini-2.5-flash')).toMatchObject({
      id: 'chatcmpl-r1',
      object: 'chat.completion',
      model: 'gemini-2.5-flash-001',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 3 } },
    });
  });

  it('turns function calls into tool_calls carrying the thought signature', () => {
    const out = toChatCompletion(
      { candidates: [{ content: { parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG' }, { functionCall: { name: 'time' } }] }, finishReason: 'STOP' }] },
      'm',
    );
    const msg = out.choices[0]!.message;
    expect(out.model).toBe('m');
    expect(out.id).toMatch(/^chatcmpl-[0-9a-f]+$/);
    expect(out.choices[0]!.finish_reason).toBe('tool_calls');
    expect(msg.content).toBeNull();
    expect(msg.tool_calls).toMatchObject([
      { type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'SIG' } } },
      { type: 'function', function: { name: 'time', arguments: '{}' } },
    ]);
    expect(msg.tool_calls![0]!.id).toMatch(/^call_/);
    expect(msg.tool_calls![0]!.id).not.toBe(msg.tool_calls![1]!.id);
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'stop'],
    [undefined, 'stop'],
  ])('finishReason %s → %s', (finishReason, expected) => {
    const out = toChatCompletion({ candidates: [{ content: { parts: [{ text: 'x' }] }, ...(finishReason ? { finishReason } : {}) }] }, 'm');
    expect(out.choices[0]!.finish_reason).toBe(expected);
  });

  it('numbers several candidates by their index', () => {
    const out = toChatCompletion({ candidates: [{ content: { parts: [{ text: 'a' }] }, index: 0 }, { content: { parts: [{ text: 'b' }] }, index: 1 }] }, 'm');
    expect(out.choices.map((c) => [c.index, c.message.content])).toEqual([[0, 'a'], [1, 'b']]);
  });

  it('rejects a blocked prompt with a 400', () => {
    expect(() => toChatCompletion({ promptFeedback: { blockReason: 'SAFETY' } }, 'm')).toThrow(
      expect.objectContaining({ code: 'upstream_bad_request', status: 400, message: 'Gemini blocked the prompt: SAFETY' }),
    );
  });
});

async function* replay(frames: Array<GeminiResponse | SseEvent>): AsyncGenerator<SseEvent> {
  for (const f of frames) yield 'data' in f && typeof f.data === 'string' ? f : { data: JSON.stringify(f) };
}

async function collect(frames: Array<GeminiResponse | SseEvent>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of translateGeminiStream(replay(frames), { model: 'gemini-2.5-flash', providerId: 'gem' })) out.push(c);
  return out;
}

/** Recorded from streamGenerateContent?alt=sse (signature shortened). */
const TEXT_FRAMES: GeminiResponse[] = [
  { candidates: [{ content: { parts: [{ text: 'thinking…', thought: true }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 }, modelVersion: 'gemini-2.5-flash', responseId: 'abc' },
  { candidates: [{ content: { parts: [{ text: 'Hello' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 1, totalTokenCount: 8 }, modelVersion: 'gemini-2.5-flash', responseId: 'abc' },
  { candidates: [{ content: { parts: [{ text: ' world' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 2, thoughtsTokenCount: 4, totalTokenCount: 13 }, modelVersion: 'gemini-2.5-flash', responseId: 'abc' },
];
const TOOL_FRAMES: GeminiResponse[] = [
  {
    candidates: [{ content: { parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: 'CiQB' }, { functionCall: { name: 'time', args: {} } }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 30, candidatesTokenCount: 10, totalTokenCount: 40 },
    modelVersion: 'gemini-3-flash-preview',
    responseId: 'xyz',
  },
];

describe('gemini stream translation', () => {
  it('streams text with a role-first delta, a finish chunk and a final usage chunk', async () => {
    const chunks = await collect(TEXT_FRAMES);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-abc']));
    expect(chunks.map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason ?? null])).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'Hello' }, null],
      [{ content: ' world' }, null],
      [{}, 'stop'],
      [undefined, null],
    ]);
    expect(chunks.at(-1)).toMatchObject({ object: 'chat.completion.chunk', model: 'gemini-2.5-flash', choices: [], usage: { prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 } });
  });

  it('emits whole tool calls with running indexes and finish_reason tool_calls', async () => {
    const chunks = await collect(TOOL_FRAMES);
    expect(chunks).toHaveLength(3);
    const calls = chunks[0]!.choices[0]!.delta.tool_calls!;
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(calls).toMatchObject([
      { index: 0, type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'CiQB' } } },
      { index: 1, type: 'function', function: { name: 'time', arguments: '{}' } },
    ]);
    expect(calls[0]!.id).toMatch(/^call_/);
    expect(chunks[1]!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks[2]!.usage).toEqual({ prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 });
  });

  it('keeps candidates apart when n > 1', async () => {
    const chunks = await collect([
      { candidates: [{ content: { parts: [{ text: 'a' }] }, index: 0 }, { content: { parts: [{ text: 'b' }] }, index: 1, finishReason: 'MAX_TOKENS' }] },
      { candidates: [{ content: { parts: [{ text: 'c' }] }, index: 0, finishReason: 'STOP' }] },
    ]);
    const byChoice = (i: number) => chunks.flatMap((c) => c.choices.filter((ch) => ch.index === i));
    expect(byChoice(0).map((c) => [c.delta, c.finish_reason])).toEqual([[{ role: 'assistant', content: 'a' }, null], [{ content: 'c' }, null], [{}, 'stop']]);
    expect(byChoice(1).map((c) => [c.delta, c.finish_reason])).toEqual([[{ role: 'assistant', content: 'b' }, null], [{}, 'length']]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it.each([
    { name: 'an error frame', frames: [TEXT_FRAMES[0]!, { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } }], code: 'upstream_error', message: /Internal error/ },
    { name: 'a malformed frame', frames: [{ data: '{not json' }], code: 'upstream_error', message: /malformed/ },
    { name: 'a stream cut before finishReason', frames: TEXT_FRAMES.slice(0, 2), code: 'upstream_error', message: /ended before/ },
    { name: 'an empty stream', frames: [], code: 'upstream_error', message: /ended before/ },
    { name: 'a blocked prompt', frames: [{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }], code: 'upstream_bad_request', message: /blocked the prompt: PROHIBITED_CONTENT/ },
  ])('throws a GatewayError on $name', async ({ frames, code, message }) => {
    const err: unknown = await collect(frames).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) });
  });
});

describe('gemini embeddings', () => {
  it.each([[[0]], [[1, -2.5, 0.125]], [[3.4028234663852886e38, -1e-7, Math.PI]]])('encodes %j as little-endian float32 base64', (v) => {
    const bytes = Buffer.from(encodeEmbeddingBase64(v), 'base64');
    expect(bytes.length).toBe(v.length * 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(v.map((_, i) => view.getFloat32(i * 4, true))).toEqual(v.map((x) => Math.fround(x)));
  });

  it.each([
    ['a string', 'hi', ['hi']],
    ['a string list', ['a', 'b'], ['a', 'b']],
  ])('accepts %s', (_n, input, expected) => expect(embeddingInputs(input)).toEqual(expected));

  it.each([[[1, 2, 3]], [[[1, 2], [3]]]])('rejects token arrays %j', (input) => {
    expect(() => embeddingInputs(input)).toThrow(expect.objectContaining({ code: 'unsupported', status: 400 }));
  });

  it('builds batch requests and returns the OpenAI shape with estimated usage', () => {
    expect(toGeminiEmbedRequest(['a'], 'gemini-embedding-001', 256)).toEqual({
      requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 256 }],
    });
    const res = { embeddings: [{ values: [0.5, 1] }, { values: [2] }] };
    expect(fromGeminiEmbedResponse(res, ['abcde', 'fgh'], 'e', 'float')).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.5, 1] }, { object: 'embedding', index: 1, embedding: [2] }],
      model: 'e',
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    expect(fromGeminiEmbedResponse(res, ['x'], 'e', 'base64').data[0]!.embedding).toBe(encodeEmbeddingBase64([0.5, 1]));
  });
});

describe('gemini provider over HTTP', () => {
  const seen: Array<{ url: string; key: string | undefined; body: unknown }> = [];
  let server: Server;
  let baseUrl = '';

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', key: req.headers['x-goog-api-key'] as string | undefined, body: JSON.parse(raw) as unknown });
        if (req.url?.includes(':streamGenerateContent')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          for (const f of TEXT_FRAMES) res.write(`data: ${JSON.stringify(f)}\r\n\r\n`);
          res.end();
        } else if (req.url?.includes(':batchEmbedContents')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: [{ values: [1, 2] }] }));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ promptFeedback: { blockReason: 'OTHER' } }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1beta/`;
  });
  afterAll(async () => {
    await closeUpstreamAgents();
    await new Promise((r) => server.close(r));
  });

  const provider = () => {
    const config = ProviderConfigSchema.parse({ kind: 'gemini', apiKey: 'AIzaTESTKEY', baseUrl, models: ['gemini-2.5-flash'] });
    if (config.kind !== 'gemini') throw new Error('unreachable');
    return createGeminiProvider('gem', config);
  };
  const call = (model: string) => ({ model, signal: new AbortController().signal, requestId: 'r' });

  it('streams, embeds and rejects a blocked prompt, with the key only in a header', async () => {
    const p = provider();
    expect(p.models()).toEqual(['gemini-2.5-flash']);
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of await p.chatStream(chat({}), call('gemini-2.5-flash'))) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello world');
    expect(chunks.at(-1)!.usage?.total_tokens).toBe(13);

    const emb = await p.embeddings({ model: 'e', input: 'hi', encoding_format: 'base64' }, call('models/gemini-embedding-001'));
    expect(emb.data[0]!.embedding).toBe(encodeEmbeddingBase64([1, 2]));

    await expect(p.chat(chat({}), call('gemini-2.5-flash'))).rejects.toMatchObject({ code: 'upstream_bad_request' });

    expect(seen.map((s) => s.url)).toEqual([
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      '/v1beta/models/gemini-embedding-001:batchEmbedContents',
      '/v1beta/models/gemini-2.5-flash:generateContent',
    ]);
    expect(seen.every((s) => s.key === 'AIzaTESTKEY' && !s.url.includes('key'))).toBe(true);
    expect(seen[0]!.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  });
});
