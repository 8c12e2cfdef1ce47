// Internal chat chunk stream → Anthropic Messages stream events (message_start, one content block at a time, message_delta, message_stop).
import type { ChatCompletionChunk, FinishReason, Usage } from '../../openai/types.js';
import { messageId, stopReason, toMessagesUsage } from './from-chat.js';
import type { DeltaUsage, MessagesEvent } from './types.js';

export interface ChatToEventsOptions {
  /** The upstream model, for message_start when the first chunk names none. */
  model: string;
  /** The input as estimated before the call: chat streams report usage only at the end, message_start needs a number now. */
  inputTokens: number;
}

/**
 * Translates the first choice (a Messages answer has one). Text and each tool call become their own content block,
 * opened on their first delta and stopped when the next block opens or the choice finishes; the real usage, known at
 * the end, goes in message_delta (input tokens included, which clients take over message_start's estimate).
 */
export async function* chatToEvents(chunks: AsyncIterable<ChatCompletionChunk>, opts: ChatToEventsOptions): AsyncGenerator<MessagesEvent> {
  let started = false;
  let index = -1;
  let open = false;
  let textOpen = false;
  const toolBlocks = new Map<number, number>();
  let finish: FinishReason | null = null;
  let usage: Usage | undefined;
  let outputChars = 0;

  function* start(chunk: ChatCompletionChunk | undefined): Generator<MessagesEvent> {
    started = true;
    const message = {
      id: messageId(chunk?.id ?? ''),
      type: 'message' as const,
      role: 'assistant' as const,
      model: chunk?.model || opts.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: opts.inputTokens, output_tokens: 0 },
    };
    yield { type: 'message_start', message };
    yield { type: 'ping' };
  }
  function* close(): Generator<MessagesEvent> {
    if (open) yield { type: 'content_block_stop', index };
    open = false;
    textOpen = false;
  }

  for await (const chunk of chunks) {
    if (!started) yield* start(chunk);
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices.find((x) => x.index === 0);
    if (!c) continue;
    const text = c.delta.content || c.delta.refusal;
    if (text) {
      if (!textOpen) {
        yield* close();
        index++;
        open = textOpen = true;
        yield { type: 'content_block_start', index, content_block: { type: 'text', text: '' } };
      }
      outputChars += text.length;
      yield { type: 'content_block_delta', index, delta: { type: 'text_delta', text } };
    }
    for (const tc of c.delta.tool_calls ?? []) {
      let at = toolBlocks.get(tc.index);
      if (at === undefined) {
        yield* close();
        at = ++index;
        open = true;
        toolBlocks.set(tc.index, at);
        const block = { type: 'tool_use', id: tc.id ?? `toolu_${at}`, name: tc.function?.name ?? '', input: {} };
        yield { type: 'content_block_start', index: at, content_block: block };
      }
      const args = tc.function?.arguments;
      if (args) {
        outputChars += args.length;
        yield { type: 'content_block_delta', index: at, delta: { type: 'input_json_delta', partial_json: args } };
      }
    }
    if (c.finish_reason) {
      finish = c.finish_reason;
      yield* close();
    }
  }
  if (!started) yield* start(undefined);
  yield* close();
  const u: DeltaUsage = usage ? { ...toMessagesUsage(usage) } : { output_tokens: Math.ceil(outputChars / 4) };
  yield { type: 'message_delta', delta: { stop_reason: stopReason(finish) ?? 'end_turn', stop_sequence: null }, usage: u };
  yield { type: 'message_stop' };
}
