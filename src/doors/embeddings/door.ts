// The embeddings door: no stream, no output to cap; the audit keeps the shape of the answer, not the vectors.
import type { ModelDoor } from '../../broker/door.js';
import { GatewayError } from '../../errors.js';
import type { EmbeddingsRequest } from '../../openai/schemas.js';
import type { EmbeddingsResponse } from '../../openai/types.js';

export const embeddingsDoor: ModelDoor<EmbeddingsRequest, EmbeddingsResponse, never> = {
  name: 'embeddings',
  endpoint: 'embeddings',
  operation: 'embeddings',
  model: (req) => req.model,
  asChat: () => undefined,
  withOutputCap: (req) => req,
  call: (provider, req, call) => provider.embeddings(req, call),
  openStream: () => Promise.reject(new GatewayError('unsupported', 'Embeddings do not stream.')),
  usage: (res) => ({ inputTokens: res.usage?.prompt_tokens ?? 0, outputTokens: 0 }),
  servedModel: (res) => res.model || undefined,
  auditView: (res) => ({ model: res.model, usage: res.usage, embeddings: res.data.length }),
  transformStream: (_t, events) => events,
  fold: () => ({ see: () => undefined, result: () => ({ outputText: '', response: null }) }),
};
