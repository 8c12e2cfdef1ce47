// runMcpOperation: the one path of every tools/call, resources/read and prompts/get: policy before → hub → after (trace).
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import type { Deps } from '../deps.js';
import type { RelayCaller } from '../mcp/relay.js';
import { ErrorCode, isConnectionError, isTimeout, relayError, RpcError, type JsonObject } from '../mcp/rpc.js';
import { UpstreamUnavailableError } from '../mcp/upstream.js';

export type McpMethod = 'tools/call' | 'resources/read' | 'prompts/get';

export interface McpOperation {
  method: McpMethod;
  serverId: string;
  /** What the client asked for (federated or virtual name / URI). */
  exposed: string;
  /** The upstream's own name or URI. */
  target: string;
  /** Upstream params, already rewritten to the upstream name/URI (arguments, _meta…). */
  params: JsonObject;
}

export interface McpCallContext {
  requestId: string;
  /** The agent session (x-session-id, else the MCP session id). */
  sessionId: string;
  mcpSessionId: string;
  keyId: string | null;
  /** Aborted when the client cancels; cancels the upstream call. */
  signal: AbortSignal;
  caller: RelayCaller;
  /** Set when the client asked for progress; upstream progress is re-sent under the client's token. */
  onProgress?: (p: Progress) => void;
  startedAt: number;
}

export type Decision = { allow: true } | { allow: false; reason: string };

export type Outcome =
  | { kind: 'result'; result: JsonObject }
  | { kind: 'denied'; reason: string }
  | { kind: 'failed'; code: string; message: string };

/** Policy before the call (authorize, rate limit, argument redaction). Allows everything until the policy engine lands. */
async function before(_deps: Deps, _ctx: McpCallContext, _op: McpOperation): Promise<Decision> {
  return { allow: true };
}

/** After the call (result redaction, audit): one request-log row per operation, off the response path. */
function after(deps: Deps, ctx: McpCallContext, op: McpOperation, outcome: Outcome): void {
  const isError = outcome.kind === 'result' && outcome.result.isError === true;
  deps.requestLog.write({
    time: new Date(),
    requestId: ctx.requestId,
    sessionId: ctx.sessionId,
    keyId: ctx.keyId,
    endpoint: `mcp.${op.method}`,
    modelRequested: op.exposed,
    modelServed: op.target,
    provider: op.serverId,
    stream: false,
    status: outcome.kind === 'result' ? 200 : outcome.kind === 'denied' ? 403 : 502,
    errorCode: outcome.kind === 'failed' ? outcome.code : outcome.kind === 'denied' ? 'denied' : isError ? 'tool_error' : null,
    inputTokens: null,
    outputTokens: null,
    latencyMs: Math.round(performance.now() - ctx.startedAt),
    costMicros: null,
  });
}

/** A tool failure the agent's model can read, in place of a protocol error. */
function toolError(text: string): JsonObject {
  return { content: [{ type: 'text', text }], isError: true };
}

function failure(op: McpOperation, err: unknown): { code: string; message: string } | null {
  if (err instanceof UpstreamUnavailableError) return { code: 'upstream_unavailable', message: err.message };
  if (isTimeout(err)) return { code: 'upstream_timeout', message: `MCP server "${op.serverId}" did not answer ${op.method} in time.` };
  if (isConnectionError(err)) return { code: 'upstream_unavailable', message: `MCP server "${op.serverId}" closed the connection during ${op.method}.` };
  return null;
}

export async function runMcpOperation(deps: Deps, ctx: McpCallContext, op: McpOperation): Promise<JsonObject> {
  const decision = await before(deps, ctx, op);
  if (!decision.allow) {
    after(deps, ctx, op, { kind: 'denied', reason: decision.reason });
    if (op.method === 'tools/call') return toolError(`Denied by gateway policy: ${decision.reason}`);
    throw new RpcError(ErrorCode.InvalidRequest, `Denied by gateway policy: ${decision.reason}`);
  }
  try {
    const result = await deps.hub.request(
      op.serverId,
      { method: op.method, params: op.params },
      { signal: ctx.signal, caller: ctx.caller, ...(ctx.onProgress ? { onprogress: ctx.onProgress } : {}) },
    );
    after(deps, ctx, op, { kind: 'result', result });
    return result;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const f = failure(op, err);
    if (f) {
      after(deps, ctx, op, { kind: 'failed', ...f });
      if (op.method === 'tools/call') return toolError(f.message);
      throw new RpcError(ErrorCode.InternalError, f.message);
    }
    const e = relayError(err);
    after(deps, ctx, op, { kind: 'failed', code: `jsonrpc_${e.code}`, message: e.message });
    throw e;
  }
}
