// What every model door's route does with the broker's result: the policy's and routing's response headers, and errors thrown to the edge renderer.
import type { Context } from 'hono';
import type { RunResult } from '../broker/run-routed.js';
import type { AppEnv } from './context.js';
import { safeHeaderValue } from './text-bounds.js';

type Served = Extract<RunResult<unknown>, { ok: true }>;

/** Response headers of a routed call: rate-limit state, and which provider and model served it. */
export function routedHeaders(r: Pick<Served, 'served' | 'headers'>): Record<string, string> {
  return { ...r.headers, 'x-gateway-provider': r.served.provider.id, 'x-gateway-model': r.served.model };
}

/** Sets a non-streamed answer's headers on the context; a refused or failed call is thrown for app.onError to render in the door's shape. */
export function unwrap<T>(c: Context<AppEnv>, r: RunResult<T>): T {
  if (!r.ok) throw r.error;
  for (const [k, v] of Object.entries(routedHeaders(r))) c.header(k, safeHeaderValue(v));
  return r.value;
}

/** Headers of a streamed answer (set on the SSE Response itself). */
export function streamHeaders(c: Context<AppEnv>, r: Served): Record<string, string> {
  return { ...routedHeaders(r), 'x-request-id': c.get('requestId'), 'x-session-id': c.get('sessionId') };
}
