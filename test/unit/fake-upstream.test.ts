// Checks the fake upstream fixture itself over real HTTP: wire shapes, stream framing, faults and triggers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(() => up.close());
beforeEach(() => up.reset());

const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${up.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...headers },
    body: JSON.stringify(body),
  });

/** Splits an SSE body into frames (event name and data line). */
function frames(text: string): { event?: string; data: string }[] {
  return text.split(/\r?\n\r?\n/).filter(Boolean).map((block) => {
    const lines = block.split(/\r?\n/);
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '';
    return event === undefined ? { data } : { event, data };
  });
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

const hello = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello big world' }] };
const anthropicHeaders = { 'x-api-key': 'ak', 'anthropic-version': '2023-06-01' };

describe('fake upstream: OpenAI', () => {
  it('answers a chat completion with the echo text and word usage', async () => {
    const res = await post('/v1/chat/completions', hello);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { object: string; choices: { message: { content: string }; finish_reason: string }[]; usage: Record<string, number> };
    expect(json.object).toBe('chat.completion');
    expect(json.choices[0]?.message.content).toBe('echo: hello big world');
    expect(json.choices[0]?.finish_reason).toBe('stop');
    expect(json.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(up.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', aborted: false });
    expect(up.requests[0]?.headers.authorization).toBe('Bearer sk-test');
  });

  it('streams word pieces, a finish chunk, a usage chunk and [DONE]', async () => {
    const res = await post('/v1/chat/completions', { ...hello, stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = frames(text).slice(0, -1).map((f) => JSON.parse(f.data) as { choices: { delta: { content?: string; role?: string }; finish_reason: string | null }[]; usage: unknown });
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: hello big world');
    expect(chunks.slice(1, 5).map((c) => c.choices[0]?.delta.content)).toEqual(['echo:', ' hello', ' big', ' world']);
    expect(chunks.at(-2)?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('streams parallel tool calls as OpenAI deltas', async () => {
    const tools = ['get_weather', 'get_time'].map((name) => ({ type: 'function', function: { name, parameters: {} } }));
    const res = await post('/v1/chat/completions', { model: 'm', stream: true, tools, messages: [{ role: 'user', content: 'in parallel please' }] });
    const chunks = frames(await res.text()).slice(0, -1).map((f) => JSON.parse(f.data) as { choices: { delta: { tool_calls?: { index: number; id?: string; function: { name?: string; arguments: string } }[] }; finish_reason: string | null }[] });
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls.filter((t) => t.id).map((t) => [t.id, t.function.name])).toEqual([['call_1', 'get_weather'], ['call_2', 'get_time']]);
    expect(calls.filter((t) => t.index === 1).map((t) => t.function.arguments).join('')).toBe('{"city":"Paris"}');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('serves base64 embeddings that decode to the float ones', async () => {
    const floats = (await (await post('/v1/embeddings', { model: 'e', input: 'a b' })).json()) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
    const b64 = (await (await post('/v1/embeddings', { model: 'e', input: 'a b', encoding_format: 'base64' })).json()) as { data: { embedding: string }[] };
    const buf = Buffer.from(b64.data[0]?.embedding ?? '', 'base64');
    expect(Array.from(new Float32Array(buf.buffer, buf.byteOffset, 8))).toEqual(floats.data[0]?.embedding);
    expect(floats.usage.prompt_tokens).toBe(2);
  });
});

describe('fake upstream: faults and triggers', () => {
  it('applies queued faults in order, then answers normally', async () => {
    up.fault({ status: 429, headers: { 'retry-after': '1' } });
    up.fault({ status: 503, path: '/v1/messages' });
    const first = await post('/v1/chat/completions', hello);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.json()).toMatchObject({ error: { type: 'requests', code: 'rate_limit_exceeded' } });
    expect((await post('/v1/chat/completions', hello)).status).toBe(200);
    const anthropic = await post('/v1/messages', { model: 'c', max_tokens: 5, messages: [] }, anthropicHeaders);
    expect(anthropic.status).toBe(503);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('replies with the status named by a fail-<status> model', async () => {
    const res = await post('/v1beta/models/fail-500:generateContent', { contents: [] }, { 'x-goog-api-key': 'g' });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 500, status: 'INTERNAL' } });
  });

  it('records a client abort while hanging', async () => {
    up.fault({ hang: true });
    const ac = new AbortController();
    const req = fetch(`${up.url}/v1/models`, { signal: ac.signal }).catch((e: unknown) => e);
    await until(() => up.requests.length === 1);
    expect(up.requests[0]?.aborted).toBe(false);
    ac.abort();
    expect(await req).toBeInstanceOf(Error);
    await until(() => up.requests[0]?.aborted === true);
    expect(up.requests[0]?.aborted).toBe(true);
  });

  it('cuts a stream after n frames without a terminator', async () => {
    up.fault({ cutAfterChunks: 2 });
    const res = await post('/v1/chat/completions', { ...hello, stream: true });
    await expect(res.text()).rejects.toThrow();
    expect(up.requests[0]?.aborted).toBe(false);
  });

  it('delays headers for a slow-<ms> model and sends invalid JSON when malformed', async () => {
    const t0 = Date.now();
    await post('/v1/chat/completions', { ...hello, model: 'slow-150' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    up.fault({ malformed: true });
    const res = await post('/v1/chat/completions', hello);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });
});

describe('fake upstream: Anthropic', () => {
  it('streams the Messages API event sequence', async () => {
    const res = await post('/v1/messages', { model: 'claude-x', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi there' }] }, anthropicHeaders);
    const events = frames(await res.text());
    const order = events.map((e) => e.event);
    expect(order).toEqual([
      'message_start', 'content_block_start', 'ping',
      'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    const parsed = events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(parsed.every((p, i) => p.type === order[i])).toBe(true);
    expect(parsed[0]).toMatchObject({ message: { usage: { input_tokens: 2 } } });
    const text = parsed.slice(3, 6).map((p) => (p.delta as { text: string }).text).join('');
    expect(text).toBe('echo: hi there');
    expect(parsed[7]).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } });
  });

  it('requires its headers and max_tokens', async () => {
    const noKey = await post('/v1/messages', { model: 'c', max_tokens: 5, messages: [] }, { authorization: '' });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const noMax = await post('/v1/messages', { model: 'c', messages: [] }, anthropicHeaders);
    expect(noMax.status).toBe(400);
  });
});

describe('fake upstream: Gemini', () => {
  it('answers generateContent with candidates and usageMetadata', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'good morning' }] }] };
    const res = await post('/v1beta/models/gemini-2.0-flash:generateContent', body, { 'x-goog-api-key': 'g' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: 'echo: good morning' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 3, totalTokenCount: 5 },
      modelVersion: 'gemini-2.0-flash',
    });
    const denied = await post('/v1beta/models/gemini-2.0-flash:generateContent', body);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  });

  it('streams SSE frames with usage in the last one, and calls functions when given tools', async () => {
    const tools = [{ functionDeclarations: [{ name: 'get_weather' }] }];
    const res = await post('/v1beta/models/g:streamGenerateContent?alt=sse', { contents: [{ parts: [{ text: 'a b' }] }] }, { 'x-goog-api-key': 'g' });
    const parsed = frames(await res.text()).map((f) => JSON.parse(f.data) as { usageMetadata?: unknown });
    expect(parsed.length).toBe(3);
    expect(parsed.map((p) => p.usageMetadata !== undefined)).toEqual([false, false, true]);
    const call = await post('/v1beta/models/g:generateContent', { tools, contents: [{ parts: [{ text: 'weather?' }] }] }, { 'x-goog-api-key': 'g' });
    expect(await call.json()).toMatchObject({ candidates: [{ content: { parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] } }] });
  });

  it('404s unknown routes in the OpenAI shape', async () => {
    const res = await fetch(`${up.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
