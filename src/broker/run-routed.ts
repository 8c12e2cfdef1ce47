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
import type { CallContext } from './context.js';
import type { CallUsage, ModelDoor } from './door.js';
import { finishModelCall, settleCall, usageAfterCut } from './model-record.js';

/** A call's result as a value: a denial or an upstream failure is an error for the edge to render in its door's shape. */
export type RunResult<T> = { ok: true; value: T; served: ResolvedModel; headers: Record<string, string> } | { ok: false; error: GatewayError };

interface Started<Req> {
  adm: Admitted;
  /** The runtime snapshot this call runs on, taken once: a reload mid-call does not switch router, policy or prices. */
  rt: Runtime;
  alias: string | null;
  plan: ReturnType<Runtime['router']['plan']>;
  /** The request each target gets: the policy's input, its output bounded to what the reservation assumed. */
  upstreamReq: (kind: ProviderKind) => Req;
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
    const { pctx, admission } = await admit(deps, { door: door.name, principal: ctx.principal, sessionId: ctx.sessionId, requestId: ctx.requestId, input: req, chat, plan }, rt.policy);
    if (!admission.ok) {
      const error = denialError(admission.denial);
      finishModelCall(deps, rt.prices, ctx, door, trace, { req, stream, pctx, status: error.status, errorCode: error.code });
      return { ok: false, error };
    }
    adm = { ...admission, pctx };
    const cap = reservedOutputCap(pctx);
    const admittedReq = pctx.input as Req;
    return { ok: true, s: { adm, rt, plan, alias: plan.alias, upstreamReq: (kind) => (cap === undefined ? admittedReq : door.withOutputCap(admittedReq, cap, kind)) } };
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

function served(s: Started<unknown>, requested: string, trace: RouteTrace): ResolvedModel {
  const t = trace.last!;
  return { requested, alias: s.alias, provider: t.provider, model: t.model };
}

export async function runRouted<Req, Res, Ev>(deps: Deps, ctx: CallContext, door: ModelDoor<Req, Res, Ev>, req: Req): Promise<RunResult<Res>> {
  const trace = newTrace();
  const began = await begin(deps, ctx, door, req, false, trace);
  if (!began.ok) return began;
  const { adm, upstreamReq } = began.s;
  try {
    const run: ExecOptions<Res>['run'] = (h) => door.call(h.target.provider, upstreamReq(h.target.provider.kind), providerCall(ctx, h.target.model, h.signal));
    const { value } = await execute(began.s.plan, execOptions(began.s as Started<unknown>, ctx, door as ModelDoor<unknown, unknown, unknown>, run), trace);
    const response = applyOutput(adm.hooks, value);
    adm.pctx.input = upstreamReq(trace.last!.provider.kind); // the audit shows what the serving target got
    const usage = door.usage(value);
    const done = finishModelCall(deps, began.s.rt.prices, ctx, door, trace, { req, stream: false, pctx: adm.pctx, adm, status: 200, usage, servedModel: door.servedModel(value), response: door.auditView(response) });
    const booked = settleCall(adm, usage, done.costMicros, true);
    // Book an overrun before answering, so a client's next call already meets the spent budget.
    if (done.overrun) await booked;
    return { ok: true, value: response, served: served(began.s as Started<unknown>, door.model(req), trace), headers: adm.pctx.responseHeaders };
  } catch (err) {
    const error = asGatewayError(err);
    finishModelCall(deps, began.s.rt.prices, ctx, door, trace, { req, stream: false, pctx: adm.pctx, status: error.status, errorCode: error.code });
    void settleCall(adm, undefined, null, false);
    return { ok: false, error };
  }
}

export async function runRoutedStream<Req, Res, Ev>(deps: Deps, ctx: CallContext, door: ModelDoor<Req, Res, Ev>, req: Req): Promise<RunResult<AsyncIterable<Ev>>> {
  const trace = newTrace();
  const began = await begin(deps, ctx, door, req, true, trace);
  if (!began.ok) return began;
  const { adm, upstreamReq, rt } = began.s;
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
    finishModelCall(deps, began.s.rt.prices, ctx, door, trace, { req, stream: true, pctx: adm.pctx, status: error.status, errorCode: error.code });
    void settleCall(adm, undefined, null, false);
    return { ok: false, error };
  }
  // Committed: from here on errors go to the client in-band, never to another target.
  const transforms: StreamTransform[] = adm.hooks.flatMap((h) => (h.stream ? [h.stream()] : []));
  const upstream = resumeStream(opened, handle);
  const shown = transforms.length ? door.transformStream(transforms, upstream) : upstream;
  async function* recorded(): AsyncGenerator<Ev> {
    const fold = door.fold();
    let errorCode: string | undefined;
    try {
      for await (const ev of shown) {
        fold.see(ev);
        yield ev;
      }
    } catch (err) {
      errorCode = asGatewayError(err).code;
      throw err;
    } finally {
      // Reached on completion, on an upstream error and when the client disconnects; the transforms have ended by now.
      const tally = fold.result();
      if (!errorCode && !tally.usage) errorCode = ctx.signal.aborted ? 'client_closed' : undefined;
      // A stream cut short has no usage: count what was sent and received with the counter the reservation used.
      const usage: CallUsage = tally.usage ?? (await usageAfterCut(deps, adm.pctx, tally.outputText));
      const done = finishModelCall(deps, rt.prices, ctx, door, trace, { req, stream: true, pctx: adm.pctx, adm, status: 200, errorCode, usage, servedModel: tally.servedModel, response: tally.response });
      const booked = settleCall(adm, usage, done.costMicros, !errorCode);
      if (done.overrun) await booked;
    }
  }
  return { ok: true, value: recorded(), served: served(began.s as Started<unknown>, door.model(req), trace), headers: adm.pctx.responseHeaders };
}
