// runMcpOperation: the one path of every tools/call, resources/read and prompts/get: policy before → hub → one CallRecord.
import type { Deps } from '../deps.js';
import { GatewayError, publicMessage } from '../errors.js';
import { ErrorCode, isConnectionError, isTimeout, relayError, RpcError, type JsonObject } from '../mcp/upstream/rpc.js';
import { UpstreamUnavailableError } from '../mcp/upstream/upstream.js';
import { federatedName } from '../mcp/upstream/catalog.js';
import { admit, applyOutput, denialError, settle } from './admission.js';
import { resultView } from './mcp-content.js';
import type { PolicyContext } from '../policy/engine.js';
import type { McpCallContext } from './context.js';
import { auditRefusal, finishMcpCall as after } from './mcp-record.js';
import type { McpOperation } from './mcp-operation.js';
import { lookupTool, saveTool } from './tool-cache.js';

const DOOR = { 'tools/call': 'tool', 'resources/read': 'resource', 'prompts/get': 'prompt' } as const;

/** Policy before the call: the same engine as model calls (authorize, rate limit, budget, PII on arguments). */
function before(deps: Deps, ctx: McpCallContext, op: McpOperation) {
  const args = (op.params.arguments as JsonObject | undefined) ?? {};
  const meta = op.params._meta as JsonObject | undefined;
  // What reaches the upstream and the trail: the arguments and `_meta` (PII scans both; resource reads have neither).
  const input = op.method === 'resources/read' ? null : { arguments: args, ...(meta ? { _meta: meta } : {}) };
  return admit(deps, {
    door: DOOR[op.method],
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

const PIN_RULE = 'tool_pinning';

/**
 * The call path's pinning check (after the access rules, so a caller who may not use the tool learns nothing of it):
 * a held-back tool's denial reason, else null; in audit mode a changed tool runs with a `flagged` decision in the trail.
 */
async function pinned(deps: Deps, op: McpOperation, pctx: PolicyContext): Promise<string | null> {
  const pin = await deps.toolGuard.check(op.serverId, op.target);
  if (pin.verdict === 'ok') return null;
  pctx.decisions.push({ step: PIN_RULE, decision: pin.verdict === 'held' ? 'denied' : 'flagged', rule: PIN_RULE, reason: pin.reason });
  if (pin.verdict === 'flagged') return null;
  deps.metrics.denial({ door: 'tool', code: 'forbidden', rule: PIN_RULE });
  return pin.reason;
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
  if (admission.ok && op.method === 'tools/call') {
    const pin = await pinned(deps, op, pctx);
    if (pin) {
      settle(admission, { ok: false });
      after(deps, ctx, op, { kind: 'denied', reason: pin, status: 403, code: 'forbidden' }, { pctx });
      return toolError(`Denied by gateway policy (${PIN_RULE}): ${pin}`);
    }
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
    const result = admission.hooks.some((h) => h.output) ? view.apply(applyOutput(admission.hooks, view.view)) : raw;
    after(deps, ctx, op, { kind: 'result', result }, { upstreamMs: performance.now() - sent, pctx, ...(cached ? { cache: cached.mark } : {}) });
    if (cached) saveTool(deps, cached, result);
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
