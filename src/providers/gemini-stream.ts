// Gemini streamGenerateContent SSE frames → OpenAI chat completion chunks, ending with the usage chunk.
import { GatewayError } from '../errors.js';
import type { SseEvent } from '../openai/sse.js';
import type { ChatCompletionChunk, ChunkChoice, ToolCallDelta } from '../openai/types.js';
import { answerText, assertNotBlocked, mapFinishReason, randomId, toToolCall, toUsage } from './gemini-response.js';
import type { GeminiCandidate, GeminiResponse, GeminiUsageMetadata } from './gemini-types.js';

export interface GeminiStreamOptions {
  /** The requested model; used when the upstream names no modelVersion. */
  model: string;
  providerId: string;
}

interface ChoiceState {
  roleSent: boolean;
  toolCalls: number;
  finished: boolean;
}

function parseFrame(ev: SseEvent, providerId: string): GeminiResponse | null {
  if (!ev.data.trim()) return null;
  let frame: GeminiResponse;
  try {
    frame = JSON.parse(ev.data) as GeminiResponse;
  } catch {
    throw new GatewayError('upstream_error', `Provider "${providerId}" sent a malformed stream event.`);
  }
  if (frame.error || ev.event === 'error') {
    throw new GatewayError('upstream_error', `Provider "${providerId}" failed mid-stream: ${frame.error?.message ?? 'unknown error'}`);
  }
  return frame;
}

/**
 * Translates frames as they arrive. Gemini sends each function call whole, so each becomes one complete
 * tool_calls delta. Usage comes on every frame (cumulative), so only the last one is reported, at the end.
 */
export async function* translateGeminiStream(
  events: AsyncIterable<SseEvent>,
  opts: GeminiStreamOptions,
): AsyncGenerator<ChatCompletionChunk> {
  const choices = new Map<number, ChoiceState>();
  let head: Pick<ChatCompletionChunk, 'id' | 'object' | 'created' | 'model'> | null = null;
  let usage: GeminiUsageMetadata | undefined;

  const chunk = (index: number, delta: ChunkChoice['delta'], finish: ChunkChoice['finish_reason'] = null): ChatCompletionChunk => {
    const state = choices.get(index)!;
    if (!state.roleSent) {
      delta = { role: 'assistant', ...delta };
      state.roleSent = true;
    }
    return { ...head!, choices: [{ index, delta, finish_reason: finish }] };
  };

  function* candidateChunks(c: GeminiCandidate, i: number): Generator<ChatCompletionChunk> {
    const index = c.index ?? i;
    const state = choices.get(index) ?? { roleSent: false, toolCalls: 0, finished: false };
    choices.set(index, state);
    const parts = c.content?.parts ?? [];
    const text = answerText(parts);
    if (text) yield chunk(index, { content: text });
    const calls: ToolCallDelta[] = parts
      .filter((p) => p.functionCall)
      .map((p) => ({ index: state.toolCalls++, ...toToolCall(p.functionCall!, p.thoughtSignature) }));
    if (calls.length) yield chunk(index, { tool_calls: calls });
    if (c.finishReason) {
      state.finished = true;
      yield chunk(index, {}, mapFinishReason(c.finishReason, state.toolCalls > 0));
    } else if (!state.roleSent) {
      yield chunk(index, { content: '' });
    }
  }

  for await (const ev of events) {
    const frame = parseFrame(ev, opts.providerId);
    if (!frame) continue;
    assertNotBlocked(frame);
    head ??= {
      id: `chatcmpl-${frame.responseId ?? randomId()}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: frame.modelVersion ?? opts.model,
    };
    if (frame.usageMetadata) usage = frame.usageMetadata;
    for (const [i, c] of (frame.candidates ?? []).entries()) yield* candidateChunks(c, i);
  }

  // Gemini has no terminator frame; a choice without a finishReason means the body was cut short.
  if (!head || [...choices.values()].some((s) => !s.finished)) {
    throw new GatewayError('upstream_error', `The stream from provider "${opts.providerId}" ended before it was complete.`);
  }
  yield { ...head, choices: [], usage: toUsage(usage) };
}
