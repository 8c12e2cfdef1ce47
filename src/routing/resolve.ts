// Turns a `<provider>/<model>` or bare declared model name into a provider and an upstream model name.
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
  /** Every model name a client can send: aliases, then `<provider>/<model>` for declared models. */
  list(): Array<{ id: string; ownedBy: string }>;
}

export type DirectLookup = (requested: string, spec: string) => { provider: Provider; model: string };

export function createDirectLookup(providers: ProviderRegistry): DirectLookup {
  // A bare model name works when exactly one provider declares it.
  const declaredBy = new Map<string, string[]>();
  for (const [id, p] of providers) for (const m of p.models()) declaredBy.set(m, [...(declaredBy.get(m) ?? []), id]);

  return (requested, spec) => {
    const slash = spec.indexOf('/');
    if (slash > 0) {
      const provider = providers.get(spec.slice(0, slash));
      if (provider) return { provider, model: spec.slice(slash + 1) };
    }
    const owners = declaredBy.get(spec);
    if (owners?.length === 1) return { provider: providers.get(owners[0]!)!, model: spec };
    const hint =
      slash > 0
        ? `no provider "${spec.slice(0, slash)}" is configured (configured: ${[...providers.keys()].join(', ') || 'none'})`
        : owners && owners.length > 1
          ? `several providers offer it (${owners.join(', ')}); use "<provider>/${spec}"`
          : 'use "<provider>/<model>" or a model alias; GET /v1/models lists them';
    throw new GatewayError('model_not_found', `The model "${requested}" does not exist: ${hint}.`, { param: 'model' });
  };
}
