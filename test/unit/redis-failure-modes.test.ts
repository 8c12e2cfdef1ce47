// Failure modes of the policy stores when Redis does not answer: budgets closed/open, rate limits local/open/closed.
import { createServer } from 'node:net';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { GatewayError } from '../../src/errors.js';
import { StoreUnavailableError, type BudgetStore } from '../../src/policy/budget-store.js';
import { createRedisBudgetStore } from '../../src/policy/budget-store-redis.js';
import { chatContext } from '../helpers/policy-context.js';
import { createPriceBook } from '../../src/policy/prices.js';
import { createRateLimitStore, type RateCheck } from '../../src/policy/rate-limit-store.js';
import { budgetStep } from '../../src/policy/steps/budget.js';
import { rateLimitStep } from '../../src/policy/steps/rate-limit.js';
import { createTokenCounter } from '../../src/policy/tokens.js';

const config = parseConfig({ providers: { p: { kind: 'mock', prices: { m: { input: 1000, output: 1000 } } } } }, {});
const prices = createPriceBook(config);
const tokens = createTokenCounter();

const ctx = chatContext;

/** A client for a port nobody listens on, set up like the gateway's policy connection: it never becomes ready. */
let down: Redis;
beforeAll(async () => {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  down = new Redis({ port, host: '127.0.0.1', commandTimeout: 100, maxRetriesPerRequest: 0, lazyConnect: true });
  down.on('error', () => undefined);
});
afterAll(() => down.disconnect());

const unavailableStore: BudgetStore = {
  reserve: () => Promise.reject(new StoreUnavailableError('budget', new Error('Connection is closed.'))),
  settle: () => Promise.reject(new Error('unused')),
  release: () => Promise.reject(new Error('unused')),
  usage: () => Promise.reject(new Error('unused')),
};
const budget = { budgets: [{ period: 'daily', usd: 1 }] };

describe('budget store on a Redis that is down', () => {
  it('rejects with StoreUnavailableError, not the client error', async () => {
    const store = createRedisBudgetStore({ redis: down, keyPrefix: 'test:down:' });
    await expect(store.reserve([{ scope: 'key:k', period: 'daily', limitMicros: 1_000_000 }], 10)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.usage('key:k', 'daily')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('budget step when the store is unavailable', () => {
  const step = (onStoreFailure?: 'closed' | 'open', store = unavailableStore) =>
    budgetStep({ store, prices, tokens, defaultMaxOutput: 100, unpricedModels: 'allow', toolCostUsd: () => 0, ...(onStoreFailure ? { onStoreFailure } : {}) });

  it.each([undefined, 'closed' as const])('fails closed (%s): a 503 with retry-after and no internals', async (mode) => {
    const err = await Promise.resolve(step(mode).before(ctx(budget))).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    const g = err as GatewayError;
    expect(g.status).toBe(503);
    expect(g.headers['retry-after']).toMatch(/^\d+$/);
    expect(g.message).not.toMatch(/Connection is closed/);
  });

  it('fails open when configured: allowed unbudgeted and flagged in the trace', async () => {
    const c = ctx(budget);
    expect(await step('open').before(c)).toBeUndefined();
    expect(c.decisions).toEqual([expect.objectContaining({ step: 'budget', decision: 'flagged', rule: 'budget:store_unavailable' })]);
  });

  it('does not map other errors: a bug stays a bug', async () => {
    const broken: BudgetStore = { ...unavailableStore, reserve: () => Promise.reject(new TypeError('boom')) };
    await expect(Promise.resolve(step('open', broken).before(ctx(budget)))).rejects.toBeInstanceOf(TypeError);
  });
});

describe('rate limits on a Redis that is down', () => {
  const check = (limit: number): RateCheck[] => [{ scope: `key:${limit}`, dimension: 'requests', limitPerMinute: limit }];

  it('local (default): each replica enforces limit / replicas in memory', async () => {
    const store = createRateLimitStore({ redis: down, keyPrefix: 'test:down:', replicas: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => store.consume(check(9))));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
  });

  it('error: the store throws StoreUnavailableError for the step to decide', async () => {
    const store = createRateLimitStore({ redis: down, keyPrefix: 'test:down:', onRedisFailure: 'error' });
    await expect(store.consume(check(5))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it.each([
    ['closed', 503],
    ['open', 'pass'],
  ] as const)('the step with %s answers %s', async (mode, expected) => {
    const store = createRateLimitStore({ redis: down, keyPrefix: 'test:down:', onRedisFailure: 'error' });
    const step = rateLimitStep({ store, tokens, defaultMaxOutput: 100, onStoreFailure: mode });
    const c = ctx({ rateLimits: { requestsPerMinute: 5 } });
    const outcome = await Promise.resolve(step.before(c)).then(
      () => 'pass',
      (e: unknown) => (e instanceof GatewayError ? e.status : e),
    );
    expect(outcome).toBe(expected);
    if (mode === 'open') expect(c.decisions).toEqual([expect.objectContaining({ rule: 'rate-limit:store_unavailable' })]);
  });
});

describe('config', () => {
  it('defaults to budgets closed, rate limits local, a 250 ms bound', () => {
    expect(config.policy).toMatchObject({ redisCommandTimeoutMs: 250, redisFailure: { budgets: 'closed', rateLimits: 'local' } });
  });

  it('refuses an unknown failure mode', () => {
    expect(() => parseConfig({ policy: { redisFailure: { budgets: 'local' } } }, {})).toThrow();
  });
});
