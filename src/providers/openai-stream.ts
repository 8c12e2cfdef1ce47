// Reads an OpenAI-format SSE stream into chunks, failing on error frames and on a stream cut before [DONE].
import { GatewayError } from '../errors.js';
import type { SseEvent } from '../openai/sse.js';
import type { ChatCompletionChunk } from '../openai/types.js';


/**
 * Yields the upstream's chunks unchanged. An upstream that ignored `stream_options.include_usage` (some
 * OpenAI-compatible servers do) sends no usage: the broker then counts the call with the policy's tokenizer,
 * the same counter its reservation used.
 */
export async function* openAIChunks(events: AsyncIterable<SseEvent>, providerId: string): AsyncGenerator<ChatCompletionChunk> {
  for await (const ev of events) {
    if (ev.data === '[DONE]') return;
    let chunk: ChatCompletionChunk & { error?: { message?: string } };
    try {
      chunk = JSON.parse(ev.data) as typeof chunk;
    } catch {
      throw new GatewayError('upstream_error', `Provider "${providerId}" sent a malformed stream event.`);
    }
    if (chunk.error || ev.event === 'error') {
      throw new GatewayError('upstream_error', `Provider "${providerId}" failed mid-stream: ${chunk.error?.message ?? 'unknown error'}`);
    }
    yield chunk;
  }
  throw new GatewayError('upstream_error', `The stream from provider "${providerId}" ended before it was complete.`);
}
