// The chat completions door: the gateway's internal call format, so every provider speaks it and nothing is translated.
import type { ModelDoor, StreamTally } from '../../broker/door.js';
import type { ChatRequest } from '../../openai/schemas.js';
import type { ChatCompletion, ChatCompletionChunk, Usage } from '../../openai/types.js';
import { withOutputCap } from '../../policy/estimate.js';
import { transformChatStream } from './stream-transform.js';

/** OpenAI usage in the gateway's neutral form (cache reads and writes priced apart). */
export function chatUsage(u: Usage | null | undefined) {
  if (!u) return undefined;
  const details = u.prompt_tokens_details;
  return {
    inputTokens: u.prompt_tokens,
    outputTokens: u.completion_tokens,
    ...(details?.cached_tokens !== undefined ? { cacheReadTokens: details.cached_tokens } : {}),
    ...(details?.cache_write_tokens !== undefined ? { cacheWriteTokens: details.cache_write_tokens } : {}),
  };
}

export const chatDoor: ModelDoor<ChatRequest, ChatCompletion, ChatCompletionChunk> = {
  name: 'chat',
  endpoint: 'chat.completions',
  operation: 'chat',
  model: (req) => req.model,
  asChat: (req) => req,
  withOutputCap,
  call: (provider, req, call) => provider.chat(req, call),
  openStream: (provider, req, call) => provider.chatStream(req, call),
  usage: (res) => chatUsage(res.usage),
  servedModel: (res) => res.model || undefined,
  auditView: (res) => res,
  transformStream: transformChatStream,
  fold() {
    const content = new Map<number, string>();
    const finish = new Map<number, string>();
    let usage: Usage | undefined;
    let servedModel: string | undefined;
    let outputText = '';
    return {
      see(chunk) {
        if (chunk.usage) usage = chunk.usage;
        servedModel ??= chunk.model || undefined;
        for (const c of chunk.choices) {
          if (c.delta.content) {
            content.set(c.index, (content.get(c.index) ?? '') + c.delta.content);
            outputText += c.delta.content;
          }
          for (const t of c.delta.tool_calls ?? []) outputText += t.function?.arguments ?? '';
          if (c.finish_reason) finish.set(c.index, c.finish_reason);
        }
      },
      result(): StreamTally {
        const response = { choices: [...content.keys()].sort().map((i) => ({ index: i, content: content.get(i), finish_reason: finish.get(i) ?? null })) };
        return { usage: chatUsage(usage), servedModel, outputText, response };
      },
    };
  },
};
