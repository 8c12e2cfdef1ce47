// Every query the gateway makes lives here.
import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { requestLog, type RequestLogRow } from './schema.js';

export interface Repo {
  insertRequestLogs(rows: RequestLogRow[]): Promise<void>;
  countRequestLogs(): Promise<number>;
}

export function createRepo(db: Db): Repo {
  return {
    async insertRequestLogs(rows) {
      if (rows.length) await db.insert(requestLog).values(rows);
    },
    async countRequestLogs() {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(requestLog);
      return row?.n ?? 0;
    },
  };
}
