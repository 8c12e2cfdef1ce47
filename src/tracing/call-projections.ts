// The request-log row and the metric events of a CallRecord: projections, so the trails can never disagree.
import type { RequestLogRow } from '../storage/schema.js';
import type { CallRecord } from './call-record.js';
import type { LlmCallEvent, ToolCallEvent } from './metrics.js';

const startOf = (rec: CallRecord): Date => rec.time ?? new Date(Date.now() - rec.latencyMs);

export function requestLogRow(rec: CallRecord): RequestLogRow {
  const mcp = rec.mcp;
  return {
    time: startOf(rec),
    requestId: rec.requestId,
    sessionId: rec.sessionId,
    keyId: rec.principal.keyId,
    endpoint: rec.endpoint ?? (mcp ? `mcp.${mcp.method}` : 'chat.completions'),
    modelRequested: mcp ? (mcp.tool ?? mcp.uri ?? mcp.prompt ?? null) : (rec.model?.requested ?? null),
    modelServed: mcp ? (mcp.target ?? null) : (rec.model?.served ?? null),
    provider: mcp ? mcp.server : (rec.model?.provider ?? null),
    stream: rec.stream ?? false,
    status: rec.status,
    errorCode: rec.errorCode ?? null,
    inputTokens: rec.usage?.inputTokens ?? null,
    outputTokens: rec.usage?.outputTokens ?? null,
    latencyMs: Math.max(0, Math.round(rec.latencyMs)),
    costMicros: rec.costMicros ?? null,
    ...(mcp ? {} : { attempts: rec.attempts ?? 0, routeReason: rec.routeReason ?? null }),
    ...(rec.cache ? { cache: rec.cache.status, cacheSimilarity: rec.cache.similarity ?? null, savedCostMicros: rec.cache.savedCostMicros ?? null } : {}),
  };
}

export function llmCallEvent(rec: CallRecord): LlmCallEvent {
  return {
    endpoint: rec.endpoint ?? 'chat.completions',
    provider: rec.model?.provider ?? null,
    model: rec.model?.served ?? rec.model?.requested ?? null,
    keyId: rec.principal.keyId,
    team: rec.principal.teamId ?? null,
    status: rec.status,
    errorCode: rec.errorCode ?? null,
    // A cache hit used no provider tokens: its usage stays in the trails, not in the token counters.
    inputTokens: rec.cache?.status === 'hit' ? 0 : rec.usage?.inputTokens,
    outputTokens: rec.cache?.status === 'hit' ? 0 : rec.usage?.outputTokens,
    costMicros: rec.costMicros,
    totalMs: rec.latencyMs,
    upstreamMs: rec.upstreamMs ?? 0,
  };
}

export function toolCallEvent(rec: CallRecord): ToolCallEvent {
  const mcp = rec.mcp!;
  const decisions = rec.decisions ?? [];
  // MCP records: 200 is a result (isError ones carry `tool_error`), 502 a failed upstream, anything else a refusal.
  const outcome: ToolCallEvent['outcome'] = rec.status === 200 ? (rec.errorCode === 'tool_error' ? 'tool_error' : 'ok') : rec.status === 502 ? 'failed' : 'denied';
  return {
    server: mcp.server,
    method: mcp.method,
    tool: mcp.method === 'resources/read' ? null : (mcp.target ?? null),
    keyId: rec.principal.keyId,
    decision: outcome === 'denied' ? 'denied' : decisions.some((d) => d.decision === 'redacted') ? 'redacted' : 'allowed',
    outcome,
    upstreamMs: rec.upstreamMs ?? null,
  };
}
