// The request log: one row per model call, cleaned for its table and written by the batched writer (spool on outage, dead letters).
import type { GatewayConfig } from '../config.js';
import type { Logger } from '../log.js';
import { isRefusal } from '../storage/db-error.js';
import type { Repo } from '../storage/repo.js';
import { rowSanitizer } from '../storage/row-sanitize.js';
import { requestLog, type RequestLogRow } from '../storage/schema.js';
import { approxBytes } from './approx-bytes.js';
import { createBatchWriter, type BatchWriter } from './batch-writer.js';
import { openWriterSpool } from './spool.js';

export type RequestLogWriter = BatchWriter<RequestLogRow>;

const clean = rowSanitizer<RequestLogRow>(requestLog, { longText: ['routeReason'] });

export async function createRequestLogWriter(config: GatewayConfig, repo: Pick<Repo, 'insertRequestLogs' | 'insertDeadLetter'>, log: Logger): Promise<RequestLogWriter> {
  const o = config.requestLog;
  const spool = await openWriterSpool<RequestLogRow>('request-log', { ...o, dataDir: config.storage.dataDir }, log);
  const writer = createBatchWriter<RequestLogRow>(
    {
      write: (rows) => repo.insertRequestLogs(rows),
      isRefusal,
      reject: async (row, reason) => (await repo.insertDeadLetter('request_log', reason, row), null),
    },
    log,
    // Rows are small and bounded (row-sanitize caps long text), but 100,000 of them are not: weigh them too.
    { name: 'request log', ...o, weigh: (row) => approxBytes(row, o.maxQueueBytes) },
    spool,
  );
  return { ...writer, write: (rows) => writer.write(rows.map(clean)) };
}

/** The writer when `requestLog.enabled` is false: drops every row. */
export function disabledRequestLog(): RequestLogWriter {
  let dropped = 0;
  return {
    write: (rows) => ((dropped += rows.length), false),
    flush: async () => {},
    close: async () => {},
    stats: () => ({ mode: 'memory', queued: 0, queuedBytes: 0, spooled: 0, spoolBytes: 0, written: 0, flushes: 0, failures: 0, dropped, deadLettered: 0, lastFlushMs: 0, lastError: null, accepting: true }),
  };
}
