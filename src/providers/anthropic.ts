// The Anthropic adapter: Messages API over callUpstream, with the chat translation in anthropic-*.ts and the native pass-through in anthropic-native.ts.
import type { ProviderConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { parseSse } from '../openai/sse.js';
import type { ChatRequest } from '../openai/schemas.js';
import { createAnthropicNative, mapBodyErrors } from './anthropic-native.js';
import { toAnthropicRequest } from './anthropic-request.js';
import { toChatCompletion } from './anthropic-response.js';
import { translateAnthropicStream } from './anthropic-stream.js';
import type { AnthropicMessage } from './anthropic-types.js';
import { callUpstream, readJson, type UpstreamResponse } from './http.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { withScrubbedErrors } from './scrubbed.js';
import { providerSecrets } from './secret-variants.js';
import type { Provider, ProviderCall } from './types.js';

type AnthropicConfig = Extract<ProviderConfig, { kind: 'anthropic' }>;

export function createAnthropicProvider(
  id: string,
  config: AnthropicConfig,
  scrubber: Scrubber = createScrubber(providerSecrets(config)),
): Provider {
  const url = `${(config.baseUrl ?? 'https://api.anthropic.com').replace(/\/+$/, '')}/v1/messages`;
  // Credentials go last so a stray entry in config.headers cannot replace them.
  const headers: Record<string, string> = {
    ...config.headers,
    'anthropic-version': config.anthropicVersion,
    ...(config.apiKey ? { 'x-api-key': config.apiKey } : {}),
  };

  const send = (req: ChatRequest, call: ProviderCall, stream: boolean): Promise<UpstreamResponse> =>
    callUpstream({
      providerId: id,
      url,
      headers,
      body: toAnthropicRequest(req, { model: call.model, defaultMaxTokens: config.defaultMaxTokens, stream }),
      signal: call.signal,
      timeouts: config.timeouts,
      scrubber,
    });

  return withScrubbedErrors({
    id,
    kind: 'anthropic',
    async chat(req, call) {
      const res = await send(req, call, false);
      return toChatCompletion(await readJson<AnthropicMessage>(res, { providerId: id, signal: call.signal }));
    },
    async chatStream(req, call) {
      const res = await send(req, call, true);
      return translateAnthropicStream(mapBodyErrors(parseSse(res.body), id, call.signal), { providerId: id });
    },
    embeddings() {
      return Promise.reject(new GatewayError('unsupported', `Provider "${id}" (anthropic) does not offer embeddings.`));
    },
    models() {
      return config.models;
    },
    native: createAnthropicNative(id, config, url, scrubber),
  }, scrubber);
}
