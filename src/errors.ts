// The gateway's closed list of error codes, their HTTP statuses, and the OpenAI-shaped renderer.
import { redactKeyPatterns } from './providers/key-patterns.js';

export const ERROR_CODES = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  unauthorized: { status: 401, type: 'authentication_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  content_blocked: { status: 400, type: 'invalid_request_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  insufficient_quota: { status: 429, type: 'insufficient_quota' },
  upstream_bad_request: { status: 400, type: 'invalid_request_error' },
  upstream_not_found: { status: 404, type: 'invalid_request_error' },
  upstream_rate_limited: { status: 429, type: 'rate_limit_error' },
  upstream_error: { status: 502, type: 'api_error' },
  upstream_unavailable: { status: 502, type: 'api_error' },
  upstream_timeout: { status: 504, type: 'timeout_error' },
  unsupported: { status: 400, type: 'invalid_request_error' },
  shutting_down: { status: 503, type: 'api_error' },
  store_unavailable: { status: 503, type: 'api_error' },
  internal_error: { status: 500, type: 'api_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GatewayErrorOptions {
  param?: string | null;
  /** Extra response headers, e.g. retry-after. */
  headers?: Record<string, string>;
  /** Status to use instead of the code's default (e.g. an upstream 422 passed through). */
  status?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, opts: GatewayErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = opts.status ?? ERROR_CODES[code].status;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }

  get type(): string {
    return ERROR_CODES[this.code].type;
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

/**
 * The message as any renderer may show it. Provider adapters already scrub their configured secrets; this is
 * defence in depth for text that reached an error some other way: key-shaped strings never leave.
 */
export function publicMessage(err: Pick<Error, 'message'>): string {
  return redactKeyPatterns(err.message);
}

export function toOpenAIError(err: GatewayError): OpenAIErrorBody {
  return { error: { message: publicMessage(err), type: err.type, code: err.code, param: err.param } };
}

/** Anything thrown that is not a GatewayError becomes an opaque 500: its message may hold internals. */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal_error', 'The gateway hit an internal error; see the gateway log with this request id.', {
    cause: err,
  });
}
