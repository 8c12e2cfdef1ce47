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
import { createTokenCounter, type TokenCounter } from './tokens.js';

export interface PolicyStores {
  budgets: BudgetStore;
  rates: RateLimitStore;
  tokens: TokenCounter;
}

/** Shared across replicas through Redis when there is one, in-process otherwise. */
export function createPolicyStores(config: GatewayConfig, redis: SharedRedis | null): PolicyStores {
  return {
    budgets: redis ? createRedisBudgetStore({ redis: redis.client }) : createMemoryBudgetStore(),
    rates: createRateLimitStore(redis ? { redis: redis.client, replicas: config.policy.replicas } : {}),
    tokens: createTokenCounter({ defaultMaxOutputTokens: config.policy.defaultMaxOutputTokens }),
  };
}

/** The order matters: who may call what, then how often, then how much, then what the payload may contain. */
export function createPolicy(config: GatewayConfig, stores: PolicyStores, prices: PriceBook, log: Logger): PolicyEngine {
  const defaultMaxOutput = config.policy.defaultMaxOutputTokens;
  return createPolicyEngine(
    [
      authorizeStep(),
      rateLimitStep({ store: stores.rates, tokens: stores.tokens, defaultMaxOutput }),
      budgetStep({
        store: stores.budgets,
        prices,
        tokens: stores.tokens,
        defaultMaxOutput,
        unpricedModels: config.policy.unpricedModels,
        toolCostUsd: (server) => config.mcpServers[server]?.costPerCallUsd ?? 0,
      }),
      piiStep(config.policy.pii),
    ],
    log,
  );
}
