// The mock provider through the real gateway and the official openai SDK: chat, streams, tools, embeddings, models.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';

let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  gw = await startTestGateway({ providers: { mock: { kind: 'mock', models: ['echo'] } }, models: { fast: { targets: [{ model: 'mock/echo' }] } } });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => gw?.stop());

const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

describe('mock provider through the gateway', () => {
  it('answers a plain chat deterministically, with usage and ids', async () => {
    const res = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    expect(res.data.choices[0]?.message.content).toBe('echo: hello there');
    expect(res.data.choices[0]?.finish_reason).toBe('stop');
    expect(res.data.usage?.total_tokens).toBeGreaterThan(0);
    expect(res.response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(res.response.headers.get('x-session-id')).toBe(res.response.headers.get('x-request-id'));
  });

  it('resolves an alias and a bare declared model name', async () => {
    const a = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] });
    const b = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'y' }] });
    expect(a.choices[0]?.message.content).toBe('echo: x');
    expect(b.choices[0]?.message.content).toBe('echo: y');
  });

  it('streams with role first, finish_reason, and a usage chunk only when asked', async () => {
    const withUsage = await client.chat.completions.create({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'one two three' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of withUsage) chunks.push(c);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: one two three');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);

    const without = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'a' }], stream: true });
    const plain = [];
    for await (const c of without) plain.push(c);
    expect(plain.every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true);
  });

  it('returns tool calls, streamed and parallel, that the SDK reassembles', async () => {
    const one = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'weather?' }], tools });
    expect(one.choices[0]?.finish_reason).toBe('tool_calls');
    expect(one.choices[0]?.message.tool_calls?.[0]?.type === 'function' && one.choices[0].message.tool_calls[0].function.name).toBe('get_weather');

    const two = [...tools, { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object' } } }];
    const final = await client.chat.completions
      .stream({ model: 'mock/echo', messages: [{ role: 'user', content: 'parallel please' }], tools: two })
      .finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(calls[0]!.type === 'function' ? calls[0]!.function.arguments : '')).toEqual({ city: 'parallel please' }); // the first string property gets the prompt when the schema requires none
  });

  it('embeds with the base64 default the SDK uses, and with floats', async () => {
    const b64 = await client.embeddings.create({ model: 'mock/echo', input: ['a', 'b'] });
    expect(b64.data).toHaveLength(2);
    expect(b64.data[0]?.embedding).toHaveLength(8);
    const floats = await client.embeddings.create({ model: 'mock/echo', input: 'a', encoding_format: 'float' });
    expect(floats.data[0]?.embedding[0]).toBeCloseTo(b64.data[0]!.embedding[0]!, 5);
  });

  it('lists aliases and declared models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(['fast', 'mock/echo']);
  });
});
