// Gauges and counters read at scrape time: in-flight work, MCP upstream states, routing breakers, the batched writers' stats.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BatchWriterStats } from './batch-writer.js';

export type WriterStats = Pick<BatchWriterStats, 'queued' | 'queuedBytes' | 'spooled' | 'spoolBytes' | 'written' | 'flushes' | 'failures' | 'dropped' | 'deadLettered' | 'lastFlushMs' | 'accepting'>;

/** Read only when /metrics is scraped; each may be absent. */
export interface MetricsSources {
  inflight?(): number;
  /** The hub's upstream MCP servers and their state (idle, connecting, ready, down, closed). */
  mcpUpstreams?(): Record<string, { state: string }>;
  /** Routing targets (`provider/model`) and their breaker state (closed, open, half-open). */
  breakers?(): Iterable<{ key: string; breaker: { state(): string } }>;
  /** The batched writers' stats() (queue depth, flush latency, spooled, dropped and dead-lettered items). */
  audit?(): WriterStats | null;
  requestLog?(): WriterStats | null;
  /** The spend ledger's writer (settled budget spend to the database). */
  budgetSpend?(): WriterStats | null;
  /** The response cache's live entries and their bytes (a Redis round trip when the store is shared). */
  cache?(): Promise<{ entries: number; bytes: number }>;
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
  if (src.cache) {
    const read = src.cache;
    let last: Promise<{ entries: number; bytes: number }> | null = null;
    // One store read per scrape: the entries gauge starts it, the bytes gauge reuses it.
    new Gauge({ name: 'gateway_cache_entries', help: 'Live response-cache entries.', registers, async collect() { last = read(); this.set((await last).entries); } });
    new Gauge({ name: 'gateway_cache_bytes', help: 'Bytes the live response-cache entries hold.', registers, async collect() { this.set((await (last ?? read())).bytes); } });
  }
  if (src.audit) writerMetrics(reg, 'audit', 'Audit events', src.audit);
  if (src.requestLog) writerMetrics(reg, 'request_log', 'Request-log rows', src.requestLog);
  if (src.budgetSpend) writerMetrics(reg, 'budget_spend', 'Spend deltas', src.budgetSpend);
}

/** The same gauges and counters for each batched writer: `gateway_<name>_…`. */
function writerMetrics(reg: Registry, name: string, what: string, read: () => WriterStats | null): void {
  const registers = [reg];
  let last: WriterStats | null = null;
  // One read per scrape: the first collector refreshes, the rest reuse it.
  const g = (metric: string, help: string, pick: (s: WriterStats) => number, refresh = false) =>
    new Gauge({
      name: `gateway_${name}_${metric}`,
      help,
      registers,
      collect() {
        if (refresh) last = read();
        if (last) this.set(pick(last));
      },
    });
  g('queue_depth', `${what} queued in memory, not yet written.`, (s) => s.queued, true);
  g('queue_bytes', `What the ${what.toLowerCase()} queued in memory weigh (estimated; bounded by maxQueueBytes).`, (s) => s.queuedBytes);
  g('spooled_events', `${what} spooled to disk while the database is unreachable.`, (s) => s.spooled);
  g('spool_bytes', `Bytes in the ${name} spool.`, (s) => s.spoolBytes);
  g('last_flush_seconds', `Duration of the last ${name} flush.`, (s) => s.lastFlushMs / 1000);
  g('accepting', `1 while the ${name} writer accepts and writes, 0 while it drops or has been failing for its stuck limit.`, (s) => (s.accepting ? 1 : 0));
  mirroredCounter(reg, `gateway_${name}_written_events_total`, `${what} written to the database.`, () => last?.written);
  mirroredCounter(reg, `gateway_${name}_flushes_total`, `${name} flushes.`, () => last?.flushes);
  mirroredCounter(reg, `gateway_${name}_flush_failures_total`, `${name} flushes that failed (items kept and retried).`, () => last?.failures);
  mirroredCounter(reg, `gateway_${name}_dropped_events_total`, `${what} dropped (queue and spool full).`, () => last?.dropped);
  mirroredCounter(reg, `gateway_${name}_dead_letter_total`, `${what} the database refused even after sanitising, kept in dead_letters.`, () => last?.deadLettered);
}
