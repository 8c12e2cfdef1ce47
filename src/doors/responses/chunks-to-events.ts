// A chat completion chunk stream as Responses stream events, in the order OpenAI sends them.
import type { ChatCompletionChunk, FinishReason, Usage } from '../../openai/types.js';
import { functionCallItem, messageItem, responseShell, statusOf, usageFromChat } from './from-chat.js';
import type { ResponsesRequest } from './schema.js';
import { newId, type OutputItem, type ResponseObject, type ResponsesEvent } from './types.js';

type PartKind = 'output_text' | 'refusal';

interface OpenMessage {
  id: string;
  index: number;
  parts: Array<{ kind: PartKind; value: string }>;
}

interface OpenCall {
  id: string;
  index: number;
  callId: string;
  name: string;
  args: string;
}

const part = (kind: PartKind, value: string) => (kind === 'output_text' ? { type: kind, text: value, annotations: [], logprobs: [] } : { type: kind, refusal: value });

/** Translates the first choice's deltas; the upstream's last chunk (usage, `choices: []`) completes the response. */
export async function* eventsFromChunks(req: ResponsesRequest, model: string, chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ResponsesEvent> {
  const created = Math.floor(Date.now() / 1000);
  const shell = responseShell(req, newId('resp'), created, model);
  const output: OutputItem[] = [];
  const calls = new Map<number, OpenCall>();
  let msg: OpenMessage | null = null;
  let started = false;
  let finish: FinishReason | null = null;
  let usage: Usage | undefined;

  function* start(chunkModel: string): Generator<ResponsesEvent> {
    started = true;
    if (chunkModel) shell.model = chunkModel;
    yield { type: 'response.created', response: { ...shell } };
    yield { type: 'response.in_progress', response: { ...shell } };
  }

  function* closePart(m: OpenMessage): Generator<ResponsesEvent> {
    const content_index = m.parts.length - 1;
    const p = m.parts[content_index];
    if (!p) return;
    const at = { item_id: m.id, output_index: m.index, content_index };
    if (p.kind === 'output_text') yield { type: 'response.output_text.done', ...at, text: p.value, logprobs: [] };
    else yield { type: 'response.refusal.done', ...at, refusal: p.value };
    yield { type: 'response.content_part.done', ...at, part: part(p.kind, p.value) };
  }

  function* closeMessage(status: 'completed' | 'incomplete'): Generator<ResponsesEvent> {
    if (!msg) return;
    const m = msg;
    msg = null;
    yield* closePart(m);
    const text = m.parts.filter((p) => p.kind === 'output_text').map((p) => p.value);
    const refusal = m.parts.filter((p) => p.kind === 'refusal').map((p) => p.value).join('');
    const item = messageItem(text.length ? text.join('') : null, refusal || null, status, m.id);
    output[m.index] = item;
    yield { type: 'response.output_item.done', output_index: m.index, item: { ...item, content: item.content.map((c) => ({ ...c })) } };
  }

  function* text(kind: PartKind, delta: string): Generator<ResponsesEvent> {
    if (!msg) {
      msg = { id: newId('msg'), index: output.length, parts: [] };
      output.push(messageItem(null, null, 'in_progress', msg.id));
      yield { type: 'response.output_item.added', output_index: msg.index, item: messageItem(null, null, 'in_progress', msg.id) };
    }
    if (msg.parts.at(-1)?.kind !== kind) {
      yield* closePart(msg);
      msg.parts.push({ kind, value: '' });
      yield { type: 'response.content_part.added', item_id: msg.id, output_index: msg.index, content_index: msg.parts.length - 1, part: part(kind, '') };
    }
    const content_index = msg.parts.length - 1;
    msg.parts[content_index]!.value += delta;
    const at = { item_id: msg.id, output_index: msg.index, content_index };
    yield kind === 'output_text' ? { type: 'response.output_text.delta', ...at, delta, logprobs: [] } : { type: 'response.refusal.delta', ...at, delta };
  }

  for await (const chunk of chunks) {
    if (!started) yield* start(chunk.model);
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices.find((c) => c.index === 0);
    if (!choice) continue;
    const d = choice.delta;
    if (d.content) yield* text('output_text', d.content);
    if (d.refusal) yield* text('refusal', d.refusal);
    for (const tc of d.tool_calls ?? []) {
      let call = calls.get(tc.index);
      if (!call) {
        yield* closeMessage('completed');
        call = { id: newId('fc'), index: output.length, callId: tc.id ?? newId('call'), name: tc.function?.name ?? '', args: '' };
        calls.set(tc.index, call);
        const item = functionCallItem(call.callId, call.name, '', 'in_progress', call.id);
        output.push(item);
        yield { type: 'response.output_item.added', output_index: call.index, item: { ...item } };
      }
      const piece = tc.function?.arguments;
      if (piece) {
        call.args += piece;
        yield { type: 'response.function_call_arguments.delta', item_id: call.id, output_index: call.index, delta: piece };
      }
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  if (!started) yield* start(model);
  const { status, incomplete_details } = statusOf(finish);
  yield* closeMessage(status === 'completed' ? 'completed' : 'incomplete');
  for (const call of calls.values()) {
    const item = functionCallItem(call.callId, call.name, call.args, 'completed', call.id);
    output[call.index] = item;
    yield { type: 'response.function_call_arguments.done', item_id: call.id, output_index: call.index, name: call.name, arguments: call.args };
    yield { type: 'response.output_item.done', output_index: call.index, item: { ...item } };
  }
  const final: ResponseObject = { ...shell, status, incomplete_details, output: output.map((o) => structuredClone(o)), usage: usageFromChat(usage) ?? null };
  yield { type: status === 'completed' ? 'response.completed' : 'response.incomplete', response: final };
}
