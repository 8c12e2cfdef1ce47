// The audit trail the brokers call: recordCall turns one finished call into its decision rows and call row, queued for the writer.
import { randomUUID } from 'node:crypto';
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Decision } from '../policy/types.js';
import type { AuditKind, CallRecord } from './call-record.js';
import type { AuditRepo } from '../storage/audit-repo.js';
import { rowSanitizer } from '../storage/row-sanitize.js';
import { auditEvents } from '../storage/schema.js';
import { createAuditWriter, type AuditSink, type AuditWriter, type AuditWriterStats, type PendingEvent } from './audit-writer.js';
import { openWriterSpool } from './spool.js';

export type PayloadCapture = 'full' | 'redacted' | 'metadata-only';

export type TraceContextGetter = () => { traceId: string; spanId: string } | null | undefined;

export interface AuditTrail {
  recordCall(rec: CallRecord): void;
  /** Throws a 503 GatewayError when `audit.failClosed` is on and the trail is dropping events. */
  guard(): void;
  accepting(): boolean;
  /** The telemetry layer supplies the active span's ids, read at recordCall time. */
  useTraceContext(getter: TraceContextGetter): void;
  prune(now?: Date): Promise<{ sessions: number; cut: number }>;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): AuditWriterStats & { enabled: boolean };
}

/** Event fields are cleaned when recorded, before they are hashed, so the stored row is the hashed row. */
const cleanEvent = rowSanitizer<PendingEvent['event']>(auditEvents, { longText: ['reason'], skip: ['payload'] });

const OPERATION: Record<AuditKind, string> = { model_call: 'chat', tool_call: 'execute_tool', resource_read: 'resources/read', prompt_get: 'prompts/get' };

function sumFindings(decisions: Decision[]): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const d of decisions) for (const [k, v] of Object.entries(d.findings ?? {})) out[k] = (out[k] ?? 0) + v;
  return Object.keys(out).length ? out : null;
}

/** The rows of one call: a policy_decision row per non-allowed decision, then the call row (which carries the totals). */
export function eventsOf(rec: CallRecord, capture: PayloadCapture, trace: TraceContextGetter | null): PendingEvent[] {
  const decisions = rec.decisions ?? [];
  const time = (rec.time ?? new Date(Date.now() - rec.latencyMs)).toISOString();
  const ids = rec.traceId !== undefined ? { traceId: rec.traceId ?? null, spanId: rec.spanId ?? null } : (trace?.() ?? { traceId: null, spanId: null });
  // A fresh literal per row, extended with Object.assign: Node 20's V8 takes tens of µs to add properties to a `{ ...spread }` copy.
  const common = () => ({
    keyId: rec.principal.keyId ?? '',
    sessionId: rec.sessionId,
    time,
    requestId: rec.requestId,
    teamId: rec.principal.teamId ?? null,
    traceId: ids.traceId,
    spanId: ids.spanId,
    operation: rec.operation ?? OPERATION[rec.kind],
    door: rec.door ?? null,
    provider: rec.model?.provider ?? null,
    requestModel: rec.model?.requested ?? null,
    toolName: rec.mcp?.tool ?? null,
    promptName: rec.mcp?.prompt ?? null,
    mcpMethod: rec.mcp?.method ?? null,
    mcpSessionId: rec.mcpSessionId ?? null,
    resourceUri: rec.mcp?.uri ?? null,
    mcpServer: rec.mcp?.server ?? null,
  });
  const session = { teamId: rec.principal.teamId ?? null, clientName: rec.client?.name ?? null, clientVersion: rec.client?.version ?? null, userAgent: rec.client?.userAgent ?? null };
  const none = { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0, denials: 0, redactions: 0 };
  const flagged = decisions.filter((d) => d.decision !== 'allowed');
  const out: PendingEvent[] = flagged.map((d) => ({
    event: cleanEvent(Object.assign(common(), { eventId: randomUUID(), kind: 'policy_decision', step: d.step, decision: d.decision, rule: d.rule ?? d.step, reason: d.reason ?? null, findings: d.findings ?? null })),
    payload: null,
    session,
    delta: none,
  }));
  const denial = flagged.find((d) => d.decision === 'denied');
  const overall = denial ?? flagged.find((d) => d.decision === 'redacted') ?? flagged.find((d) => d.decision === 'flagged');
  const payload =
    capture === 'metadata-only' || (rec.request === undefined && rec.response === undefined)
      ? null
      : { request: rec.request ?? null, response: rec.response ?? null, ...(capture === 'full' && rec.originalRequest !== undefined ? { original: rec.originalRequest } : {}) };
  const tokensIn = rec.usage?.inputTokens ?? null;
  const tokensOut = rec.usage?.outputTokens ?? null;
  out.push({
    event: cleanEvent(
      Object.assign(common(), {
        eventId: randomUUID(),
        kind: rec.kind,
        responseModel: rec.model?.served ?? null,
        inputTokens: tokensIn,
        outputTokens: tokensOut,
        stream: rec.stream ?? null,
        step: overall?.step ?? null,
        decision: overall?.decision ?? 'allowed',
        rule: overall ? (overall.rule ?? overall.step) : null,
        reason: overall?.reason ?? null,
        status: rec.status,
        errorCode: rec.errorCode ?? null,
        latencyMs: Math.max(0, Math.round(rec.latencyMs)),
        costMicros: rec.costMicros ?? null,
        findings: sumFindings(decisions),
        ...(rec.cache ? { cache: rec.cache.status, cacheSimilarity: rec.cache.similarity ?? null, savedCostMicros: rec.cache.savedCostMicros ?? null } : {}),
      }),
    ),
    payload,
    session,
    delta: {
      calls: 1,
      inputTokens: tokensIn ?? 0,
      outputTokens: tokensOut ?? 0,
      costMicros: rec.costMicros ?? 0,
      denials: denial ? 1 : 0,
      redactions: flagged.filter((d) => d.decision === 'redacted').length,
    },
  });
  return out;
}

export type AuditConfig = GatewayConfig['audit'];

export async function createAuditTrail(config: GatewayConfig, repo: AuditSink & Pick<AuditRepo, 'pruneAudit'>, log: Logger): Promise<AuditTrail> {
  const a = config.audit;
  const spool = await openWriterSpool<PendingEvent>('audit', { ...a, dataDir: config.storage.dataDir }, log);
  const writer: AuditWriter = createAuditWriter(repo, log, a, spool);
  let trace: TraceContextGetter | null = null;
  const prune = async (now = new Date()) => {
    if (a.retentionDays <= 0) return { sessions: 0, cut: 0 };
    const r = await repo.pruneAudit(new Date(now.getTime() - a.retentionDays * 86_400_000), 500);
    if (r.sessions || r.cut) log.info(r, 'audit: retention pruned old sessions');
    return r;
  };
  const retention = a.retentionDays > 0 ? setInterval(() => void prune().catch((err: Error) => log.warn({ err: err.message }, 'audit: retention failed')), a.retentionIntervalMs) : null;
  retention?.unref();
  return {
    recordCall(rec) {
      if (!a.enabled) return;
      writer.write(eventsOf(rec, a.payloads, trace));
    },
    guard() {
      if (a.enabled && a.failClosed && !writer.stats().accepting) {
        throw new GatewayError('internal_error', 'The audit trail cannot record calls right now; refusing new calls (audit.failClosed).', { status: 503, headers: { 'retry-after': '5' } });
      }
    },
    accepting: () => writer.stats().accepting,
    useTraceContext(getter) {
      trace = getter;
    },
    prune,
    flush: () => writer.flush(),
    async close() {
      if (retention) clearInterval(retention);
      await writer.close();
    },
    stats: () => ({ ...writer.stats(), enabled: a.enabled }),
  };
}
