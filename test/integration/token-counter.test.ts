// One token counter and one output cap on every door: a stream without usage (an upstream that ignores include_usage, or one cut short) is settled with the counts the reservation used.
import { sql } from 'drizzle-orm';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenCounter } from '../../src/policy/tokens.js';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const KEY = 'sk-gw-counter-key-0123456789';
let fake: FakeUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    // $10 per million tokens in and out: a token costs 10 micro-dollars.
    providers: { up: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, models: ['gpt-4o'], prices: { 'gpt-4o': { input: 10, output: 10 } } } },
    keys: [{ id: 'counted', key: KEY, budgets: [{ period: 'total', usd: 100 }] }],
    policy: { defaultMaxOutputTokens: 300 },
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

async function rowFor(requestId: string) {
  await gw.deps.requestLog.flush();
  const res = await gw.deps.database.db.execute(sql`select input_tokens, output_tokens, cost_micros, status, error_code from request_log where request_id = ${requestId}`);
  return (res as unknown as { rows?: Record<string, unknown>[] }).rows?.[0] ?? (res as unknown as Record<string, unknown>[])[0];
}

describe('an upstream stream that reports no usage', () => {
  it('is counted with the same tokenizer the budget reserved with, and costed', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'count these words for me please' }];
    fake.fault({ ignoreIncludeUsage: true });
    const stream = await client.chat.completions.create({ model: 'up/gpt-4o', messages, stream: true, stream_options: { include_usage: true } }).withResponse();
    let text = '';
    let usageSeen = false;
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageSeen = true;
    }
    expect(usageSeen).toBe(false); // the upstream sent none, and the gateway does not invent a usage chunk
    const counter = createTokenCounter();
    const expectedIn = await counter.countInputTokens({ model: 'gpt-4o', messages } as never);
    const expectedOut = await counter.countText(text, 'gpt-4o');
    const row = await rowFor(stream.response.headers.get('x-request-id')!);
    expect(expectedOut).toBeGreaterThan(0);
    expect(row).toMatchObject({ status: 200, error_code: null, input_tokens: expectedIn, output_tokens: expectedOut });
    expect(Number(row!.cost_micros)).toBe((expectedIn + expectedOut) * 10);
  });
});

describe('the budget reservation caps the output on the agent doors too', () => {
  it('sends the cap the reservation assumed upstream: the default for a Responses call that set none, the client value for Messages', async () => {
    fake.reset();
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    await openai.responses.create({ model: 'up/gpt-4o', input: 'no cap given' });
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
    await anthropic.messages.create({ model: 'up/gpt-4o', max_tokens: 20_000, messages: [{ role: 'user', content: 'too large a cap' }] });
    const sent = fake.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    expect(sent.map((b) => b.max_tokens ?? b.max_completion_tokens)).toEqual([300, 20_000]);
  });
});
