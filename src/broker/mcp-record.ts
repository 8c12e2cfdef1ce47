// The end of an MCP operation: its one CallRecord written to every trail, and the fail-closed audit check before it starts.
import type { Deps } from '../deps.js';
import { ErrorCode, RpcError, type JsonObject } from '../mcp/upstream/rpc.js';
import type { PolicyContext } from '../policy/engine.js';
import type { AuditKind, CacheMark } from '../tracing/call-record.js';
import { recordCall } from '../tracing/record-call.js';
import type { McpCallContext } from './context.js';
import { MCP_DOOR, type McpOperation, type Outcome } from './mcp-operation.js';

const KIND: Record<McpOperation['method'], AuditKind> = { 'tools/call': 'tool_call', 'resources/read': 'resource_read', 'prompts/get': 'prompt_get' };

export function finishMcpCall(deps: Deps, ctx: McpCallContext, op: McpOperation, outcome: Outcome, m: { upstreamMs?: number; pctx?: PolicyContext; cache?: CacheMark } = {}): void {
  const isError = outcome.kind === 'result' && outcome.result.isError === true;
  const status = outcome.kind === 'result' ? 200 : outcome.kind === 'denied' ? outcome.status : 502;
  const errorCode = outcome.kind === 'result' ? (isError ? 'tool_error' : null) : outcome.code;
  const pctx = m.pctx;
  // A denied operation never went upstream, and may not have met the PII step: keep its target, not its arguments.
  const args = outcome.kind === 'denied' ? { ...op.params, arguments: undefined } : pctx && pctx.input !== null && op.method !== 'resources/read' ? { ...op.params, ...(pctx.input as object) } : op.params;
  recordCall(deps, {
    kind: KIND[op.method],
    door: MCP_DOOR[op.method],
    endpoint: `mcp.${op.method}`,
    principal: { keyId: ctx.principal?.keyId ?? ctx.keyId, teamId: ctx.principal?.teamId ?? null },
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    mcpSessionId: ctx.mcpSessionId,
    client: ctx.client ?? {},
    mcp: {
      method: op.method,
      server: op.serverId,
      target: op.target,
      ...(op.method === 'tools/call' ? { tool: op.exposed } : op.method === 'resources/read' ? { uri: op.exposed } : { prompt: op.exposed }),
    },
    decisions: pctx?.decisions ?? [],
    status,
    errorCode,
    latencyMs: performance.now() - ctx.startedAt,
    upstreamMs: m.upstreamMs ?? null,
    request: { method: op.method, params: args },
    response: outcome.kind === 'result' ? outcome.result : outcome.kind === 'failed' ? { error: { code: outcome.code, message: outcome.message } } : { denied: outcome.reason },
    originalRequest: { method: op.method, params: op.params },
    ...(m.cache ? { cache: m.cache } : {}),
  });
  if (m.cache) deps.metrics.cache(MCP_DOOR[op.method], m.cache.status, null);
}

/** With `audit.failClosed`, an MCP call is refused while the trail cannot record it: a readable tool error, else a JSON-RPC error. */
export function auditRefusal(deps: Deps, method: McpOperation['method']): JsonObject | null {
  try {
    deps.audit.guard();
    return null;
  } catch (err) {
    const message = (err as Error).message;
    if (method === 'tools/call') return { content: [{ type: 'text', text: message }], isError: true };
    throw new RpcError(ErrorCode.InternalError, message);
  }
}
