// What the broker knows of the caller of one model call or MCP operation, built by the edge.
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { CacheDirectives } from '../cache/response-cache.js';
import type { RelayCaller } from '../mcp/upstream/relay.js';
import type { Principal } from '../policy/types.js';
import type { RequestTiming } from '../tracing/metrics.js';

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
  /** Client headers a native pass-through forwards (`anthropic-beta`, `anthropic-version`). */
  passHeaders?: Record<string, string>;
  /** The client's `cache-control` / `x-gateway-cache-ttl` asks. */
  cache?: CacheDirectives | undefined;
}

export interface McpCallContext {
  requestId: string;
  /** The agent session (x-session-id, else the MCP session id). */
  sessionId: string;
  mcpSessionId: string;
  keyId: string | null;
  principal: Principal;
  /** Aborted when the client cancels; cancels the upstream call. */
  signal: AbortSignal;
  caller: RelayCaller;
  /** Set when the client asked for progress; upstream progress is re-sent under the client's token. */
  onProgress?: (p: Progress) => void;
  startedAt: number;
  /** MCP clientInfo and user agent, for the audit session. */
  client?: { name?: string; version?: string; userAgent?: string | null };
}
