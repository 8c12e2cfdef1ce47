// A native Responses upstream (OpenAI): the body the gateway sends it, and its answer and SSE events as the door's values.
import { GatewayError } from '../../errors.js';
import type { SseEvent } from '../../openai/sse.js';
import type { ProviderCall } from '../../providers/types.js';
import type { ResponsesRequest } from './schema.js';
import { isRecord, newId, type ResponseObject, type ResponsesEvent } from './types.js';

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * The client's body with the upstream model name, `store: false` (the gateway keeps responses itself, scoped to the
 * caller's key, so nothing is left at OpenAI under the gateway's account) and no `previous_response_id` (the gateway
 * has expanded it into `input`). Every other field is forwarded as the client sent it.
 */
export function nativeBody(req: ResponsesRequest, call: ProviderCall, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req, model: call.model, store: false };
  delete body.previous_response_id;
  if (stream) body.stream = true;
  else delete body.stream;
  return body;
}

/**
 * The upstream's response under a gateway id: OpenAI's own id names nothing it kept (`store: false`), while the
 * gateway's is the one it stores, chains and audits by, whichever provider served the call.
 */
export function nativeResponse(body: unknown, providerId: string): ResponseObject {
  if (!isRecord(body) || !Array.isArray(body.output)) {
    throw new GatewayError('upstream_error', `Provider "${providerId}" returned a body that is not a Responses response.`);
  }
  return { ...body, id: newId('resp') } as ResponseObject;
}

function parse(ev: SseEvent, providerId: string): ResponsesEvent {
  let value: unknown;
  try {
    value = JSON.parse(ev.data);
  } catch {
    value = undefined;
  }
  if (!isRecord(value)) {
    throw new GatewayError('upstream_error', `Provider "${providerId}" sent a malformed stream event${ev.event ? ` (${ev.event})` : ''}.`);
  }
  return { ...value, type: typeof value.type === 'string' ? value.type : (ev.event ?? '') };
}

function streamError(data: ResponsesEvent, providerId: string): GatewayError {
  const inner = isRecord(data.error) ? data.error : data;
  const code = typeof inner.code === 'string' ? inner.code : null;
  const message = typeof inner.message === 'string' ? inner.message : 'no message';
  const gw = code === 'rate_limit_exceeded' ? 'upstream_rate_limited' : 'upstream_error';
  return new GatewayError(gw, `Provider "${providerId}" stream failed${code ? ` (${code})` : ''}: ${message}`);
}

/** Events in order until the response completes, is incomplete or fails; an `error` event or a stream cut before then throws. */
export async function* nativeEvents(events: AsyncIterable<SseEvent>, providerId: string): AsyncGenerator<ResponsesEvent> {
  const id = newId('resp');
  for await (const ev of events) {
    if (ev.data === '[DONE]') break;
    const data = parse(ev, providerId);
    // OpenAI's `error` event, or a chat-style `{"error": ...}` frame from a server that only looks like OpenAI.
    if (data.type === 'error' || (!data.type && isRecord(data.error))) throw streamError(data, providerId);
    if (!data.type) continue;
    yield isRecord(data.response) ? { ...data, response: { ...data.response, id } } : data;
    if (TERMINAL.has(data.type)) return;
  }
  throw new GatewayError('upstream_error', `Provider "${providerId}" stream ended early (before the response completed).`);
}
