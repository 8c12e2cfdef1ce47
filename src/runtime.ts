// One immutable snapshot of everything the config decides (keys and teams, policy, prices, providers, router, MCP catalog), swapped whole on reload.
import type { GatewayConfig } from './config.js';
import type { Logger } from './log.js';
import { createCatalog, type Catalog } from './mcp/upstream/catalog.js';
import type { PolicyEngine } from './policy/engine.js';
import { createKeyStore, createTeamsView, type KeyStore, type TeamsView } from './policy/key-store.js';
import { createPolicy, type PolicyStores } from './policy/policy.js';
import { createPriceBook, type PriceBook } from './policy/prices.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import type { HealthRegistry } from './routing/health.js';
import type { ModelResolver } from './routing/resolve.js';
import { createRouter, type Router } from './routing/router.js';
import type { SharedRedis } from './storage/redis.js';
import type { Repo } from './storage/repo.js';

/**
 * Built in one go from one config, so no request ever sees a mix of two: a reload builds a whole new one (failing
 * before anything changes) and replaces the old with one assignment. Readers take `deps.runtime` once per request.
 */
export interface Runtime {
  readonly config: GatewayConfig;
  /** Config keys, then database keys behind a short cache; its team rules come from `teams`. */
  readonly keys: KeyStore;
  /** Config teams and database teams as one view (config ones read-only through the admin API). */
  readonly teams: TeamsView;
  /** The policy steps for this config; their stores (budgets, rate limits) are shared and outlive it. */
  readonly policy: PolicyEngine;
  readonly prices: PriceBook;
  readonly providers: ProviderRegistry;
  /** Plans each model call (aliases, rules, strategies, health). */
  readonly router: Router;
  /** How model names resolve; the router itself, unless a test swaps one in. */
  readonly resolver: ModelResolver;
  /** Which MCP servers exist and what each MCP route serves; the hub reconciles its connections to it. */
  readonly catalog: Catalog;
}

/** The long-lived parts a runtime is built on: they keep their state (counters, breakers, caches) across reloads. */
export interface RuntimeShared {
  repo: Repo;
  redis: SharedRedis | null;
  policyStores: PolicyStores;
  /** Breakers and target health; the router of every runtime reads the same registry. */
  health: HealthRegistry;
  log: Logger;
}

/** Throws (a bad provider, an unknown price…) before anything is swapped: the caller keeps the old runtime. */
export function buildRuntime(config: GatewayConfig, shared: RuntimeShared): Runtime {
  const providers = createProviderRegistry(config);
  const prices = createPriceBook(config);
  const teams = createTeamsView(config.teams, shared.repo);
  const router = createRouter(config, providers, prices, shared.health);
  return {
    config,
    keys: createKeyStore({ config, repo: shared.repo, redis: shared.redis, teams }),
    teams,
    policy: createPolicy(config, shared.policyStores, prices, shared.log),
    prices,
    providers,
    router,
    resolver: router,
    catalog: createCatalog(config),
  };
}
