// Budgets and rate limits under concurrency, with two gateway replicas sharing Redis when REDIS_URL is set.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';

const run = `${Date.now()}`;
const BUDGET_KEY = `sk-gw-budget-${run}-0123456789`;
const RATE_KEY = `sk-gw-rate-${run}-0123456789`;
const SESSION_KEY = `sk-gw-session-${run}-0123456789`;
const shared: Record<string, string> = process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {};
let a: RunningGateway;
let b: RunningGateway;

beforeAll(async () => {
  const cfg = {
    // $1000 per million tokens: one token costs 1000 micro-dollars, so small calls have visible prices.
    providers: { mock: { kind: 'mock', latencyMs: 15, prices: { echo: { input: 1000, output: 1000 } } } },
    keys: [
      { id: `budget-${run}`, key: BUDGET_KEY, budgets: [{ period: 'total', usd: 1 }] },
      { id: `rate-${run}`, key: RATE_KEY, rateLimits: { requestsPerMinute: 5 } },
      { id: `session-${run}`, key: SESSION_KEY, budgets: [{ period: 'daily', usd: 0.05, per: 'session' }] },
    ],
  };
  a = await startTestGateway(cfg, shared);
  b = process.env.REDIS_URL ? await startTestGateway(cfg, shared) : a;
});
afterAll(async () => {
  await a?.stop();
  if (b !== a) await b?.stop();
});

const client = (gw: RunningGateway, key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });

describe('budgets', () => {
  it('never overspends by more than one worst case under 200 concurrent calls across replicas', async () => {
    const body = { model: 'mock/echo', max_tokens: 50, messages: [{ role: 'user' as const, content: 'count the cost of this call please' }] };
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client(i % 2 ? b : a, BUDGET_KEY)
          .chat.completions.create(body)
          .then(() => 'ok')
          .catch((e: { status?: number; code?: string }) => `${e.status}:${e.code}`),
      ),
    );
    const ok = outcomes.filter((o) => o === 'ok').length;
    expect(ok).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o !== 'ok').every((o) => o === '429:insufficient_quota')).toBe(true);
    // Settlement runs just after each response: wait until nothing is held any more.
    await expect.poll(async () => (await a.deps.policyStores.budgets.usage(`key:budget-${run}`, 'total')).reservedMicros, { timeout: 10_000 }).toBe(0);
    const { spentMicros } = await a.deps.policyStores.budgets.usage(`key:budget-${run}`, 'total');
    const worstCaseMicros = (Math.ceil(body.messages[0]!.content.length) + 50) * 1000; // generous upper bound of one call
    expect(spentMicros).toBeGreaterThan(0);
    expect(spentMicros).toBeLessThanOrEqual(1_000_000 + worstCaseMicros);
    // Nearly all of the budget went to real calls: the reservations did not strand money.
    expect(spentMicros).toBeGreaterThan(1_000_000 - worstCaseMicros);
  });

  it('answers 429 insufficient_quota with x-should-retry: false once spent', async () => {
    const res = await fetch(`${a.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BUDGET_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', max_tokens: 50, messages: [{ role: 'user', content: 'more' }] }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'insufficient_quota' });
  });

  it('keeps per-session budgets apart', async () => {
    const call = (session: string) =>
      fetch(`${a.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SESSION_KEY}`, 'content-type': 'application/json', 'x-session-id': session },
        body: JSON.stringify({ model: 'mock/echo', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      }).then((r) => r.status);
    const first: number[] = [];
    for (let i = 0; i < 8; i++) first.push(await call(`s1-${run}`));
    expect(first).toContain(429);
    expect(await call(`s2-${run}`)).toBe(200);
  });
});

describe('rate limits', () => {
  it('enforces one limit across replicas with OpenAI-style headers', async () => {
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 8; i++) {
      const gw = i % 2 ? b : a;
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${RATE_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
      else expect(res.headers.get('x-ratelimit-limit-requests')).toBe('5');
      await res.body?.cancel();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited!.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });
});
