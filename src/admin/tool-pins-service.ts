// Reviewing pinned MCP tool definitions: list them with what changed, approve or reject a pending one; shared by the admin API and the CLI.
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { isSafeText } from '../http/text-bounds.js';
import { definitionDiff, type DefinitionChange } from '../mcp/guard/definition-diff.js';
import { ToolPinHashSchema } from '../mcp/upstream/config-schema.js';
import type { ToolPinRow } from '../storage/schema.js';
import type { ToolPinsRepo, ToolPinStatus } from '../storage/tool-pins-repo.js';

export const ToolPinsQuerySchema = z
  .object({
    status: z.enum(['quarantined', 'rejected', 'approved', 'all']).default('all').describe('`quarantined`: a definition awaits review; `rejected`: reviewed and refused (still held back); `approved`: nothing pending.'),
    server: z.string().max(256).optional().describe('Only this MCP server id.'),
  })
  .strict();

export const ToolReviewSchema = z
  .object({
    /** The pending hash the reviewer looked at: if the tool changed again since, the call is refused (409). */
    expectedHash: ToolPinHashSchema.optional().describe('The pending hash the reviewer looked at; 409 if the pending definition is another one by now.'),
    by: z.string().min(1).max(200).refine(isSafeText, 'must be printable text').optional().describe('Who approves, as recorded in `approvedBy` (default `admin-api`).'),
  })
  .strict();

export type ToolPinsQuery = z.output<typeof ToolPinsQuerySchema>;
export type ToolReview = z.output<typeof ToolReviewSchema>;

export interface ToolPinView {
  server: string;
  tool: string;
  status: ToolPinStatus;
  approvedHash: string | null;
  pendingHash: string | null;
  /** The gateway.yaml pin of this tool: it decides, and approvals here cannot override it. */
  configPin: string | null;
  firstSeenAt: string;
  changedAt: string | null;
  approvedAt: string | null;
  approvedBy: string | null;
  approved: unknown;
  pending: unknown;
  /** What the pending definition changes against the approved one (every path of it when nothing was approved yet). */
  changes: DefinitionChange[];
}

export interface ToolPinsService {
  list(q: ToolPinsQuery): Promise<ToolPinView[]>;
  approve(server: string, tool: string, r: ToolReview): Promise<ToolPinView>;
  reject(server: string, tool: string, r: ToolReview): Promise<ToolPinView>;
}

export interface ToolPinsServiceOptions {
  repo: ToolPinsRepo;
  /** gateway.yaml's pins of a server, read live (a reload changes them). */
  staticPins(server: string): Readonly<Record<string, string>>;
  /** Tells every replica (this one included) that a server's pins changed. */
  changed(server: string): Promise<void>;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toolPinView(row: ToolPinRow, configPin: string | null): ToolPinView {
  return {
    server: row.serverId,
    tool: row.toolName,
    status: row.status as ToolPinStatus,
    approvedHash: row.approvedHash,
    pendingHash: row.pendingHash,
    configPin,
    firstSeenAt: row.firstSeenAt.toISOString(),
    changedAt: iso(row.changedAt),
    approvedAt: iso(row.approvedAt),
    approvedBy: row.approvedBy,
    approved: row.approvedDefinition ?? null,
    pending: row.pendingDefinition ?? null,
    changes: row.pendingHash ? definitionDiff(row.approvedDefinition ?? null, row.pendingDefinition ?? null) : [],
  };
}

const conflict = (message: string) => new GatewayError('invalid_request', message, { status: 409 });

export function createToolPinsService(o: ToolPinsServiceOptions): ToolPinsService {
  const view = (row: ToolPinRow) => toolPinView(row, o.staticPins(row.serverId)[row.toolName] ?? null);

  /** Why nothing was updated: no such tool (404), nothing pending, or a pending definition other than the one reviewed (409). */
  async function refusal(server: string, tool: string, r: ToolReview): Promise<GatewayError> {
    const cur = await o.repo.getPin(server, tool);
    if (!cur) return new GatewayError('not_found', `No pinned tool "${tool}" on MCP server "${server}".`);
    if (!cur.pendingHash) return conflict(`The tool "${tool}" of "${server}" has no definition awaiting review (its approved hash is ${cur.approvedHash}).`);
    return conflict(`The pending definition of "${tool}" on "${server}" changed: it is now ${cur.pendingHash}, not ${r.expectedHash}. Review it again.`);
  }

  function governedByConfig(server: string, tool: string): void {
    if (o.staticPins(server)[tool] === undefined) return;
    throw conflict(`The tool "${tool}" of "${server}" is pinned in gateway.yaml (mcpServers.${server}.pins); change the pin there to accept another definition.`);
  }

  return {
    async list(q) {
      const status: ToolPinStatus[] | undefined = q.status === 'all' ? undefined : [q.status];
      return (await o.repo.listPins({ ...(q.server ? { serverId: q.server } : {}), ...(status ? { status } : {}) })).map(view);
    },
    async approve(server, tool, r) {
      governedByConfig(server, tool);
      const row = await o.repo.approvePending(server, tool, { ...(r.expectedHash ? { expectedHash: r.expectedHash } : {}), by: r.by ?? 'admin-api', at: new Date() });
      if (!row) throw await refusal(server, tool, r);
      await o.changed(server);
      return view(row);
    },
    async reject(server, tool, r) {
      const row = await o.repo.rejectPending(server, tool, r.expectedHash ? { expectedHash: r.expectedHash } : {});
      if (!row) throw await refusal(server, tool, r);
      await o.changed(server);
      return view(row);
    },
  };
}
