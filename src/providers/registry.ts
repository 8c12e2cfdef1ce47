// Builds one Provider per configured provider id.
import type { GatewayConfig, ProviderConfig } from '../config.js';
import { createAnthropicProvider } from './anthropic.js';
import { createAzureOpenAIProvider } from './azure-openai.js';
import { createGeminiProvider } from './gemini.js';
import { createMockProvider } from './mock.js';
import { createOpenAICompatibleProvider } from './openai-compatible.js';
import { createOpenAIProvider } from './openai.js';
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

export function createProviderRegistry(config: GatewayConfig): ProviderRegistry {
  return new Map(Object.entries(config.providers).map(([id, c]) => [id, createProvider(id, c)]));
}
