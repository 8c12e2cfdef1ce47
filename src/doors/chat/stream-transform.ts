// Chat completion streams through the policy's transforms (PII): content and tool-argument deltas, flushed before each choice finishes.
import type { ChatCompletionChunk, ChunkChoice } from '../../openai/types.js';
import type { StreamTransform } from '../../policy/engine.js';

function pushChoice(t: StreamTransform, c: ChunkChoice): void {
  const d = c.delta;
  if (typeof d.content === 'string' && d.content) d.content = t.push(`c${c.index}`, d.content);
  for (const tc of d.tool_calls ?? []) {
    if (tc.function?.arguments) tc.function.arguments = t.push(`t${c.index}.${tc.index}`, tc.function.arguments);
  }
}

/** Text a channel held back, as a delta chunk to send before the choice's finish_reason. */
function flushChoice(t: StreamTransform, base: ChatCompletionChunk, c: ChunkChoice, toolIndexes: Set<number>): ChatCompletionChunk | null {
  const content = t.flush(`c${c.index}`);
  const tools = [...toolIndexes].map((i) => ({ index: i, function: { arguments: t.flush(`t${c.index}.${i}`) } })).filter((x) => x.function.arguments);
  if (!content && !tools.length) return null;
  const delta: ChunkChoice['delta'] = {};
  if (content) delta.content = content;
  if (tools.length) delta.tool_calls = tools;
  return { ...base, choices: [{ index: c.index, delta, finish_reason: null }], usage: undefined };
}

/** Applies the steps' stream transforms (PII) to content and tool-argument deltas, flushing each choice before it finishes. */
export async function* transformChatStream(transforms: StreamTransform[], chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ChatCompletionChunk> {
  const tools = new Map<number, Set<number>>();
  try {
    for await (const chunk of chunks) {
      const finishing = chunk.choices.filter((c) => c.finish_reason);
      for (const c of chunk.choices) {
        for (const tc of c.delta.tool_calls ?? []) {
          if (!tools.has(c.index)) tools.set(c.index, new Set());
          tools.get(c.index)!.add(tc.index);
        }
        for (const t of transforms) pushChoice(t, c);
      }
      if (!finishing.length) {
        yield chunk;
        continue;
      }
      // Order for a finishing choice: its released text, then what the transforms held back, then finish_reason.
      const hasText = chunk.choices.some((c) => c.delta.content || c.delta.tool_calls?.some((t) => t.function?.arguments || t.id));
      if (hasText) yield { ...chunk, choices: chunk.choices.map((c) => ({ ...c, finish_reason: null })), usage: undefined };
      for (const c of finishing) {
        for (const t of transforms) {
          const f = flushChoice(t, chunk, c, tools.get(c.index) ?? new Set());
          if (f) yield f;
        }
      }
      yield hasText ? { ...chunk, choices: finishing.map((c) => ({ ...c, delta: {} })) } : chunk;
    }
  } finally {
    for (const t of transforms) t.end();
  }
}
