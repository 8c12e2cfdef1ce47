// Gemini generateContent response → OpenAI chat completion, plus the pieces the stream translator shares.
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { ChatCompletion, FinishReason, ToolCall, Usage } from '../openai/types.js';
import type { GeminiFunctionCall, GeminiPart, GeminiResponse, GeminiUsageMetadata } from './gemini-types.js';

/**
 * A tool call that carries Gemini's thought signature the way Google's own OpenAI-compatible endpoint
 * does, so clients that echo the assistant message back let Gemini 3 resume its reasoning.
 */
export type GeminiToolCall = ToolCall & { extra_content?: { google: { thought_signature: string } } };

export function randomId(): string {
  return randomBytes(12).toString('hex');
}

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']);

export function mapFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason && FILTERED.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

export function toUsage(meta: GeminiUsageMetadata | undefined): Usage {
  const prompt = meta?.promptTokenCount ?? 0;
  const thoughts = meta?.thoughtsTokenCount ?? 0;
  const completion = (meta?.candidatesTokenCount ?? 0) + thoughts;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: meta?.totalTokenCount ?? prompt + completion };
  if (meta?.cachedContentTokenCount != null) usage.prompt_tokens_details = { cached_tokens: meta.cachedContentTokenCount };
  if (meta?.thoughtsTokenCount != null) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

export function toToolCall(call: GeminiFunctionCall, signature: string | undefined): GeminiToolCall {
  const tc: GeminiToolCall = {
    id: `call_${randomId()}`,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
  if (signature) tc.extra_content = { google: { thought_signature: signature } };
  return tc;
}

/** Answer text of the parts; thinking-summary parts are the model's scratchpad, not its answer. */
export function answerText(parts: GeminiPart[]): string | null {
  const texts = parts.filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text!);
  return texts.length ? texts.join('') : null;
}

/** A prompt Gemini refused to answer at all is the client's request being rejected, hence a 400. */
export function assertNotBlocked(res: GeminiResponse): void {
  const reason = res.promptFeedback?.blockReason;
  if (reason && !res.candidates?.length) {
    throw new GatewayError('upstream_bad_request', `Gemini blocked the prompt: ${reason}`);
  }
}

export function toChatCompletion(res: GeminiResponse, model: string): ChatCompletion {
  assertNotBlocked(res);
  const choices = (res.candidates ?? []).map((c, i): ChatCompletion['choices'][number] => {
    const parts = c.content?.parts ?? [];
    const toolCalls = parts.filter((p) => p.functionCall).map((p) => toToolCall(p.functionCall!, p.thoughtSignature));
    const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: answerText(parts) };
    if (toolCalls.length) message.tool_calls = toolCalls;
    return { index: c.index ?? i, message, finish_reason: mapFinishReason(c.finishReason, toolCalls.length > 0), logprobs: null };
  });
  return {
    id: `chatcmpl-${res.responseId ?? randomId()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: res.modelVersion ?? model,
    choices,
    usage: toUsage(res.usageMetadata),
  };
}
