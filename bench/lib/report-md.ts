// Renders bench results as the Markdown of bench/RESULTS.md.
import type { BenchResults, LegResults } from './report.js';
import { S } from './settings.js';
import type { Summary } from './stats.js';

const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const sign = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

function chatTable(r: BenchResults): string[] {
  const out = [row(['rate (rps)', 'leg', 'achieved rps', 'p50', 'p90', 'p99', 'max', 'added p50', 'added p90', 'added p99', 'added max', 'non-2xx / errors'])];
  out.push(row(Array(12).fill('---')));
  const rates = new Set<number>(S.rates);
  for (const l of r.legs) for (const k of Object.keys(l.ramp ?? {})) rates.add(+k);
  for (const rate of [...rates].sort((a, b) => a - b)) {
    for (const leg of r.legs) {
      const x = leg.rates[rate] ?? leg.ramp?.[rate]?.leg;
      const base = leg.ramp?.[rate] ? ' (ramp)' : '';
      if (!x) continue;
      const o = r.analysis.overhead[leg.name]?.[rate];
      out.push(row([rate, leg.name + base, x.rps, f(x.latency.p50), f(x.latency.p90), f(x.latency.p99), f(x.latency.max), sign(o?.p50), sign(o?.p90), sign(o?.p99), sign(o?.max), `${x.non2xx} / ${x.errors}`]));
    }
  }
  return out;
}

const pcts = (s: Summary | undefined) => (s ? `${f(s.p50)} / ${f(s.p90)} / ${f(s.p99)}` : '–');

function streamTable(r: BenchResults): string[] {
  const out = [row(['leg', 'ok / streams', 'usage chunk / [DONE]', 'TTFT p50/p90/p99', 'added TTFT p50/p99', 'inter-chunk p50/p90/p99', 'added gap p50/p99'])];
  out.push(row(Array(7).fill('---')));
  for (const l of r.legs) {
    const s = l.streaming;
    if (!s) continue;
    const a = r.analysis.streamingAdded[l.name];
    out.push(row([l.name + (s.firstFailure ? ` (failed: ${s.firstFailure.replace(/\|/g, '/')})` : ''), `${s.ok} / ${s.streams}`, `${s.withUsage} / ${s.withDone}`, pcts(s.ttft), a ? `${sign(a.ttft.p50)} / ${sign(a.ttft.p99)}` : '–', pcts(s.gap), a ? `${sign(a.gap.p50)} / ${sign(a.gap.p99)}` : '–']));
  }
  return out;
}

function mcpTable(r: BenchResults): string[] {
  const out = [row(['leg', 'tools/call p50/p90/p99 (ms)', 'added p50/p90/p99', 'errors / calls']), row(Array(4).fill('---'))];
  for (const l of r.legs) {
    if (!l.mcp) continue;
    if ('skipped' in l.mcp) {
      out.push(row([l.name, `skipped: ${l.mcp.skipped.replace(/\|/g, '/').replace(/\n/g, ' ')}`, '–', '–']));
      continue;
    }
    const a = r.analysis.mcpAdded[l.name];
    out.push(row([l.name, pcts(l.mcp.latency), a ? `${sign(a.p50)} / ${sign(a.p90)} / ${sign(a.p99)}` : '–', `${l.mcp.errors} / ${l.mcp.calls}`]));
  }
  return out;
}

function memTable(legs: LegResults[]): string[] {
  const out = [row(['leg', 'idle', 'after warm-up', 'under load mean / max', 'after load', 'growth (MB/min, sustained run after its warm-up window)']), row(Array(6).fill('---'))];
  for (const l of legs) {
    const m = l.memory;
    if (!m) continue;
    const growth = m.growthMbPerMin === null ? '–' : `${f(m.growthMbPerMin, 2)} (after ${m.slopeFromS} s)`;
    out.push(row([l.name + (l.sustained ? ' (sustained run)' : ' (hey + matrix)'), f(m.idleMb, 1), f(m.afterWarmupMb, 1), `${f(m.underLoadMeanMb, 1)} / ${f(m.underLoadMaxMb, 1)}`, f(m.afterLoadMb, 1), growth]));
  }
  return out;
}

const verdict = (p: boolean | null) => (p === null ? 'n/a' : p ? '**pass**' : '**FAIL**');

function targetsTable(r: BenchResults): string[] {
  const t = r.analysis.targets;
  const passed = t.filter((x) => x.pass === true).length;
  return [
    `**${passed} of ${t.length} targets pass** (${t.filter((x) => x.pass === false).length} fail, ${t.filter((x) => x.pass === null).length} not measured).`,
    '',
    row(['target', 'measured', 'result']),
    row(Array(3).fill('---')),
    ...t.map((x) => row([x.target, x.measured.replace(/\|/g, '/'), verdict(x.pass)])),
  ];
}

function heyTable(r: BenchResults): string[] {
  const out = [
    row(['leg', 'closed-loop rps', 'p50', 'p99', 'non-2xx / errors', '× Portkey', '× floor', 'sequential p50', 'p99', 'added p50', 'added p99', 'non-2xx / errors']),
    row(Array(12).fill('---')),
  ];
  for (const l of r.legs) {
    const c = l.closedLoop;
    const q = l.sequential;
    if (!c && !q) continue;
    const ratio = r.analysis.closedLoop[l.name];
    const add = r.analysis.sequentialAdded[l.name];
    out.push(
      row([
        l.name,
        c ? c.rps.toFixed(0) : '–',
        f(c?.p50),
        f(c?.p99),
        c ? `${c.non2xx} / ${c.errors}` : '–',
        ratio?.vsPortkey != null ? `${f(ratio.vsPortkey)}×` : '–',
        ratio?.vsFloor != null ? `${f(ratio.vsFloor)}×` : '–',
        f(q?.p50),
        f(q?.p99),
        sign(add?.p50),
        sign(add?.p99),
        q ? `${q.non2xx} / ${q.errors}` : '–',
      ]),
    );
  }
  return out;
}

export function renderMarkdown(r: BenchResults, profileNotes: string): string {
  const m = r.meta as Record<string, any>;
  const mc = m.machine;
  const a = r.analysis;
  const on = r.legs.find((l) => l.name === 'gateway-on');
  const embedded = r.legs.find((l) => l.embedded)?.embedded;
  const lines = [
    '# Gateway benchmark results',
    '',
    '<!-- Generated by `npm run bench` (bench/run.ts); the profile section comes from bench/PROFILE.md. -->',
    '',
    `- **Command**: \`${m.command}\` · **date** ${m.date} · took ${m.durationS} s`,
    '',
    '## Targets (issue #13; all legs from this one run)',
    '',
    ...targetsTable(r),
    '',
    '## Setup',
    '',
    `- **Machine**: ${mc.cores} cores, ${mc.cpuModel}, ${mc.memGb} GB, Node ${mc.node}, ${mc.os}; load average at start ${mc.loadavgStart.join(' ')}, at end ${mc.loadavgEnd.join(' ')}`,
    `- **Pinning**: ${m.pinning}. **Gateway runner**: ${m.settings.runner === 'compiled' ? 'compiled (`tsc` → `node main.js`)' : '`node --import tsx src/main.ts`'}`,
    `- **Load generator**: ${m.loadGenerator}; ${m.settings.rateS} s per rate after a ${m.settings.warmS} s warm-up at ${m.settings.warmRate} rps; upstream mock latency ${m.settings.upstreamMs} ms`,
    `- **hey**: ${m.heyCommand}`,
    `- **Mock upstream**: bench/servers/mock-upstream.ts (raw node:http); streams: TTFT ${S.stream.ttftMs} ms, ${S.stream.chunks} chunks every ${S.stream.chunkMs} ms`,
    `- **Redis** (gateway-on): ${m.settings.redisUrl ? 'on' : 'off (BENCH_REDIS=0)'}; **database**: ${m.settings.databaseUrl}`,
    '',
    ...r.legs.map((l) => `- \`${l.name}\`: ${l.description}${l.notes.length ? ` (${l.notes.join('; ')})` : ''}`),
    '',
    `## Closed loop (\`hey -c ${S.hey.concurrency} -z ${S.hey.durationS}s\`) and sequential (\`hey -c 1 -n ${S.hey.sequentialN}\`), ms`,
    '',
    'Same POST body as the open loop; hey pinned on the client CPU. "added" = leg − direct. hey prints latencies in seconds with four decimals: 0.1 ms resolution.',
    '',
    ...heyTable(r),
    '',
    '## Chat completions at fixed arrival rates (client latency, ms)',
    '',
    '"added" = leg − direct at the same percentile and rate. A difference of percentiles is not the percentile of the differences: read it as "how much the distribution shifts".',
    '',
    ...chatTable(r),
    '',
    `**Highest rate with p99 overhead < ${S.p99BudgetMs} ms** (and the rate sustained without errors): ` +
      Object.entries(a.maxRateUnderBudget).map(([k, v]) => `${k} ${v ?? 'none'}`).join(' · '),
    '',
    '**Peer ratio** (Portkey added ÷ gateway-on added; above 1 means we add less): ' +
      Object.entries(a.peerRatio).map(([rate, x]) => `${rate} rps: p50 ${f(x.p50)}×, p90 ${f(x.p90)}×, p99 ${f(x.p99)}×`).join(' · '),
    '',
    `## Streaming (${S.stream.rate} streams/s for ${S.stream.durationS} s, ms)`,
    '',
    ...streamTable(r),
    '',
    '## MCP tools/call (sequential, one SDK client, ms)',
    '',
    ...mcpTable(r),
    '',
    '## Memory (RSS, MB)',
    '',
    ...(on?.sustainedBasis && on.sustained ? [`gateway-on sustained run: ${on.sustained.rate} rps (${on.sustainedBasis}) for ${S.sustain.durationS} s, ${on.sustained.rps} achieved, ${on.sustained.non2xx} non-2xx / ${on.sustained.errors} errors; RSS sampled each second.`, ''] : []),
    ...memTable(r.legs),
    '',
    ...(embedded
      ? [`**embedded-default** (PGlite, defaults): idle ${f(embedded.idleMb, 1)} MB ${embedded.idleAfterS} s after ready; ${f(embedded.afterRequestsMb, 1)} MB after ${embedded.requests} requests (${embedded.non2xx} non-2xx, ${embedded.errors} errors).`, '']
      : []),
    '## Row parity (request_log rows of the gateway-on key vs requests it answered)',
    '',
    ...r.legs.filter((l) => l.parity).map((l) => `- ${l.name}: ${l.parity!.rows} rows, ${l.parity!.answered} answered (${l.parity!.clientErrors} client-side errors), exit code ${l.parity!.exitCode} → ${l.parity!.equal ? '**equal**' : l.parity!.consistent ? '**consistent** (requests the client gave up on were still served and logged)' : '**MISMATCH**'}`),
    '',
    ...(m.notes.length ? ['## Run notes', '', ...m.notes.map((n: string) => `- ${n}`), ''] : []),
    profileNotes.trim(),
    '',
  ];
  return lines.join('\n');
}
