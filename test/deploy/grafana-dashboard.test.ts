// deploy/grafana/gateway-dashboard.json: every metric it queries is one the gateway exports, and it covers what operators need.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics, type MetricsSources } from '../../src/tracing/metrics.js';
import { repoRoot } from '../../deploy/scripts/render-k8s.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource: { uid: string } }>;
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana/gateway-dashboard.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Series the cache work adds (README "Caching"); allowed here even where this checkout does not export them yet. */
const CACHE_METRICS = ['gateway_cache_requests_total', 'gateway_cache_saved_dollars_total', 'gateway_cache_entries', 'gateway_cache_bytes'];

/** The names a gateway's /metrics can carry: a registry with every scrape-time source and Node's process metrics. */
async function exportedNames(): Promise<Set<string>> {
  const writer = () => ({ queued: 0, queuedBytes: 0, spooled: 0, spoolBytes: 0, written: 0, flushes: 0, failures: 0, dropped: 0, deadLettered: 0, lastFlushMs: 0, accepting: true });
  const sources: MetricsSources = {
    inflight: () => 0,
    mcpUpstreams: () => ({ fs: { state: 'ready' } }),
    breakers: () => [],
    audit: writer,
    requestLog: writer,
    budgetSpend: writer,
  };
  // Set apart from the literal so this compiles whether or not this checkout's MetricsSources has the cache yet.
  Object.assign(sources, { cache: async () => ({ entries: 0, bytes: 0 }) });
  const text = await createMetrics({ processMetrics: true, sources }).render();
  // The declared families, read from their TYPE lines (values of fresh gauges may be NaN, which no test cares about here).
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram' || type === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
  }
  return names;
}

describe('Grafana dashboard', () => {
  it('queries only metrics the gateway exports', async () => {
    const exported = await exportedNames();
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:gateway|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(30);
    const unknown = [...used].filter((n) => !exported.has(n) && !CACHE_METRICS.includes(n));
    expect(unknown).toEqual([]);
  });

  it('covers traffic, latency, cost, tokens, budgets, cache, MCP, breakers, writers and the process', () => {
    const all = exprs.join('\n');
    for (const m of [
      'gateway_http_requests_total', 'gateway_llm_request_duration_seconds_bucket', 'gateway_llm_overhead_duration_seconds_bucket',
      'gateway_llm_cost_dollars_total', 'gateway_llm_tokens_total', 'gateway_policy_denials_total', 'gateway_budget_overrun_total',
      ...CACHE_METRICS, 'gateway_tool_calls_total', 'gateway_tool_call_duration_seconds_bucket', 'gateway_mcp_upstream_state',
      'gateway_route_breaker_state', 'gateway_inflight_requests', 'process_resident_memory_bytes',
    ]) expect(all, m).toContain(m);
    for (const writer of ['audit', 'request_log', 'budget_spend']) {
      for (const suffix of ['queue_depth', 'queue_bytes', 'spool_bytes', 'accepting', 'dropped_events_total', 'dead_letter_total', 'flush_failures_total']) {
        expect(all, `gateway_${writer}_${suffix}`).toContain(`gateway_${writer}_${suffix}`);
      }
    }
    for (const q of [0.5, 0.95, 0.99]) expect(all).toContain(`histogram_quantile(${q}, sum by (le) (rate(gateway_llm_request_duration_seconds_bucket`);
    expect(all).toMatch(/sum by \(model\) \(rate\(gateway_llm_cost_dollars_total\{[^}]*\}\[\$__rate_interval\]\)\) \* 3600/);
    expect(all).toMatch(/sum by \(key\) \(rate\(gateway_llm_cost_dollars_total/);
  });

  it('is well formed: one data source variable, unique ids, every panel on the 24-column grid', () => {
    expect(dashboard.uid).toBe('mcp-agent-gateway');
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.datasource.uid).toBe('${datasource}');
        expect(t.expr, p.title).toContain('instance=~"$instance"');
        // Balanced brackets: a typo here is a panel that silently shows "no data".
        for (const [o, c] of [['(', ')'], ['{', '}'], ['[', ']']] as const) expect(t.expr.split(o).length, `${p.title}: ${o}${c}`).toBe(t.expr.split(c).length);
      }
    }
    // No two panels overlap.
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
