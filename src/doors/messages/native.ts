// A native Messages upstream's body and SSE events as the door's values: checked enough to meter them, otherwise forwarded as sent.
import { GatewayError } from '../../errors.js';
import type { SseEvent } from '../../openai/sse.js';
import type { ProviderCall } from '../../providers/types.js';
import { withAnthropicType } from './errors.js';
import type { MessagesRequest } from './schema.js';
import type { MessagesEvent, MessagesResponse } from './types.js';

/** The client's body with only the upstream model name set (and the stream flag the call needs): unknown fields survive. */
export function nativeBody(req: MessagesRequest, call: ProviderCall, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req, model: call.model };
  if (stream) body.stream = true;
  else delete body.stream;
  return body;
}

export function nativeMessage(body: unknown, providerId: string): MessagesResponse {
  const m = body as Partial<MessagesResponse> | null;
  if (!m || typeof m !== 'object' || !Array.isArray(m.content)) {
    throw new GatewayError('upstream_error', `Provider "${providerId}" returned a body that is not a Messages response.`);
  }
  return { ...m, usage: m.usage ?? { input_tokens: 0, output_tokens: 0 } } as MessagesResponse;
}

const EVENT_TYPE = /^[a-z][a-z0-9_.]{0,63}$/;

function parse(ev: SseEvent, providerId: string): Record<string, unknown> & { type: string } {
  let value: unknown;
  try {
    value = JSON.parse(ev.data);
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('upstream_error', `Provider "${providerId}" sent a malformed stream event${ev.event ? ` (${ev.event})` : ''}.`);
  }
  const data = value as Record<string, unknown>;
  return { ...data, type: typeof data.type === 'string' ? data.type : (ev.event ?? '') };
}

function streamError(data: Record<string, unknown>, providerId: string): GatewayError {
  const err = (data.error ?? {}) as { type?: unknown; message?: unknown };
  const type = typeof err.type === 'string' ? err.type : 'api_error';
  const message = `Provider "${providerId}" stream failed (${type}): ${typeof err.message === 'string' ? err.message : 'no message'}`;
  const code = type === 'rate_limit_error' ? 'upstream_rate_limited' : type === 'overloaded_error' ? 'upstream_unavailable' : 'upstream_error';
  return withAnthropicType(new GatewayError(code, message), type);
}

/** Events in order until message_stop; an upstream `error` event or a stream cut before message_stop throws. */
export async function* nativeEvents(events: AsyncIterable<SseEvent>, providerId: string): AsyncGenerator<MessagesEvent> {
  for await (const ev of events) {
    const data = parse(ev, providerId);
    if (data.type === 'error') throw streamError(data, providerId);
    // The type names the SSE frame: anything but a plain name (a newline would forge frames) is not forwarded.
    if (!EVENT_TYPE.test(data.type)) continue;
    yield data as unknown as MessagesEvent;
    if (data.type === 'message_stop') return;
  }
  throw new GatewayError('upstream_error', `Provider "${providerId}" stream ended early (before message_stop).`);
}
