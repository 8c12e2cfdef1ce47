// The one Provider interface every adapter implements: OpenAI shapes in, OpenAI shapes out.
import type { ProviderKind } from '../config.js';
import type { ChatRequest, EmbeddingsRequest } from '../openai/schemas.js';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingsResponse } from '../openai/types.js';

export interface ProviderCall {
  /** The model name as the upstream knows it (no provider prefix). */
  model: string;
  /** Aborted when the client disconnects or the gateway gives up; adapters pass it to the upstream request. */
  signal: AbortSignal;
  requestId: string;
}

export interface Provider {
  readonly id: string;
  readonly kind: ProviderKind;
  chat(req: ChatRequest, call: ProviderCall): Promise<ChatCompletion>;
  /**
   * Resolves once the upstream has accepted the request (errors before the first byte reject it as a
   * GatewayError). The iterable yields OpenAI chunks; the last one always carries `usage` with
   * `choices: []`, because adapters always ask the upstream for usage. Errors mid-stream are thrown
   * from the iterator as GatewayError.
   */
  chatStream(req: ChatRequest, call: ProviderCall): Promise<AsyncIterable<ChatCompletionChunk>>;
  embeddings(req: EmbeddingsRequest, call: ProviderCall): Promise<EmbeddingsResponse>;
  /** Model names this provider declares (from config); `/v1/models` lists them as `<id>/<model>`. */
  models(): string[];
}
