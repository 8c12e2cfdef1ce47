// Builds one Provider per configured provider id.
import type { GatewayConfig, ProviderConfig } from '../config.js';
import { createAnthropicProvider } from './anthropic.js';
import { createAzureOpenAIProvider } from './azure-openai.js';
import { createGeminiProvider } from './gemini.js';
import { createMockProvider } from './mock.js';
import { createOpenAICompatibleProvider } from './openai-compatible.js';
import { createOpenAIProvider } from './openai.js';
import { createKeyPool } from '../routing/key-pool.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { providerSecrets } from './secret-variants.js';
import type { Provider } from './types.js';

export type ProviderRegistry = ReadonlyMap<string, Provider>;

function createProvider(id: string, c: ProviderConfig, scrubber: Scrubber): Provider {
  switch (c.kind) {
    case 'openai':
      return createOpenAIProvider(id, c, scrubber);
    case 'openai-compatible':
      return createOpenAICompatibleProvider(id, c, scrubber);
    case 'azure-openai':
      return createAzureOpenAIProvider(id, c, scrubber);
    case 'anthropic':
      return createAnthropicProvider(id, c, scrubber);
    case 'gemini':
      return createGeminiProvider(id, c, scrubber);
    case 'mock':
      return createMockProvider(id, c);
  }
}

/** With `apiKeys`, one adapter per key behind a key pool (adapters build their auth headers once, at creation). */
function createPooled(id: string, c: ProviderConfig, scrubber: Scrubber): Provider {
  const keys = [...(c.apiKey ? [c.apiKey] : []), ...c.apiKeys];
  if (keys.length < 2) return createProvider(id, c.apiKey || !keys[0] ? c : { ...c, apiKey: keys[0] }, scrubber);
  return createKeyPool(keys.map((apiKey) => createProvider(id, { ...c, apiKey }, scrubber)));
}

/**
 * One scrubber for the whole registry, built from the secrets of every provider (pooled keys and credential
 * headers included): an upstream that proxies another provider may echo that one's key too. A config reload
 * builds a new registry, hence a new scrubber.
 */
export function createProviderRegistry(config: GatewayConfig): ProviderRegistry {
  const scrubber = createScrubber(Object.values(config.providers).flatMap((c) => providerSecrets(c)));
  return new Map(Object.entries(config.providers).map(([id, c]) => [id, createPooled(id, c, scrubber)]));
}
