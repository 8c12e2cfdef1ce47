// runRouted and runRoutedStream: the one path of every model door: policy before → route → policy after → one CallRecord.
import type { ProviderKind } from '../config.js';
import type { Deps } from '../deps.js';
import { asGatewayError, type GatewayError } from '../errors.js';
import { reservedOutputCap } from '../policy/estimate.js';
import type { StreamTransform } from '../policy/engine.js';
import type { ProviderCall } from '../providers/types.js';
import type { Runtime } from '../runtime.js';
import { execute, newTrace, type ExecOptions, type RouteTrace } from '../routing/executor.js';
import type { ResolvedModel } from '../routing/resolve.js';
import { routeTag } from '../routing/rules.js';
import { discardStream, openStream, resumeStream, type OpenedStream } from '../routing/stream.js';
import { admit, applyOutput, denialError, type Admitted } from './admission.js';
import { approxBytes } from '../tracing/approx-bytes.js';
import { cutByGateway, finishLookup, replay, startLookup, type CacheLookup } from './cache-calls.js';
import type { CallContext } from './context.js';
import type { CallUsage, ModelDoor } from './door.js';
import { finishModelCall, settleCall, usageAfterCut } from './model-record.js';

/** Who answered: the routed target, or for a cache hit the target that made the stored answer. */
export type ServedBy = Omit<ResolvedModel, 'provider'> & { provider: { id: string } };

/** A call's result as a value: a denial or an upstream failure is an error for the edge to render in its door's shape. */
export type RunResult<T> = { ok: true; value: T; served: ServedBy; headers: Record<string, string> } | { ok: false; error: GatewayError };

interface Started<Req> {
  adm: Admitted;
  /** The runtime snapshot this call runs on, taken once: a reload mid-call does not switch router, policy or prices. */
  rt: Runtime;
  alias: string | null;
  plan: ReturnType<Runtime['router']['plan']>;
  /** The request each target gets: the policy's input, its output bounded to what the reservation assumed. */
  upstreamReq: (kind: ProviderKind) => Req;
  /** The response cache's plan for the call and a stored answer, if one was found. */
  cached: CacheLookup;
}

type Began<Req> = { ok: true; s: Started<Req> } | { ok: false; error: GatewayError };

/** Everything before the upstream: the fail-closed audit check, the route plan and admission; refusals are recorded here. */
async function begin<Req, Res, Ev>(deps: Deps, ctx: CallContext, door: ModelDoor<Req, Res, Ev>, req: Req, stream: boolean, trace: RouteTrace): Promise<Began<Req>> {
  let adm: Admitted | null = null;
  const rt = deps.runtime;
  try {
    deps.audit.guard();
    const chat = door.asChat(req);
    const plan = rt.router.plan(door.model(req), { keyId: ctx.keyId, team: ctx.team ?? null, tag: routeTag(ctx.routeTag, chat), chat });
    const pending = startLookup(deps, rt, ctx, { door: door.name, model: door.model(req), req, chat, plan, stream });
    const { pctx, admission } = await admit(deps, { door: door.name, principal: ctx.principal, sessionId: ctx.sessionId, requestId: ctx.requestId, input: req, chat, plan }, rt.policy);
    if (!admission.ok) {
      const error = denialError(admission.denial);
      finishModelCall(deps, rt.prices, ctx, door, trace, { req, stream, pctx, status: error.status, errorCode: error.code });
      return { ok: false, error };
    }
    adm = { ...admission, pctx };
    const cap = reservedOutputCap(pctx);
    const admittedReq = pctx.input as Req;
    const cached = await finishLookup(deps, ctx, pending, stream, pctx);
    return { ok: true, s: { adm, rt, plan, alias: plan.alias, cached, upstreamReq: (kind) => (cap === undefined ? admittedReq : door.withOutputCap(admittedReq, cap, kind)) } };
  } catch (err) {
    const error = asGatewayError(err);
    finishModelCall(deps, rt.prices, ctx, door, trace, { req, stream, pctx: adm?.pctx ?? null, status: error.status, errorCode: error.code });
    if (adm) void settleCall(adm, undefined, null, false);
    return { ok: false, error };
  }
}

function providerCall(ctx: CallContext, model: string, signal: AbortSignal): ProviderCall {
  return { model, signal, requestId: ctx.requestId, ...(ctx.passHeaders ? { passHeaders: ctx.passHeaders } : {}) };
}

function execOptions<T>(s: Started<unknown>, ctx: CallContext, door: ModelDoor<unknown, unknown, unknown>, run: ExecOptions<T>['run']): ExecOptions<T> {
  return { signal: ctx.signal, run, rand: s.rt.router.rand, operation: door.operation };
}

function served(s: Started<unknown>, requested: string, trace: RouteTrace): ServedBy {
  const hit = s.cached.hit;
  if (hit) return { requested, alias: s.alias, provider: { id: hit.provider }, model: hit.model };
  const t = trace.last!;
  return { requested, alias: s.alias, provider: t.provider, model: t.model };
}

/** A hit books nothing: the reservation is released at $0 and no tokens count against windows. */
const NOTHING: CallUsage = { inputTokens: 0, outputTokens: 0 };

/** Answers a call from a stored answer: still through the policy's output hooks, recorded like any call, at $0. */
function answerFromCache<Req, Res, Ev>(deps: Deps, ctx: CallContext, door: ModelDoor<Req, Res, Ev>, req: Req, s: Started<Req>, trace: RouteTrace): RunResult<Res> {
  const hit = s.cached.hit!;
  const mark = s.cached.cache!.mark;
  try {
    const stored = hit.body as Res;
    const response = applyOutput(s.adm.hooks, door.renew ? door.renew.response(stored) : stored);
    finishModelCall(deps, s.rt.prices, ctx, door, trace, { req, stream: false, pctx: s.adm.pctx, adm: s.adm, status: 200, usage: hit.usage, servedModel: hit.servedModel, response: door.auditView(response), cache: mark, cachedFrom: hit });
    void settleCall(s.adm, NOTHING, 0, true);
    return { ok: true, value: response, served: served(s as Started<unknown>, door.model(req), trace), headers: s.adm.pctx.responseHeaders };
  } catch (err) {
    // The output policy refused the stored answer: recorded and rendered like any refused answer.
    const error = asGatewayError(err);
    finishModelCall(deps, s.rt.prices, ctx, door, trace, { req, stream: false, pctx: s.adm.pctx, status: error.status, errorCode: error.code, cache: mark, cachedFrom: hit });
    void settleCall(s.adm, undefined, null, false);
    return { ok: false, error };
  }
}

export async function runRouted<Req, Res, Ev>(deps: Deps, ctx: CallContext, door: ModelDoor<Req, Res, Ev>, req: Req): Promise<RunResult<Res>> {
  const trace = newTrace();
  const began = await begin(deps, ctx, door, req, false, trace);
  if (!began.ok) return began;
  const { adm, upstreamReq, cached } = began.s;
  if (cached.hit) return answerFromCache(deps, ctx, door, req, began.s, trace);
  try {
    const run: ExecOptions<Res>['run'] = (h) => door.call(h.target.provider, upstreamReq(h.target.provider.kind), providerCall(ctx, h.target.model, h.signal));
    const { value } = await execute(began.s.plan, execOptions(began.s as Started<unknown>, ctx, door as ModelDoor<unknown, unknown, unknown>, run), trace);
    const response = applyOutput(adm.hooks, value);
    adm.pctx.input = upstreamReq(trace.last!.provider.kind); // the audit shows what the serving target got
    const usage = door.usage(value);
    const servedModel = door.servedModel(value);
    const done = finishModelCall(deps, began.s.rt.prices, ctx, door, trace, { req, stream: false, pctx: adm.pctx, adm, status: 200, usage, servedModel, response: door.auditView(response), cache: cached.cache?.mark });
    const booked = settleCall(adm, usage, done.costMicros, true);
    if (cached.cache && !cutByGateway(adm.pctx, usage?.outputTokens)) {
      const t = trace.last!;
      deps.cache.save(cached.cache, { body: response, usage, servedModel, provider: t.provider.id, model: t.model, costMicros: done.costMicros });
    }
    // Book an overrun before answering, so a client's next call already meets the spent budget.
    if (done.overrun) await booked;
    return { ok: true, value: response, served: served(began.s as Started<unknown>, door.model(req), trace), headers: adm.pctx.responseHeaders };
  } catch (err) {
    const error = asGatewayError(err);
    finishModelCall(deps, began.s.rt.prices, ctx, door, trace, { req, stream: false, pctx: adm.pctx, status: error.status, errorCode: error.code, cache: cached.cache?.mark });
    void settleCall(adm, undefined, null, false);
    return { ok: false, error };
  }
}

export async function runRoutedStream<Req, Res, Ev>(deps: Deps, ctx: CallContext, door: ModelDoor<Req, Res, Ev>, req: Req): Promise<RunResult<AsyncIterable<Ev>>> {
  const trace = newTrace();
  const began = await begin(deps, ctx, door, req, true, trace);
  if (!began.ok) return began;
  const { adm, upstreamReq, rt, cached } = began.s;
  const hit = cached.hit;
  let upstream: AsyncIterable<Ev>;
  if (hit?.events) {
    upstream = replay<Ev>(door.renew ? door.renew.events(hit.events as Ev[]) : hit.events);
  } else {
    let opened: OpenedStream<Ev>;
    let handle;
    try {
      const o: ExecOptions<OpenedStream<Ev>> = {
        ...execOptions(began.s as Started<unknown>, ctx, door as ModelDoor<unknown, unknown, unknown>, (h) =>
          openStream((signal) => door.openStream(h.target.provider, upstreamReq(h.target.provider.kind), providerCall(ctx, h.target.model, signal)), h),
        ),
        discard: discardStream,
        keepTimers: true,
      };
      ({ value: opened, handle } = await execute(began.s.plan, o, trace));
      adm.pctx.input = upstreamReq(trace.last!.provider.kind);
    } catch (err) {
      const error = asGatewayError(err);
      finishModelCall(deps, began.s.rt.prices, ctx, door, trace, { req, stream: true, pctx: adm.pctx, status: error.status, errorCode: error.code, cache: cached.cache?.mark });
      void settleCall(adm, undefined, null, false);
      return { ok: false, error };
    }
    upstream = resumeStream(opened, handle);
  }
  // Committed: from here on errors go to the client in-band, never to another target.
  const transforms: StreamTransform[] = adm.hooks.flatMap((h) => (h.stream ? [h.stream()] : []));
  const shown = transforms.length ? door.transformStream(transforms, upstream) : upstream;
  // A miss keeps the events the client got (bounded) to store once the stream has completed, and only then.
  const keep = cached.cache?.store && !hit ? { events: [] as Ev[], bytes: 0 } : null;
  async function* recorded(): AsyncGenerator<Ev> {
    const fold = door.fold();
    let errorCode: string | undefined;
    try {
      for await (const ev of shown) {
        fold.see(ev);
        if (keep) keepEvent(keep, ev, cached.cache!.maxBytes);
        yield ev;
      }
    } catch (err) {
      errorCode = asGatewayError(err).code;
      throw err;
    } finally {
      // Reached on completion, on an upstream error and when the client disconnects; the transforms have ended by now.
      const tally = fold.result();
      if (!errorCode && !tally.usage && !hit) errorCode = ctx.signal.aborted ? 'client_closed' : undefined;
      // A stream cut short has no usage: count what was sent and received with the counter the reservation used.
      const usage: CallUsage = hit?.usage ?? tally.usage ?? (await usageAfterCut(deps, adm.pctx, tally.outputText));
      const end = { req, stream: true, pctx: adm.pctx, adm, status: 200, errorCode, usage, servedModel: tally.servedModel ?? hit?.servedModel, response: tally.response, cache: cached.cache?.mark };
      const done = finishModelCall(deps, rt.prices, ctx, door, trace, hit ? { ...end, cachedFrom: hit } : end);
      const booked = hit ? settleCall(adm, NOTHING, 0, true) : settleCall(adm, usage, done.costMicros, !errorCode);
      if (keep && tally.usage && !errorCode && keep.bytes >= 0 && !cutByGateway(adm.pctx, usage.outputTokens)) {
        const t = trace.last!;
        deps.cache.save(cached.cache!, { events: keep.events, usage, servedModel: tally.servedModel, provider: t.provider.id, model: t.model, costMicros: done.costMicros });
      }
      if (done.overrun) await booked;
    }
  }
  return { ok: true, value: recorded(), served: served(began.s as Started<unknown>, door.model(req), trace), headers: adm.pctx.responseHeaders };
}

/** Keeps a stream's events for the cache until they pass the entry bound (then `bytes` is -1: nothing is stored). */
function keepEvent<Ev>(keep: { events: Ev[]; bytes: number }, ev: Ev, maxBytes: number): void {
  if (keep.bytes < 0) return;
  keep.bytes += approxBytes(ev, maxBytes);
  if (keep.bytes > maxBytes) {
    keep.bytes = -1;
    keep.events.length = 0;
    return;
  }
  keep.events.push(ev);
}
