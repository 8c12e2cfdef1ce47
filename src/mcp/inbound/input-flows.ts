// Multi-round-trip calls of protocol 2026-07-28 over upstreams that ask push-style: the upstream call stays pending in the replica that started it while the client answers input_required rounds (a retry reaching another replica is forwarded to it).
import { randomUUID } from 'node:crypto';
import { inputRequired, MissingRequiredClientCapabilityError, type ClientCapabilities, type LoggingLevel, type ServerContext } from '@modelcontextprotocol/server';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { RelayCaller } from '../upstream/relay.js';
import { isJsonObject, ErrorCode, RpcError, type JsonObject, type RpcMessage } from '../upstream/rpc.js';
import { createFlowStates, invalidState, ioOf, type FlowRemote, type FlowState, type ForwardedRound, type RoundIo } from './flow-rounds.js';
import { isInputKey, missingCapabilities, splitInputKey, validResponse } from './input-requests.js';

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
  remote?: FlowRemote | undefined;
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
  /** Serves a round another replica received for a flow held here. */
  serveForwarded(round: ForwardedRound, signal: AbortSignal): Promise<JsonObject>;
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
  io: RoundIo | undefined;
  abort: AbortController;
  timer?: NodeJS.Timeout;
}

export function createInputFlows(opts: InputFlowsOptions = {}): InputFlows {
  const ttlMs = opts.ttlMs ?? 600_000;
  const quietMs = opts.quietMs ?? 25;
  const maxFlows = opts.maxFlows ?? 1_000;
  const states = createFlowStates(opts.secret, ttlMs);
  const flows = new Map<string, Flow>();

  const ownerOf = (route: string, name: string, method: string, keyId: string) => [route, method, name, keyId].join('\0');

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

  function start(owner: string, io: RoundIo, inputResponses: Record<string, unknown> | undefined, call: FlowCall): Flow {
    const flow: Flow = { id: randomUUID(), owner, round: 0, asks: new Map(), early: new Map(), used: new Set(), count: 0, caps: io.caps, refused: {}, waiters: [], io, abort: new AbortController() };
    flows.set(flow.id, flow);
    answer(flow, inputResponses);
    const caller: RelayCaller = {
      sessionKey: flow.id,
      supports: (m) => KIND[m] !== undefined,
      request: (req, signal) => ask(flow, req, signal),
      async notify(n) {
        const p = n.params ?? {};
        await flow.io?.log?.(p.level as LoggingLevel, p.data, typeof p.logger === 'string' ? p.logger : undefined);
      },
    };
    const onProgress = (p: Progress) => {
      const io = flow.io;
      if (io?.progressToken !== undefined) void io.notify?.({ method: 'notifications/progress', params: { ...p, progressToken: io.progressToken } }).catch(() => undefined);
    };
    call({ id: flow.id, caller, signal: flow.abort.signal, onProgress }).then(
      (result) => void ((flow.outcome = { result }), wake(flow)),
      (error: unknown) => void ((flow.outcome = { error }), wake(flow)),
    );
    return flow;
  }

  /** Serves one round: waits for the upstream's result, or for its asks (gathered briefly so parallel ones share a round). */
  async function round(route: string, flow: Flow, io: RoundIo): Promise<JsonObject> {
    clearTimeout(flow.timer);
    flow.io = io;
    flow.caps = io.caps;
    // On this revision a client cancels by closing the request's stream.
    const onAbort = () => end(flow, 'The client cancelled the request.');
    io.signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!flow.outcome && flow.asks.size === 0) await changed(flow);
      while (!flow.outcome) {
        const before = flow.asks.size;
        await Promise.race([changed(flow), new Promise((r) => setTimeout(r, quietMs))]);
        if (flow.asks.size <= before) break;
      }
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      flow.io = undefined;
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
    const state: FlowState = { flow: flow.id, round: flow.round, ...(opts.remote ? { replica: opts.remote.replica } : {}) };
    const requestState = await states.mint(route, state, io);
    return inputRequired({ inputRequests, requestState } as Parameters<typeof inputRequired>[0]) as unknown as JsonObject;
  }

  /** The flow a retry resumes; a round already being served (a duplicate retry) must not take over its asks. */
  function resumed(owner: string, state: { flow: unknown; round: unknown }): Flow {
    const flow = flows.get(String(state.flow));
    if (!flow || flow.owner !== owner || flow.round !== state.round || flow.io) throw invalidState();
    return flow;
  }

  return {
    verifier: (route) => states.verifier(route),
    async serve(route, name, ctx, call) {
      const io = ioOf(ctx);
      const owner = ownerOf(route, name, io.method, io.keyId);
      const state = ctx.mcpReq.requestState<FlowState>();
      if (state !== undefined) {
        if (!isJsonObject(state)) throw invalidState();
        const holder = typeof state.replica === 'string' ? state.replica : undefined;
        if (holder !== undefined && opts.remote && holder !== opts.remote.replica) {
          const fwd: ForwardedRound = { route, name, method: io.method, keyId: io.keyId, flow: String(state.flow), round: Number(state.round), caps: io.caps, inputResponses: ctx.mcpReq.inputResponses };
          return opts.remote.forward(holder, fwd, io.signal);
        }
        const flow = resumed(owner, state);
        answer(flow, ctx.mcpReq.inputResponses);
        return round(route, flow, io);
      }
      if (flows.size >= maxFlows) throw new RpcError(ErrorCode.InternalError, 'The gateway has too many calls waiting for input; try again later.');
      return round(route, start(owner, io, ctx.mcpReq.inputResponses, call), io);
    },
    async serveForwarded(fwd, signal) {
      // The forwarding replica verified the state against the caller's key; the owner check binds the flow to that key here too.
      const flow = resumed(ownerOf(fwd.route, fwd.name, fwd.method, fwd.keyId), fwd);
      answer(flow, fwd.inputResponses);
      return round(fwd.route, flow, { method: fwd.method, keyId: fwd.keyId, caps: fwd.caps, signal });
    },
    size: () => flows.size,
    close() {
      for (const flow of [...flows.values()]) end(flow, 'The gateway is shutting down.');
    },
  };
}
