// Internal chat completion → Anthropic Messages response, with the stop-reason and usage mappings the stream translation reuses.
import type { ChatCompletion, FinishReason, Usage } from '../../openai/types.js';
import type { MessagesResponse, MessagesUsage, ResponseBlock } from './types.js';

export function stopReason(finish: FinishReason | null | undefined): string | null {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    case null:
    case undefined:
      return null;
    default:
      return 'end_turn';
  }
}

/** Anthropic's input_tokens leaves out cached and cache-written tokens, which chat's prompt_tokens includes. */
export function toMessagesUsage(u: Usage | null | undefined): MessagesUsage {
  const cacheRead = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = u?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cacheRead - cacheWrite),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

/** A message id in Anthropic's form, from the upstream's completion id. */
export function messageId(chatId: string): string {
  return chatId.startsWith('msg_') ? chatId : `msg_${chatId.replace(/^chatcmpl-/, '') || Date.now().toString(36)}`;
}

/** Tool arguments as an object; arguments that are not a JSON object are kept under `_raw`, so nothing the model said is lost. */
export function parseInput(args: string): Record<string, unknown> {
  if (!args.trim()) return {};
  try {
    const v = JSON.parse(args) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { _raw: args };
}

export function fromChatCompletion(c: ChatCompletion, model: string): MessagesResponse {
  const choice = c.choices[0];
  const blocks: ResponseBlock[] = [];
  const text = choice?.message.content ?? choice?.message.refusal;
  if (text) blocks.push({ type: 'text', text });
  for (const tc of choice?.message.tool_calls ?? []) {
    blocks.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseInput(tc.function.arguments) });
  }
  return {
    id: messageId(c.id),
    type: 'message',
    role: 'assistant',
    model: c.model || model,
    content: blocks,
    stop_reason: stopReason(choice?.finish_reason) ?? 'end_turn',
    stop_sequence: null,
    usage: toMessagesUsage(c.usage),
  };
}
