// Reads an OpenAI-format SSE stream into chunks, guaranteeing a final usage chunk.
import { GatewayError } from '../errors.js';
import type { SseEvent } from '../openai/sse.js';
import type { ChatCompletionChunk, Usage } from '../openai/types.js';


/**
 * Yields the upstream's chunks unchanged. If the upstream ignored `stream_options.include_usage`
 * (some OpenAI-compatible servers do), appends a usage chunk estimated from the text, because
 * budgets and the request log must always have usage.
 */
export async function* openAIChunks(
  events: AsyncIterable<SseEvent>,
  providerId: string,
  promptTokensEstimate: number,
): AsyncGenerator<ChatCompletionChunk> {
  let usage: Usage | null = null;
  let last: ChatCompletionChunk | null = null;
  let completionChars = 0;
  for await (const ev of events) {
    if (ev.data === '[DONE]') {
      if (!usage) yield usageChunk(last, promptTokensEstimate, Math.ceil(completionChars / 4));
      return;
    }
    let chunk: ChatCompletionChunk & { error?: { message?: string } };
    try {
      chunk = JSON.parse(ev.data) as typeof chunk;
    } catch {
      throw new GatewayError('upstream_error', `Provider "${providerId}" sent a malformed stream event.`);
    }
    if (chunk.error || ev.event === 'error') {
      throw new GatewayError('upstream_error', `Provider "${providerId}" failed mid-stream: ${chunk.error?.message ?? 'unknown error'}`);
    }
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices ?? []) {
      completionChars += (c.delta?.content ?? '').length;
      for (const t of c.delta?.tool_calls ?? []) completionChars += (t.function?.arguments ?? '').length;
    }
    last = chunk;
    yield chunk;
  }
  throw new GatewayError('upstream_error', `The stream from provider "${providerId}" ended before it was complete.`);
}

function usageChunk(last: ChatCompletionChunk | null, prompt: number, completion: number): ChatCompletionChunk {
  return {
    id: last?.id ?? 'chatcmpl-gateway',
    object: 'chat.completion.chunk',
    created: last?.created ?? Math.floor(Date.now() / 1000),
    model: last?.model ?? '',
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

