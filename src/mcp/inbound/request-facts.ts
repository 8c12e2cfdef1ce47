// What the HTTP edge knows of one inbound MCP request (the gateway's request id, agent session, caller), carried to handlers.
import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Principal } from '../../policy/types.js';

export interface RequestFacts {
  /** The gateway's own id of the HTTP request (the `x-request-id` it answers with), never a client's header. */
  requestId: string;
  /** `x-session-id` as the request-context middleware accepted it; absent when the client sent none. */
  agentSessionId?: string;
  principal: Principal;
}

/** One HTTP request to an MCP route, as the route hands it to either protocol era. */
export interface McpRequest extends RequestFacts {
  raw: Request;
  /** '' for federated /mcp, else the upstream or virtual server id of /mcp/<id>. */
  route: string;
  /** The parsed POST body, when there is one. */
  body?: unknown;
}

const FACTS = 'io.github.mcp-agent-gateway/request';

/**
 * The SDK hands `authInfo` from handleRequest (and from a transport's onmessage) to every request handler of that
 * HTTP request: the one channel from the edge to the handlers that a client cannot write to.
 */
export function factsAuthInfo(facts: RequestFacts): AuthInfo {
  const { requestId, agentSessionId, principal } = facts;
  const kept: RequestFacts = { requestId, principal, ...(agentSessionId !== undefined ? { agentSessionId } : {}) };
  return { token: '', clientId: principal.keyId ?? 'anonymous', scopes: [], extra: { [FACTS]: kept } };
}

export function readFacts(authInfo: AuthInfo | undefined): RequestFacts | null {
  const f = authInfo?.extra?.[FACTS] as RequestFacts | undefined;
  return f && typeof f.requestId === 'string' ? f : null;
}

/** For messages that arrive without an HTTP request of their own (a session rebuilt on this replica): a fresh id of ours. */
export function newRequestId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}
