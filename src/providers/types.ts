// The one Provider interface every adapter implements: OpenAI shapes in, OpenAI shapes out.
import type { ProviderKind } from '../config.js';
import type { ChatRequest, EmbeddingsRequest } from '../openai/schemas.js';
import type { SseEvent } from '../openai/sse.js';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingsResponse } from '../openai/types.js';

export interface ProviderCall {
  /** The model name as the upstream knows it (no provider prefix). */
  model: string;
  /** Aborted when the client disconnects or the gateway gives up; adapters pass it to the upstream request. */
  signal: AbortSignal;
  requestId: string;
  /** Client headers a native pass-through forwards unchanged (`anthropic-beta`, `anthropic-version`). */
  passHeaders?: Record<string, string>;
}

/** A wire format some providers speak natively, so a door of that format can pass its body through. */
export type NativeFormat = 'messages' | 'responses';

export interface NativeApi {
  readonly format: NativeFormat;
  /** Sends the door's body as it is (the adapter sets only the upstream model name) and returns the upstream's JSON. */
  send(body: Record<string, unknown>, call: ProviderCall): Promise<unknown>;
  /** Streams the door's body; resolves once the upstream accepted it, yields its SSE events unchanged. */
  stream(body: Record<string, unknown>, call: ProviderCall): Promise<AsyncIterable<SseEvent>>;
}

export interface Provider {
  readonly id: string;
  readonly kind: ProviderKind;
  chat(req: ChatRequest, call: ProviderCall): Promise<ChatCompletion>;
  /**
   * Resolves once the upstream has accepted the request (errors before the first byte reject it as a
   * GatewayError). The iterable yields OpenAI chunks; adapters always ask the upstream for usage, and
   * when it sends some the last chunk carries it (`choices: []`); when it does not, the broker counts
   * the call itself. Errors mid-stream are thrown from the iterator as GatewayError.
   */
  chatStream(req: ChatRequest, call: ProviderCall): Promise<AsyncIterable<ChatCompletionChunk>>;
  embeddings(req: EmbeddingsRequest, call: ProviderCall): Promise<EmbeddingsResponse>;
  /** Model names this provider declares (from config); `/v1/models` lists them as `<id>/<model>`. */
  models(): string[];
  /** Present when the provider speaks a door's format natively (Anthropic: messages; OpenAI: responses). */
  readonly native?: NativeApi;
}
