// What the mock provider answers: a deterministic function of the request, so tests and load runs are repeatable.
import type { ChatMessage, ChatRequest } from '../openai/schemas.js';
import type { FinishReason, ToolCall } from '../openai/types.js';
import { mockArguments } from './mock-args.js';

export interface MockReply {
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
}

function textOf(m: ChatMessage | undefined): string {
  if (!m || m.content == null) return '';
  if (typeof m.content === 'string') return m.content;
  return m.content.map((p) => (typeof p.text === 'string' ? p.text : '')).join(' ');
}

/**
 * The tool result the reply answers: the latest tool message, looking past user turns sent after it (an Anthropic
 * client's tool_result turn may carry text too, which the translation sends as a user message after the tool ones).
 */
function pendingToolResult(messages: ChatMessage[]): ChatMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'tool') return m;
    if (m.role !== 'user') return undefined;
  }
  return undefined;
}

function words(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

/**
 * The reply rules (documented in the README): with tools offered and no tool result yet, call the
 * first tool (every tool when the prompt says "parallel") with arguments its schema accepts (mock-args.ts);
 * after a tool result, report it; with a
 * JSON response_format, answer `{"ok":true}`; otherwise echo the last user message.
 */
export function mockReply(req: ChatRequest): MockReply {
  const result = pendingToolResult(req.messages);
  const lastUser = [...req.messages].reverse().find((m) => m.role === 'user');
  const promptTokens = req.messages.reduce((n, m) => n + words(textOf(m)) + 3, 0);
  const limit = req.max_completion_tokens ?? req.max_tokens ?? Infinity;
  const tools = req.tools ?? [];
  if (tools.length && !result && req.tool_choice !== 'none') {
    const parallel = req.parallel_tool_calls !== false && /parallel/i.test(textOf(lastUser));
    const chosen = parallel ? tools : tools.slice(0, 1);
    const toolCalls = chosen.map((t, i) => ({
      id: `call_mock_${i + 1}`,
      type: 'function' as const,
      function: { name: t.function.name, arguments: JSON.stringify(mockArguments(t.function.parameters, textOf(lastUser))) },
    }));
    return { content: null, toolCalls, finishReason: 'tool_calls', promptTokens, completionTokens: 10 * toolCalls.length };
  }
  let content: string;
  if (result) content = `tool said: ${textOf(result)}`;
  else if (req.response_format && req.response_format.type !== 'text') content = '{"ok":true}';
  else content = `echo: ${textOf(lastUser)}`;
  const all = content.split(/(?<=\s)/);
  const truncated = all.length > limit;
  if (truncated) content = all.slice(0, limit).join('');
  return { content, toolCalls: [], finishReason: truncated ? 'length' : 'stop', promptTokens, completionTokens: words(content) };
}

/** A deterministic unit vector for a text (8 dims unless asked), so equal inputs embed equally. */
export function mockEmbedding(text: string, dims = 8): number[] {
  if (!Number.isSafeInteger(dims) || dims < 1 || dims > 65_536) throw new RangeError(`mockEmbedding: ${dims} dimensions`);
  const v = new Array<number>(dims).fill(0);
  for (let i = 0; i < text.length; i++) v[i % dims]! += (text.charCodeAt(i) % 31) + 1;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}
