// Input token counts against known values (gpt-tokenizer's encodeChat and OpenAI-verified fixtures) and output bounds.
import { countTokens as o200k, encodeChat as chat4o } from 'gpt-tokenizer/encoding/o200k_base';
import { encodeChat as chat4 } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import type { ChatRequest, FunctionTool } from '../../src/openai/schemas.js';
import { createTokenCounter, encodingFor } from '../../src/policy/tokens.js';

const counter = createTokenCounter({ defaultMaxOutputTokens: 2048 });
const conversation = [
  { role: 'system' as const, content: "# Important: you're the best robot" },
  { role: 'user' as const, content: 'Hello robot, tell me about naïve Bayes 🤖 and `x => x * 2`.' },
  { role: 'assistant' as const, content: 'hello world' },
];
const tool = (name: string, description: string | undefined, properties: Record<string, unknown>): FunctionTool => ({
  type: 'function',
  function: { name, ...(description ? { description } : {}), parameters: { type: 'object', properties } },
});
const hello = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }], ...extra });

describe('countInputTokens', () => {
  it.each([
    ['gpt-4o', chat4o(conversation, 'gpt-4o').length],
    ['openai/gpt-4o-mini', chat4o(conversation, 'gpt-4o').length],
    ['gpt-4', chat4(conversation, 'gpt-4').length],
    ['gpt-3.5-turbo', chat4(conversation, 'gpt-4').length],
  ])('%s matches encodeChat (%i)', async (model, expected) => {
    expect(await counter.countInputTokens({ model, messages: conversation })).toBe(expected);
  });

  // Counts OpenAI reported for these requests (gpt-tokenizer's function-calling fixtures, gpt-4o).
  it.each([
    { name: 'one message', req: hello(), tokens: 8 },
    { name: 'system + user + assistant', req: { model: 'gpt-4o', messages: [conversation[0]!, { role: 'user', content: 'hello robot' }, conversation[2]!] }, tokens: 26 },
    { name: 'one tool', req: hello({ tools: [tool('foo', undefined, {})] }), tokens: 31 },
    { name: "tool_choice 'none'", req: hello({ tools: [tool('foo', undefined, {})], tool_choice: 'none' }), tokens: 32 },
    { name: 'forced tool', req: hello({ tools: [tool('foo', undefined, {})], tool_choice: { type: 'function', function: { name: 'foo' } } }), tokens: 36 },
    { name: 'described tool', req: hello({ tools: [tool('foo', 'Do a foo', {})] }), tokens: 35 },
    { name: 'tool with params', req: hello({ tools: [tool('bing_bong', 'Do a bing bong', { foo: { type: 'string' }, bar: { type: 'number', description: 'A number' } })] }), tokens: 52 },
    {
      name: 'nested params',
      req: hello({ tools: [tool('bing_bong', 'Do a bing bong', { foo: { type: 'object', properties: { bar: { type: 'string', enum: ['a', 'b', 'c'] }, baz: { type: 'boolean' } } } })] }),
      tokens: 64,
    },
  ] as Array<{ name: string; req: ChatRequest; tokens: number }>)('$name: $tokens', async ({ req, tokens }) => {
    expect(await counter.countInputTokens(req)).toBe(tokens);
  });

  it.each([
    ['low', 85],
    ['high', 1600],
    [undefined, 1600],
  ] as const)('adds a flat %s-detail image estimate (%i)', async (detail, perImage) => {
    const req: ChatRequest = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', ...(detail ? { detail } : {}) } }] }],
    };
    expect(await counter.countInputTokens(req)).toBe(8 + perImage);
  });

  it('never counts a part it cannot read as free', async () => {
    const req: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'input_audio', input_audio: { data: 'AAAA' } }] }] };
    expect(await counter.countInputTokens(req)).toBe(8 + 500);
    // A large inline payload counts by its size, never less than the flat guess.
    const big: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'input_audio', input_audio: { data: 'A'.repeat(40_000) } }] }] };
    expect(await counter.countInputTokens(big)).toBeGreaterThanOrEqual(8 + 10_000);
  });

  it('counts tool calls of earlier assistant turns', async () => {
    const args = '{"city":"Paris","unit":"celsius"}';
    const base: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: 'weather?' }, { role: 'assistant', content: null }] };
    const withCall: ChatRequest = {
      ...base,
      messages: [base.messages[0]!, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: args } }] }],
    };
    const diff = (await counter.countInputTokens(withCall)) - (await counter.countInputTokens(base));
    expect(diff).toBe(o200k('get_weather') + o200k(args) + 3);
  });

  it('adds a json_schema response format', async () => {
    const schema = { name: 'answer', schema: { type: 'object', properties: { ok: { type: 'boolean' } } } };
    const req = hello({ response_format: { type: 'json_schema', json_schema: schema } });
    expect(await counter.countInputTokens(req)).toBe(8 + o200k(JSON.stringify(schema)));
  });

  it.each([
    ['anthropic/claude-sonnet-4-5', undefined],
    ['gemini-2.5-pro', undefined],
    ['my-deployment', 'anthropic' as const],
  ])('pads %s (no local tokenizer) by 1.1', async (model, provider) => {
    const base = await counter.countInputTokens({ model: 'gpt-4o', messages: conversation });
    expect(await counter.countInputTokens({ model, messages: conversation }, provider)).toBe(Math.ceil(base * 1.1));
  });
});

describe('encodingFor', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4.1-mini', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['some-local-llama', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo-2024-04-09', 'cl100k_base'],
    ['azure/gpt-35-turbo', 'cl100k_base'],
    ['openai/gpt-3.5-turbo', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
  ])('%s → %s', (model, encoding) => {
    expect(encodingFor(model)).toBe(encoding);
  });
});

describe('worstCaseOutputTokens', () => {
  it.each([
    { name: 'max_completion_tokens wins', extra: { max_completion_tokens: 100, max_tokens: 200 }, limit: 16_384, out: 100 },
    { name: 'then max_tokens', extra: { max_tokens: 200 }, limit: 16_384, out: 200 },
    { name: 'then the model limit', extra: {}, limit: 16_384, out: 16_384 },
    { name: 'then the configured default', extra: {}, limit: null, out: 2048 },
    { name: 'times n choices', extra: { max_tokens: 200, n: 3 }, limit: null, out: 600 },
    { name: 'null fields fall through', extra: { max_completion_tokens: null, max_tokens: null, n: null }, limit: undefined, out: 2048 },
  ] as Array<{ name: string; extra: Partial<ChatRequest>; limit: number | null | undefined; out: number }>)('$name', ({ extra, limit, out }) => {
    expect(counter.worstCaseOutputTokens(hello(extra), limit)).toBe(out);
  });
});

describe('countInputTokens on hostile input', () => {
  // Unbroken runs are quadratic for BPE and novel text is slow: both are counted in bounded pieces and time slices.
  it('counts a long unbroken run in pieces (a single pass would take minutes) and estimates past the exact limit', async () => {
    const n = await counter.countInputTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] });
    expect(n).toBeGreaterThan(2_000_000 / 8);
    expect(n).toBeLessThan(2_000_000);
  });
  it('never under-counts a digit run below one token per three characters', async () => {
    const n = await counter.countInputTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: '1 '.repeat(450_000) }] });
    expect(n).toBeGreaterThanOrEqual(300_000);
  });
  it('lets other work run while it counts', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const words = Array.from({ length: 40_000 }, (_, i) => `w${(i * 7919).toString(36)}q`).join(' ');
    await counter.countInputTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: words }] });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
  it('counts tool schemas the formatter cannot read instead of throwing', async () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 20_000; i++) deep = { type: 'object', properties: { a: deep } };
    const odd = { type: 'object', properties: { a: { type: 'string', enum: 'not-an-array' }, b: null } };
    for (const parameters of [deep, odd]) {
      const n = await counter.countInputTokens(hello({ tools: [{ type: 'function', function: { name: 'f', parameters } }] }));
      expect(n).toBeGreaterThan(8);
    }
  });
});
