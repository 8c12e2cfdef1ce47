// Messages streams under the policy: text and tool-input deltas rewritten per content block (PII), and the fold that meters them.
import type { CallUsage, StreamFold, StreamTally } from '../../broker/door.js';
import type { StreamTransform } from '../../policy/engine.js';
import { parseInput } from './from-chat.js';
import type { BlockDelta, MessagesEvent, MessagesResponse, MessagesUsage, ResponseBlock } from './types.js';

type Kind = 'text' | 'json';

/** Each transform's output feeds the next, so every transform sees all the text, in order. */
function pushAll(ts: StreamTransform[], ch: string, delta: string): string {
  let s = delta;
  for (const t of ts) if (s) s = t.push(ch, s);
  return s;
}

/** What the transforms still hold for a channel, passed on through the later transforms. */
function flushAll(ts: StreamTransform[], ch: string): string {
  let carry = '';
  for (const t of ts) carry = (carry ? t.push(ch, carry) : '') + t.flush(ch);
  return carry;
}

function delta(kind: Kind, text: string): BlockDelta {
  return kind === 'text' ? { type: 'text_delta', text } : { type: 'input_json_delta', partial_json: text };
}

/**
 * Rewrites text_delta text and input_json_delta partial_json through the transforms, one channel per content block,
 * and sends what they held back as one more delta just before the block's content_block_stop (or before message_delta
 * for a block the upstream never stopped). Thinking is signed and passes unchanged. An emptied delta is not sent.
 */
export async function* transformMessages(transforms: StreamTransform[], events: AsyncIterable<MessagesEvent>): AsyncGenerator<MessagesEvent> {
  if (!transforms.length) return yield* events;
  const open = new Map<number, Kind>();
  function* flush(index: number): Generator<MessagesEvent> {
    const kind = open.get(index);
    if (!kind) return;
    open.delete(index);
    const rest = flushAll(transforms, `b${index}`);
    if (rest) yield { type: 'content_block_delta', index, delta: delta(kind, rest) };
  }
  try {
    for await (const ev of events) {
      switch (ev.type) {
        case 'content_block_start': {
          const b = ev.content_block;
          const kind: Kind | null = b.type === 'text' ? 'text' : b.type === 'tool_use' ? 'json' : null;
          if (!kind) break;
          open.set(ev.index, kind);
          if (kind === 'text' && b.text) {
            yield { ...ev, content_block: { ...b, text: pushAll(transforms, `b${ev.index}`, b.text) } };
            continue;
          }
          break;
        }
        case 'content_block_delta': {
          const d = ev.delta;
          if (!open.has(ev.index)) break;
          if (d.type === 'text_delta' || d.type === 'input_json_delta') {
            const text = pushAll(transforms, `b${ev.index}`, d.type === 'text_delta' ? d.text : d.partial_json);
            if (text) yield { ...ev, delta: delta(d.type === 'text_delta' ? 'text' : 'json', text) };
            continue;
          }
          break;
        }
        case 'content_block_stop':
          yield* flush(ev.index);
          break;
        case 'message_delta':
        case 'message_stop':
          for (const i of [...open.keys()]) yield* flush(i);
          break;
        default:
          break;
      }
      yield ev;
    }
  } finally {
    for (const t of transforms) t.end();
  }
}

/** A response's content as the audit trail keeps it: text, tool calls with their input, and only the size of thinking. */
export function auditContent(blocks: ResponseBlock[]): unknown[] {
  return blocks.map((b) => {
    if (b.type === 'text') return { type: 'text', text: b.text ?? '' };
    if (b.type === 'tool_use' || b.type === 'server_tool_use') return { type: b.type, id: b.id, name: b.name, input: b.input };
    if (b.type === 'thinking') return { type: 'thinking', chars: b.thinking?.length ?? 0 };
    return { type: b.type };
  });
}

export function auditView(res: MessagesResponse): unknown {
  return { id: res.id, model: res.model, stop_reason: res.stop_reason, content: auditContent(res.content) };
}

/** Anthropic's input_tokens leaves cache reads and writes out; the gateway's input count includes them. */
export function callUsage(u: Partial<MessagesUsage> | undefined): CallUsage {
  const cacheRead = u?.cache_read_input_tokens ?? 0;
  const cacheWrite = u?.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: (u?.input_tokens ?? 0) + cacheRead + cacheWrite,
    outputTokens: u?.output_tokens ?? 0,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
  };
}

interface FoldBlock extends ResponseBlock {
  json?: string;
}

export function foldMessages(): StreamFold<MessagesEvent> {
  let id = '';
  let model: string | undefined;
  let stop: string | null = null;
  const usage: Partial<MessagesUsage> = {};
  let reported = false;
  let outputText = '';
  const blocks = new Map<number, FoldBlock>();
  const take = (u: Record<string, unknown>) => {
    for (const k of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const) {
      if (typeof u[k] === 'number') usage[k] = u[k];
    }
  };
  return {
    see(ev) {
      switch (ev.type) {
        case 'message_start':
          id = ev.message.id;
          model = ev.message.model || undefined;
          take(ev.message.usage ?? {});
          break;
        case 'content_block_start': {
          const b: FoldBlock = { ...ev.content_block };
          if (b.type === 'tool_use') b.json = '';
          outputText += b.text ?? '';
          blocks.set(ev.index, b);
          break;
        }
        case 'content_block_delta': {
          const b = blocks.get(ev.index);
          const d = ev.delta;
          if (d.type === 'text_delta') {
            outputText += d.text;
            if (b) b.text = (b.text ?? '') + d.text;
          } else if (d.type === 'input_json_delta') {
            outputText += d.partial_json;
            if (b) b.json = (b.json ?? '') + d.partial_json;
          } else if (d.type === 'thinking_delta') {
            outputText += d.thinking;
            if (b) b.thinking = (b.thinking ?? '') + d.thinking;
          }
          break;
        }
        case 'message_delta':
          stop = ev.delta?.stop_reason ?? stop;
          take(ev.usage ?? {});
          reported = typeof ev.usage?.output_tokens === 'number';
          break;
        default:
          break;
      }
    },
    result(): StreamTally {
      const content = [...blocks.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, b]) => (b.json !== undefined ? { ...b, input: parseInput(b.json), json: undefined } : b));
      return {
        ...(reported ? { usage: callUsage(usage) } : {}),
        ...(model ? { servedModel: model } : {}),
        outputText,
        response: { id, model: model ?? null, stop_reason: stop, content: auditContent(content) },
      };
    },
  };
}
