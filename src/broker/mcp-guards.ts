// The MCP-only checks after the access rules: tool pinning and the prompt-injection scan, on definitions and on results.
import type { Deps } from '../deps.js';
import { SCAN_RULE } from '../mcp/guard/definition-scan.js';
import { blockedResult, ruleList } from '../mcp/guard/scan-config.js';
import type { ListKind } from '../mcp/upstream/lists.js';
import type { JsonObject } from '../mcp/upstream/rpc.js';
import type { PolicyContext } from '../policy/engine.js';
import { MCP_DOOR, type McpOperation } from './mcp-operation.js';

const PIN_RULE = 'tool_pinning';
const LIST: Record<McpOperation['method'], ListKind> = { 'tools/call': 'tools', 'prompts/get': 'prompts', 'resources/read': 'resources' };

export interface GuardRefusal {
  rule: string;
  reason: string;
}

/**
 * Runs after the access rules, so a caller who may not use an item learns nothing of it. A held-back or blocked item's
 * refusal, else null; a changed tool (pinning in audit mode) or a flagged definition runs with a `flagged` decision.
 */
export async function guardRefusal(deps: Deps, op: McpOperation, pctx: PolicyContext): Promise<GuardRefusal | null> {
  const refuse = (rule: string, reason: string): GuardRefusal => {
    deps.metrics.denial({ door: MCP_DOOR[op.method], code: 'forbidden', rule });
    return { rule, reason };
  };
  if (op.method === 'tools/call') {
    const pin = await deps.toolGuard.check(op.serverId, op.target);
    if (pin.verdict !== 'ok') {
      pctx.decisions.push({ step: PIN_RULE, decision: pin.verdict === 'held' ? 'denied' : 'flagged', rule: PIN_RULE, reason: pin.reason });
      if (pin.verdict === 'held') return refuse(PIN_RULE, pin.reason);
    }
  }
  // The list the call names its item from (cached by the hub); a server that cannot list leaves nothing to check against.
  const items = await deps.hub.list(op.serverId, LIST[op.method]).catch(() => null);
  const scan = items ? deps.definitionScan.check(op.serverId, LIST[op.method], items, op.target) : null;
  if (!scan || scan.verdict === 'ok') return null;
  pctx.decisions.push({ step: SCAN_RULE, decision: scan.verdict === 'blocked' ? 'denied' : 'flagged', rule: SCAN_RULE, reason: scan.reason });
  return scan.verdict === 'blocked' ? refuse(SCAN_RULE, scan.reason) : null;
}

/**
 * A result as the model may read it (when results are scanned): in block mode one with a blocking finding is withheld —
 * a tool result becomes an isError text naming the rules, other methods get null (the caller answers with an error).
 */
export function screenResult(deps: Deps, op: McpOperation, pctx: PolicyContext, result: JsonObject): { result: JsonObject | null; withheld: boolean } {
  const d = deps.definitionScan.result(op.serverId, op.target, result);
  if (!d || d.action === 'pass') return { result, withheld: false };
  const reason = `the ${MCP_DOOR[op.method]} result matched the prompt-injection rule(s) ${ruleList(d.action === 'block' ? d.blocking : d.findings)}`;
  pctx.decisions.push({ step: SCAN_RULE, decision: d.action === 'block' ? 'denied' : 'flagged', rule: SCAN_RULE, reason });
  if (d.action !== 'block') return { result, withheld: false };
  return { result: op.method === 'tools/call' ? (blockedResult('result', d.blocking) as unknown as JsonObject) : null, withheld: true };
}
