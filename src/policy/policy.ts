// Builds the policy engine's step list from config; the stores live across config reloads, the steps are rebuilt.
import type { GatewayConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { SharedRedis } from '../storage/redis.js';
import type { BudgetStore } from './budget-store.js';
import { createMemoryBudgetStore } from './budget-store-memory.js';
import { createRedisBudgetStore } from './budget-store-redis.js';
import { createPolicyEngine, type PolicyEngine } from './engine.js';
import type { PriceBook } from './prices.js';
import { createRateLimitStore, type RateLimitStore } from './rate-limit-store.js';
import { authorizeStep } from './steps/authorize.js';
import { budgetStep } from './steps/budget.js';
import { piiStep } from './steps/pii.js';
import { rateLimitStep } from './steps/rate-limit.js';
import type { SpendLedger } from './spend-ledger.js';
import { createTokenCounter, type TokenCounter } from './tokens.js';

export interface PolicyStores {
  budgets: BudgetStore;
  /** The durable record of settled spend the budget counters are rebuilt from; null when none was given (tests). */
  spend: SpendLedger | null;
  rates: RateLimitStore;
  tokens: TokenCounter;
}

/**
 * Shared across replicas through Redis when there is one, in-process otherwise. Budget counters are rebuilt from the
 * spend ledger (the database) when a store meets them empty: after a gateway restart, or a Redis restart without data.
 */
export function createPolicyStores(config: GatewayConfig, redis: SharedRedis | null, spend: SpendLedger | null = null): PolicyStores {
  const p = config.policy;
  const ledger = spend ?? undefined;
  return {
    budgets: redis ? createRedisBudgetStore({ redis: redis.policyClient(p.redisCommandTimeoutMs), ledger }) : createMemoryBudgetStore({ ledger }),
    spend,
    rates: createRateLimitStore(
      redis
        ? {
            redis: redis.policyClient(p.redisCommandTimeoutMs),
            replicas: p.replicas,
            onRedisFailure: p.redisFailure.rateLimits === 'local' ? 'local' : 'error',
          }
        : {},
    ),
    tokens: createTokenCounter({ defaultMaxOutputTokens: config.policy.defaultMaxOutputTokens }),
  };
}

/** The order matters: who may call what, then how often, then how much, then what the payload may contain. */
export function createPolicy(config: GatewayConfig, stores: PolicyStores, prices: PriceBook, log: Logger): PolicyEngine {
  const defaultMaxOutput = config.policy.defaultMaxOutputTokens;
  return createPolicyEngine(
    [
      authorizeStep(),
      rateLimitStep({
        store: stores.rates,
        tokens: stores.tokens,
        defaultMaxOutput,
        onStoreFailure: config.policy.redisFailure.rateLimits === 'open' ? 'open' : 'closed',
      }),
      budgetStep({
        store: stores.budgets,
        prices,
        tokens: stores.tokens,
        defaultMaxOutput,
        unpricedModels: config.policy.unpricedModels,
        toolCostUsd: (server) => config.mcpServers[server]?.costPerCallUsd ?? 0,
        onStoreFailure: config.policy.redisFailure.budgets,
      }),
      piiStep(config.policy.pii),
    ],
    log,
  );
}
