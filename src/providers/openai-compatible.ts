// Any OpenAI-compatible server (vLLM, Ollama, Groq, Together, Mistral, DeepSeek, OpenRouter …): the OpenAI adapter at another URL.
import type { ProviderConfig } from '../config.js';
import { createOpenAIBase, trimSlash } from './openai.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { providerSecrets } from './secret-variants.js';
import type { Provider } from './types.js';

export function createOpenAICompatibleProvider(
  id: string,
  config: Extract<ProviderConfig, { kind: 'openai-compatible' }>,
  scrubber: Scrubber = createScrubber(providerSecrets(config)),
): Provider {
  const base = trimSlash(config.baseUrl);
  const headers: Record<string, string> = { ...config.headers };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  return createOpenAIBase({
    id,
    kind: 'openai-compatible',
    url: (op) => `${base}/${op}`,
    headers,
    scrubber,
    timeouts: config.timeouts,
    models: config.models,
  });
}
