// `npx tsx bench/hostile.ts [--write]`: how long each hostile request blocks the gateway's event loop, and what it does to RSS.
// The gateway runs as users run it (key with budget and limits, PII redact, request log and audit, metrics), in its own process;
// the block is the gateway's own `nodejs_eventloop_lag_max_seconds` over the request and the audit flush that follows it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { summariseProfile } from './lib/cpuprofile.js';
import { freePort, killAll, rssMb, sleep } from './lib/proc.js';
import { ROOT, startGateway, startMock, TMP } from './lib/servers.js';

const ADMIN = `bench-admin-${randomBytes(8).toString('hex')}`;
const KEY = `sk-bench-${randomBytes(16).toString('hex')}`;

interface Case {
  name: string;
  path: string;
  body: () => string;
  headers?: Record<string, string>;
  repeat?: number;
}

const chat = (over: Record<string, unknown>) => JSON.stringify({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], ...over });
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** 500 tools (under the 512 cap) whose descriptions add up to `bytes`. */
const tools = (bytes: number) => {
  const one = { type: 'function', function: { name: 'tool', description: 'd'.repeat(Math.ceil(bytes / 500)), parameters: { type: 'object', properties: {} } } };
  return Array.from({ length: 500 }, (_, i) => ({ ...one, function: { ...one.function, name: `tool_${i}` } }));
};

const CASES: Case[] = [
  { name: 'ordinary chat (baseline)', path: '/v1/chat/completions', body: () => chat({}) },
  { name: 'lone surrogate in content', path: '/v1/chat/completions', body: () => chat({ messages: [{ role: 'user', content: 'x \\ud800' }] }) },
  { name: 'extra field nested 3,000 deep', path: '/v1/chat/completions', body: () => chat({}).replace(/}$/, `,"extra":${nested(3000)}}`) },
  { name: 'PII: "1 " x 450,000 (0.9 MB)', path: '/v1/chat/completions', body: () => chat({ messages: [{ role: 'user', content: '1 '.repeat(450_000) }] }) },
  { name: 'PII: "1 " x 1,000,000 (2 MB)', path: '/v1/chat/completions', body: () => chat({ messages: [{ role: 'user', content: '1 '.repeat(1_000_000) }] }) },
  { name: 'PII: "1 " x 9,000,000 (18 MB)', path: '/v1/chat/completions', body: () => chat({ messages: [{ role: 'user', content: '1 '.repeat(9_000_000) }] }) },
  { name: '2 MB tools array', path: '/v1/chat/completions', body: () => chat({ tools: tools(2_000_000) }) },
  { name: '18 MB tools array', path: '/v1/chat/completions', body: () => chat({ tools: tools(18_000_000) }) },
  { name: 'embeddings dimensions 2^31', path: '/v1/embeddings', body: () => JSON.stringify({ model: 'up/gpt-4o-mini', input: 'x', dimensions: 2147483648 }) },
  { name: '/admin 200 MB body x 8', path: '/admin/keys', body: () => 'x'.repeat(200 * 1024 * 1024), headers: { authorization: `Bearer ${ADMIN}` }, repeat: 8 },
  { name: '/mcp 25 MB body', path: '/mcp', body: () => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { x: 'y'.repeat(25 * 1024 * 1024) } }) },
];

async function lagMaxMs(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  const m = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(text);
  return m ? Number(m[1]) * 1000 : Number.NaN;
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  // `--profile NAME`: only the cases whose name contains NAME, with a CPU profile of the gateway summarised at the end.
  const only = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] ?? '' : null;
  const profDir = only === null ? undefined : resolve(TMP, `hostile-prof-${Date.now()}`);
  mkdirSync(TMP, { recursive: true });
  const mock = await startMock('mock-upstream');
  const port = await freePort();
  const dataDir = resolve(TMP, `hostile-${Date.now()}`);
  const cfg = {
    server: { port, host: '127.0.0.1' },
    logLevel: 'warn',
    auth: { adminKey: ADMIN },
    providers: { up: { kind: 'openai-compatible', baseUrl: `${mock.origin}/v1`, apiKey: 'sk-upstream-bench', models: ['gpt-4o-mini'] } },
    keys: [{ id: 'hostile', key: KEY, budgets: [{ period: 'total', usd: 1_000_000 }], rateLimits: { requestsPerMinute: 1_000_000 } }],
    policy: { pii: 'redact' },
    audit: { enabled: true, flushIntervalMs: 200 },
    requestLog: { flushIntervalMs: 200 },
    telemetry: { metrics: { enabled: true, processMetrics: true } },
  };
  const configPath = resolve(TMP, 'gateway-hostile.yaml');
  writeFileSync(configPath, stringify(cfg));
  const gw = await startGateway({ runner: 'tsx', port, configPath, databaseUrl: process.env.DATABASE_URL, dataDir, ...(profDir ? { cpuProfDir: profDir } : {}) });
  const rows: string[] = [];
  try {
    for (let i = 0; i < 20; i++) await fetch(`${gw.origin}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: chat({}) });
    await sleep(500);
    for (const c of CASES.filter((x) => only === null || x.name.includes(only))) {
      const body = c.body();
      await lagMaxMs(gw.origin); // resets the gateway's lag histogram
      const statuses: number[] = [];
      for (let i = 0; i < (c.repeat ?? 1); i++) {
        const res = await fetch(`${gw.origin}${c.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...c.headers },
          body,
        }).catch((err: Error) => ({ status: `error ${err.message}` as unknown as number, text: async () => '' }));
        await res.text().catch(() => '');
        statuses.push(res.status);
      }
      await sleep(800); // the audit and request-log flushes that follow
      const lag = await lagMaxMs(gw.origin);
      const rss = rssMb(gw.proc.pid);
      const line = `| ${c.name} | ${(body.length / 1e6).toFixed(1)} MB | ${[...new Set(statuses)].join(', ')} | ${lag.toFixed(1)} ms | ${rss === null ? '?' : Math.round(rss)} MB |`;
      rows.push(line);
      console.log(line);
    }
    const stats = await (await fetch(`${gw.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    const pick = (name: string) => /^(\S+) (\S+)$/m.exec(stats.split('\n').filter((l) => l.startsWith(name)).join('\n'))?.[2] ?? '?';
    rows.push('', `writers after the run: audit written ${pick('gateway_audit_written_events_total')}, failures ${pick('gateway_audit_flush_failures_total')}, dead letters ${pick('gateway_audit_dead_letter_total')}, accepting ${pick('gateway_audit_accepting')}; request log written ${pick('gateway_request_log_written_events_total')}, failures ${pick('gateway_request_log_flush_failures_total')}, accepting ${pick('gateway_request_log_accepting')}`);
    console.log(rows.at(-1));
  } finally {
    await gw.proc.stop();
    await mock.proc.stop();
    killAll();
  }
  if (profDir) {
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) for (const t of summariseProfile(resolve(profDir, file), 20).top) console.log(`${t.selfMs.toFixed(0).padStart(6)} ms  ${t.fn}  ${t.where}`);
    return;
  }
  if (write) {
    const md = [
      '# Hostile input: event-loop blocking and memory',
      '',
      `Command: \`npx tsx bench/hostile.ts --write\` (${new Date().toISOString().slice(0, 10)}, ${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'}, gateway under tsx, one request at a time).`,
      'The gateway runs as users run it: a key with budget and rate limits, PII redact, request log and audit trail, metrics. "Max block" is the',
      "gateway's own `nodejs_eventloop_lag_max_seconds` over the request and the writer flushes after it (includes JSON.parse of the body, validation, PII, audit preparation).",
      '',
      '| request | body | status | max block | RSS after |',
      '|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    writeFileSync(resolve(ROOT, 'bench/HOSTILE.md'), md);
  }
}

main().catch((err) => {
  console.error(err);
  killAll();
  process.exit(1);
});
