// Routes upstream server→client requests (sampling, elicitation, roots) and log messages to the client that is calling.
import type { Logger } from '../../log.js';
import { ErrorCode, RpcError, type JsonObject, type RpcMessage } from './rpc.js';

/** The inbound client behind one in-flight call: its session, what it supports, and its request stream. */
export interface RelayCaller {
  /** The inbound MCP session; server→client traffic never crosses sessions. */
  sessionKey: string;
  /** Whether the client declared the capability a server→client method needs. */
  supports(method: string): boolean;
  /** Sends a request to the client on the stream of the call that caused it. */
  request(req: RpcMessage, signal: AbortSignal): Promise<JsonObject>;
  notify(n: RpcMessage): Promise<void>;
}

export interface RelayRouter {
  /** Marks `caller` as in a call to `serverId` until the returned function runs. */
  enter(serverId: string, caller: RelayCaller): () => void;
  serverRequest(serverId: string, req: RpcMessage, signal: AbortSignal): Promise<JsonObject>;
  notify(serverId: string, n: RpcMessage): Promise<void>;
}

export function createRelayRouter(log: Logger): RelayRouter {
  const inflight = new Map<string, RelayCaller[]>();

  /**
   * Upstream connections are shared, so a server→client request carries no link to the call that
   * caused it. It goes to the caller only when every in-flight call to that server comes from one
   * session; otherwise it is refused rather than risk showing one agent's prompt to another.
   */
  function owner(serverId: string): RelayCaller | null {
    const callers = inflight.get(serverId) ?? [];
    const sessions = new Set(callers.map((c) => c.sessionKey));
    return sessions.size === 1 ? callers.at(-1)! : null;
  }

  return {
    enter(serverId, caller) {
      const list = inflight.get(serverId) ?? [];
      list.push(caller);
      inflight.set(serverId, list);
      return () => {
        const i = list.indexOf(caller);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0 && inflight.get(serverId) === list) inflight.delete(serverId);
      };
    },
    async serverRequest(serverId, req, signal) {
      const caller = owner(serverId);
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
