// Closed-loop and sequential load with `hey` (the tool the peer figures come from), pinned on the client CPU; parses its summary.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Target } from './open-loop.js';
import { hasTaskset } from './proc.js';
import { CLIENT_CPU, TMP } from './servers.js';
import { S } from './settings.js';
import { round } from './stats.js';

export const hasHey = spawnSync('hey', [], { stdio: 'ignore' }).error === undefined;

export interface HeyResult {
  /** The hey arguments that produced this (without method, headers, body and URL). */
  args: string;
  /** hey's Requests/sec: every answered request, whatever its status. */
  rps: number;
  /** Latency percentiles in ms; hey prints seconds with four decimals, so the resolution is 0.1 ms. */
  p50: number;
  p90: number;
  p99: number;
  ok: number;
  non2xx: number;
  /** Requests that got no HTTP answer (connection errors, timeouts). */
  errors: number;
  firstError?: string;
}

/** Runs hey against a target and parses its text summary. */
export async function hey(t: Target, args: string[]): Promise<HeyResult> {
  const file = resolve(TMP, `hey-body-${process.pid}.json`);
  writeFileSync(file, t.body);
  const headers = Object.entries(t.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const cmd = [...args, '-m', 'POST', '-T', 'application/json', '-D', file, ...headers, `${t.origin}${t.path}`];
  const out = await run(hasTaskset ? 'taskset' : 'hey', hasTaskset ? ['-c', String(CLIENT_CPU), 'hey', ...cmd] : cmd);
  return { args: args.join(' '), ...parseHey(out) };
}

/** `hey -c 32 -z 8s`: throughput with a fixed number of connections, each sending as soon as its last answer came back. */
export const closedLoop = (t: Target) => hey(t, ['-c', String(S.hey.concurrency), '-z', `${S.hey.durationS}s`]);

/** `hey -c 1 -n 3000`: one keep-alive connection, one request at a time — latency without queueing. */
export const sequential = (t: Target) => hey(t, ['-c', '1', '-n', String(S.hey.sequentialN)]);

export function parseHey(out: string): Omit<HeyResult, 'args'> {
  const ms = (pct: number) => {
    const m = new RegExp(`\\b${pct}% in ([\\d.]+) secs`).exec(out);
    return m ? round(Number(m[1]) * 1000, 2) : NaN;
  };
  let ok = 0;
  let non2xx = 0;
  for (const m of out.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) {
    const status = Number(m[1]);
    if (status >= 200 && status < 300) ok += Number(m[2]);
    else non2xx += Number(m[2]);
  }
  const errorLines = /Error distribution:\n([\s\S]*)$/.exec(out)?.[1] ?? '';
  let errors = 0;
  let firstError: string | undefined;
  for (const m of errorLines.matchAll(/^\s*\[(\d+)\]\s+(.*)$/gm)) {
    errors += Number(m[1]);
    firstError ??= m[2]!.slice(0, 160);
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  return { rps: round(rps, 1), p50: ms(50), p90: ms(90), p99: ms(99), ok, non2xx, errors, ...(firstError ? { firstError } : {}) };
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`hey exited ${code}: ${err.slice(0, 300)}`))));
  });
}
