// What a 2026-07-28 input flow's round is bound to: the signed requestState (per route), the request it answers (local or forwarded by another replica), and the forwarding contract between replicas.
import {
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  ProtocolError,
  type ClientCapabilities,
  type LoggingLevel,
  type Notification,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { ErrorCode, type JsonObject } from '../upstream/rpc.js';
import { requestStateKey } from './input-requests.js';
import { readFacts } from './request-facts.js';

/** `replica` is absent from states minted without a remote (one process): they resume where they are served. */
export interface FlowState {
  flow: string;
  round: number;
  replica?: string;
}

/** A round of a flow held by another replica, as that replica is asked to serve it (its requestState verified by the sender). */
export interface ForwardedRound {
  route: string;
  name: string;
  method: string;
  keyId: string;
  flow: string;
  round: number;
  caps: ClientCapabilities;
  inputResponses?: Record<string, unknown> | undefined;
}

/** Replicas behind a balancer without stickiness: the state names the replica holding the flow, and a retry elsewhere goes there. */
export interface FlowRemote {
  /** This replica's id, written into every requestState it mints. */
  replica: string;
  /** Has `replica` serve the round; rejects with the error the client should get (invalid state when that replica is gone). */
  forward(replica: string, round: ForwardedRound, signal: AbortSignal): Promise<JsonObject>;
}

/** What a round needs of the request it answers: a local SDK request, or one another replica forwarded (no progress or logs then). */
export interface RoundIo {
  method: string;
  keyId: string;
  caps: ClientCapabilities;
  signal: AbortSignal;
  progressToken?: string | number | undefined;
  notify?(n: Notification): Promise<void>;
  log?(level: LoggingLevel, data: unknown, logger?: string): Promise<void>;
}

export const invalidState = () => new ProtocolError(ErrorCode.InvalidParams, 'Invalid or expired requestState', { reason: 'invalid_request_state' });

const keyOf = (ctx: ServerContext) => readFacts(ctx.http?.authInfo)?.principal.keyId ?? '';
const capsOf = (ctx: ServerContext): ClientCapabilities => ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {};

export function ioOf(ctx: ServerContext): RoundIo {
  return {
    method: ctx.mcpReq.method,
    keyId: keyOf(ctx),
    caps: capsOf(ctx),
    signal: ctx.mcpReq.signal,
    progressToken: ctx.mcpReq._meta?.progressToken,
    notify: (n) => ctx.mcpReq.notify(n),
    log: (level, data, logger) => ctx.mcpReq.log(level, data, logger),
  };
}

/** The codec's ctx is only ever read by our bind: it carries the binding itself, so a forwarded round can mint without an SDK request. */
const bound = (route: string, method: string, keyId: string) => ({ binding: [route, method, keyId].join('\0') }) as unknown as ServerContext;
const bindingOf = (ctx: ServerContext) => (ctx as unknown as { binding: string }).binding;

export interface FlowStates {
  /** A requestState bound to the route, the method and the caller's key. */
  mint(route: string, state: FlowState, io: Pick<RoundIo, 'method' | 'keyId'>): Promise<string>;
  /** The requestState verify hook of a route's servers. */
  verifier(route: string): (state: string, ctx: ServerContext) => Promise<unknown>;
}

export function createFlowStates(secret: string | undefined, ttlMs: number): FlowStates {
  const key = requestStateKey(secret);
  const codecs = new Map<string, RequestStateCodec<FlowState>>();
  function codec(route: string): RequestStateCodec<FlowState> {
    let c = codecs.get(route);
    if (!c) {
      c = createRequestStateCodec<FlowState>({ key, ttlSeconds: Math.ceil(ttlMs / 1000), bind: bindingOf });
      codecs.set(route, c);
    }
    return c;
  }
  return {
    mint: (route, state, io) => codec(route).mint(state, bound(route, io.method, io.keyId)),
    verifier: (route) => (state, ctx) => codec(route).verify(state, bound(route, ctx.mcpReq.method, keyOf(ctx))),
  };
}
