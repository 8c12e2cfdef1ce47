// What the brokers call to audit a call: model calls from their request-log row, MCP operations from their outcome, and the fail-closed check.
import type { CallContext } from '../broker/chat.js';
import type { McpCallContext, McpOperation, Outcome } from '../broker/tools.js';
import type { Deps } from '../deps.js';
import { ErrorCode, RpcError, type JsonObject } from '../mcp/rpc.js';
import type { ChatCompletionChunk } from '../openai/types.js';
import type { PolicyContext } from '../policy/engine.js';
import type { RequestLogRow } from '../storage/schema.js';
import type { AuditKind } from './audit.js';

/** The policy context of a call the engine denied: the denial is thrown, its decisions ride along for the audit. */
export const deniedContext = new WeakMap<object, PolicyContext>();

export interface ModelAudit {
  /** The admitted call's policy context (decisions, redacted input); null when admission did not happen. */
  pctx?: PolicyContext | null;
  /** The client's request. */
  req: unknown;
  /** The response as the client got it (after output redaction). */
  response?: unknown;
  /** The error the call ended with, if any (a denial carries its policy context). */
  error?: unknown;
}

/** Records a model call from the request-log row the broker just wrote. */
export function recordModelCall(deps: Deps, ctx: CallContext, row: RequestLogRow, a: ModelAudit): void {
  const pctx = a.pctx ?? (a.error && typeof a.error === 'object' ? deniedContext.get(a.error) : undefined) ?? null;
  deps.audit.recordCall({
    kind: 'model_call',
    operation: row.endpoint === 'embeddings' ? 'embeddings' : 'chat',
    principal: { keyId: ctx.principal?.keyId ?? ctx.keyId, teamId: ctx.principal?.teamId ?? ctx.team ?? null },
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    client: { userAgent: ctx.userAgent ?? null },
    model: { requested: row.modelRequested ?? '', served: row.modelServed ?? null, provider: row.provider ?? null },
    stream: row.stream ?? false,
    decisions: pctx?.decisions ?? [],
    status: row.status,
    errorCode: row.errorCode ?? null,
    latencyMs: row.latencyMs,
    usage: { inputTokens: row.inputTokens ?? null, outputTokens: row.outputTokens ?? null },
    costMicros: row.costMicros ?? null,
    // Only an admitted call's input went upstream (redacted); a denied one may not have met the PII step yet.
    request: a.pctx ? a.pctx.input : undefined,
    response: a.response ?? (row.errorCode ? { error: row.errorCode } : undefined),
    originalRequest: a.req,
  });
}

/**
 * A streamed call is recorded once both its request-log row (written when the upstream stream ends) and the
 * text the client received (after the policy's stream transforms) are known.
 */
export function streamAudit(deps: Deps, ctx: CallContext, base: ModelAudit) {
  let row: RequestLogRow | null = null;
  let response: unknown;
  let ended = false;
  let done = false;
  const maybe = () => {
    if (done || !row || !ended) return;
    done = true;
    recordModelCall(deps, ctx, row, { ...base, response });
  };
  return {
    logged(r: RequestLogRow) {
      row = r;
      maybe();
    },
    async *wrap(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ChatCompletionChunk> {
      const content = new Map<number, string>();
      const finish = new Map<number, string>();
      try {
        for await (const c of chunks) {
          for (const ch of c.choices) {
            if (ch.delta.content) content.set(ch.index, (content.get(ch.index) ?? '') + ch.delta.content);
            if (ch.finish_reason) finish.set(ch.index, ch.finish_reason);
          }
          yield c;
        }
      } finally {
        response = { choices: [...content.keys()].sort().map((i) => ({ index: i, content: content.get(i), finish_reason: finish.get(i) ?? null })) };
        ended = true;
        maybe();
      }
    },
  };
}

const KIND: Record<McpOperation['method'], AuditKind> = { 'tools/call': 'tool_call', 'resources/read': 'resource_read', 'prompts/get': 'prompt_get' };

/** Records one MCP operation from the broker's outcome. */
export function recordMcpCall(deps: Deps, ctx: McpCallContext, op: McpOperation, outcome: Outcome, status: number, errorCode: string | null, pctx?: PolicyContext): void {
  // A denied operation never went upstream, and may not have met the PII step: keep its target, not its arguments.
  const args = outcome.kind === 'denied' ? { ...op.params, arguments: undefined } : pctx && pctx.input !== null && op.method !== 'resources/read' ? { ...op.params, ...(pctx.input as object) } : op.params;
  deps.audit.recordCall({
    kind: KIND[op.method],
    principal: { keyId: ctx.principal?.keyId ?? ctx.keyId, teamId: ctx.principal?.teamId ?? null },
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    mcpSessionId: ctx.mcpSessionId,
    client: ctx.client ?? {},
    mcp: {
      method: op.method,
      server: op.serverId,
      ...(op.method === 'tools/call' ? { tool: op.exposed } : op.method === 'resources/read' ? { uri: op.exposed } : { prompt: op.exposed }),
    },
    decisions: pctx?.decisions ?? [],
    status,
    errorCode,
    latencyMs: performance.now() - ctx.startedAt,
    request: { method: op.method, params: args },
    response: outcome.kind === 'result' ? outcome.result : outcome.kind === 'failed' ? { error: { code: outcome.code, message: outcome.message } } : { denied: outcome.reason },
    originalRequest: { method: op.method, params: op.params },
  });
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

/** Attaches a denied call's policy context to the thrown error, so the audit still sees its decisions. */
export function withPolicyContext<E extends object>(err: E, pctx: PolicyContext): E {
  deniedContext.set(err, pctx);
  return err;
}
