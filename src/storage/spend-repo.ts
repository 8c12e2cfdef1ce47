// Queries over the spend ledger (budget_spend): add settled spend deltas, read what a scope's window has spent.
import { and, eq, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { budgetSpend } from './schema.js';

/** Spend settled on one scope in one period window, to be added to the ledger. */
export interface SpendDelta {
  scope: string;
  period: string;
  window: string;
  micros: number;
}

export interface SpendRepo {
  /** Adds every delta to its row (one statement, all or nothing); deltas for the same row are summed first. */
  addSpend(deltas: SpendDelta[]): Promise<void>;
  /** The ledger's spend for each (scope, window), keyed by spendKey; rows that do not exist are absent. */
  loadSpend(windows: Array<{ scope: string; window: string }>): Promise<Map<string, number>>;
  /** Deletes daily and monthly rows not added to since `before` (their windows are long over); returns how many. */
  pruneSpend(before: Date): Promise<number>;
}

export const spendKey = (scope: string, window: string): string => `${scope}\u0000${window}`;

export function spendRepo(db: Db): SpendRepo {
  return {
    async addSpend(deltas) {
      // One row may appear twice in a batch (two hand-offs queued during a retry); an upsert may touch a row only once.
      const rows = new Map<string, SpendDelta>();
      for (const d of deltas) {
        const k = spendKey(d.scope, d.window);
        const prev = rows.get(k);
        rows.set(k, prev ? { ...prev, micros: prev.micros + d.micros } : { ...d });
      }
      if (!rows.size) return;
      await db
        .insert(budgetSpend)
        .values([...rows.values()].map((d) => ({ scope: d.scope, windowId: d.window, period: d.period, spentMicros: d.micros })))
        .onConflictDoUpdate({
          target: [budgetSpend.scope, budgetSpend.windowId],
          set: { spentMicros: sql`${budgetSpend.spentMicros} + excluded.spent_micros`, updatedAt: sql`now()` },
        });
    },
    async loadSpend(windows) {
      const out = new Map<string, number>();
      if (!windows.length) return out;
      const rows = await db
        .select({ scope: budgetSpend.scope, window: budgetSpend.windowId, spent: budgetSpend.spentMicros })
        .from(budgetSpend)
        .where(or(...windows.map((w) => and(eq(budgetSpend.scope, w.scope), eq(budgetSpend.windowId, w.window)))));
      for (const r of rows) out.set(spendKey(r.scope, r.window), Number(r.spent));
      return out;
    },
    async pruneSpend(before) {
      const gone = await db
        .delete(budgetSpend)
        .where(and(ne(budgetSpend.period, 'total'), lt(budgetSpend.updatedAt, before)))
        .returning({ scope: budgetSpend.scope });
      return gone.length;
    },
  };
}
