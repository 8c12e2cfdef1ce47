// Every query the gateway makes lives here.
import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditRepo, type AuditRepo } from './audit-repo.js';
import { keysRepo, type KeysRepo } from './keys-repo.js';
import { insertRequestLogRows } from './request-log-insert.js';
import { requestLog, type RequestLogRow } from './schema.js';

export interface Repo extends KeysRepo, AuditRepo {
  insertRequestLogs(rows: RequestLogRow[]): Promise<void>;
  countRequestLogs(): Promise<number>;
}

export function createRepo(db: Db): Repo {
  return {
    ...keysRepo(db),
    ...auditRepo(db),
    async insertRequestLogs(rows) {
      await insertRequestLogRows(db, rows);
    },
    async countRequestLogs() {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(requestLog);
      return row?.n ?? 0;
    },
  };
}
