// The pinning rule for one tool as listed, as a pure function: may it be served, why not, and what the pins table must record.
import type { ToolPinningSettings } from '../upstream/config-schema.js';
import type { JsonObject } from '../upstream/rpc.js';
import type { ToolPinRow } from '../../storage/schema.js';
import type { ToolDefinition } from './tool-definition.js';

/** A tools/list entry with its pinned fields and their hash, worked out once per fetched list. */
export interface SeenTool {
  name: string;
  tool: JsonObject;
  def: ToolDefinition;
  hash: string;
}

/** Why a definition was recorded as not approved: the drift counter's `kind` label. */
export type DriftKind = 'changed' | 'added' | 'new_server' | 'config_mismatch' | 'suspicious';

/**
 * A check of a tool definition at first sight and at each change: the injection scanner plugs in here. A finding turns a
 * first sight that trust on first use would approve into a quarantined one, and is logged with a change.
 */
export type DefinitionScan = (serverId: string, def: ToolDefinition) => { reason: string } | null;

export type PinAction =
  | { op: 'insert'; status: 'approved' | 'quarantined'; event: DriftKind | null; finding: string | null }
  | { op: 'pending'; event: DriftKind; finding: string | null };

export interface Judgement {
  /** The definition is the approved one (or the gateway.yaml pin). */
  approved: boolean;
  /** For the agent's model and the log: why the tool is held back. */
  reason: string | null;
  action: PinAction | null;
}

export interface JudgeContext {
  serverId: string;
  settings: ToolPinningSettings;
  /** The server had pins (stored or in gateway.yaml) before this listing. */
  hasPins: boolean;
  scan?: DefinitionScan | undefined;
}

function held(t: SeenTool, ctx: JudgeContext, why: string): string {
  return `the tool "${t.name}" of MCP server "${ctx.serverId}" is quarantined: ${why}; an admin must review and approve it (gateway tools approve ${ctx.serverId} ${t.name})`;
}

export function judge(t: SeenTool, row: ToolPinRow | undefined, staticHash: string | undefined, ctx: JudgeContext): Judgement {
  const finding = () => ctx.scan?.(ctx.serverId, t.def)?.reason ?? null;
  if (staticHash !== undefined) {
    if (t.hash === staticHash) return { approved: true, reason: null, action: null };
    const action: PinAction | null = !row
      ? { op: 'insert', status: 'quarantined', event: 'config_mismatch', finding: finding() }
      : row.pendingHash !== t.hash
        ? { op: 'pending', event: 'config_mismatch', finding: finding() }
        : null;
    return { approved: false, reason: held(t, ctx, 'its definition does not match its pin in gateway.yaml'), action };
  }
  if (row) {
    if (row.approvedHash === t.hash) return { approved: true, reason: null, action: null };
    const rejected = row.status === 'rejected' && row.pendingHash === t.hash;
    const why = rejected ? 'an admin rejected its current definition' : row.approvedHash ? 'its definition changed since it was approved' : 'its definition awaits approval';
    const action: PinAction | null = row.pendingHash !== t.hash ? { op: 'pending', event: row.approvedHash ? 'changed' : 'added', finding: finding() } : null;
    return { approved: false, reason: held(t, ctx, why), action };
  }
  const trust = ctx.hasPins ? ctx.settings.newTools : ctx.settings.newServers;
  const found = finding();
  if (trust === 'approve' && found === null) return { approved: true, reason: null, action: { op: 'insert', status: 'approved', event: null, finding: null } };
  const event: DriftKind = found !== null ? 'suspicious' : ctx.hasPins ? 'added' : 'new_server';
  const why =
    found !== null ? `the gateway's scan flagged its definition (${found})` : ctx.hasPins ? 'it is new on a server whose tools are pinned' : 'its server is new, and new servers need approval';
  return { approved: false, reason: held(t, ctx, why), action: { op: 'insert', status: 'quarantined', event, finding: found } };
}
