// Embeds a semantic lookup's final user turn with the configured `<provider>/<model>`, on the live runtime's providers.
import type { Logger } from '../log.js';
import type { ProviderRegistry } from '../providers/registry.js';

/** The longest text embedded: a longer final turn is matched on its start (it is a cache key, not a search). */
const MAX_CHARS = 8_192;

export function createEmbedder(providers: () => ProviderRegistry, log: Logger) {
  let warnedAt = 0;
  return async (model: string, text: string, signal: AbortSignal): Promise<number[] | null> => {
    const slash = model.indexOf('/');
    const provider = providers().get(model.slice(0, slash));
    if (!provider) return null;
    try {
      const res = await provider.embeddings({ model: model.slice(slash + 1), input: text.slice(0, MAX_CHARS) }, { model: model.slice(slash + 1), signal, requestId: 'cache-embedding' });
      const v = res.data[0]?.embedding;
      return Array.isArray(v) && v.length > 0 && v.every(Number.isFinite) ? v : null;
    } catch (err) {
      if (Date.now() - warnedAt > 60_000) {
        warnedAt = Date.now();
        log.warn({ model, err: err instanceof Error ? err.message : String(err) }, 'cache: embedding failed; semantic lookups miss');
      }
      return null;
    }
  };
}
