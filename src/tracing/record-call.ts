// Writes one finished call to every trail: the request-log row, the audit events and the metrics, all from its CallRecord.
import type { AuditTrail } from './audit.js';
import { llmCallEvent, requestLogRow, toolCallEvent } from './call-projections.js';
import type { CallRecord } from './call-record.js';
import type { Metrics } from './metrics.js';
import type { RequestLogWriter } from './request-log.js';

export interface Trails {
  requestLog: Pick<RequestLogWriter, 'write'>;
  audit: Pick<AuditTrail, 'recordCall'>;
  metrics: Pick<Metrics, 'llmCall' | 'toolCall'>;
}

export function recordCall(t: Trails, rec: CallRecord): void {
  t.requestLog.write([requestLogRow(rec)]);
  t.audit.recordCall(rec);
  if (rec.mcp) t.metrics.toolCall(toolCallEvent(rec));
  else t.metrics.llmCall(llmCallEvent(rec));
}
