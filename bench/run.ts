// `npm run bench`: direct, bare-Node floor, gateway (on/off), Portkey, embedded default — hey closed loop and sequential, fixed rates, streaming, MCP, memory, row parity → RESULTS.md + results.json.
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { postgresReachable } from './lib/db-count.js';
import { machineInfo } from './lib/machine.js';
import { hasHey } from './lib/hey.js';
import { directLeg, embeddedLeg, floorLeg, gatewayLeg, portkeyLeg, type LegContext } from './lib/legs.js';
import { hasTaskset, killAll, pinSelf } from './lib/proc.js';
import { analyse, writeReports, type BenchResults, type LegResults } from './lib/report.js';
import { buildGateway, CLIENT_CPU, startMock, TMP } from './lib/servers.js';
import { S } from './lib/settings.js';

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const hideCredentials = (url: string) => url.replace(/\/\/[^@/]*@/, '//…@');

/** The command as typed: BENCH_* settings from the environment, then `npm run bench` or the tsx call. */
function commandLine(): string {
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .map(([k, v]) => `${k}=${hideCredentials(v ?? '')}`);
  return [...env, process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'npx tsx bench/run.ts'].join(' ');
}

async function main(): Promise<void> {
  const started = new Date();
  mkdirSync(TMP, { recursive: true });
  const pinned = pinSelf(CLIENT_CPU);
  const runId = started.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
  const notes: string[] = [];
  const machineStart = machineInfo();
  if (S.runner === 'compiled') {
    const b = buildGateway();
    if (!b.ok) {
      notes.push(`build failed, ran the gateway with tsx instead: ${b.log.slice(0, 300)}`);
      S.runner = 'tsx';
    } else if (b.log) notes.push(`tsc reported (output still emitted): ${b.log.split('\n').slice(0, 3).join(' | ')}`);
  }
  const databaseUrl = (await postgresReachable(S.databaseUrl)) ? S.databaseUrl : undefined;
  const dataDir = resolve(TMP, `pglite-${runId}`);
  if (!databaseUrl) notes.push(`Postgres at ${S.databaseUrl} unreachable: PGlite in ${dataDir}`);
  log(`runner ${S.runner}, taskset ${hasTaskset} (self pinned: ${pinned}), db ${databaseUrl ? 'postgres' : 'pglite'}, quick ${S.quick}`);

  const mock = await startMock('mock-upstream', {
    MOCK_LATENCY_MS: String(S.upstreamMs),
    MOCK_TTFT_MS: String(S.stream.ttftMs),
    MOCK_CHUNKS: String(S.stream.chunks),
    MOCK_CHUNK_MS: String(S.stream.chunkMs),
  });
  const mcpMock = await startMock('mock-mcp');
  const legs: LegResults[] = [];
  try {
    const ctx = { mock, mcpMock, runId, databaseUrl, dataDir };
    for (const leg of [directLeg, floorLeg, (c: LegContext) => gatewayLeg('on', c), (c: LegContext) => gatewayLeg('off', c), portkeyLeg, embeddedLeg]) {
      legs.push(await leg(ctx));
      // A mock killed from outside turns every later figure into connection errors: stop rather than report them.
      for (const m of [mock, mcpMock]) if (m.proc.child.exitCode !== null || m.proc.child.signalCode !== null) throw new Error(`a mock server died during the run\n${m.proc.output()}`);
    }
  } finally {
    await mock.proc.stop();
    await mcpMock.proc.stop();
    if (!databaseUrl) rmSync(dataDir, { recursive: true, force: true });
  }
  const results: BenchResults = {
    meta: {
      date: started.toISOString(),
      command: commandLine(),
      durationS: Math.round((Date.now() - started.getTime()) / 1000),
      machine: { ...machineStart, loadavgEnd: machineInfo().loadavgStart },
      settings: { ...S, databaseUrl: databaseUrl ? hideCredentials(S.databaseUrl) : 'pglite', redisUrl: S.redisUrl && hideCredentials(S.redisUrl) },
      pinning: hasTaskset ? `gateway, floor and peer on CPU 0; mock upstreams, load generator and hey on CPU 1 (self pinned: ${pinned})` : 'taskset missing: no pinning',
      loadGenerator: 'bench/lib/open-loop.ts: fixed-schedule open loop over an undici Pool (µs timing)',
      heyCommand: hasHey ? `\`hey -c ${S.hey.concurrency} -z ${S.hey.durationS}s\` and \`hey -c 1 -n ${S.hey.sequentialN}\` (bench/lib/hey.ts), -m POST -D <body>` : 'hey not installed: closed-loop and sequential figures missing',
      notes,
    },
    legs,
    analysis: analyse(legs),
  };
  writeReports(results);
  log(`wrote bench/RESULTS.md and bench/results.json in ${results.meta.durationS} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
