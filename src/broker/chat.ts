// runChat and runEmbeddings: route the model call (fallbacks, retries, hedging) and record one request-log row per call.
import type { ProviderKind } from '../config.js';
import type { Deps } from '../deps.js';
import { asGatewayError } from '../errors.js';
import { reservedOutputCap, withOutputCap } from '../policy/estimate.js';
import type { Principal } from '../policy/types.js';
import { estimatePromptTokens } from '../providers/estimate.js';
import { admitOrThrow, applyOutput, flagOverrun, settle, transformStream, type Admitted } from './admission.js';
import type { ChatRequest, EmbeddingsRequest } from '../openai/schemas.js';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingsResponse, Usage } from '../openai/types.js';
import { execute, newTrace, type ExecOptions, type RouteTrace } from '../routing/executor.js';
import type { ResolvedModel } from '../routing/resolve.js';
import { routeTag, type RouteInput } from '../routing/rules.js';
import { discardStream, openStream, resumeStream, type OpenedStream } from '../routing/stream.js';
import type { RequestLogRow } from '../storage/schema.js';
import type { RequestTiming } from '../tracing/metrics.js';
import type { GenAiOperation } from '../tracing/semconv.js';
import { recordModelCall, streamAudit, type ModelAudit } from '../tracing/audit-broker.js';

export interface CallContext {
  requestId: string;
  sessionId: string;
  keyId: string | null;
  principal: Principal;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  startedAt: number;
  /** `x-route-tag` header, for alias rules. */
  routeTag?: string | null;
  /** The key's team, for alias rules. */
  team?: string | null;
  /** The client's user agent, for the audit session. */
  userAgent?: string | null;
  /** Receives the upstream time, for the Server-Timing header. */
  timing?: RequestTiming;
}

export interface ChatStreamResult {
  resolved: ResolvedModel;
  chunks: AsyncIterable<ChatCompletionChunk>;
  /** Response headers from the policy (rate-limit state). */
  headers: Record<string, string>;
}

/** A non-streamed answer and the target that produced it (for the x-gateway-* headers). */
export interface Routed<T> {
  response: T;
  served: ResolvedModel;
  headers: Record<string, string>;
}

type Row = Omit<RequestLogRow, 'status' | 'latencyMs'>;

function logRow(ctx: CallContext, endpoint: string, requested: string, stream: boolean): Row {
  return {
    time: new Date(),
    requestId: ctx.requestId,
    sessionId: ctx.sessionId,
    keyId: ctx.keyId,
    endpoint,
    modelRequested: requested,
    stream,
  };
}

const now = (): number => performance.now();

function input(ctx: CallContext, chat?: ChatRequest): RouteInput {
  return { keyId: ctx.keyId, team: ctx.team ?? null, tag: routeTag(ctx.routeTag, chat), chat };
}

function options<T>(deps: Deps, ctx: CallContext, run: ExecOptions<T>['run'], operation: GenAiOperation = 'chat'): ExecOptions<T> {
  return { signal: ctx.signal, run, rand: deps.router.rand, now, operation };
}

function served(requested: string, alias: string | null, t: NonNullable<RouteTrace['last']>): ResolvedModel {
  return { requested, alias, provider: t.provider, model: t.model };
}

interface Outcome {
  status: number;
  errorCode?: string;
  usage?: Pick<Usage, 'prompt_tokens' | 'completion_tokens'> | undefined;
  servedModel?: string;
}

interface Finished {
  /** The call's cost in micro-dollars (null when unknown). */
  costMicros: number | null;
  /** The provider billed more than the budget reserved: the caller waits for the spend to be booked. */
  overrun: boolean;
}

/** Writes the request-log row and the audit record (flagging a budget overrun first, so the trail carries it). */
function finish(deps: Deps, ctx: CallContext, row: Row, trace: RouteTrace, outcome: Outcome, audit?: ModelAudit | ((logged: RequestLogRow) => void), adm?: Admitted | null): Finished {
  const t = trace.last;
  const u = outcome.usage;
  const details = (u as Usage | undefined)?.prompt_tokens_details;
  const costMicros =
    t && u
      ? deps.prices.cost(t.provider.id, t.model, {
          inputTokens: u.prompt_tokens,
          outputTokens: u.completion_tokens,
          cacheReadTokens: details?.cached_tokens,
          cacheWriteTokens: details?.cache_write_tokens,
        })
      : null;
  const overrun = !!adm && !!u && outcome.status === 200 && flagOverrun(deps, adm.pctx, u, costMicros);
  if (trace.attempts > 0 && deps.log.isLevelEnabled('debug')) {
    deps.log.debug({ requestId: ctx.requestId, model: row.modelRequested, attempts: trace.attempts, route: trace.reason }, 'routed');
  }
  const logged: RequestLogRow = {
    ...row,
    provider: t?.provider.id ?? null,
    modelServed: outcome.servedModel ?? (t ? t.model : null),
    costMicros,
    status: outcome.status,
    errorCode: outcome.errorCode ?? null,
    inputTokens: outcome.usage?.prompt_tokens ?? null,
    outputTokens: outcome.usage?.completion_tokens ?? null,
    latencyMs: Math.round(performance.now() - ctx.startedAt),
    attempts: trace.attempts,
    routeReason: trace.attempts > 0 ? trace.reason : null,
  };
  deps.requestLog.write([logged]);
  if (audit) typeof audit === 'function' ? audit(logged) : recordModelCall(deps, ctx, logged, audit);
  const upstreamMs = trace.upstream.ms;
  if (ctx.timing) ctx.timing.upstreamMs = upstreamMs;
  deps.metrics.llmCall({
    endpoint: row.endpoint,
    provider: t?.provider.id ?? null,
    model: t ? t.model : (row.modelRequested ?? null),
    keyId: ctx.keyId,
    team: ctx.team ?? null,
    status: outcome.status,
    errorCode: outcome.errorCode ?? null,
    inputTokens: u?.prompt_tokens,
    outputTokens: u?.completion_tokens,
    costMicros,
    totalMs: performance.now() - ctx.startedAt,
    upstreamMs,
  });
  return { costMicros, overrun };
}

/** Settles the policy (budgets, token windows) with what the call really used; resolves once booked. */
function settleUsage(adm: Admitted | null, usage: Outcome['usage'], costMicros: number | null, ok: boolean): Promise<void> {
  if (!adm) return Promise.resolve();
  return settle(adm, usage ? { ok, inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, costMicros } : { ok: false });
}

/**
 * The request each target gets: with the output bounded to what the budget or token-limit reservation assumed,
 * in the field that target's provider kind reads. Without such a reservation, the request as the client sent it.
 */
function upstreamFor(adm: Admitted): (kind: ProviderKind) => ChatRequest {
  const req = adm.pctx.input as ChatRequest;
  const cap = reservedOutputCap(adm.pctx);
  return (kind) => (cap === undefined ? req : withOutputCap(req, cap, kind));
}

export async function runChatRouted(deps: Deps, ctx: CallContext, req: ChatRequest): Promise<Routed<ChatCompletion>> {
  const row = logRow(ctx, 'chat.completions', req.model, false);
  const trace = newTrace();
  let adm: Admitted | null = null;
  try {
    deps.audit.guard();
    const plan = deps.router.plan(req.model, input(ctx, req));
    adm = await admitOrThrow(deps, { door: 'chat', principal: ctx.principal, sessionId: ctx.sessionId, requestId: ctx.requestId, input: req, plan });
    const upstreamReq = upstreamFor(adm);
    const run: ExecOptions<ChatCompletion>['run'] = (h) => h.target.provider.chat(upstreamReq(h.target.provider.kind), { model: h.target.model, signal: h.signal, requestId: ctx.requestId });
    const { value } = await execute(plan, options(deps, ctx, run), trace);
    const response = applyOutput(adm.hooks, value);
    adm.pctx.input = upstreamReq(trace.last!.provider.kind); // the audit shows what the serving target got
    const done = finish(deps, ctx, row, trace, { status: 200, usage: value.usage, servedModel: value.model }, { pctx: adm.pctx, req, response }, adm);
    const booked = settleUsage(adm, value.usage, done.costMicros, true);
    // Book an overrun before answering, so a client's next call already meets the spent budget.
    if (done.overrun) await booked;
    return { response, served: served(req.model, plan.alias, trace.last!), headers: adm.pctx.responseHeaders };
  } catch (err) {
    const e = asGatewayError(err);
    finish(deps, ctx, row, trace, { status: e.status, errorCode: e.code }, { pctx: adm?.pctx, req, error: err });
    void settleUsage(adm, undefined, null, false);
    throw e;
  }
}

export async function runChatStream(deps: Deps, ctx: CallContext, req: ChatRequest): Promise<ChatStreamResult> {
  const row = logRow(ctx, 'chat.completions', req.model, true);
  const trace = newTrace();
  let opened: OpenedStream;
  let handle;
  let alias: string | null = null;
  let adm: Admitted | null = null;
  try {
    const plan = deps.router.plan(req.model, input(ctx, req));
    alias = plan.alias;
    deps.audit.guard();
    adm = await admitOrThrow(deps, { door: 'chat', principal: ctx.principal, sessionId: ctx.sessionId, requestId: ctx.requestId, input: req, plan });
    const upstreamReq = upstreamFor(adm);
    const o: ExecOptions<OpenedStream> = {
      ...options(deps, ctx, (h) => openStream(upstreamReq(h.target.provider.kind), h, ctx.requestId)),
      discard: discardStream,
      keepTimers: true,
    };
    ({ value: opened, handle } = await execute(plan, o, trace));
    adm.pctx.input = upstreamReq(trace.last!.provider.kind);
  } catch (err) {
    const e = asGatewayError(err);
    finish(deps, ctx, row, trace, { status: e.status, errorCode: e.code }, { pctx: adm?.pctx, req, error: err });
    void settleUsage(adm, undefined, null, false);
    throw e;
  }
  const admitted = adm;
  const audit = streamAudit(deps, ctx, { pctx: admitted.pctx, req });
  // Committed: from here on errors go to the client in-band, never to another target.
  const upstream = resumeStream(opened, handle);
  async function* metered(): AsyncGenerator<ChatCompletionChunk> {
    let usage: Usage | undefined;
    let servedModel: string | undefined;
    let errorCode: string | undefined;
    let outputChars = 0;
    try {
      for await (const chunk of upstream) {
        if (chunk.usage) usage = chunk.usage;
        servedModel ??= chunk.model || undefined;
        for (const c of chunk.choices) outputChars += (c.delta.content?.length ?? 0) + (c.delta.tool_calls?.reduce((n, t) => n + (t.function?.arguments?.length ?? 0), 0) ?? 0);
        yield chunk;
      }
    } catch (err) {
      errorCode = asGatewayError(err).code;
      throw err;
    } finally {
      // Reached on completion, on an upstream error and when the client disconnects (return()).
      if (!errorCode && !usage) errorCode = ctx.signal.aborted ? 'client_closed' : undefined;
      // A stream cut short has no usage chunk: estimate what was used, so budgets still see the spend.
      const used = usage ?? { prompt_tokens: estimatePromptTokens(req), completion_tokens: Math.ceil(outputChars / 4), total_tokens: 0 };
      const done = finish(deps, ctx, row, trace, { status: 200, errorCode, usage: used, servedModel }, audit.logged, admitted);
      const booked = settleUsage(admitted, used, done.costMicros, !errorCode);
      if (done.overrun) await booked;
    }
  }
  return { resolved: served(req.model, alias, trace.last!), chunks: audit.wrap(transformStream(admitted.hooks, metered())), headers: admitted.pctx.responseHeaders };
}

export async function runEmbeddingsRouted(deps: Deps, ctx: CallContext, req: EmbeddingsRequest): Promise<Routed<EmbeddingsResponse>> {
  const row = logRow(ctx, 'embeddings', req.model, false);
  const trace = newTrace();
  let adm: Admitted | null = null;
  try {
    deps.audit.guard();
    const plan = deps.router.plan(req.model, input(ctx));
    adm = await admitOrThrow(deps, { door: 'embeddings', principal: ctx.principal, sessionId: ctx.sessionId, requestId: ctx.requestId, input: req, plan });
    const upstreamReq = adm.pctx.input as EmbeddingsRequest;
    const run: ExecOptions<EmbeddingsResponse>['run'] = (h) =>
      h.target.provider.embeddings(upstreamReq, { model: h.target.model, signal: h.signal, requestId: ctx.requestId });
    const { value } = await execute(plan, options(deps, ctx, run, 'embeddings'), trace);
    const usage = { prompt_tokens: value.usage?.prompt_tokens ?? 0, completion_tokens: 0 };
    const done = finish(deps, ctx, row, trace, { status: 200, usage, servedModel: value.model }, { pctx: adm.pctx, req, response: { model: value.model, usage: value.usage, embeddings: value.data.length } }, adm);
    const booked = settleUsage(adm, usage, done.costMicros, true);
    if (done.overrun) await booked;
    return { response: value, served: served(req.model, plan.alias, trace.last!), headers: adm.pctx.responseHeaders };
  } catch (err) {
    const e = asGatewayError(err);
    finish(deps, ctx, row, trace, { status: e.status, errorCode: e.code }, { pctx: adm?.pctx, req, error: err });
    void settleUsage(adm, undefined, null, false);
    throw e;
  }
}
