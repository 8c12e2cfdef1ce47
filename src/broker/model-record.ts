// The end of a model call: its one CallRecord (cost, usage, decisions, payloads) written to every trail, and the policy settled.
import type { Deps } from '../deps.js';
import type { PolicyContext } from '../policy/engine.js';
import type { PriceBook } from '../policy/prices.js';
import { estimatedInput } from '../policy/estimate.js';
import type { RouteTrace } from '../routing/executor.js';
import type { CacheMark } from '../tracing/call-record.js';
import { recordCall } from '../tracing/record-call.js';
import { flagOverrun, settle, type Admitted } from './admission.js';
import type { CallContext } from './context.js';
import type { CallUsage, ModelDoor } from './door.js';

export interface ModelEnd {
  /** The client's request as it arrived. */
  req: unknown;
  stream: boolean;
  /** The call's policy context; null when it ended before admission (no plan, audit refusing). */
  pctx: PolicyContext | null;
  /** Set for admitted calls that reached an upstream: their overrun is checked against the reservation. */
  adm?: Admitted;
  status: number;
  errorCode?: string | undefined;
  usage?: CallUsage | undefined;
  servedModel?: string | undefined;
  /** The answer as the client got it (after output redaction). */
  response?: unknown;
  /** The response cache's verdict; on a hit, `cachedFrom` names the target that made the stored answer. */
  cache?: CacheMark | undefined;
  cachedFrom?: { provider: string; model: string };
}

export interface Finished {
  /** The call's cost in micro-dollars (null when unknown). */
  costMicros: number | null;
  /** The provider billed more than the budget reserved: the caller waits for the spend to be booked. */
  overrun: boolean;
}

/** What the record needs of a door: its names and how to read the model a request asked for. */
export type DoorInfo = Pick<ModelDoor<unknown, unknown, unknown>, 'name' | 'endpoint' | 'operation' | 'model'>;

export function finishModelCall(deps: Deps, prices: PriceBook, ctx: CallContext, door: DoorInfo, trace: RouteTrace, end: ModelEnd): Finished {
  const t = trace.last;
  const u = end.usage;
  // A cache hit costs nothing: the provider was not called (its avoided cost is in the mark).
  const costMicros = end.cache?.status === 'hit' ? 0 : t && u ? prices.cost(t.provider.id, t.model, u) : null;
  if (end.cache) deps.metrics.cache(door.name, end.cache.status, end.cache.savedCostMicros);
  const overrun = !!end.adm && !!u && end.status === 200 && flagOverrun(deps, end.adm.pctx, u, costMicros);
  if (trace.attempts > 0 && deps.log.isLevelEnabled('debug')) {
    deps.log.debug({ requestId: ctx.requestId, model: door.model(end.req), attempts: trace.attempts, route: trace.reason }, 'routed');
  }
  const upstreamMs = trace.upstream.ms;
  if (ctx.timing) ctx.timing.upstreamMs = upstreamMs;
  const pctx = end.pctx;
  recordCall(deps, {
    kind: 'model_call',
    door: door.name,
    endpoint: door.endpoint,
    operation: door.operation,
    principal: { keyId: ctx.principal?.keyId ?? ctx.keyId, teamId: ctx.principal?.teamId ?? ctx.team ?? null },
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    client: { userAgent: ctx.userAgent ?? null },
    model: { requested: door.model(end.req), served: end.servedModel ?? t?.model ?? end.cachedFrom?.model ?? null, provider: t?.provider.id ?? end.cachedFrom?.provider ?? null },
    stream: end.stream,
    decisions: pctx?.decisions ?? [],
    status: end.status,
    errorCode: end.errorCode ?? null,
    latencyMs: performance.now() - ctx.startedAt,
    usage: u ? { inputTokens: u.inputTokens, outputTokens: u.outputTokens } : undefined,
    costMicros,
    attempts: trace.attempts,
    routeReason: trace.attempts > 0 ? trace.reason : null,
    upstreamMs,
    // Only an admitted call's input went upstream (redacted); a denied one may not have met the PII step yet.
    request: end.adm ? end.adm.pctx.input : undefined,
    response: end.response ?? (end.errorCode ? { error: end.errorCode } : undefined),
    originalRequest: end.req,
    ...(end.cache ? { cache: end.cache } : {}),
  });
  return { costMicros, overrun };
}

/** Settles the policy (budgets, token windows) with what the call really used; resolves once booked. */
export function settleCall(adm: Admitted | null, usage: CallUsage | undefined, costMicros: number | null, ok: boolean): Promise<void> {
  if (!adm) return Promise.resolve();
  return settle(adm, usage ? { ok, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costMicros } : { ok: false });
}

/**
 * Usage of a stream cut before the upstream reported it: the input as the reservation counted it, the output text
 * received so far through the same tokenizer, so reservation and settlement agree.
 */
export async function usageAfterCut(deps: Deps, pctx: PolicyContext, outputText: string): Promise<CallUsage> {
  const tokens = deps.policyStores.tokens;
  const model = pctx.chat?.model ?? pctx.model?.requested ?? '';
  const [inputTokens, outputTokens] = await Promise.all([estimatedInput(pctx, tokens), tokens.countText(outputText, model)]);
  return { inputTokens, outputTokens };
}
