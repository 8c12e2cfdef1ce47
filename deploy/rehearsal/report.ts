// The rehearsal's summary as plain-text tables: the verdicts, then the traffic by kind, answer and replica.
import type { Check } from './checks.js';
import type { Outcome } from './ledger.js';
import type { RehearsalResult } from './rehearsal.js';

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function answer(o: Outcome): string {
  if (o.status === null) return 'no answer';
  return o.code ? `${o.status} ${o.code}` : String(o.status);
}

const spread = (by: Record<string, number>) => Object.entries(by).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');

function countBy<T>(items: T[], key: (t: T) => string): string {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`).join(', ');
}

export function formatSummary(r: RehearsalResult, checks: Check[]): string {
  const p = r.plan;
  const out: string[] = [];
  out.push(
    `Multi-replica rehearsal: ${p.replicas} replicas (${r.runner}) behind HAProxy, ${r.restarts.length} rolling restart(s), ${r.outcomes.length} requests, ${(r.durationMs / 1000).toFixed(1)} s`,
    `agent session ${r.sessionId}: ${r.expected.length} calls (openai SDK + MCP SDK Client); bursts of ${p.burstCalls} (budget) and ${p.rateCalls} (rate limit) per restart`,
    '',
    table(['', 'check', 'figures'], checks.map((c) => [c.ok ? 'PASS' : 'FAIL', c.title, c.detail])),
    '',
  );
  out.push(
    table(
      ['restart', 'drain', 'back UP', 'budget burst: 200 / 429, by replica', 'rate burst: 200 / 429, by replica', 'MCP session after'],
      r.restarts.map((x) => [
        `${x.round}: ${x.name}`,
        `exit ${x.code}, ${x.drainMs} ms, ${x.inflightAtSignal ?? '?'} in flight`,
        `${x.restartMs} ms`,
        `${x.budget.served} / ${x.budget.refused}, ${spread(x.budget.byReplica)}`,
        `${x.rate.served} / ${x.rate.refused}, ${spread(x.rate.byReplica)}`,
        `${x.walk.filter((w) => w.status === 200 && !w.error).length}/${x.walk.length} ok on ${[...new Set(x.walk.map((w) => `${w.replica}#${w.generation}`))].join(' ')}`,
      ]),
    ),
    '',
  );
  const kinds = ['agent-chat', 'agent-tool', 'mcp-http', 'drain', 'budget', 'rate'] as const;
  const rows = kinds.flatMap((k) => {
    const os = r.outcomes.filter((o) => o.kind === k);
    if (!os.length) return [];
    return [[k, String(os.length), countBy(os, answer), countBy(os.filter((o) => o.replica), (o) => `${o.replica}#${o.generation ?? '?'}`)]];
  });
  out.push(table(['traffic', 'requests', 'answers', 'served by (replica#process)'], rows));
  out.push('', 'HAProxy health checks:', ...(r.haproxy.events.length ? r.haproxy.events.map((e) => `  ${e}`) : ['  (no state changes)']));
  return out.join('\n');
}
