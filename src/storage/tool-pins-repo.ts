// Queries over tool pins: a server's pins, first sights, changed definitions, and an admin's approval or rejection.
import { and, asc, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from './db.js';
import { toolPins, type NewToolPin, type ToolPinRow } from './schema.js';

export type ToolPinStatus = 'approved' | 'quarantined' | 'rejected';

export interface PendingDefinition {
  hash: string;
  definition: unknown;
  at: Date;
}

export interface ToolPinsRepo {
  serverPins(serverId: string): Promise<ToolPinRow[]>;
  getPin(serverId: string, toolName: string): Promise<ToolPinRow | null>;
  listPins(filter: { serverId?: string; status?: ToolPinStatus[] }): Promise<ToolPinRow[]>;
  /** First sights, in one statement; returns the rows inserted (a row another replica inserted first is left out). */
  insertPins(rows: NewToolPin[]): Promise<ToolPinRow[]>;
  /** Records a definition that differs from the approved one; null when that very definition was already pending. */
  recordPending(serverId: string, toolName: string, p: PendingDefinition): Promise<ToolPinRow | null>;
  /**
   * Approves the pending definition (only if it is still `expectedHash`, when given); null when there was nothing to
   * approve or it changed meanwhile: the caller reads the row to say which.
   */
  approvePending(serverId: string, toolName: string, a: { expectedHash?: string; by: string; at: Date }): Promise<ToolPinRow | null>;
  /** Marks the pending definition rejected (it stays held back); null as for approvePending. */
  rejectPending(serverId: string, toolName: string, r: { expectedHash?: string }): Promise<ToolPinRow | null>;
}

const key = (serverId: string, toolName: string): SQL => and(eq(toolPins.serverId, serverId), eq(toolPins.toolName, toolName))!;

/** Pending, and still the definition the caller looked at. */
function pendingIs(expectedHash: string | undefined): SQL {
  return expectedHash === undefined ? isNotNull(toolPins.pendingHash) : eq(toolPins.pendingHash, expectedHash);
}

export function toolPinsRepo(db: Db): ToolPinsRepo {
  return {
    serverPins: (serverId) => db.select().from(toolPins).where(eq(toolPins.serverId, serverId)),
    async getPin(serverId, toolName) {
      const [row] = await db.select().from(toolPins).where(key(serverId, toolName));
      return row ?? null;
    },
    listPins: (f) =>
      db
        .select()
        .from(toolPins)
        .where(and(f.serverId ? eq(toolPins.serverId, f.serverId) : undefined, f.status ? inArray(toolPins.status, f.status) : undefined))
        .orderBy(asc(toolPins.serverId), asc(toolPins.toolName)),
    insertPins: async (rows) => (rows.length ? db.insert(toolPins).values(rows).onConflictDoNothing().returning() : []),
    async recordPending(serverId, toolName, p) {
      // `is distinct from`: a row with nothing pending (null) takes the new definition too.
      const [row] = await db
        .update(toolPins)
        .set({ status: 'quarantined', pendingHash: p.hash, pendingDefinition: p.definition, changedAt: p.at })
        .where(and(key(serverId, toolName), sql`${toolPins.pendingHash} is distinct from ${p.hash}`))
        .returning();
      return row ?? null;
    },
    async approvePending(serverId, toolName, a) {
      const [row] = await db
        .update(toolPins)
        .set({
          status: 'approved',
          approvedHash: sql`${toolPins.pendingHash}`,
          approvedDefinition: sql`${toolPins.pendingDefinition}`,
          pendingHash: null,
          pendingDefinition: null,
          approvedAt: a.at,
          approvedBy: a.by,
        })
        .where(and(key(serverId, toolName), pendingIs(a.expectedHash)))
        .returning();
      return row ?? null;
    },
    async rejectPending(serverId, toolName, r) {
      const [row] = await db
        .update(toolPins)
        .set({ status: 'rejected' })
        .where(and(key(serverId, toolName), pendingIs(r.expectedHash)))
        .returning();
      return row ?? null;
    },
  };
}
