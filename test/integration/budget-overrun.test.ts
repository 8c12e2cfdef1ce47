// No call spends past its reservation: the reserved output cap goes upstream for every provider kind, and an upstream that bills more is booked, audited and counted.
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { parsePrometheus, sampleValue } from '../helpers/prom-parse.js';

const run = `${Date.now()}-${randomUUID().slice(0, 8)}`;
const ADMIN = 'sk-admin-overrun-0123456789abcdef';
const CAPPED_KEY = `sk-gw-capped-${run}-0123456789`;
const TPM_KEY = `sk-gw-tpm-${run}-0123456789`;
const OPEN_KEY = `sk-gw-open-${run}-0123456789`;
const SMALL_KEY = `sk-gw-small-${run}-0123456789`;
const STREAM_KEY = `sk-gw-stream-${run}-0123456789`;
const AUDIT_KEY = `sk-gw-audit-${run}-0123456789`;
/** The output bound reservations assume when a request sets none. */
const DEFAULT_MAX = 300;
/** $10 per million tokens, in and out: one token costs 10 micro-dollars. */
const PRICE = { input: 10, output: 10 };
const MICROS_PER_TOKEN = 10;
/** What the dishonest upstream reports as output, whatever max_tokens said. */
const OVERBILL = 2000;
const SMALL_LIMIT_MICROS = 50_000; // $0.05

const shared: Record<string, string> = process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {};
let fake: FakeUpstream;
let gw: RunningGateway;

const prices = (...models: string[]) => Object.fromEntries(models.map((m) => [m, PRICE]));

beforeAll(async () => {
  fake = await startFakeUpstream();
  const big = [{ period: 'total', usd: 100 }];
  gw = await startTestGateway(
    {
      auth: { adminKey: ADMIN },
      // Process metrics render an idle event-loop lag as `Nan`, which the strict parser refuses.
      telemetry: { metrics: { processMetrics: false } },
      policy: { defaultMaxOutputTokens: DEFAULT_MAX },
      providers: {
        openai: { kind: 'openai', baseUrl: `${fake.url}/v1`, apiKey: 'sk-up-openai', prices: prices('gpt-4o-mini', `gpt-overbill-${OVERBILL}`) },
        compat: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: 'sk-up-compat', prices: prices('local-model') },
        azure: { kind: 'azure-openai', baseUrl: fake.url, apiKey: 'sk-up-azure', apiVersion: '2024-10-21', prices: prices('gpt-4o') },
        anthropic: { kind: 'anthropic', baseUrl: fake.url, apiKey: 'sk-up-anthropic', prices: prices('claude-haiku-4-5', `claude-overbill-${OVERBILL}`) },
        gemini: { kind: 'gemini', baseUrl: `${fake.url}/v1beta`, apiKey: 'sk-up-gemini', prices: prices('gemini-2.5-flash', `gemini-overbill-${OVERBILL}`) },
      },
      keys: [
        { id: `capped-${run}`, key: CAPPED_KEY, budgets: big },
        { id: `tpm-${run}`, key: TPM_KEY, rateLimits: { tokensPerMinute: 1_000_000 } },
        { id: `open-${run}`, key: OPEN_KEY },
        { id: `small-${run}`, key: SMALL_KEY, budgets: [{ period: 'total', usd: SMALL_LIMIT_MICROS / 1_000_000 }] },
        { id: `stream-${run}`, key: STREAM_KEY, budgets: [{ period: 'total', usd: SMALL_LIMIT_MICROS / 1_000_000 }] },
        { id: `audit-${run}`, key: AUDIT_KEY, budgets: big },
      ],
    },
    shared,
  );
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

const client = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'count the cost of this call please' }];
const lastBody = () => fake.requests.at(-1)!.body as Record<string, unknown>;

describe('the reserved output cap goes upstream', () => {
  it('adds the cap in the field each provider kind reads when the client set none', async () => {
    const c = client(CAPPED_KEY);
    await c.chat.completions.create({ model: 'openai/gpt-4o-mini', messages });
    expect(lastBody()).toMatchObject({ max_completion_tokens: DEFAULT_MAX });
    expect(lastBody().max_tokens).toBeUndefined();

    await c.chat.completions.create({ model: 'azure/gpt-4o', messages });
    expect(fake.requests.at(-1)!.path).toContain('/openai/deployments/gpt-4o/');
    expect(lastBody()).toMatchObject({ max_completion_tokens: DEFAULT_MAX });

    await c.chat.completions.create({ model: 'compat/local-model', messages });
    expect(lastBody()).toMatchObject({ max_tokens: DEFAULT_MAX });
    expect(lastBody().max_completion_tokens).toBeUndefined();

    await c.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages });
    expect(fake.requests.at(-1)!.path).toBe('/v1/messages');
    expect(lastBody()).toMatchObject({ max_tokens: DEFAULT_MAX });

    await c.chat.completions.create({ model: 'gemini/gemini-2.5-flash', messages });
    expect(fake.requests.at(-1)!.path).toContain(':generateContent');
    expect(lastBody()).toMatchObject({ generationConfig: { maxOutputTokens: DEFAULT_MAX } });
  });

  it('caps streams too', async () => {
    const c = client(CAPPED_KEY);
    for await (const _ of await c.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages, stream: true })) void _;
    expect(lastBody()).toMatchObject({ max_tokens: DEFAULT_MAX, stream: true });
    for await (const _ of await c.chat.completions.create({ model: 'gemini/gemini-2.5-flash', messages, stream: true })) void _;
    expect(lastBody()).toMatchObject({ generationConfig: { maxOutputTokens: DEFAULT_MAX } });
  });

  it('keeps the client’s own bound, per choice, and lowers a looser second field to the one reserved', async () => {
    const c = client(CAPPED_KEY);
    await c.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, max_tokens: 50, n: 3 });
    expect(lastBody()).toMatchObject({ max_tokens: 50, n: 3 });
    expect(lastBody().max_completion_tokens).toBeUndefined();

    await c.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, max_tokens: 5000, max_completion_tokens: 40 });
    expect(lastBody()).toMatchObject({ max_tokens: 40, max_completion_tokens: 40 });

    await c.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages, max_completion_tokens: 64 });
    expect(lastBody()).toMatchObject({ max_tokens: 64 });
  });

  it('caps calls a token-per-minute limit reserved for, and leaves unlimited calls as the client sent them', async () => {
    await client(TPM_KEY).chat.completions.create({ model: 'openai/gpt-4o-mini', messages });
    expect(lastBody()).toMatchObject({ max_completion_tokens: DEFAULT_MAX });

    const open = client(OPEN_KEY);
    await open.chat.completions.create({ model: 'openai/gpt-4o-mini', messages });
    expect(lastBody().max_completion_tokens).toBeUndefined();
    expect(lastBody().max_tokens).toBeUndefined();
    await open.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages });
    expect(lastBody()).toMatchObject({ max_tokens: 4096 }); // the adapter's own default, not a reservation
  });
});

/** Spent and held money of a key's total budget, once every settlement has landed. */
async function settledSpend(keyId: string): Promise<number> {
  const store = gw.deps.policyStores.budgets;
  await expect.poll(async () => (await store.usage(`key:${keyId}`, 'total')).reservedMicros, { timeout: 10_000 }).toBe(0);
  return (await store.usage(`key:${keyId}`, 'total')).spentMicros;
}

describe('an upstream that bills past the cap', () => {
  it('books the real cost, so sequential calls overspend by less than one call', async () => {
    const c = client(SMALL_KEY);
    const outcomes: string[] = [];
    const costs: number[] = [];
    for (let i = 0; i < 12; i++) {
      try {
        const r = await c.chat.completions.create({ model: `openai/gpt-overbill-${OVERBILL}`, messages, max_tokens: 100 });
        expect(fake.requests.at(-1)!.body).toMatchObject({ max_tokens: 100 }); // the cap went out; the upstream ignored it
        expect(r.usage!.completion_tokens).toBe(OVERBILL);
        costs.push((r.usage!.prompt_tokens + r.usage!.completion_tokens) * MICROS_PER_TOKEN);
        outcomes.push('ok');
      } catch (e) {
        outcomes.push(`${(e as { status?: number }).status}:${(e as { code?: string }).code}`);
      }
    }
    const ok = outcomes.filter((o) => o === 'ok').length;
    // Each call bills ~20k micro-dollars against a 50k budget: three fit, then the budget is spent.
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(outcomes.slice(0, ok).every((o) => o === 'ok')).toBe(true);
    expect(outcomes.slice(ok).every((o) => o === '429:insufficient_quota')).toBe(true);
    const spent = await settledSpend(`small-${run}`);
    expect(spent).toBe(costs.reduce((a, b) => a + b, 0)); // every call booked at what it really cost
    expect(spent).toBeGreaterThan(SMALL_LIMIT_MICROS);
    expect(spent).toBeLessThanOrEqual(SMALL_LIMIT_MICROS + Math.max(...costs));
  });

  it('holds for streams as well', async () => {
    const c = client(STREAM_KEY);
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        const stream = await c.chat.completions.create({ model: `gemini/gemini-overbill-${OVERBILL}`, messages, max_tokens: 100, stream: true, stream_options: { include_usage: true } });
        let out = 0;
        for await (const chunk of stream) if (chunk.usage) out = chunk.usage.completion_tokens;
        expect(out).toBe(OVERBILL);
        expect(fake.requests.at(-1)!.body).toMatchObject({ generationConfig: { maxOutputTokens: 100 } });
        outcomes.push('ok');
      } catch (e) {
        outcomes.push(`${(e as { status?: number }).status}:${(e as { code?: string }).code}`);
      }
    }
    const ok = outcomes.filter((o) => o === 'ok').length;
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(outcomes.slice(ok).length).toBeGreaterThan(0);
    expect(outcomes.slice(ok).every((o) => o === '429:insufficient_quota')).toBe(true);
    const spent = await settledSpend(`stream-${run}`);
    const oneCall = (OVERBILL + 50) * MICROS_PER_TOKEN; // generous: the prompt is a handful of words
    expect(spent).toBeGreaterThan(SMALL_LIMIT_MICROS);
    expect(spent).toBeLessThanOrEqual(SMALL_LIMIT_MICROS + oneCall);
  });

  it('records the overrun in the session timeline and the metric', async () => {
    const scrape = async () => {
      const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return sampleValue(parsePrometheus(await res.text()), 'gateway_budget_overrun_total', 'gateway_budget_overrun_total', { scope: 'key' }) ?? 0;
    };
    const before = await scrape();
    const sid = `overrun-${randomUUID()}`;
    const c = client(AUDIT_KEY);
    await c.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages }, { headers: { 'x-session-id': sid } });
    expect(await scrape()).toBe(before); // an honest call is no overrun
    await c.chat.completions.create({ model: `anthropic/claude-overbill-${OVERBILL}`, messages, max_tokens: 100 }, { headers: { 'x-session-id': sid } });
    expect(await scrape()).toBe(before + 1);

    await gw.deps.audit.flush();
    const res = await fetch(`${gw.url}/admin/sessions/${sid}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as { events: Array<Record<string, unknown>> };
    expect(events.map((e) => [e.kind, e.decision])).toEqual([
      ['model_call', 'allowed'],
      ['policy_decision', 'flagged'],
      ['model_call', 'flagged'],
    ]);
    expect(events[1]).toMatchObject({ step: 'budget', rule: 'budget:overrun' });
    expect(String(events[1]!.reason)).toMatch(/billed \$0\.02\d+, over the \$0\.00\d+ reserved \(2000 output tokens against a cap of 100\)/);
    const spent = await settledSpend(`audit-${run}`);
    expect(spent).toBeGreaterThan(OVERBILL * MICROS_PER_TOKEN);
  });
});
