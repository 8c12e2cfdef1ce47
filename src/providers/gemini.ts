// The Gemini adapter (Google AI Gemini API): generateContent, streamGenerateContent and batchEmbedContents.
import type { ProviderConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { parseSse } from '../openai/sse.js';
import { fromGeminiEmbedResponse, embeddingInputs, toGeminiEmbedRequest } from './gemini-embeddings.js';
import { toGeminiRequest } from './gemini-request.js';
import { toChatCompletion } from './gemini-response.js';
import { translateGeminiStream } from './gemini-stream.js';
import type { GeminiEmbedResponse, GeminiResponse } from './gemini-types.js';
import { bodyError, callUpstream, readJson } from './http.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { withScrubbedErrors } from './scrubbed.js';
import { providerSecrets } from './secret-variants.js';
import type { Provider, ProviderCall } from './types.js';

type GeminiConfig = Extract<ProviderConfig, { kind: 'gemini' }>;
type Op = 'generateContent' | 'streamGenerateContent?alt=sse' | 'batchEmbedContents';

/**
 * Pulls the first chunk before handing the stream over, so a prompt Gemini blocks (or an error in the
 * first frame) rejects chatStream with a proper status instead of failing after the client got a 200.
 */
async function primed<T>(gen: AsyncGenerator<T>): Promise<AsyncGenerator<T>> {
  const first = await gen.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* gen;
  })();
}

/** Accepts `gemini-2.5-flash` or Google's own `models/gemini-2.5-flash` spelling. */
function modelName(call: ProviderCall): string {
  const model = call.model.replace(/^models\//, '');
  if (!model || model.includes('/')) {
    throw new GatewayError('invalid_request', `"${call.model}" is not a Gemini model name.`, { param: 'model' });
  }
  return model;
}

export function createGeminiProvider(
  id: string,
  config: GeminiConfig,
  scrubber: Scrubber = createScrubber(providerSecrets(config)),
): Provider {
  const base = (config.baseUrl ?? 'https://generativelanguage.googleapis.com/v1beta').replace(/\/+$/, '');
  // The key goes in a header, never the URL, so it cannot leak through URL logging.
  const headers: Record<string, string> = { ...config.headers };
  if (config.apiKey) headers['x-goog-api-key'] = config.apiKey;

  const upstream = (op: Op, call: ProviderCall, body: unknown) => {
    const model = modelName(call);
    return callUpstream({
      providerId: id,
      url: `${base}/models/${encodeURIComponent(model)}:${op}`,
      headers,
      body,
      signal: call.signal,
      timeouts: config.timeouts,
      scrubber,
    });
  };

  return withScrubbedErrors({
    id,
    kind: 'gemini',
    models: () => config.models,

    async chat(req, call) {
      const res = await upstream('generateContent', call, toGeminiRequest(req));
      const body = await readJson<GeminiResponse>(res, { providerId: id, signal: call.signal });
      return toChatCompletion(body, call.model);
    },

    async chatStream(req, call) {
      const res = await upstream('streamGenerateContent?alt=sse', call, toGeminiRequest(req));
      const guarded = async function* () {
        try {
          yield* translateGeminiStream(parseSse(res.body), { model: call.model, providerId: id });
        } catch (err) {
          throw bodyError(id, err, call.signal);
        } finally {
          res.body.destroy();
        }
      };
      return primed(guarded());
    },

    async embeddings(req, call) {
      const texts = embeddingInputs(req.input);
      const res = await upstream('batchEmbedContents', call, toGeminiEmbedRequest(texts, modelName(call), req.dimensions));
      const body = await readJson<GeminiEmbedResponse>(res, { providerId: id, signal: call.signal });
      return fromGeminiEmbedResponse(body, texts, call.model, req.encoding_format);
    },
  }, scrubber);
}
