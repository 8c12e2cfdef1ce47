// Gauges and counters read at scrape time: in-flight work, MCP upstream states, routing breakers, the audit writer's stats.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditWriterStats } from './audit-writer.js';

export type AuditStats = Pick<AuditWriterStats, 'queued' | 'spooled' | 'spoolBytes' | 'written' | 'flushes' | 'failures' | 'dropped' | 'lastFlushMs' | 'accepting'> & {
  enabled?: boolean;
};

/** Read only when /metrics is scraped; each may be absent. */
export interface MetricsSources {
  inflight?(): number;
  /** The hub's upstream MCP servers and their state (idle, connecting, ready, down, closed). */
  mcpUpstreams?(): Record<string, { state: string }>;
  /** Routing targets (`provider/model`) and their breaker state (closed, open, half-open). */
  breakers?(): Iterable<{ key: string; breaker: { state(): string } }>;
  /** The audit trail's stats() (queue depth, flush latency, spooled and dropped events). */
  audit?(): AuditStats | null;
}

const MCP_STATES = ['idle', 'connecting', 'ready', 'down', 'closed'];
const BREAKER_STATES = ['closed', 'open', 'half-open'];
const MAX_BREAKERS = 1000;

/** A counter whose value comes from elsewhere (already cumulative), set at scrape time. */
function mirroredCounter(reg: Registry, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [reg],
    collect() {
      const v = read();
      if (v === undefined) return;
      this.reset();
      this.inc(v);
    },
  });
}

export function registerScrapeGauges(reg: Registry, src: MetricsSources): void {
  const registers = [reg];
  if (src.inflight) {
    const read = src.inflight;
    new Gauge({ name: 'gateway_inflight_requests', help: 'Requests and streams in progress.', registers, collect() { this.set(read()); } });
  }
  if (src.mcpUpstreams) {
    const read = src.mcpUpstreams;
    new Gauge({
      name: 'gateway_mcp_upstream_state',
      help: 'Upstream MCP server state (1 for the current state).',
      labelNames: ['server', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [server, h] of Object.entries(read())) for (const s of MCP_STATES) this.set({ server, state: s }, h.state === s ? 1 : 0);
      },
    });
  }
  if (src.breakers) {
    const read = src.breakers;
    new Gauge({
      name: 'gateway_route_breaker_state',
      help: 'Circuit breaker state per routing target (1 for the current state; first 1000 targets).',
      labelNames: ['target', 'state'],
      registers,
      collect() {
        this.reset();
        let n = 0;
        for (const t of read()) {
          if (n++ >= MAX_BREAKERS) break;
          const cur = t.breaker.state();
          for (const s of BREAKER_STATES) this.set({ target: t.key, state: s }, cur === s ? 1 : 0);
        }
      },
    });
  }
  if (src.audit) {
    const read = src.audit;
    let last: AuditStats | null = null;
    // One read per scrape: the first collector refreshes, the rest reuse it.
    const g = (name: string, help: string, pick: (s: AuditStats) => number, refresh = false) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          if (refresh) last = read();
          if (last) this.set(pick(last));
        },
      });
    g('gateway_audit_queue_depth', 'Audit events queued in memory, not yet written.', (s) => s.queued, true);
    g('gateway_audit_spooled_events', 'Audit events spooled to disk while the database is unreachable.', (s) => s.spooled);
    g('gateway_audit_spool_bytes', 'Bytes in the audit spool.', (s) => s.spoolBytes);
    g('gateway_audit_last_flush_seconds', 'Duration of the last audit flush.', (s) => s.lastFlushMs / 1000);
    g('gateway_audit_accepting', '1 while the audit trail accepts events, 0 while it drops them.', (s) => (s.accepting ? 1 : 0));
    mirroredCounter(reg, 'gateway_audit_written_events_total', 'Audit events written to the database.', () => last?.written);
    mirroredCounter(reg, 'gateway_audit_flushes_total', 'Audit flushes.', () => last?.flushes);
    mirroredCounter(reg, 'gateway_audit_flush_failures_total', 'Audit flushes that failed (events kept and retried).', () => last?.failures);
    mirroredCounter(reg, 'gateway_audit_dropped_events_total', 'Audit events dropped (queue and spool full).', () => last?.dropped);
  }
}
