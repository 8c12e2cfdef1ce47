// What a judged tools list changes in the pins table (first sights, pending definitions), and the drift it reports.
import type { Logger } from '../../log.js';
import { dbErrorReason } from '../../storage/db-error.js';
import type { NewToolPin, ToolPinRow } from '../../storage/schema.js';
import type { ToolPinsRepo } from '../../storage/tool-pins-repo.js';
import type { Metrics } from '../../tracing/metrics.js';
import type { ToolPinningSettings } from '../upstream/config-schema.js';
import type { PinAction, SeenTool } from './pin-judge.js';
import { storedDefinition } from './tool-definition.js';

export interface PinWrite {
  tool: SeenTool;
  action: PinAction;
}

export interface WriteContext {
  repo: ToolPinsRepo;
  log: Logger;
  metrics: Pick<Metrics, 'toolDrift'>;
  serverId: string;
  mode: ToolPinningSettings['mode'];
  now(): number;
}

/** The drift record every replica and reviewer can see: a warn line (names and hashes, never definitions) and the counter. */
function report(c: WriteContext, w: PinWrite): void {
  if (!w.action.event) return;
  c.metrics.toolDrift(c.serverId, w.action.event);
  const fields = { server: c.serverId, tool: w.tool.name, kind: w.action.event, hash: w.tool.hash, mode: c.mode, ...(w.action.finding ? { finding: w.action.finding } : {}) };
  c.log.warn(fields, c.mode === 'enforce' ? 'MCP tool quarantined: its definition is not approved' : 'MCP tool definition not approved (audit mode: still served)');
}

function firstSight(c: WriteContext, w: PinWrite, at: Date): NewToolPin {
  const stored = storedDefinition(w.tool.def);
  const base = { serverId: c.serverId, toolName: w.tool.name, firstSeenAt: at };
  return w.action.op === 'insert' && w.action.status === 'approved'
    ? { ...base, status: 'approved', approvedHash: w.tool.hash, approvedDefinition: stored, approvedAt: at, approvedBy: 'first-use' }
    : { ...base, status: 'quarantined', pendingHash: w.tool.hash, pendingDefinition: stored, changedAt: at };
}

/**
 * Writes the actions and keeps `rows` (the held copy of the server's pins) in step. Returns the tools whose first sight
 * another replica recorded first: their row is re-read into `rows` and they must be judged again. A failed write is
 * logged and left for the next judgement: the verdict already made stands.
 */
export async function applyActions(c: WriteContext, writes: PinWrite[], rows: Map<string, ToolPinRow>): Promise<Set<string>> {
  const at = new Date(c.now());
  const raced = new Set<string>();
  const inserts = writes.filter((w) => w.action.op === 'insert');
  if (inserts.length) {
    try {
      const created = new Map((await c.repo.insertPins(inserts.map((w) => firstSight(c, w, at)))).map((r) => [r.toolName, r]));
      for (const [name, r] of created) rows.set(name, r);
      if (created.size < inserts.length) {
        for (const r of await c.repo.serverPins(c.serverId)) rows.set(r.toolName, r);
        for (const w of inserts) if (!created.has(w.tool.name)) raced.add(w.tool.name);
      }
      for (const w of inserts) if (created.has(w.tool.name)) report(c, w);
    } catch (err) {
      c.log.warn({ server: c.serverId, err: dbErrorReason(err) }, 'tool pins: cannot record first sights');
    }
  }
  for (const w of writes) {
    if (w.action.op !== 'pending') continue;
    try {
      const pending = { hash: w.tool.hash, definition: storedDefinition(w.tool.def), at };
      const changed = await c.repo.recordPending(c.serverId, w.tool.name, pending);
      const row = changed ?? (await c.repo.getPin(c.serverId, w.tool.name));
      if (row) rows.set(w.tool.name, row);
      if (changed) report(c, w);
    } catch (err) {
      c.log.warn({ server: c.serverId, tool: w.tool.name, err: dbErrorReason(err) }, 'tool pins: cannot record a changed definition');
    }
  }
  return raced;
}
