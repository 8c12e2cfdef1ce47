// Azure OpenAI: the OpenAI wire format addressed by deployment and api-version, with an `api-key` header.
import type { ProviderConfig } from '../config.js';
import { createOpenAIBase, trimSlash } from './openai.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { providerSecrets } from './secret-variants.js';
import type { Provider } from './types.js';

export function createAzureOpenAIProvider(
  id: string,
  config: Extract<ProviderConfig, { kind: 'azure-openai' }>,
  scrubber: Scrubber = createScrubber(providerSecrets(config)),
): Provider {
  const base = trimSlash(config.baseUrl);
  const headers: Record<string, string> = { ...config.headers };
  if (config.apiKey) headers['api-key'] = config.apiKey;
  const version = encodeURIComponent(config.apiVersion);
  return createOpenAIBase({
    id,
    kind: 'azure-openai',
    url: (op, model) => {
      const deployment = encodeURIComponent(config.deployments[model] ?? model);
      return `${base}/openai/deployments/${deployment}/${op}?api-version=${version}`;
    },
    headers,
    scrubber,
    timeouts: config.timeouts,
    models: config.models.length ? config.models : Object.keys(config.deployments),
    sendModel: false,
  });
}
