// createRouter: compiles aliases into target groups and plans each request (rule, strategy order, retry/hedge policy).
import type { GatewayConfig } from '../config.js';
import type { PriceBook } from '../policy/prices.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Clock } from './clock.js';
import type { HealthRegistry } from './health.js';
import { createDirectLookup, type ModelResolver } from './resolve.js';
import { matchRule, type RouteInput } from './rules.js';
import type { AliasRule, AliasTarget, FallbackOnConfig, HedgeConfig, RetryConfig, Strategy } from './schema.js';
import { createRng, order, type Target, type TargetGroup } from './strategies.js';

export interface RoutePlan {
  requested: string;
  alias: string | null;
  /** The rule that picked the targets (its name, or `rules[i]`), if any. */
  rule: string | null;
  strategy: Strategy | 'direct';
  /** Ordered: primary first, then fallbacks. */
  candidates: Target[];
  retry: RetryConfig;
  hedge: HedgeConfig | null;
  fallbackOn: FallbackOnConfig;
  /** The health registry's clock, so attempt timers, retry waits and breaker cool-downs share one time source. */
  clock: Clock;
}

export interface Router extends ModelResolver {
  plan(requested: string, input: RouteInput): RoutePlan;
  readonly health: HealthRegistry;
  readonly rand: () => number;
  readonly clock: Clock;
  /** Every distinct alias target (for active health checks). */
  targets(): Target[];
}

interface CompiledAlias {
  name: string;
  base: TargetGroup;
  rules: Array<{ label: string; group: TargetGroup }>;
  ruleDefs: AliasRule[];
  retry: RetryConfig;
  hedge: HedgeConfig | null;
  fallbackOn: FallbackOnConfig;
}

// Direct `<provider>/<model>` calls: one target, no retries, so a client that names a provider gets exactly that.
const DIRECT_RETRY: RetryConfig = { attempts: 0, baseMs: 0, maxMs: 0, maxRetryAfterMs: 0 };
const NO_FALLBACK: FallbackOnConfig = { statuses: [], messages: [] };
const DIRECT_CACHE_MAX = 1024;

export interface RouterOptions {
  rand?: () => number;
}

export function createRouter(config: GatewayConfig, providers: ProviderRegistry, prices: PriceBook, health: HealthRegistry, opts: RouterOptions = {}): Router {
  const rand = opts.rand ?? (config.routing.seed !== undefined ? createRng(config.routing.seed) : Math.random);
  const lookup = createDirectLookup(providers);
  const exploration = config.routing.exploration;
  const clock = health.clock;

  function target(requested: string, t: Pick<AliasTarget, 'model' | 'weight' | 'timeouts'>): Target {
    const { provider, model } = lookup(requested, t.model);
    const rate = prices.rate(provider.id, model);
    const key = `${provider.id}/${model}`;
    return { key, provider, model, weight: t.weight, timeouts: t.timeouts ?? null, health: health.target(key), budget: health.budget(provider.id), price: rate ? rate.input + rate.output : Infinity };
  }

  function group(name: string, strategy: Strategy, ts: AliasTarget[]): TargetGroup {
    const targets = ts.map((t) => target(name, t));
    if (strategy === 'cost') targets.sort((a, b) => a.price - b.price);
    return { strategy, targets, cursor: 0 };
  }

  const aliases = new Map<string, CompiledAlias>();
  for (const [name, a] of Object.entries(config.models)) {
    aliases.set(name, {
      name,
      base: group(name, a.strategy, a.targets),
      rules: a.rules.map((r, i) => ({ label: r.name ?? `rules[${i}]`, group: group(name, r.strategy ?? a.strategy, r.targets) })),
      ruleDefs: a.rules,
      retry: a.retry,
      hedge: a.hedge ?? null,
      fallbackOn: a.fallbackOn,
    });
  }

  const direct = new Map<string, Target[]>();
  function directTargets(requested: string): Target[] {
    let ts = direct.get(requested);
    if (!ts) {
      ts = [target(requested, { model: requested, weight: 1 })];
      if (direct.size < DIRECT_CACHE_MAX) direct.set(requested, ts);
    }
    return ts;
  }

  function plan(requested: string, input: RouteInput): RoutePlan {
    const a = aliases.get(requested);
    if (!a) {
      const candidates = directTargets(requested);
      return { requested, alias: null, rule: null, strategy: 'direct', candidates, retry: DIRECT_RETRY, hedge: null, fallbackOn: NO_FALLBACK, clock };
    }
    const i = matchRule(a.ruleDefs, input);
    const picked = i >= 0 ? a.rules[i]! : null;
    const g = picked ? picked.group : a.base;
    return {
      requested,
      alias: a.name,
      rule: picked ? picked.label : null,
      strategy: g.strategy,
      candidates: order(g, rand, exploration),
      retry: a.retry,
      hedge: a.hedge,
      fallbackOn: a.fallbackOn,
      clock,
    };
  }

  return {
    plan,
    health,
    rand,
    clock,
    targets() {
      const seen = new Map<string, Target>();
      for (const a of aliases.values()) for (const g of [a.base, ...a.rules.map((r) => r.group)]) for (const t of g.targets) seen.set(t.key, t);
      return [...seen.values()];
    },
    list() {
      const out = [...aliases.keys()].map((id) => ({ id, ownedBy: 'gateway' }));
      for (const [id, p] of providers) for (const m of p.models()) out.push({ id: `${id}/${m}`, ownedBy: id });
      return out;
    },
  };
}
