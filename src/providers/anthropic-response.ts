// Anthropic message → OpenAI ChatCompletion, plus the stop-reason and usage mappings the stream reuses.
import type { ChatCompletion, FinishReason, ToolCall, Usage } from '../openai/types.js';
import type { AnthropicMessage, AnthropicUsage } from './anthropic-types.js';

/** Unknown future stop reasons read as 'stop': the answer ended, and the client needs some reason. */
export function finishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** OpenAI's prompt_tokens counts every input token, so Anthropic's cached and cache-written tokens are added in. */
export function toUsage(u: AnthropicUsage): Usage {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + cacheRead + (u.cache_creation_input_tokens ?? 0);
  const completion = u.output_tokens ?? 0;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    // cache_write_tokens is ours (OpenAI has none): Anthropic bills cache writes above the input price.
    prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: u.cache_creation_input_tokens ?? 0 },
  };
  const thinking = u.output_tokens_details?.thinking_tokens;
  if (thinking != null) usage.completion_tokens_details = { reasoning_tokens: thinking };
  return usage;
}

export function completionId(anthropicId: string): string {
  return `chatcmpl-${anthropicId}`;
}

/** Thinking and server-tool blocks are not part of the OpenAI message and are skipped. */
export function toChatCompletion(msg: AnthropicMessage, created = Math.floor(Date.now() / 1000)): ChatCompletion {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of msg.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id ?? '',
        type: 'function',
        function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: texts.length ? texts.join('') : null,
  };
  if (toolCalls.length) message.tool_calls = toolCalls;
  return {
    id: completionId(msg.id),
    object: 'chat.completion',
    created,
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: finishReason(msg.stop_reason), logprobs: null }],
    usage: toUsage(msg.usage ?? {}),
  };
}
