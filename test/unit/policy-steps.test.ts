// Table-driven tests of the rate-limit, budget and PII steps on in-process stores.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createMemoryBudgetStore } from '../../src/policy/budget-store-memory.js';
import { toAccessPolicy } from '../../src/policy/policy-schema.js';
import { chatContext } from '../helpers/policy-context.js';
import { createPriceBook } from '../../src/policy/prices.js';
import { createRateLimitStore } from '../../src/policy/rate-limit-store.js';
import { budgetLimits, budgetStep } from '../../src/policy/steps/budget.js';
import { piiModeOf, piiStep } from '../../src/policy/steps/pii.js';
import { rateLimitStep } from '../../src/policy/steps/rate-limit.js';
import { createTokenCounter } from '../../src/policy/tokens.js';
import type { Denial } from '../../src/policy/types.js';

const config = parseConfig({ providers: { p: { kind: 'mock', prices: { m: { input: 1000, output: 1000 } } }, free: { kind: 'openai-compatible', baseUrl: 'http://x/v1' } } }, {});
const prices = createPriceBook(config);
const tokens = createTokenCounter();

const ctx = chatContext;

const isDenial = (v: unknown): v is Denial => !!v && typeof v === 'object' && 'code' in v;

describe('budget step', () => {
  const step = (unpriced: 'allow' | 'deny' = 'allow', store = createMemoryBudgetStore()) =>
    budgetStep({ store, prices, tokens, defaultMaxOutput: 100, unpricedModels: unpriced, toolCostUsd: (s) => (s === 'paid' ? 0.5 : 0) });

  it.each([
    ['no budget: nothing reserved', {}, undefined, 'pass'],
    ['a budget with room', { budgets: [{ period: 'daily', usd: 1 }] }, undefined, 'pass'],
    ['a budget smaller than the worst case', { budgets: [{ period: 'daily', usd: 0.001 }] }, undefined, 'insufficient_quota'],
    ['an unpriced model allowed and flagged', { budgets: [{ period: 'daily', usd: 1 }] }, { model: { requested: 'free/x', targets: ['free/x'], maxParallel: 1 } }, 'pass'],
    ['a paid tool over budget', { budgets: [{ period: 'total', usd: 0.1 }] }, { door: 'tool' as const, mcp: { server: 'paid', tool: 'paid__t' } }, 'insufficient_quota'],
  ])('%s', async (_n, policy, part, expected) => {
    const r = await step().before(ctx(policy, part));
    expect(isDenial(r) ? r.code : 'pass').toBe(expected);
  });

  it('denies an unpriced model when the config says so', async () => {
    const r = await step('deny').before(ctx({ budgets: [{ period: 'daily', usd: 1 }] }, { model: { requested: 'free/x', targets: ['free/x'], maxParallel: 1 } }));
    expect(isDenial(r) && r.rule).toBe('budget:cost_unknown');
  });

  it('settles to the actual cost and releases failed calls', async () => {
    const store = createMemoryBudgetStore();
    const s = step('allow', store);
    const hooks = await s.before(ctx({ budgets: [{ period: 'total', usd: 1 }] }));
    if (isDenial(hooks) || !hooks) throw new Error('expected hooks');
    expect((await store.usage('key:k', 'total')).reservedMicros).toBeGreaterThan(0);
    await hooks.after!({ ok: true, inputTokens: 3, outputTokens: 2, costMicros: 5000 });
    expect(await store.usage('key:k', 'total')).toMatchObject({ spentMicros: 5000, reservedMicros: 0 });
    const failed = await s.before(ctx({ budgets: [{ period: 'total', usd: 1 }] }));
    if (isDenial(failed) || !failed) throw new Error('expected hooks');
    await failed.after!({ ok: false });
    expect(await store.usage('key:k', 'total')).toMatchObject({ spentMicros: 5000, reservedMicros: 0 });
  });

  it('scopes session budgets by session', () => {
    const c = ctx({ budgets: [{ period: 'daily', usd: 1, per: 'session' }, { period: 'monthly', usd: 5 }] });
    expect(budgetLimits(c).map((l) => l.scope)).toEqual(['session:key:k:s1', 'key:k']);
  });
});

describe('rate-limit step', () => {
  it.each([
    ['requests per minute', { rateLimits: { requestsPerMinute: 2 } }, {}, 2],
    // About 110 tokens a call (a short prompt plus max_tokens 100): two fit in 250, the third does not.
    ['tokens per minute', { rateLimits: { tokensPerMinute: 250 } }, { input: { model: 'p/m', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] } }, 2],
    ['tool calls per minute per tool', { rateLimits: { toolCallsPerMinute: 1 } }, { door: 'tool' as const, mcp: { server: 'a', tool: 'a__t' } }, 1],
  ])('%s', async (_n, policy, part, allowed) => {
    const step = rateLimitStep({ store: createRateLimitStore(), tokens, defaultMaxOutput: 100 });
    const results: string[] = [];
    for (let i = 0; i < allowed + 1; i++) {
      const c = ctx(policy, part);
      const r = await step.before(c);
      results.push(isDenial(r) ? r.code : 'ok');
      if (isDenial(r)) expect(r.headers?.['retry-after']).toMatch(/^\d+$/);
    }
    expect(results).toEqual([...Array(allowed).fill('ok'), 'rate_limit_exceeded']);
  });

  it('leaves calls without limits alone', async () => {
    const step = rateLimitStep({ store: createRateLimitStore(), tokens, defaultMaxOutput: 100 });
    const c = ctx({});
    expect(await step.before(c)).toBeUndefined();
    expect(c.responseHeaders).toEqual({});
  });
});

describe('pii step', () => {
  const text = 'reach me at ann@example.com';
  it.each([
    ['off', undefined, text, 'pass'],
    ['audit', 'flagged', text, 'pass'],
    ['redact', 'redacted', 'reach me at [EMAIL_1]', 'pass'],
    ['block', 'denied', text, 'content_blocked'],
  ] as const)('%s', async (mode, decision, sent, outcome) => {
    const c = ctx({ pii: mode }, { input: { model: 'p/m', messages: [{ role: 'user', content: text }] } });
    const r = await piiStep('off').before(c);
    expect(isDenial(r) ? r.code : 'pass').toBe(outcome);
    expect((c.input as { messages: Array<{ content: string }> }).messages[0]!.content).toBe(sent);
    expect(c.decisions[0]?.decision).toBe(decision);
    if (decision) expect(c.decisions[0]?.findings).toEqual({ EMAIL: 1 });
  });

  it('takes the stricter of key and team, else the default', () => {
    const p = (key: string | null, team: string | null) => ({
      principal: { keyId: 'k', teamId: 't', key: toAccessPolicy({ pii: key }), team: toAccessPolicy({ pii: team }), metadata: {} },
    });
    expect(piiModeOf(p('redact', 'block'), 'off')).toBe('block');
    expect(piiModeOf(p('audit', null), 'redact')).toBe('audit');
    expect(piiModeOf(p(null, null), 'redact')).toBe('redact');
  });
});
