// The policy's stream transforms (PII) over Responses events: deltas rewritten, held text flushed, every "done" event consistent.
import type { StreamTransform } from '../../policy/engine.js';
import { isRecord, type OutputItem, type ResponsesEvent } from './types.js';

const textChannel = (itemId: unknown, contentIndex: unknown): string => `${String(itemId)}:${String(contentIndex)}`;
const argsChannel = (itemId: unknown): string => `${String(itemId)}:args`;

/** Runs deltas through every transform in order; what one holds back and later flushes still passes the ones after it. */
function createChain(transforms: StreamTransform[]) {
  const sent = new Map<string, string>();
  const push = (ch: string, delta: string, from = 0): string => {
    let s = delta;
    for (let i = from; i < transforms.length && s; i++) s = transforms[i]!.push(ch, s);
    return s;
  };
  const record = (ch: string, s: string): string => {
    sent.set(ch, (sent.get(ch) ?? '') + s);
    return s;
  };
  const flush = (ch: string): string => {
    let out = '';
    for (let i = 0; i < transforms.length; i++) out += push(ch, transforms[i]!.flush(ch), i + 1);
    return out;
  };
  return {
    delta: (ch: string, delta: string): string => record(ch, push(ch, delta)),
    flush(ch: string): string {
      const s = flush(ch);
      // A channel that never streamed stays unseen, so its "done" text is transformed whole.
      return s || sent.has(ch) ? record(ch, s) : s;
    },
    /** The full text the client got on a channel; a text never streamed as deltas is transformed whole. */
    full(ch: string, text: string): string {
      const seen = sent.get(ch);
      if (seen !== undefined) return seen;
      return record(ch, push(ch, text) + flush(ch));
    },
  };
}

type Chain = ReturnType<typeof createChain>;

/** An output item with the client's text: message text parts and function call arguments. */
function rewriteItem(chain: Chain, item: OutputItem): OutputItem {
  if (item.type === 'function_call' && typeof item.arguments === 'string') return { ...item, arguments: chain.full(argsChannel(item.id), item.arguments) };
  if (item.type === 'custom_tool_call' && typeof item.input === 'string') return { ...item, input: chain.full(argsChannel(item.id), item.input) };
  if (item.type !== 'message' || !Array.isArray(item.content)) return item;
  const content = item.content.map((p: unknown, i: number) =>
    isRecord(p) && p.type === 'output_text' && typeof p.text === 'string' ? { ...p, text: chain.full(textChannel(item.id, i), p.text) } : p,
  );
  return { ...item, content };
}

function rewriteResponse(chain: Chain, response: unknown): unknown {
  if (!isRecord(response) || !Array.isArray(response.output)) return response;
  const output = (response.output as OutputItem[]).map((o) => (isRecord(o) ? rewriteItem(chain, o) : o));
  const out: Record<string, unknown> = { ...response, output };
  if (typeof response.output_text === 'string') {
    out.output_text = output
      .flatMap((o) => (o.type === 'message' && Array.isArray(o.content) ? o.content : []))
      .map((p: unknown) => (isRecord(p) && p.type === 'output_text' ? String(p.text) : ''))
      .join('');
  }
  return out;
}

function* step(chain: Chain, ev: ResponsesEvent): Generator<ResponsesEvent> {
  switch (ev.type) {
    case 'response.output_text.delta':
      yield { ...ev, delta: chain.delta(textChannel(ev.item_id, ev.content_index), String(ev.delta ?? '')) };
      return;
    case 'response.function_call_arguments.delta':
    case 'response.custom_tool_call_input.delta':
      yield { ...ev, delta: chain.delta(argsChannel(ev.item_id), String(ev.delta ?? '')) };
      return;
    case 'response.output_text.done': {
      const ch = textChannel(ev.item_id, ev.content_index);
      const held = chain.flush(ch);
      if (held) yield { type: 'response.output_text.delta', item_id: ev.item_id, output_index: ev.output_index, content_index: ev.content_index, delta: held, logprobs: [] };
      yield { ...ev, text: chain.full(ch, String(ev.text ?? '')) };
      return;
    }
    case 'response.function_call_arguments.done':
    case 'response.custom_tool_call_input.done': {
      // A function call's arguments and a custom tool's input: one channel per item, the full text in its own field.
      const field = ev.type === 'response.function_call_arguments.done' ? 'arguments' : 'input';
      const ch = argsChannel(ev.item_id);
      const held = chain.flush(ch);
      if (held) yield { type: ev.type.replace(/\.done$/, '.delta'), item_id: ev.item_id, output_index: ev.output_index, delta: held };
      yield { ...ev, [field]: chain.full(ch, String(ev[field] ?? '')) };
      return;
    }
    case 'response.content_part.done': {
      const p = ev.part;
      if (isRecord(p) && p.type === 'output_text' && typeof p.text === 'string') {
        yield { ...ev, part: { ...p, text: chain.full(textChannel(ev.item_id, ev.content_index), p.text) } };
      } else yield ev;
      return;
    }
    case 'response.output_item.done':
      yield isRecord(ev.item) ? { ...ev, item: rewriteItem(chain, ev.item as OutputItem) } : ev;
      return;
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed':
      yield { ...ev, response: rewriteResponse(chain, ev.response) };
      return;
    default:
      yield ev;
  }
}

/** Rewrites text and argument deltas per output item, flushing each item's held text as one more delta before its "done" event. */
export async function* transformEvents(transforms: StreamTransform[], events: AsyncIterable<ResponsesEvent>): AsyncGenerator<ResponsesEvent> {
  if (!transforms.length) return yield* events;
  const chain = createChain(transforms);
  try {
    for await (const ev of events) yield* step(chain, ev);
  } finally {
    for (const t of transforms) t.end();
  }
}
