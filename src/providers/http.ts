// Upstream HTTP for every adapter: pooled keep-alive undici, timeouts, aborts, and error mapping.
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { Timeouts } from '../config.js';
import { GatewayError } from '../errors.js';
import { traceHeaders } from '../tracing/otel.js';
import type { Scrubber } from './scrub.js';

export interface UpstreamRequest {
  providerId: string;
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: unknown;
  signal: AbortSignal;
  timeouts: Timeouts;
  /** Removes every configured provider secret (and its echoed forms) from upstream text put into errors. */
  scrubber: Scrubber;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

const agents = new Map<number, Agent>();

/** One keep-alive pool per connect timeout (in practice: one for the whole process). */
function agentFor(connectMs: number): Agent {
  let agent = agents.get(connectMs);
  if (!agent) {
    agent = new Agent({ connect: { timeout: connectMs }, keepAliveTimeout: 30_000, connections: 256 });
    agents.set(connectMs, agent);
  }
  return agent;
}

export async function closeUpstreamAgents(): Promise<void> {
  await Promise.all([...agents.values()].map((a) => a.close()));
  agents.clear();
}

/**
 * The caller's signal with the total timeout on top: one controller and one timer, cleared as soon as the response is
 * over (AbortSignal.any + AbortSignal.timeout cost a weak-ref registration per call and a timer that lived the whole
 * total timeout, minutes, after a call of milliseconds).
 */
function withDeadline(client: AbortSignal, ms: number, providerId: string): { signal: AbortSignal; clear: () => void } {
  const ac = new AbortController();
  if (client.aborted) {
    ac.abort(client.reason);
    return { signal: ac.signal, clear: () => undefined };
  }
  const onAbort = () => ac.abort(client.reason);
  client.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(new DOMException(`Provider "${providerId}" did not finish within ${ms} ms.`, 'TimeoutError')), ms);
  timer.unref();
  return {
    signal: ac.signal,
    clear: () => {
      clearTimeout(timer);
      client.removeEventListener('abort', onAbort);
    },
  };
}

/** Sends a request upstream; resolves on a 2xx, throws a GatewayError for anything else. */
export async function callUpstream(req: UpstreamRequest): Promise<UpstreamResponse> {
  const { signal, clear } = withDeadline(req.signal, req.timeouts.totalMs, req.providerId);
  let res: Dispatcher.ResponseData;
  try {
    res = await request(req.url, {
      method: req.method ?? 'POST',
      // W3C traceparent of the current attempt span, when tracing is on.
      headers: traceHeaders(req.body === undefined ? req.headers : { 'content-type': 'application/json', ...req.headers }),
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal,
      dispatcher: agentFor(req.timeouts.connectMs),
      headersTimeout: req.timeouts.firstByteMs,
      bodyTimeout: req.timeouts.idleMs,
    });
  } catch (err) {
    clear();
    throw req.scrubber.error(transportError(req, err, signal));
  }
  if (res.statusCode >= 200 && res.statusCode < 300) {
    // The deadline covers the body too: it ends when the body is read, fails or is dropped.
    res.body.once('close', clear);
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    // The status alone still says what happened.
  } finally {
    clear();
  }
  throw statusError(req, res.statusCode, res.headers, text);
}

/** Reads a JSON body, turning a malformed one into a 502 that names the provider. */
export async function readJson<T>(res: UpstreamResponse, req: Pick<UpstreamRequest, 'providerId' | 'signal'>): Promise<T> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    throw bodyError(req.providerId, err, req.signal);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new GatewayError('upstream_error', `Provider "${req.providerId}" returned a malformed JSON body.`);
  }
}

/** Maps an error thrown while reading an upstream body (timeouts, resets, aborts). */
export function bodyError(providerId: string, err: unknown, signal?: AbortSignal): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError('upstream_timeout', `Provider "${providerId}" stopped sending data (idle timeout).`);
  }
  if (signal?.aborted) return abortError(providerId, signal);
  return new GatewayError('upstream_error', `The connection to provider "${providerId}" broke mid-response.`, { cause: err });
}

function abortError(providerId: string, signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new GatewayError('upstream_timeout', `Provider "${providerId}" did not finish within the total timeout.`);
  }
  return new GatewayError('upstream_error', `The request to provider "${providerId}" was cancelled.`);
}

function transportError(req: UpstreamRequest, err: unknown, signal: AbortSignal): GatewayError {
  const p = req.providerId;
  if (err instanceof undiciErrors.HeadersTimeoutError) {
    return new GatewayError('upstream_timeout', `Provider "${p}" did not answer within ${req.timeouts.firstByteMs} ms.`);
  }
  if (err instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError('upstream_timeout', `Could not connect to provider "${p}" within ${req.timeouts.connectMs} ms.`);
  }
  if (signal.aborted) return abortError(p, signal);
  const code = (err as { code?: string }).code ?? '';
  return new GatewayError('upstream_unavailable', `Could not reach provider "${p}"${code ? ` (${code})` : ''}.`, { cause: err });
}

/** The upstream's own message, or the start of the body. */
function upstreamMessage(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    const first = Array.isArray(body) ? body[0] : body; // Gemini sometimes wraps errors in an array
    const e = (first as { error?: unknown })?.error;
    if (typeof e === 'string') return e;
    const m = (e as { message?: unknown })?.message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return text.slice(0, 300);
}

function statusError(req: UpstreamRequest, status: number, headers: UpstreamResponse['headers'], text: string): GatewayError {
  const p = req.providerId;
  // The raw body is scrubbed before any cut (so no short fragment survives a truncation), the message again
  // after JSON parsing (a \u-escaped key only appears once decoded).
  const detail = req.scrubber.scrub(upstreamMessage(req.scrubber.scrub(text))).trim();
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401 || status === 403) {
    // The gateway's own credentials were refused: not the client's fault, and the message may echo the key.
    return new GatewayError('upstream_error', `Provider "${p}" refused the gateway's credentials (HTTP ${status}); check its API key.`);
  }
  if (status === 429) {
    const retryAfter = headers['retry-after'];
    const h: Record<string, string> = {};
    if (typeof retryAfter === 'string') h['retry-after'] = retryAfter;
    return new GatewayError('upstream_rate_limited', `Provider "${p}" is rate limiting requests${suffix}`, { headers: h });
  }
  if (status === 404) return new GatewayError('upstream_not_found', `Provider "${p}" returned not found${suffix}`);
  if (status === 408 || status === 504) return new GatewayError('upstream_timeout', `Provider "${p}" timed out (HTTP ${status})${suffix}`);
  if (status >= 400 && status < 500) {
    return new GatewayError('upstream_bad_request', `Provider "${p}" rejected the request (HTTP ${status})${suffix}`, {
      status: status === 422 || status === 413 ? status : 400,
    });
  }
  return new GatewayError('upstream_error', `Provider "${p}" failed (HTTP ${status})${suffix}`);
}
