// The rehearsal's verdicts, computed from what the clients saw and what the gateway reports: one line each, with the figures behind it.
import { BURST_COST_MICROS } from './config.js';
import type { Outcome } from './ledger.js';
import type { RehearsalResult, RestartReport } from './rehearsal.js';

export interface Check {
  id: 'mcp-session' | 'audit-complete' | 'audit-seq-order' | 'audit-verifies' | 'budgets' | 'rate-limits' | 'no-loss' | 'restarts';
  title: string;
  ok: boolean;
  detail: string;
}

const who = (o: Pick<Outcome, 'replica' | 'generation'>) => `${o.replica ?? '?'}#${o.generation ?? '?'}`;
const okCall = (o: Outcome) => o.status === 200 && o.error === null;
/** An error as one short line: HAProxy's own error pages are HTML. */
const oneLine = (s: string | null) => (s ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);

/** A final answer the client expected: refusals only where a burst asks for them, never a 5xx or no answer. */
export function expectedAnswer(o: Outcome): boolean {
  if (o.status === null || o.status >= 500) return false;
  if (o.kind === 'budget') return o.status === 200 || (o.status === 429 && o.code === 'insufficient_quota');
  if (o.kind === 'rate') return o.status === 200 || (o.status === 429 && o.code === 'rate_limit_exceeded');
  if (o.kind === 'mcp-http') return o.status >= 200 && o.status < 300;
  return okCall(o);
}

export function evaluate(r: RehearsalResult): Check[] {
  const checks: Check[] = [];
  const tools = r.outcomes.filter((o) => o.kind === 'agent-tool');

  const ids = r.mcpSessionIds.filter(Boolean);
  // After each restart the session answered on another replica and on the restarted replica's new process.
  const walksOk = r.restarts.map((x) => x.walk.every(okCall) && x.walk.some((w) => w.replica !== x.name) && x.walk.some((w) => w.replica === x.name && (w.generation ?? 0) > 1));
  const processes = new Set(tools.filter(okCall).map(who));
  checks.push({
    id: 'mcp-session',
    title: 'MCP session survives the replica change',
    ok: ids.length === 1 && tools.length > 0 && tools.every(okCall) && walksOk.length > 0 && walksOk.every(Boolean),
    detail:
      `${ids.length} MCP session id, created on ${who(r.initializedOn)} (restarted first); ${tools.filter(okCall).length}/${tools.length} tool calls ok, answered by ${processes.size} processes; ` +
      `after ${walksOk.filter(Boolean).length}/${walksOk.length} restarts it answered on another replica and on the restarted one`,
  });

  // Two readings of "in order": the admin timeline's order (call order) and the events' own times (when each call started).
  const calls = r.trail.events.filter((e) => e.kind === 'model_call' || e.kind === 'tool_call');
  const want = r.expected.map((e) => `${e.kind}:${e.label}`);
  const byApi = calls.map((e) => `${e.kind}:${e.label}`);
  const byTime = [...calls].sort((a, b) => a.time.localeCompare(b.time) || a.seq - b.seq).map((e) => `${e.kind}:${e.label}`);
  const complete = r.trail.status === 200 && byApi.length === want.length && [...byApi].sort().join() === [...want].sort().join();
  const diff = (got: string[]) => want.findIndex((w, i) => got[i] !== w);
  const swapped = (got: string[]) => got.filter((g, i) => g !== want[i]).length;
  checks.push({
    id: 'audit-complete',
    title: 'audit timeline complete, in call order by time',
    ok: complete && diff(byTime) === -1,
    detail: `${calls.length} of ${want.length} calls in the timeline (${r.trail.events.length} events in all), each once: ${complete}; ordered by event time: ${diff(byTime) === -1 ? 'call order' : `differs from #${diff(byTime) + 1}`}`,
  });
  const d = diff(byApi);
  checks.push({
    id: 'audit-seq-order',
    title: 'the admin timeline lists the calls in call order',
    ok: complete && d === -1,
    detail: d === -1 ? `the ${byApi.length} calls come in call order` : `${swapped(byApi)} of ${want.length} calls out of call order; first at #${d + 1}: ${byApi.slice(Math.max(0, d - 1), d + 2).join(' ')}`,
  });

  const v = r.trail.verify;
  const va = r.trail.verifyAll;
  checks.push({
    id: 'audit-verifies',
    title: 'audit chain verifies',
    ok: v?.ok === true && v.checked === r.trail.events.length && va?.ok === true,
    detail: `session: ok=${v?.ok} checked=${v?.checked} of ${r.trail.events.length}; all sessions: ok=${va?.ok} (${va?.sessions ?? '?'} sessions${va?.warnings?.length ? `; ${va.warnings.join('; ')}` : ''})`,
  });

  // Per restart: the burst's served and refused counts must be exactly what one shared budget / limit allows.
  const rounds = r.restarts.map((x, i) => {
    const bk = r.limits.bursts[i]!;
    const rk = r.limits.rates[i]!;
    const spends = r.spends.filter((s) => s.key === bk.id);
    const spentOk = spends.length === r.plan.replicas && spends.every((s) => s.spentUsd !== null && Math.round(s.spentUsd * 1e6) === bk.allowed * BURST_COST_MICROS && s.reservedUsd === 0);
    return {
      budgetOk: x.budget.served === bk.allowed && x.budget.refused === x.budget.calls - bk.allowed && x.budget.other.length === 0 && spentOk,
      spent: [...new Set(spends.map((s) => s.spentUsd))].join(' / '),
      rateOk: x.rate.served === rk.perMinute && x.rate.refused === x.rate.calls - rk.perMinute && x.rate.other.length === 0,
    };
  });
  const list = (f: (x: RestartReport) => number | string) => r.restarts.map(f).join('/');
  const bk0 = r.limits.bursts[0];
  const rk0 = r.limits.rates[0];
  checks.push({
    id: 'budgets',
    title: 'budgets hold across replicas',
    ok: rounds.length > 0 && rounds.every((x) => x.budgetOk),
    detail:
      `${r.restarts.length} burst(s) of ${list((x) => x.budget.calls)} calls on a $${bk0?.limitUsd} budget that fits ${bk0?.allowed}: served ${list((x) => x.budget.served)}, ` +
      `refused ${list((x) => x.budget.refused)} (429 insufficient_quota); spend every replica reports: $${rounds.map((x) => x.spent).join(', $')}`,
  });
  checks.push({
    id: 'rate-limits',
    title: 'rate limits are global',
    ok: rounds.length > 0 && rounds.every((x) => x.rateOk),
    detail:
      `${r.restarts.length} burst(s) of ${list((x) => x.rate.calls)} calls at ${rk0?.perMinute}/min: served ${list((x) => x.rate.served)}, refused ${list((x) => x.rate.refused)} (429 rate_limit_exceeded); ` +
      `a limit per replica would have served ${list((x) => Math.min(x.rate.calls, (rk0?.perMinute ?? 0) * r.plan.replicas))}`,
  });

  const bad = r.outcomes.filter((o) => !expectedAnswer(o));
  const fivexx = r.outcomes.filter((o) => o.status !== null && o.status >= 500).length;
  const noAnswer = r.outcomes.filter((o) => o.status === null).length;
  const drains = r.outcomes.filter((o) => o.kind === 'drain');
  checks.push({
    id: 'no-loss',
    title: 'no request lost during the rolling restart',
    ok: bad.length === 0 && r.outcomes.length > 0,
    detail:
      `${r.outcomes.length} requests, ${bad.length} unexpected (${fivexx} 5xx, ${noAnswer} without an answer); ${drains.filter(okCall).length}/${drains.length} slow calls in flight at SIGTERM finished; ` +
      `HAProxy retried ${r.haproxy.retries}, redispatched ${r.haproxy.redispatches}` +
      (bad.length ? `; e.g. ${bad.slice(0, 3).map((b) => `${b.kind} ${b.label} → ${b.status ?? 'no answer'} ${b.code ?? ''} ${oneLine(b.error)}`.trim()).join(' | ')}` : ''),
  });

  // A replica HAProxy took out while nobody was restarting it: not a loss (requests are redispatched) but worth seeing.
  const restarted = new Set(r.restarts.map((x) => x.name));
  const flaps = r.haproxy.events.filter((e) => / is DOWN/.test(e) && !restarted.has(e.split(' ')[0]!));
  const badRestarts = r.restarts.filter((x) => x.code !== 0 || x.cutShort || !x.downSeen);
  checks.push({
    id: 'restarts',
    title: 'replicas drain and come back',
    ok: r.restarts.length > 0 && badRestarts.length === 0,
    detail:
      `${r.restarts.length - badRestarts.length}/${r.restarts.length} exited 0 with their drain complete (in flight at SIGTERM: ${list((x) => x.inflightAtSignal ?? '?')}), seen DOWN then UP by HAProxy` +
      (badRestarts.length ? `; not: ${badRestarts.map((x) => `${x.name} exit ${x.code}${x.cutShort ? ' cut short' : ''}${x.downSeen ? '' : ' never DOWN'}`).join(', ')}` : '') +
      (flaps.length ? `; ${flaps.length} DOWN of a replica nobody restarted: ${flaps.join(' | ')}` : ''),
  });
  return checks;
}
