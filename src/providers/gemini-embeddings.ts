// OpenAI embeddings request ↔ Gemini batchEmbedContents.
import { GatewayError } from '../errors.js';
import { encodeEmbeddingBase64 } from '../openai/embedding-encoding.js';
import type { EmbeddingsRequest } from '../openai/schemas.js';
import type { EmbeddingsResponse } from '../openai/types.js';
import { estimateTokens } from './estimate.js';
import type { GeminiEmbedRequest, GeminiEmbedResponse } from './gemini-types.js';

export function embeddingInputs(input: EmbeddingsRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  const texts = (input as unknown[]).filter((x): x is string => typeof x === 'string');
  if (texts.length !== input.length) {
    throw new GatewayError('unsupported', 'Gemini providers embed text only; token arrays are not supported.', { param: 'input' });
  }
  return texts;
}

export function toGeminiEmbedRequest(texts: string[], model: string, dimensions?: number): GeminiEmbedRequest {
  return {
    requests: texts.map((text) => ({
      model: `models/${model}`,
      content: { parts: [{ text }] },
      ...(dimensions !== undefined ? { outputDimensionality: dimensions } : {}),
    })),
  };
}

export function fromGeminiEmbedResponse(
  res: GeminiEmbedResponse,
  texts: string[],
  model: string,
  encoding: EmbeddingsRequest['encoding_format'],
): EmbeddingsResponse {
  const data = (res.embeddings ?? []).map((e, index) => {
    const values = e.values ?? [];
    return { object: 'embedding' as const, index, embedding: encoding === 'base64' ? encodeEmbeddingBase64(values) : values };
  });
  // Gemini reports no token counts for embeddings; budgets still need a number, so estimate ~4 chars a token.
  const tokens = estimateTokens(texts.join(''));
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}
