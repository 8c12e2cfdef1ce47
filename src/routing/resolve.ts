// Turns the model a client asked for into a provider and an upstream model name.
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Provider } from '../providers/types.js';

export interface ResolvedModel {
  /** The name the client sent. */
  requested: string;
  /** The alias it matched, if any. */
  alias: string | null;
  provider: Provider;
  /** The model name the upstream receives. */
  model: string;
}

export interface ModelResolver {
  resolve(requested: string): ResolvedModel;
  /** Every model name a client can send: aliases, then `<provider>/<model>` for declared models. */
  list(): Array<{ id: string; ownedBy: string }>;
}

function pickWeighted<T extends { weight: number }>(items: readonly T[], rand: () => number): T {
  const total = items.reduce((s, t) => s + t.weight, 0);
  let r = rand() * total;
  for (const t of items) {
    r -= t.weight;
    if (r < 0) return t;
  }
  return items[items.length - 1]!;
}

export function createModelResolver(config: GatewayConfig, providers: ProviderRegistry, rand = Math.random): ModelResolver {
  // A bare model name works when exactly one provider declares it.
  const declaredBy = new Map<string, string[]>();
  for (const [id, p] of providers) for (const m of p.models()) declaredBy.set(m, [...(declaredBy.get(m) ?? []), id]);

  function direct(requested: string, alias: string | null, spec: string): ResolvedModel {
    const slash = spec.indexOf('/');
    if (slash > 0) {
      const provider = providers.get(spec.slice(0, slash));
      if (provider) return { requested, alias, provider, model: spec.slice(slash + 1) };
    }
    const owners = declaredBy.get(spec);
    if (owners?.length === 1) return { requested, alias, provider: providers.get(owners[0]!)!, model: spec };
    const hint =
      slash > 0
        ? `no provider "${spec.slice(0, slash)}" is configured (configured: ${[...providers.keys()].join(', ') || 'none'})`
        : owners && owners.length > 1
          ? `several providers offer it (${owners.join(', ')}); use "<provider>/${spec}"`
          : 'use "<provider>/<model>" or a model alias; GET /v1/models lists them';
    throw new GatewayError('model_not_found', `The model "${requested}" does not exist: ${hint}.`, { param: 'model' });
  }

  return {
    resolve(requested) {
      const alias = config.models[requested];
      if (alias) return direct(requested, requested, pickWeighted(alias.targets, rand).model);
      return direct(requested, null, requested);
    },
    list() {
      const out = Object.keys(config.models).map((id) => ({ id, ownedBy: 'gateway' }));
      for (const [id, p] of providers) for (const m of p.models()) out.push({ id: `${id}/${m}`, ownedBy: id });
      return out;
    },
  };
}
