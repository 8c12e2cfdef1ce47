// The broker's side of the response cache: a call's plan and lookup around admission, replaying a stored stream, and what may be stored.
import type { CallCache, CachedAnswer } from '../cache/response-cache.js';
import type { Deps } from '../deps.js';
import type { ChatRequest } from '../openai/schemas.js';
import type { PolicyContext } from '../policy/engine.js';
import { reservedOutputCap } from '../policy/estimate.js';
import { piiModeOf } from '../policy/steps/pii.js';
import type { RoutePlan } from '../routing/router.js';
import type { Runtime } from '../runtime.js';
import type { CallContext } from './context.js';

export interface CacheLookup {
  cache: CallCache | null;
  hit: CachedAnswer | null;
}

/** A call's cache plan, with its exact entry's read already under way. */
export interface PendingLookup {
  cache: CallCache;
  exact: Promise<string | null> | null;
}

/** The cache plan of a model call, made before admission so the exact read runs beside the policy's own Redis round trip. */
export function startLookup(
  deps: Deps,
  rt: Runtime,
  ctx: CallContext,
  call: { door: string; model: string; req: unknown; chat: ChatRequest | undefined; plan: RoutePlan; stream: boolean },
): PendingLookup | null {
  const cache = deps.cache.plan(rt.config.cache, {
    ...call,
    principal: ctx.principal,
    pii: () => piiModeOf(ctx, rt.config.policy.pii),
    directives: ctx.cache,
  });
  // The read never rejects (a store error is a miss); a refused call simply drops its answer.
  return cache ? { cache, exact: cache.lookup ? deps.cache.store.get(cache.key) : null } : null;
}

/** Finishes the lookup of an admitted call (the semantic search only now: it may embed); the verdict goes out as `x-gateway-cache`. */
export async function finishLookup(deps: Deps, ctx: CallContext, pending: PendingLookup | null, stream: boolean, pctx: PolicyContext): Promise<CacheLookup> {
  if (!pending) return { cache: null, hit: null };
  const { cache } = pending;
  let hit = await deps.cache.lookup(cache, ctx.signal, pending.exact);
  // An entry of the other shape (a stream's events for a plain call, or the reverse) cannot answer: a miss.
  if (hit && (stream ? !Array.isArray(hit.events) : hit.body === undefined)) {
    hit = null;
    cache.mark = { status: 'miss' };
  }
  pctx.responseHeaders['x-gateway-cache'] = cache.mark.status;
  return { cache, hit };
}

/**
 * An answer cut short by the gateway's own output cap (a budget reservation bounding max_tokens below what the client
 * asked) answers a different question than the client's: it is not stored.
 */
export function cutByGateway(pctx: PolicyContext, outputTokens: number | undefined): boolean {
  const cap = reservedOutputCap(pctx);
  if (cap === undefined || outputTokens === undefined) return false;
  const asked = pctx.chat?.max_completion_tokens ?? pctx.chat?.max_tokens;
  if (typeof asked === 'number' && cap >= asked) return false; // the client's own limit: part of the question
  return outputTokens >= cap * (pctx.chat?.n ?? 1);
}

/** A stored stream's events, sent again in order. */
export async function* replay<Ev>(events: readonly unknown[]): AsyncGenerator<Ev> {
  for (const ev of events) yield structuredClone(ev) as Ev;
}
