// Builds one Provider per configured provider id.
import type { GatewayConfig, ProviderConfig } from '../config.js';
import { createAnthropicProvider } from './anthropic.js';
import { createAzureOpenAIProvider } from './azure-openai.js';
import { createGeminiProvider } from './gemini.js';
import { createMockProvider } from './mock.js';
import { createOpenAICompatibleProvider } from './openai-compatible.js';
import { createOpenAIProvider } from './openai.js';
import { createKeyPool } from '../routing/key-pool.js';
import type { Provider } from './types.js';

export type ProviderRegistry = ReadonlyMap<string, Provider>;

function createProvider(id: string, c: ProviderConfig): Provider {
  switch (c.kind) {
    case 'openai':
      return createOpenAIProvider(id, c);
    case 'openai-compatible':
      return createOpenAICompatibleProvider(id, c);
    case 'azure-openai':
      return createAzureOpenAIProvider(id, c);
    case 'anthropic':
      return createAnthropicProvider(id, c);
    case 'gemini':
      return createGeminiProvider(id, c);
    case 'mock':
      return createMockProvider(id, c);
  }
}

/** With `apiKeys`, one adapter per key behind a key pool (adapters build their auth headers once, at creation). */
function createPooled(id: string, c: ProviderConfig): Provider {
  const keys = [...(c.apiKey ? [c.apiKey] : []), ...c.apiKeys];
  if (keys.length < 2) return createProvider(id, c.apiKey || !keys[0] ? c : { ...c, apiKey: keys[0] });
  return createKeyPool(keys.map((apiKey) => createProvider(id, { ...c, apiKey })));
}

export function createProviderRegistry(config: GatewayConfig): ProviderRegistry {
  return new Map(Object.entries(config.providers).map(([id, c]) => [id, createPooled(id, c)]));
}
