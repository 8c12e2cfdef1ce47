// `npx tsx bench/ui-render.ts [events] [requests]`: the console's session page for a session of ~1,000 audit events — server time and bytes, beside the admin calls it makes.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { parseConfig } from '../src/config.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/log.js';
import { startGateway, type RunningGateway } from '../src/server.js';
import type { CallRecord } from '../src/tracing/call-record.js';
import { jsx } from 'hono/jsx';
import type { EventView, VerifyResult } from '../src/ui/api-types.js';
import { Timeline } from '../src/ui/timeline.js';
import { createSessionsService } from '../src/tracing/sessions-service.js';
import { summariseProfile } from './lib/cpuprofile.js';
import { postgresReachable } from './lib/db-count.js';

const EVENTS = Number(process.argv[2] ?? 1000);
const REQUESTS = Number(process.argv[3] ?? 20);
const ADMIN = 'bench-ui-admin-key-0123456789abcdef';
const KEY_ID = 'k-bench';
const SESSION = `bench-ui-${Date.now().toString(36)}`;
const NOTES = '<!-- notes: kept across runs -->';
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** ~700 characters of prose: a request and a response of this size make a ~1.5 KB payload. */
const prose = (i: number, n = 700) => `Step ${i}: ${'the agent reads the file, summarises what it found and plans the next change; '.repeat(10)}`.slice(0, n);

/** One record of a realistic agent run: model and tool calls in turn, 1 in 12 denied, 1 in 12 redacted (each adds a decision event). */
function record(i: number, t0: number): CallRecord {
  const base = { principal: { keyId: KEY_ID, teamId: 'bench' }, sessionId: SESSION, requestId: `req_bench_${i}`, time: new Date(t0 + i * 1000), latencyMs: 40 + (i % 50) };
  const denied = i % 12 === 5;
  const redacted = i % 12 === 9;
  if (i % 2 === 0) {
    return {
      ...base,
      kind: 'model_call',
      door: 'chat',
      endpoint: 'chat.completions',
      client: { userAgent: 'OpenAI/JS 6.1.0' },
      model: { requested: 'openai/gpt-4o-mini', served: 'gpt-4o-mini-2024-07-18', provider: 'openai' },
      decisions: denied
        ? [{ step: 'budget', decision: 'denied', rule: 'budget:key:daily', reason: 'daily budget of $5.00 reached' }]
        : redacted
          ? [{ step: 'pii', decision: 'redacted', findings: { EMAIL: 1, PHONE: 1 } }]
          : [],
      status: denied ? 402 : 200,
      errorCode: denied ? 'budget_exceeded' : null,
      usage: denied ? undefined : { inputTokens: 420, outputTokens: 180 },
      costMicros: denied ? null : 171,
      request: { messages: [{ role: 'user', content: redacted ? `mail [EMAIL_1] at [PHONE_1]: ${prose(i, 640)}` : prose(i) }] },
      response: denied ? undefined : { content: prose(i + 1) },
    };
  }
  return {
    ...base,
    kind: 'tool_call',
    door: 'tool',
    endpoint: 'mcp.tools/call',
    mcpSessionId: 'mcp-bench-1',
    client: { name: 'bench-agent', version: '1.0.0' },
    mcp: { method: 'tools/call', server: 'fs', tool: denied ? 'fs__delete' : 'fs__read', target: denied ? 'delete' : 'read' },
    decisions: denied ? [{ step: 'authorize', decision: 'denied', rule: 'authorize:tools', reason: 'tool fs__delete is not in the key\'s tools' }] : redacted ? [{ step: 'pii', decision: 'redacted', findings: { EMAIL: 2 } }] : [],
    status: denied ? 403 : 200,
    errorCode: denied ? 'forbidden' : null,
    costMicros: null,
    request: { arguments: { path: `/repo/src/file-${i}.ts`, note: prose(i, 600) } },
    response: denied ? undefined : { content: [{ type: 'text', text: prose(i + 2) }] },
  };
}

const eventsOf = (r: CallRecord) => 1 + (r.decisions?.filter((d) => d.decision !== 'allowed').length ?? 0);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

interface Leg {
  name: string;
  path: string;
  ms: number[];
  bytes: number;
  status: number;
}

async function measure(gw: RunningGateway, name: string, path: string, headers: Record<string, string>): Promise<Leg> {
  const leg: Leg = { name, path, ms: [], bytes: 0, status: 0 };
  for (let i = 0; i < 3; i++) await (await fetch(`${gw.url}${path}`, { headers })).arrayBuffer(); // warm-up
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(`${gw.url}${path}`, { headers });
    const body = await res.arrayBuffer();
    leg.ms.push(performance.now() - t);
    leg.bytes = body.byteLength;
    leg.status = res.status;
  }
  return leg;
}

async function main(): Promise<void> {
  let databaseUrl = '';
  let dropDb: (() => Promise<void>) | null = null;
  if (await postgresReachable(PG)) {
    const name = `bench_ui_${process.pid}_${Date.now().toString(36)}`;
    const admin = postgres(PG, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const u = new URL(PG);
    u.pathname = `/${name}`;
    databaseUrl = u.href;
    dropDb = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  }
  const config = parseConfig(
    {
      logLevel: 'silent',
      server: { port: 0, host: '127.0.0.1' },
      storage: { dataDir: 'memory://' },
      audit: { flushIntervalMs: 50, spoolDir: mkdtempSync(join(tmpdir(), 'bench-ui-')) },
    },
    { DATABASE_URL: databaseUrl, GATEWAY_ADMIN_KEY: ADMIN },
  );
  const gw = await startGateway(await createDeps(config, { log: createLogger('silent') }));
  try {
    // Seed through the audit trail's own writer, as the broker does after each call.
    const t0 = Date.now() - 3_600_000;
    let events = 0;
    const seedStart = performance.now();
    for (let i = 0; events < EVENTS; i++) {
      const r = record(i, t0);
      gw.deps.audit.recordCall(r);
      events += eventsOf(r);
      if (i % 200 === 199) await gw.deps.audit.flush();
    }
    await gw.deps.audit.flush();
    const seedMs = performance.now() - seedStart;

    const login = await fetch(`${gw.url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gw.url },
      body: new URLSearchParams({ key: ADMIN, next: '/ui/sessions' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    if (login.status !== 303 || !cookie) throw new Error(`login failed: ${login.status}`);
    const ui = { cookie };
    const api = { authorization: `Bearer ${ADMIN}` };
    const q = `key=${KEY_ID}`;

    const timeline = await (await fetch(`${gw.url}/admin/sessions/${SESSION}?${q}`, { headers: api })).json() as { session: { events: number }; events: unknown[] };
    const legs: Leg[] = [];
    legs.push(await measure(gw, 'console session page (payloads on demand)', `/ui/sessions/${SESSION}?${q}`, ui));
    legs.push(await measure(gw, 'console session page, all payloads expanded', `/ui/sessions/${SESSION}?${q}&payloads=all`, ui));
    legs.push(await measure(gw, 'console session page, printable (payloads inline)', `/ui/sessions/${SESSION}?${q}&print=1`, ui));
    legs.push(await measure(gw, 'console event page (one payload, what opening it reads)', `/ui/sessions/${SESSION}/events/500?${q}`, ui));
    legs.push(await measure(gw, 'admin timeline alone', `/admin/sessions/${SESSION}?${q}`, api));
    legs.push(await measure(gw, 'admin timeline with its chain verification, payloads left out (the page\'s one call)', `/admin/sessions/${SESSION}?${q}&verify=true&payloads=false`, api));
    legs.push(await measure(gw, 'admin timeline with its chain verification, payloads inline', `/admin/sessions/${SESSION}?${q}&verify=true`, api));
    legs.push(await measure(gw, 'admin chain verification alone', `/admin/audit/verify?session=${SESSION}&${q}`, api));
    legs.push(await measure(gw, 'console sessions list', `/ui/sessions`, ui));

    // Where the page's time goes, piece by piece, in this process: what the page's admin call and its render cost.
    const svc = createSessionsService(gw.deps.repo);
    const parts: Array<[string, () => Promise<unknown>]> = [
      ['timeline read (database, rows to views)', () => svc.timeline(SESSION, KEY_ID)],
      ['chain verification (database, hashing)', () => svc.verify(SESSION, KEY_ID)],
      ['timeline read + chain verification over the same rows (one read)', () => svc.timeline(SESSION, KEY_ID, { verify: true })],
    ];
    const tl = await svc.timeline(SESSION, KEY_ID);
    const ver = await svc.verify(SESSION, KEY_ID);
    const wire = JSON.stringify(tl);
    parts.push(['timeline JSON: stringify + parse (the in-process admin call)', async () => JSON.parse(JSON.stringify(tl))]);
    const inline = { inline: true as const, open: true };
    parts.push(['timeline render to a string, payloads inline', async () => String(await jsx(Timeline, { events: tl.events as EventView[], verify: ver as VerifyResult, payloads: inline }).toString())]);
    // Payloads on demand: the page's default, each payload a link to its event page.
    const bare = await svc.timeline(SESSION, KEY_ID, { payloads: false });
    const linked = { inline: false as const, href: (seq: number) => `/ui/sessions/${SESSION}/events/${seq}?${q}` };
    parts.push(['timeline read, payloads left out', () => svc.timeline(SESSION, KEY_ID, { payloads: false })]);
    parts.push(['timeline render, payloads on demand', async () => String(await jsx(Timeline, { events: bare.events as EventView[], verify: ver as VerifyResult, payloads: linked }).toString())]);
    parts.push(['timeline JSON round trip, payloads left out', async () => JSON.parse(JSON.stringify(bare))]);
    const pieces: Array<{ name: string; p50: number; p95: number }> = [];
    for (const [name, fn] of parts) {
      for (let i = 0; i < 2; i++) await fn();
      const ms: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const t = performance.now();
        await fn();
        ms.push(performance.now() - t);
      }
      pieces.push({ name, p50: pct(ms, 50), p95: pct(ms, 95) });
    }

    // A CPU profile of the page requests alone (client and server share this process).
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await measure(gw, 'profiled', `/ui/sessions/${SESSION}?${q}`, ui);
    const { profile } = await session.post('Profiler.stop');
    const profPath = resolve(tmpdir(), `bench-ui-${process.pid}.cpuprofile`);
    writeFileSync(profPath, JSON.stringify(profile));
    session.disconnect();
    const prof = summariseProfile(profPath, 15);

    const storage = databaseUrl ? 'Postgres (a fresh database on 127.0.0.1)' : 'PGlite in memory';
    const row = (l: Leg) => `| ${l.name} | \`${l.path.replace(SESSION, '<id>')}\` | ${l.status} | ${pct(l.ms, 50).toFixed(1)} | ${pct(l.ms, 95).toFixed(1)} | ${(l.bytes / 1024).toFixed(0)} KiB |`;
    const md = [
      '# Console render benchmark',
      '',
      `Command: \`npx tsx bench/ui-render.ts ${EVENTS} ${REQUESTS}\` (gateway in-process; ${storage}; ${new Date().toISOString().slice(0, 10)}).`,
      '',
      `Seed: one session of ${timeline.events.length} audit events (session row says ${timeline.session.events}) written through the audit trail's own writer in ${(seedMs / 1000).toFixed(1)} s:`,
      'model calls and tool calls in turn with ~1.5 KB payloads, 1 in 12 denied and 1 in 12 redacted (each adds a policy-decision event).',
      `Each figure: ${REQUESTS} sequential requests after 3 warm-ups, wall time at the client over loopback (≈ server time), with a logged-in cookie for /ui and the admin key for /admin.`,
      '',
      '| what | path | status | p50 ms | p95 ms | bytes |',
      '|---|---|---|---|---|---|',
      ...legs.map(row),
      '',
      `The page's pieces, each alone in this process (${REQUESTS} runs; timeline JSON ${(wire.length / 1024).toFixed(0)} KiB):`,
      '',
      '| piece | p50 ms | p95 ms |',
      '|---|---|---|',
      ...pieces.map((p) => `| ${p.name} | ${p.p50.toFixed(1)} | ${p.p95.toFixed(1)} |`),
      '',
      `CPU profile of ${REQUESTS} more session-page requests (${prof.totalMs.toFixed(0)} ms sampled), self time by area:`,
      '',
      ...prof.byArea.slice(0, 10).map((a) => `- ${a.pct.toFixed(1)}% ${a.area}`),
      '',
      'Top functions by self time:',
      '',
      ...prof.top.slice(0, 10).map((f) => `- ${f.pct.toFixed(1)}% \`${f.fn}\` ${f.where.replace(/^.*\/work\/main\//, '')}`),
      '',
    ].join('\n');
    process.stdout.write(`${md}\n`);
    if (process.env.BENCH_UI_WRITE !== '0') {
      // Notes written by hand below the marker survive a re-run; the figures above it are replaced.
      const out = resolve(import.meta.dirname, 'UI.md');
      const old = existsSync(out) ? readFileSync(out, 'utf8') : '';
      const notes = old.includes(NOTES) ? old.slice(old.indexOf(NOTES)) : `${NOTES}\n`;
      writeFileSync(out, `${md}\n${notes}`);
    }
  } finally {
    await gw.stop();
    await dropDb?.();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[ui-render] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
