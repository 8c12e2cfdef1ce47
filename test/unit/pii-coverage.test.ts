// Which request fields the PII step redacts before they reach the upstream, checked on what the fake upstream received.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const REDACT = 'sk-gw-redact-key-0123456789';
const EMAIL = 'ann@example.com';
const CARD = '4111 1111 1111 1111';

let fake: FakeUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    providers: { up: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: 'sk-upstream-000000000', models: ['gpt-a', 'emb'] } },
    keys: [{ id: 'redactor', key: REDACT, pii: 'redact' }],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const llm = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: REDACT, maxRetries: 0 });
const lastBody = () => fake.requests.at(-1)!.body as Record<string, any>;

describe('pii redaction coverage', () => {
  it('redacts user, metadata values, tool descriptions and parameter descriptions before the upstream', async () => {
    await llm().chat.completions.create({
      model: 'up/gpt-a',
      messages: [
        { role: 'system', content: [{ type: 'text', text: `escalate to ${EMAIL}` }] },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'pay', arguments: JSON.stringify({ card: CARD }) } }] },
        { role: 'tool', tool_call_id: 'c1', content: `charged ${CARD}` },
      ],
      user: EMAIL,
      metadata: { owner: EMAIL, plain: 'nothing here' },
      tools: [
        {
          type: 'function',
          function: {
            name: 'pay',
            description: `Charge the card; receipts go to ${EMAIL}`,
            parameters: {
              type: 'object',
              title: `Payment for ${EMAIL}`,
              properties: {
                card: { type: 'string', description: `a card such as ${CARD}` },
                to: { type: 'string', enum: ['billing@example.com'] },
              },
            },
          },
        },
      ],
    });
    const body = lastBody();
    const sent = JSON.stringify(body);
    expect(sent).not.toContain(EMAIL);
    expect(sent).not.toContain(CARD);
    expect(body.user).toBe('[EMAIL_1]');
    expect(body.metadata).toEqual({ owner: '[EMAIL_1]', plain: 'nothing here' });
    const fn = body.tools[0].function;
    expect(fn.name).toBe('pay');
    expect(fn.description).toBe('Charge the card; receipts go to [EMAIL_1]');
    expect(fn.parameters.title).toBe('Payment for [EMAIL_1]');
    expect(fn.parameters.properties.card).toEqual({ type: 'string', description: 'a card such as [CREDIT_CARD_1]' });
    // Values that constrain the tool's input are schema, not prose: they stay.
    expect(fn.parameters.properties.to.enum).toEqual(['billing@example.com']);
    expect(body.messages[0].content[0].text).toBe('escalate to [EMAIL_1]');
    expect(body.messages[2].tool_calls[0].function.arguments).toBe('{"card":"[CREDIT_CARD_1]"}');
    expect(body.messages[3].content).toBe('charged [CREDIT_CARD_1]');
  });

  it('redacts embeddings input and user', async () => {
    await llm().embeddings.create({ model: 'up/emb', input: [`mail ${EMAIL}`, 'plain'], user: EMAIL });
    const body = lastBody();
    expect(body.input).toEqual(['mail [EMAIL_1]', 'plain']);
    expect(body.user).toBe('[EMAIL_1]');
  });

  // The body limit may refuse such nesting first (400); either way it must not be a 500 or reach the upstream unredacted.
  it('answers an unknown field nested 10,000 deep without a crash or a leak', async () => {
    const depth = 10_000;
    const extra = `${'{"a":'.repeat(depth)}"${EMAIL}"${'}'.repeat(depth)}`;
    const raw = `{"model":"up/gpt-a","messages":[{"role":"user","content":"hi"}],"extra":${extra}}`;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${REDACT}`, 'content-type': 'application/json' },
      body: raw,
    });
    expect(res.status).toBeLessThan(500);
    if (res.status === 200) {
      const sent = JSON.stringify(lastBody());
      expect(sent).not.toContain(EMAIL);
      expect(sent).toContain('[EMAIL_1]');
    } else expect(fake.requests).toHaveLength(0);
  });
});
