// GatewayErrors in Anthropic's shape: status, error type and body for /v1/messages (and Anthropic clients of /v1/models), JSON and in-band SSE.
import type { Context } from 'hono';
import { asGatewayError, publicMessage, type ErrorCode, type GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { AnthropicErrorBody } from './types.js';

/**
 * The gateway's codes as Anthropic error types. Budget exhaustion is 402 `billing_error`, not 429: Anthropic's SDK
 * and Claude Code retry a 429 (Claude Code up to ten times with backoff), which only re-asks a budget that stays
 * spent; a 402 is not retried and reaches the user at once as the account problem it is (`x-should-retry: false`
 * is sent too).
 */
const TYPES: Record<ErrorCode, { type: string; status?: number }> = {
  invalid_json: { type: 'invalid_request_error' },
  invalid_request: { type: 'invalid_request_error' },
  unauthorized: { type: 'authentication_error' },
  invalid_api_key: { type: 'authentication_error' },
  forbidden: { type: 'permission_error' },
  content_blocked: { type: 'invalid_request_error' },
  model_not_found: { type: 'not_found_error' },
  not_found: { type: 'not_found_error' },
  payload_too_large: { type: 'request_too_large' },
  unsupported_media_type: { type: 'invalid_request_error' },
  rate_limit_exceeded: { type: 'rate_limit_error' },
  insufficient_quota: { type: 'billing_error', status: 402 },
  upstream_bad_request: { type: 'invalid_request_error' },
  upstream_not_found: { type: 'not_found_error' },
  upstream_rate_limited: { type: 'rate_limit_error' },
  upstream_error: { type: 'api_error' },
  upstream_unavailable: { type: 'api_error' },
  upstream_timeout: { type: 'timeout_error' },
  unsupported: { type: 'invalid_request_error' },
  shutting_down: { type: 'overloaded_error' },
  store_unavailable: { type: 'api_error' },
  internal_error: { type: 'api_error' },
};

/** An Anthropic error type an upstream reported in-band (e.g. `overloaded_error`), kept so the client sees the same. */
const upstreamTypes = new WeakMap<GatewayError, string>();

export function withAnthropicType(err: GatewayError, type: string): GatewayError {
  if (/^[a-z_]{1,64}$/.test(type)) upstreamTypes.set(err, type);
  return err;
}

export interface AnthropicError {
  status: number;
  body: AnthropicErrorBody;
  headers: Record<string, string>;
}

export function toAnthropicError(e: GatewayError, requestId?: string): AnthropicError {
  const t = TYPES[e.code];
  const headers = { ...e.headers };
  if (e.code === 'insufficient_quota') headers['x-should-retry'] = 'false';
  return {
    status: t.status ?? e.status,
    body: { type: 'error', error: { type: upstreamTypes.get(e) ?? t.type, message: publicMessage(e) }, ...(requestId ? { request_id: requestId } : {}) },
    headers,
  };
}

/** The error frame of a stream whose headers are already sent. */
export function anthropicErrorFrame(e: GatewayError, requestId?: string): string {
  const { body } = toAnthropicError(e, requestId);
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}

/** Renders any thrown value as an Anthropic error response (for app.onError on Anthropic paths, and the door's own routes). */
export function renderAnthropicError(c: Context, err: unknown, log?: Logger): Response {
  const e = asGatewayError(err);
  const requestId = c.get('requestId') as string | undefined;
  if (e.code === 'internal_error') log?.error({ err, requestId, path: c.req.path }, 'internal error');
  const r = toAnthropicError(e, requestId);
  for (const [k, v] of Object.entries(r.headers)) c.header(k, v);
  if (requestId) c.header('request-id', requestId);
  return c.json(r.body, r.status as 400);
}
