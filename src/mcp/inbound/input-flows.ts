// Multi-round-trip calls of protocol 2026-07-28 over upstreams that ask push-style: the upstream call stays pending in this process while the client answers input_required rounds.
import { randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  inputRequired,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  type ClientCapabilities,
  type LoggingLevel,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { RelayCaller } from '../upstream/relay.js';
import { ErrorCode, RpcError, type JsonObject, type RpcMessage } from '../upstream/rpc.js';
import { isInputKey, missingCapabilities, requestStateKey, splitInputKey, validResponse } from './input-requests.js';
import { readFacts } from './request-facts.js';

const KIND: Record<string, string> = { 'elicitation/create': 'elicitation', 'sampling/createMessage': 'sampling', 'roots/list': 'roots' };
const MAX_EARLY_ANSWERS = 32;

/** What one flow's upstream call is handed: its relay caller, cancellation and progress. */
export interface FlowRun {
  id: string;
  caller: RelayCaller;
  signal: AbortSignal;
  onProgress(p: Progress): void;
}
export type FlowCall = (run: FlowRun) => Promise<JsonObject>;

export interface InputFlowsOptions {
  /** A shared secret the requestState key is derived from; without one, a key of this process (flows live here anyway). */
  secret?: string | undefined;
  /** How long a flow waits for the client's next round before its upstream call is cancelled. */
  ttlMs?: number;
  maxFlows?: number;
  /** Asks that follow within this spell join the round being answered (a 2025 upstream never says it has finished asking). */
  quietMs?: number;
}

export interface InputFlows {
  /** The requestState verify hook of a route's servers: state is bound to the caller's key, the route and the method. */
  verifier(route: string): (state: string, ctx: ServerContext) => Promise<unknown>;
  /** Starts `call` for a fresh request, or resumes the flow the request's state names; resolves with this round's answer. */
  serve(route: string, name: string, ctx: ServerContext, call: FlowCall): Promise<JsonObject>;
  size(): number;
  close(): void;
}

interface Ask {
  method: string;
  params: JsonObject;
  resolve(r: JsonObject): void;
  reject(e: Error): void;
}
interface Flow {
  id: string;
  owner: string;
  round: number;
  asks: Map<string, Ask>;
  /** Answers the client sent before the upstream asked (a retry that already knows the keys). */
  early: Map<string, unknown>;
  used: Set<string>;
  count: number;
  caps: ClientCapabilities;
  refused: ClientCapabilities;
  outcome?: { result: JsonObject } | { error: unknown };
  waiters: (() => void)[];
  /** The request of the round being served: where progress and log messages go. */
  ctx: ServerContext | undefined;
  abort: AbortController;
  timer?: NodeJS.Timeout;
}
type State = { flow: string; round: number };

const isObj = (v: unknown): v is JsonObject => !!v && typeof v === 'object' && !Array.isArray(v);
const capsOf = (ctx: ServerContext): ClientCapabilities => ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {};
const invalidState = () => new ProtocolError(ErrorCode.InvalidParams, 'Invalid or expired requestState', { reason: 'invalid_request_state' });

export function createInputFlows(opts: InputFlowsOptions = {}): InputFlows {
  const ttlMs = opts.ttlMs ?? 600_000;
  const quietMs = opts.quietMs ?? 25;
  const maxFlows = opts.maxFlows ?? 1_000;
  const key = requestStateKey(opts.secret);
  const flows = new Map<string, Flow>();
  const codecs = new Map<string, RequestStateCodec<State>>();

  const keyOf = (ctx: ServerContext) => readFacts(ctx.http?.authInfo)?.principal.keyId ?? '';
  const ownerOf = (route: string, name: string, ctx: ServerContext) => [route, ctx.mcpReq.method, name, keyOf(ctx)].join('\0');
  function codec(route: string): RequestStateCodec<State> {
    let c = codecs.get(route);
    if (!c) {
      c = createRequestStateCodec<State>({ key, ttlSeconds: Math.ceil(ttlMs / 1000), bind: (ctx) => [route, ctx.mcpReq.method, keyOf(ctx)].join('\0') });
      codecs.set(route, c);
    }
    return c;
  }

  function wake(flow: Flow): void {
    for (const w of flow.waiters.splice(0)) w();
  }
  const changed = (flow: Flow) => new Promise<void>((r) => flow.waiters.push(r));

  /** Ends a flow: pending asks fail upstream and, unless it already finished, the upstream call is cancelled. */
  function end(flow: Flow, why?: string): void {
    if (flows.get(flow.id) === flow) flows.delete(flow.id);
    clearTimeout(flow.timer);
    for (const ask of flow.asks.values()) ask.reject(new RpcError(ErrorCode.RequestTimeout, why ?? 'The request for input was abandoned.'));
    flow.asks.clear();
    if (!flow.outcome) flow.abort.abort(new Error(why ?? 'input flow ended'));
    wake(flow);
  }

  function ask(flow: Flow, req: RpcMessage, signal: AbortSignal): Promise<JsonObject> {
    const kind = KIND[req.method]!;
    const { hint, params } = splitInputKey(req.params ?? {});
    const missing = missingCapabilities(req.method, params, flow.caps);
    if (missing) {
      Object.assign(flow.refused, missing);
      return Promise.reject(new RpcError(-32021, `The client did not declare the capability ${req.method} needs.`, { requiredCapabilities: missing }));
    }
    let k = hint ?? `${kind}_${++flow.count}`;
    while (flow.used.has(k)) k = `${hint ?? kind}_${++flow.count}`;
    flow.used.add(k);
    const early = flow.early.get(k);
    flow.early.delete(k);
    if (validResponse(req.method, early)) return Promise.resolve(early);
    return new Promise<JsonObject>((resolve, reject) => {
      flow.asks.set(k, { method: req.method, params, resolve, reject });
      signal.addEventListener('abort', () => flow.asks.delete(k) && (reject(new RpcError(ErrorCode.RequestTimeout, 'Cancelled by the server.')), wake(flow)), { once: true });
      wake(flow);
    });
  }

  function answer(flow: Flow, responses: Record<string, unknown> | undefined): void {
    for (const [k, v] of Object.entries(responses ?? {})) {
      const pending = flow.asks.get(k);
      if (pending && validResponse(pending.method, v)) {
        flow.asks.delete(k);
        pending.resolve(v);
      } else if (!pending && !flow.used.has(k) && isInputKey(k) && flow.early.size < MAX_EARLY_ANSWERS) {
        flow.early.set(k, v);
      }
    }
  }

  function start(owner: string, ctx: ServerContext, call: FlowCall): Flow {
    const flow: Flow = { id: randomUUID(), owner, round: 0, asks: new Map(), early: new Map(), used: new Set(), count: 0, caps: capsOf(ctx), refused: {}, waiters: [], ctx, abort: new AbortController() };
    flows.set(flow.id, flow);
    answer(flow, ctx.mcpReq.inputResponses);
    const caller: RelayCaller = {
      sessionKey: flow.id,
      supports: (m) => KIND[m] !== undefined,
      request: (req, signal) => ask(flow, req, signal),
      async notify(n) {
        const p = n.params ?? {};
        await flow.ctx?.mcpReq.log(p.level as LoggingLevel, p.data, typeof p.logger === 'string' ? p.logger : undefined);
      },
    };
    const onProgress = (p: Progress) => {
      const token = flow.ctx?.mcpReq._meta?.progressToken;
      if (token !== undefined) void flow.ctx!.mcpReq.notify({ method: 'notifications/progress', params: { ...p, progressToken: token } }).catch(() => undefined);
    };
    call({ id: flow.id, caller, signal: flow.abort.signal, onProgress }).then(
      (result) => void ((flow.outcome = { result }), wake(flow)),
      (error: unknown) => void ((flow.outcome = { error }), wake(flow)),
    );
    return flow;
  }

  /** Serves one round: waits for the upstream's result, or for its asks (gathered briefly so parallel ones share a round). */
  async function round(route: string, flow: Flow, ctx: ServerContext): Promise<JsonObject> {
    clearTimeout(flow.timer);
    flow.ctx = ctx;
    flow.caps = capsOf(ctx);
    // On this revision a client cancels by closing the request's stream.
    const onAbort = () => end(flow, 'The client cancelled the request.');
    ctx.mcpReq.signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!flow.outcome && flow.asks.size === 0) await changed(flow);
      while (!flow.outcome) {
        const before = flow.asks.size;
        await Promise.race([changed(flow), new Promise((r) => setTimeout(r, quietMs))]);
        if (flow.asks.size <= before) break;
      }
    } finally {
      ctx.mcpReq.signal.removeEventListener('abort', onAbort);
      flow.ctx = undefined;
    }
    if (flow.outcome) {
      end(flow);
      if ('result' in flow.outcome) return flow.outcome.result;
      // The upstream failed after being told the client lacks a capability: say which, as the revision asks.
      if (Object.keys(flow.refused).length) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: flow.refused });
      throw flow.outcome.error;
    }
    flow.round += 1;
    flow.timer = setTimeout(() => end(flow, 'The client did not answer the request for input in time.'), ttlMs);
    flow.timer.unref();
    const inputRequests = Object.fromEntries([...flow.asks].map(([k, a]) => [k, { method: a.method, params: a.params }]));
    const requestState = await codec(route).mint({ flow: flow.id, round: flow.round }, ctx);
    return inputRequired({ inputRequests, requestState } as Parameters<typeof inputRequired>[0]) as unknown as JsonObject;
  }

  return {
    verifier: (route) => (state, ctx) => codec(route).verify(state, ctx),
    async serve(route, name, ctx, call) {
      const owner = ownerOf(route, name, ctx);
      const state = ctx.mcpReq.requestState<State>();
      if (state !== undefined) {
        const flow = isObj(state) ? flows.get(String(state.flow)) : undefined;
        // A round already being served (a duplicate retry) must not take over its asks.
        if (!flow || flow.owner !== owner || flow.round !== state.round || flow.ctx) throw invalidState();
        answer(flow, ctx.mcpReq.inputResponses);
        return round(route, flow, ctx);
      }
      if (flows.size >= maxFlows) throw new RpcError(ErrorCode.InternalError, 'The gateway has too many calls waiting for input; try again later.');
      return round(route, start(owner, ctx, call), ctx);
    },
    size: () => flows.size,
    close() {
      for (const flow of [...flows.values()]) end(flow, 'The gateway is shutting down.');
    },
  };
}
