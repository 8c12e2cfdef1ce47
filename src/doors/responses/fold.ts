// What a Responses call amounted to: usage in the broker's form, the served model, and the answer as the audit trail keeps it.
import type { CallUsage, StreamFold, StreamTally } from '../../broker/door.js';
import { isRecord, type ResponseObject, type ResponsesEvent } from './types.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Responses usage (`input_tokens`, `output_tokens`, cached and cache-write details) as the broker counts it. */
export function callUsage(u: unknown): CallUsage | undefined {
  if (!isRecord(u)) return undefined;
  const input = num(u.input_tokens);
  const output = num(u.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const details = isRecord(u.input_tokens_details) ? u.input_tokens_details : {};
  const read = num(details.cached_tokens);
  const write = num(details.cache_write_tokens);
  return { inputTokens: input, outputTokens: output, ...(read ? { cacheReadTokens: read } : {}), ...(write ? { cacheWriteTokens: write } : {}) };
}

/** The response as the audit trail keeps it: what came back, without the request fields the response object echoes. */
export function auditView(res: ResponseObject | Record<string, unknown>): unknown {
  return { id: res.id, model: res.model, status: res.status, incomplete_details: res.incomplete_details ?? null, output: res.output, usage: res.usage ?? null };
}

export function createFold(): StreamFold<ResponsesEvent> {
  let final: Record<string, unknown> | undefined;
  let servedModel: string | undefined;
  let outputText = '';
  // What a cut stream had sent, per output item, for the audit trail.
  const partial = new Map<string, { type: string; text: string }>();
  const add = (id: unknown, type: string, delta: string) => {
    const k = String(id);
    const p = partial.get(k) ?? { type, text: '' };
    p.text += delta;
    partial.set(k, p);
  };
  return {
    see(ev) {
      const r = ev.response;
      if (isRecord(r) && typeof r.model === 'string' && r.model) servedModel = r.model;
      if (ev.type === 'response.output_text.delta' || ev.type === 'response.function_call_arguments.delta' || ev.type === 'response.custom_tool_call_input.delta') {
        const d = typeof ev.delta === 'string' ? ev.delta : '';
        outputText += d;
        add(ev.item_id, ev.type === 'response.output_text.delta' ? 'message' : 'function_call', d);
      }
      if ((ev.type === 'response.completed' || ev.type === 'response.incomplete' || ev.type === 'response.failed') && isRecord(r)) final = r;
    },
    result(): StreamTally {
      const usage = final ? callUsage(final.usage) : undefined;
      const response = final
        ? auditView(final)
        : { status: 'cut', output: [...partial.entries()].map(([id, p]) => (p.type === 'message' ? { id, type: p.type, text: p.text } : { id, type: p.type, arguments: p.text })) };
      return { ...(usage ? { usage } : {}), ...(servedModel ? { servedModel } : {}), outputText, response };
    },
  };
}
