// Queries over teams and virtual keys.
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from './db.js';
import { teams, virtualKeys, type TeamRow, type VirtualKeyRow } from './schema.js';

export type NewTeam = typeof teams.$inferInsert;
export type NewKey = typeof virtualKeys.$inferInsert;

export interface KeysRepo {
  findKeyByHash(hash: string): Promise<{ key: VirtualKeyRow; team: TeamRow | null } | null>;
  getKey(id: string): Promise<VirtualKeyRow | null>;
  listKeys(filter: { teamId?: string }): Promise<VirtualKeyRow[]>;
  insertKey(row: NewKey): Promise<VirtualKeyRow>;
  /** Marks a key revoked; returns it, or null when it does not exist. */
  revokeKey(id: string, at: Date, rotatedTo?: string): Promise<VirtualKeyRow | null>;
  /** Sets what is given (undefined leaves a column alone); returns the key, or null when it does not exist. */
  updateKey(id: string, set: { expiresAt?: Date | null; policy?: unknown }): Promise<VirtualKeyRow | null>;
  getTeam(id: string): Promise<TeamRow | null>;
  listTeams(): Promise<TeamRow[]>;
  upsertTeam(row: NewTeam): Promise<TeamRow>;
  /** Deletes a team no key points at; false when there was no such team. */
  deleteTeam(id: string): Promise<boolean>;
}

export function keysRepo(db: Db): KeysRepo {
  return {
    async findKeyByHash(hash) {
      const rows = await db
        .select({ key: virtualKeys, team: teams })
        .from(virtualKeys)
        .leftJoin(teams, eq(virtualKeys.teamId, teams.id))
        .where(eq(virtualKeys.keyHash, hash))
        .limit(1);
      return rows[0] ?? null;
    },
    async getKey(id) {
      const [row] = await db.select().from(virtualKeys).where(eq(virtualKeys.id, id));
      return row ?? null;
    },
    listKeys: (filter) =>
      db
        .select()
        .from(virtualKeys)
        .where(filter.teamId ? eq(virtualKeys.teamId, filter.teamId) : undefined)
        .orderBy(desc(virtualKeys.createdAt)),
    async insertKey(row) {
      const [created] = await db.insert(virtualKeys).values(row).returning();
      return created!;
    },
    async revokeKey(id, at, rotatedTo) {
      const [row] = await db
        .update(virtualKeys)
        .set({ revokedAt: at, ...(rotatedTo ? { rotatedTo } : {}) })
        .where(and(eq(virtualKeys.id, id), isNull(virtualKeys.revokedAt)))
        .returning();
      return row ?? (await this.getKey(id));
    },
    async updateKey(id, set) {
      const values = { ...(set.expiresAt !== undefined ? { expiresAt: set.expiresAt } : {}), ...(set.policy !== undefined ? { policy: set.policy } : {}) };
      if (Object.keys(values).length === 0) return this.getKey(id);
      const [row] = await db.update(virtualKeys).set(values).where(eq(virtualKeys.id, id)).returning();
      return row ?? null;
    },
    async getTeam(id) {
      const [row] = await db.select().from(teams).where(eq(teams.id, id));
      return row ?? null;
    },
    listTeams: () => db.select().from(teams).orderBy(teams.id),
    async upsertTeam(row) {
      const [t] = await db
        .insert(teams)
        .values(row)
        .onConflictDoUpdate({ target: teams.id, set: { name: row.name, policy: row.policy, metadata: row.metadata } })
        .returning();
      return t!;
    },
    async deleteTeam(id) {
      const rows = await db.delete(teams).where(eq(teams.id, id)).returning({ id: teams.id });
      return rows.length > 0;
    },
  };
}
