// The OpenAI adapter, and the base that openai-compatible and azure-openai reuse.
import type { ProviderConfig, ProviderKind, Timeouts } from '../config.js';
import { encodeEmbeddingBase64 } from '../openai/embedding-encoding.js';
import type { ChatRequest, EmbeddingsRequest } from '../openai/schemas.js';
import { parseSse } from '../openai/sse.js';
import type { ChatCompletion, EmbeddingsResponse } from '../openai/types.js';
import { bodyError, callUpstream, readJson } from './http.js';
import { createResponsesApi } from './openai-native.js';
import { openAIChunks } from './openai-stream.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { withScrubbedErrors } from './scrubbed.js';
import { providerSecrets } from './secret-variants.js';
import type { NativeApi, Provider, ProviderCall } from './types.js';

export interface OpenAIBaseOptions {
  id: string;
  kind: ProviderKind;
  /** Full URL for an operation on a model. */
  url: (op: 'chat/completions' | 'embeddings', model: string) => string;
  headers: Record<string, string>;
  /** Scrubs errors of every secret the gateway holds (see registry.ts), not just this adapter's key. */
  scrubber: Scrubber;
  timeouts: Timeouts;
  models: string[];
  /** Whether to send the `model` field in the body (Azure takes it from the deployment URL). */
  sendModel?: boolean;
  /** The full URL of a native Responses API (OpenAI itself; servers merely compatible with chat may lack it). */
  responsesUrl?: string;
}

export function createOpenAIBase(o: OpenAIBaseOptions): Provider {
  const sendModel = o.sendModel ?? true;
  const native: NativeApi | undefined = o.responsesUrl
    ? createResponsesApi({ providerId: o.id, url: o.responsesUrl, headers: o.headers, scrubber: o.scrubber, timeouts: o.timeouts })
    : undefined;
  const upstream = (op: 'chat/completions' | 'embeddings', call: ProviderCall, body: Record<string, unknown>) =>
    callUpstream({
      providerId: o.id,
      url: o.url(op, call.model),
      headers: o.headers,
      body: sendModel ? { ...body, model: call.model } : { ...body, model: undefined },
      signal: call.signal,
      timeouts: o.timeouts,
      scrubber: o.scrubber,
    });

  return withScrubbedErrors({
    id: o.id,
    kind: o.kind,
    models: () => o.models,
    ...(native ? { native } : {}),

    async chat(req, call) {
      const res = await upstream('chat/completions', call, { ...req, stream: false, stream_options: undefined });
      return readJson<ChatCompletion>(res, { providerId: o.id, signal: call.signal });
    },

    async chatStream(req: ChatRequest, call) {
      // Always ask for usage: budgets and the request log depend on it.
      const res = await upstream('chat/completions', call, {
        ...req,
        stream: true,
        stream_options: { ...(req.stream_options ?? {}), include_usage: true },
      });
      const events = parseSse(res.body);
      const guarded = async function* () {
        try {
          yield* openAIChunks(events, o.id);
        } catch (err) {
          throw bodyError(o.id, err, call.signal);
        } finally {
          res.body.destroy();
        }
      };
      return guarded();
    },

    async embeddings(req: EmbeddingsRequest, call) {
      const res = await upstream('embeddings', call, req);
      const body = await readJson<EmbeddingsResponse>(res, { providerId: o.id, signal: call.signal });
      // Some OpenAI-compatible servers ignore encoding_format; openai-node then decodes garbage.
      if (req.encoding_format === 'base64') {
        for (const d of body.data) if (Array.isArray(d.embedding)) d.embedding = encodeEmbeddingBase64(d.embedding);
      }
      return body;
    },
  }, o.scrubber);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function createOpenAIProvider(
  id: string,
  config: Extract<ProviderConfig, { kind: 'openai' }>,
  scrubber: Scrubber = createScrubber(providerSecrets(config)),
): Provider {
  const base = trimSlash(config.baseUrl ?? 'https://api.openai.com/v1');
  const headers: Record<string, string> = { ...config.headers };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  if (config.organization) headers['openai-organization'] = config.organization;
  if (config.project) headers['openai-project'] = config.project;
  return createOpenAIBase({
    id,
    kind: 'openai',
    url: (op) => `${base}/${op}`,
    responsesUrl: `${base}/responses`,
    headers,
    scrubber,
    timeouts: config.timeouts,
    models: config.models,
  });
}

export { trimSlash };
