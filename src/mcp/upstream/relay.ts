// Routes upstream server→client requests (sampling, elicitation, roots) and log messages to the client that is calling.
import type { Logger } from '../../log.js';
import { ErrorCode, RpcError, type JsonObject, type RpcMessage } from './rpc.js';

/** The inbound client behind one in-flight call: its session, what it supports, and its request stream. */
export interface RelayCaller {
  /** The inbound MCP session; server→client traffic never crosses sessions. */
  sessionKey: string;
  /**
   * Which client session an `isolation: session` server gives its own connection: the MCP session (2025), or the
   * key's `x-session-id` (2026-07-28, stateless); without one the call uses the shared connection.
   */
  isolationKey?: string;
  /** Whether the client declared the capability a server→client method needs. */
  supports(method: string): boolean;
  /** Sends a request to the client on the stream of the call that caused it. */
  request(req: RpcMessage, signal: AbortSignal): Promise<JsonObject>;
  notify(n: RpcMessage): Promise<void>;
}

type CallId = string | number;

export interface RelayRouter {
  /** Marks `caller` as in the call `callId` (the gateway's JSON-RPC id upstream) to `serverId` until the returned function runs. */
  enter(serverId: string, caller: RelayCaller, callId?: CallId): () => void;
  /** Relays to the caller of `callId` when the transport linked the request to its call, else to the server's only session. */
  serverRequest(serverId: string, req: RpcMessage, signal: AbortSignal, callId?: CallId): Promise<JsonObject>;
  notify(serverId: string, n: RpcMessage): Promise<void>;
}

export function createRelayRouter(log: Logger): RelayRouter {
  const inflight = new Map<string, RelayCaller[]>();
  const byCall = new Map<string, RelayCaller>();
  const callKey = (serverId: string, callId: CallId) => `${serverId}\0${typeof callId}:${callId}`;

  /**
   * Upstream connections are shared. Over Streamable HTTP a server→client request that streams in on a call's
   * response is that call's (see stream-origins.ts). Otherwise (stdio, SSE, the standalone stream) nothing links it
   * to a call: it goes to the caller only when every in-flight call to that server comes from one session, and is
   * refused rather than risk showing one agent's prompt to another.
   */
  function owner(serverId: string): RelayCaller | null {
    const callers = inflight.get(serverId) ?? [];
    const sessions = new Set(callers.map((c) => c.sessionKey));
    return sessions.size === 1 ? callers.at(-1)! : null;
  }

  return {
    enter(serverId, caller, callId) {
      const list = inflight.get(serverId) ?? [];
      list.push(caller);
      inflight.set(serverId, list);
      const key = callId === undefined ? null : callKey(serverId, callId);
      if (key) byCall.set(key, caller);
      return () => {
        if (key && byCall.get(key) === caller) byCall.delete(key);
        const i = list.indexOf(caller);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0 && inflight.get(serverId) === list) inflight.delete(serverId);
      };
    },
    async serverRequest(serverId, req, signal, callId) {
      const caller = (callId !== undefined ? byCall.get(callKey(serverId, callId)) : undefined) ?? owner(serverId);
      if (!caller) {
        log.warn({ mcpServer: serverId, method: req.method }, 'mcp: no single calling client to relay a server request to');
        throw new RpcError(ErrorCode.InvalidRequest, `The gateway has no single client session to relay ${req.method} to.`);
      }
      if (!caller.supports(req.method)) {
        throw new RpcError(ErrorCode.MethodNotFound, `The connected client does not support ${req.method}.`);
      }
      return caller.request(req, signal);
    },
    async notify(serverId, n) {
      const caller = owner(serverId);
      if (caller) await caller.notify(n).catch(() => undefined);
      else log.debug({ mcpServer: serverId, params: n.params }, 'mcp upstream log message');
    },
  };
}
