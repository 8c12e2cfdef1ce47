// Every query the gateway makes lives here.
import { desc, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditRepo, type AuditRepo } from './audit-repo.js';
import { checkpointRepo, type CheckpointRepo } from './checkpoint-repo.js';
import { insertJsonRows } from './json-insert.js';
import { keysRepo, type KeysRepo } from './keys-repo.js';
import { responsesRepo, type ResponsesRepo } from './responses-repo.js';
import { deadLetters, requestLog, type DeadLetterRow, type RequestLogRow } from './schema.js';
import { spendRepo, type SpendRepo } from './spend-repo.js';

export type WriterName = 'request_log' | 'audit' | 'budget_spend';

export interface Repo extends KeysRepo, AuditRepo, CheckpointRepo, SpendRepo, ResponsesRepo {
  insertRequestLogs(rows: RequestLogRow[]): Promise<void>;
  countRequestLogs(): Promise<number>;
  /** Keeps an item the database refused (as escaped JSON text, which it always takes); returns its id. */
  insertDeadLetter(writer: WriterName, reason: string, item: unknown): Promise<number>;
  listDeadLetters(limit: number): Promise<DeadLetterRow[]>;
}

const DEAD_LETTER_MAX = 1024 * 1024;

export function createRepo(db: Db): Repo {
  return {
    ...keysRepo(db),
    ...auditRepo(db),
    ...checkpointRepo(db),
    ...spendRepo(db),
    ...responsesRepo(db),
    async insertRequestLogs(rows) {
      await insertJsonRows(db, requestLog, rows);
    },
    async countRequestLogs() {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(requestLog);
      return row?.n ?? 0;
    },
    async insertDeadLetter(writer, reason, item) {
      // JSON.stringify escapes NUL and lone surrogates, so the text is plain ASCII escapes the database takes.
      const json = JSON.stringify(item) ?? 'null';
      const [row] = await db
        .insert(deadLetters)
        .values({ writer, reason: JSON.stringify(reason).slice(1, -1).slice(0, 2000), item: json.slice(0, DEAD_LETTER_MAX), bytes: json.length })
        .returning({ id: deadLetters.id });
      return row!.id;
    },
    listDeadLetters(limit) {
      return db.select().from(deadLetters).orderBy(desc(deadLetters.id)).limit(limit);
    },
  };
}
