// The one record of a finished call (model call or MCP operation) the broker builds; every trail is a projection of it.
import type { Decision } from '../policy/types.js';

export type AuditKind = 'model_call' | 'tool_call' | 'resource_read' | 'prompt_get';

/** A response-cache lookup's verdict as the trails record it. */
export interface CacheMark {
  status: 'hit' | 'miss' | 'bypass';
  kind?: 'exact' | 'semantic';
  similarity?: number;
  /** A hit's avoided cost: what the cached answer cost when it was made. */
  savedCostMicros?: number | null;
}

/** What happened in one model call or MCP operation, as the broker saw it at its end. */
export interface CallRecord {
  kind: AuditKind;
  /** The door the call came through: chat, embeddings, responses, messages (model calls); tool, resource, prompt (MCP). */
  door?: string;
  /** The request log's endpoint: `chat.completions`, `responses`, `messages`, `embeddings`, `mcp.tools/call` … */
  endpoint?: string;
  principal: { keyId: string | null; teamId?: string | null };
  sessionId: string;
  requestId: string;
  /** When the call started (defaults to now minus the latency). */
  time?: Date;
  mcpSessionId?: string | null;
  client?: { name?: string | null; version?: string | null; userAgent?: string | null };
  /** `chat`, `embeddings`, `execute_tool` … (gen_ai.operation.name). */
  operation?: string;
  model?: { requested: string; served?: string | null; provider?: string | null };
  /** MCP: the server, the name or URI the client used (tool/uri/prompt) and the upstream's own (`target`). */
  mcp?: { method: string; server: string; tool?: string; uri?: string; prompt?: string; target?: string };
  stream?: boolean;
  decisions?: Decision[];
  status: number;
  errorCode?: string | null;
  latencyMs: number;
  usage?: { inputTokens?: number | null; outputTokens?: number | null };
  costMicros?: number | null;
  /** Upstream attempts (fallbacks, retries, hedges) and why the route went where it went. */
  attempts?: number;
  routeReason?: string | null;
  /** Wall time with an upstream call in flight. */
  upstreamMs?: number | null;
  /** The request as the upstream saw it (after redaction), and the response as the client got it. */
  request?: unknown;
  response?: unknown;
  /** The client's request before redaction: stored only with `audit.payloads: full`. */
  originalRequest?: unknown;
  traceId?: string | null;
  spanId?: string | null;
  /** The response cache's verdict, when a cache applied to the call. */
  cache?: CacheMark;
}
