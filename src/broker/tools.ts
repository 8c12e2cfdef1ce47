// runMcpOperation: the one path of every tools/call, resources/read and prompts/get: policy before → hub → one CallRecord.
import type { Deps } from '../deps.js';
import { GatewayError, publicMessage } from '../errors.js';
import { ErrorCode, isConnectionError, isTimeout, relayError, RpcError, type JsonObject } from '../mcp/upstream/rpc.js';
import { UpstreamUnavailableError } from '../mcp/upstream/upstream.js';
import { federatedName } from '../mcp/upstream/catalog.js';
import { admit, applyOutput, denialError, settle } from './admission.js';
import { resultView } from './mcp-content.js';
import type { McpCallContext } from './context.js';
import { auditRefusal, finishMcpCall as after } from './mcp-record.js';
import { MCP_DOOR, type McpOperation } from './mcp-operation.js';
import { lookupTool, saveTool } from './tool-cache.js';
import { guardRefusal, screenResult } from './mcp-guards.js';
import { SCAN_RULE } from '../mcp/guard/definition-scan.js';


/** Policy before the call: the same engine as model calls (authorize, rate limit, budget, PII on arguments). */
function before(deps: Deps, ctx: McpCallContext, op: McpOperation) {
  const args = (op.params.arguments as JsonObject | undefined) ?? {};
  const meta = op.params._meta as JsonObject | undefined;
  // What reaches the upstream and the trail: the arguments and `_meta` (PII scans both; resource reads have neither).
  const input = op.method === 'resources/read' ? null : { arguments: args, ...(meta ? { _meta: meta } : {}) };
  return admit(deps, {
    door: MCP_DOOR[op.method],
    principal: ctx.principal,
    sessionId: ctx.sessionId,
    requestId: ctx.requestId,
    input,
    mcp: {
      server: op.serverId,
      ...(op.method === 'tools/call' ? { tool: federatedName(op.serverId, op.target) } : {}),
      ...(op.method === 'resources/read' ? { uri: op.target } : {}),
      ...(op.method === 'prompts/get' ? { prompt: op.target } : {}),
    },
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
  const refused = auditRefusal(deps, op.method);
  if (refused) return refused;
  let admitted: Awaited<ReturnType<typeof before>>;
  try {
    admitted = await before(deps, ctx, op);
  } catch (err) {
    // A policy store that cannot answer (Redis down, budgets fail closed): the agent's model reads why, as with a denial.
    if (!(err instanceof GatewayError)) throw err;
    after(deps, ctx, op, { kind: 'denied', reason: publicMessage(err), status: err.status, code: err.code });
    if (op.method === 'tools/call') return toolError(`The gateway cannot run this call right now: ${publicMessage(err)}`);
    throw new RpcError(ErrorCode.InternalError, publicMessage(err), { code: err.code });
  }
  const { pctx, admission } = admitted;
  const refusal = admission.ok ? await guardRefusal(deps, op, pctx) : null;
  if (admission.ok && refusal) {
    settle(admission, { ok: false });
    after(deps, ctx, op, { kind: 'denied', reason: refusal.reason, status: 403, code: 'forbidden' }, { pctx });
    const text = `Denied by gateway policy (${refusal.rule}): ${refusal.reason}`;
    if (op.method === 'tools/call') return toolError(text);
    throw new RpcError(ErrorCode.InvalidRequest, text, { code: 'forbidden', rule: refusal.rule });
  }
  if (!admission.ok) {
    const d = admission.denial;
    const e = denialError(d);
    after(deps, ctx, op, { kind: 'denied', reason: d.message, status: e.status, code: d.code }, { pctx });
    // Tool denials are results the agent's model can read; other methods have no such channel.
    if (op.method === 'tools/call') return toolError(`Denied by gateway policy (${d.rule}): ${d.message}`);
    throw new RpcError(ErrorCode.InvalidRequest, `Denied by gateway policy (${d.rule}): ${d.message}`, { code: d.code, rule: d.rule });
  }
  const params = pctx.input === null ? op.params : { ...op.params, ...(pctx.input as JsonObject) };
  const cached = await lookupTool(deps, op, pctx);
  if (cached?.hit) {
    settle(admission, { ok: true });
    const view = resultView(op.method, cached.hit);
    const result = admission.hooks.some((h) => h.output) ? view.apply(applyOutput(admission.hooks, view.view)) : cached.hit;
    after(deps, ctx, op, { kind: 'result', result }, { pctx, cache: cached.mark });
    return result;
  }
  const sent = performance.now();
  try {
    const raw = await deps.hub.request(
      op.serverId,
      { method: op.method, params },
      { signal: ctx.signal, caller: ctx.caller, ...(ctx.onProgress ? { onprogress: ctx.onProgress } : {}) },
    );
    settle(admission, { ok: raw.isError !== true });
    const view = resultView(op.method, raw);
    const shown = admission.hooks.some((h) => h.output) ? view.apply(applyOutput(admission.hooks, view.view)) : raw;
    const { result, withheld } = screenResult(deps, op, pctx, shown);
    const upstreamMs = performance.now() - sent;
    if (result === null) {
      after(deps, ctx, op, { kind: 'denied', reason: 'result withheld by the prompt-injection scan', status: 403, code: 'forbidden' }, { upstreamMs, pctx });
      throw new RpcError(ErrorCode.InvalidRequest, `The gateway withheld this ${op.method === 'prompts/get' ? 'prompt' : 'resource'}: it matched the prompt-injection scan.`, { code: 'forbidden', rule: SCAN_RULE });
    }
    after(deps, ctx, op, { kind: 'result', result }, { upstreamMs, pctx, ...(cached ? { cache: cached.mark } : {}) });
    if (cached && !withheld) saveTool(deps, cached, result);
    return result;
  } catch (err) {
    settle(admission, { ok: false });
    if (ctx.signal.aborted) throw err;
    const f = failure(op, err);
    if (f) {
      after(deps, ctx, op, { kind: 'failed', ...f }, { upstreamMs: performance.now() - sent, pctx });
      if (op.method === 'tools/call') return toolError(publicMessage(f));
      throw new RpcError(ErrorCode.InternalError, publicMessage(f));
    }
    const e = relayError(err);
    after(deps, ctx, op, { kind: 'failed', code: `jsonrpc_${e.code}`, message: e.message }, { pctx });
    throw e;
  }
}
