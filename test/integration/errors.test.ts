// Error handling at the edge and from upstreams: statuses, OpenAI error bodies, no secrets, aborts propagated.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const SECRET = 'sk-upstream-secret-abcdef123456';
let fake: FakeUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    providers: {
      up: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: SECRET, timeouts: { firstByteMs: 300, idleMs: 300 } },
      claude: { kind: 'anthropic', baseUrl: fake.url, apiKey: SECRET },
      patient: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: SECRET },
    },
  });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const msg = [{ role: 'user' as const, content: 'hi' }];

async function post(path: string, body: string): Promise<{ status: number; json: { error: { code: string; message: string; type: string; param: string | null } } }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as never };
}

describe('client mistakes get 4xx in the OpenAI shape', () => {
  it.each([
    ['malformed JSON', '{"model":', 400, 'invalid_json', null],
    ['messages of the wrong type', '{"model":"up/m","messages":"hi"}', 400, 'invalid_request', 'messages'],
    ['a missing model', '{"messages":[{"role":"user","content":"hi"}]}', 400, 'invalid_request', 'model'],
    ['an unknown role', '{"model":"up/m","messages":[{"role":"robot","content":"hi"}]}', 400, 'invalid_request', 'messages.0.role'],
    ['an unknown model', '{"model":"nope","messages":[{"role":"user","content":"hi"}]}', 404, 'model_not_found', 'model'],
    ['an unknown provider', '{"model":"ghost/gpt","messages":[{"role":"user","content":"hi"}]}', 404, 'model_not_found', 'model'],
  ])('%s', async (_name, body, status, code, param) => {
    const r = await post('/v1/chat/completions', body);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.param).toBe(param);
    expect(r.json.error.message.length).toBeGreaterThan(10);
  });

  it('names the unknown provider and the configured ones', async () => {
    const r = await post('/v1/chat/completions', '{"model":"ghost/gpt","messages":[{"role":"user","content":"hi"}]}');
    expect(r.json.error.message).toContain('"ghost"');
    expect(r.json.error.message).toContain('up');
  });

  it('rejects an oversized body with 413 and an unknown route with 404', async () => {
    const big = JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'x'.repeat(21 * 1024 * 1024) }] });
    expect((await post('/v1/chat/completions', big)).status).toBe(413);
    expect((await post('/v1/nothing', '{}')).json.error.code).toBe('not_found');
  });
});

describe('upstream failures map to the right status', () => {
  it.each([
    [{ status: 400 }, 400, 'upstream_bad_request'],
    [{ status: 422 }, 422, 'upstream_bad_request'],
    [{ status: 401 }, 502, 'upstream_error'],
    [{ status: 404 }, 404, 'upstream_not_found'],
    [{ status: 429, headers: { 'retry-after': '7' } }, 429, 'upstream_rate_limited'],
    [{ status: 500 }, 502, 'upstream_error'],
    [{ status: 503 }, 502, 'upstream_error'],
    [{ delayMs: 2000 }, 504, 'upstream_timeout'],
    [{ malformed: true }, 502, 'upstream_error'],
  ])('%j → %i', async (fault, status, code) => {
    fake.fault(fault);
    const err = await client.chat.completions.create({ model: 'up/m', messages: msg }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(status);
    expect(e.code).toBe(code);
    expect(e.message).toContain('"up"');
    if (status === 429) expect(e.headers?.get('retry-after')).toBe('7');
  });

  it('never echoes a provider key the upstream put in its error message', async () => {
    fake.fault({ status: 400, body: { error: { message: `Incorrect API key provided: ${SECRET}`, type: 'invalid_request_error' } } });
    const e = (await client.chat.completions.create({ model: 'up/m', messages: msg }).catch((x: unknown) => x)) as Error;
    expect(e.message).toContain('Incorrect API key provided');
    expect(e.message).not.toContain(SECRET);
    fake.fault({ status: 401, body: { error: { message: `bad key ${SECRET}` } } });
    const e2 = (await client.chat.completions.create({ model: 'up/m', messages: msg }).catch((x: unknown) => x)) as Error;
    expect(e2.message).not.toContain(SECRET);
  });

  it('maps Anthropic-shaped errors too', async () => {
    fake.fault({ status: 529 });
    await expect(client.chat.completions.create({ model: 'claude/c', messages: msg })).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });
});

describe('streams', () => {
  it('reports an upstream stream cut midway as an in-band error the SDK throws', async () => {
    fake.fault({ cutAfterChunks: 2 });
    const stream = await client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'a b c d e f' }], stream: true });
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of stream) got.push(c.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(/ended before it was complete|broke mid-response/);
    expect(got.length).toBeGreaterThan(0);
  });

  it('reports a stream that goes idle as a timeout', async () => {
    fake.fault({ chunkDelayMs: 1500 });
    const stream = await client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'a b c' }], stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect((err as Error).message).toContain('idle timeout');
  });

  it('cancels the upstream request when the client disconnects mid-stream', async () => {
    fake.fault({ chunkDelayMs: 100 });
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'up/m', messages: [{ role: 'user', content: 'one two three four five six seven eight' }], stream: true },
      { signal: ac.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    await expect.poll(() => fake.requests.at(-1)?.aborted, { timeout: 5000 }).toBe(true);
  });

  it('cancels a hanging upstream request when the client gives up', async () => {
    fake.fault({ hang: true });
    const ac = new AbortController();
    // `patient` has the default 60 s timeouts, so only the client's abort can end this call.
    const pending = client.chat.completions.create({ model: 'patient/m', messages: msg }, { signal: ac.signal }).catch((e: unknown) => (e as Error).constructor.name + ': ' + (e as Error).message);
    await expect.poll(() => fake.requests.length, { timeout: 5000 }).toBe(1);
    ac.abort();
    expect(await pending).toMatch(/abort/i);
    await expect.poll(() => fake.requests[0]?.aborted, { timeout: 5000 }).toBe(true);
  });
});
