// HAProxy for the rehearsal: renders haproxy.cfg for the replicas' ports, runs it in the foreground, reads server states.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sleep, start, type Proc } from '../../bench/lib/proc.js';

/** Debian installs it in /usr/sbin, which is not on every user's PATH. */
export const HAPROXY = process.env.HAPROXY_BIN ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy');
/** The template the rehearsal runs by default; another can be given ({{PORT}}, {{STATS_PORT}}, {{SERVERS}} are filled in). */
export const TEMPLATE = join(import.meta.dirname, 'haproxy.cfg');

/** True when the HAProxy binary is installed and runs (Debian's `haproxy` package). */
export function hasHaproxy(): boolean {
  return spawnSync(HAPROXY, ['-v'], { stdio: 'ignore' }).status === 0;
}

export interface Balancer {
  url: string;
  statsUrl: string;
  /** HAProxy's view of each server, by name: "UP", "DOWN", "UP 1/2" (going down), "DOWN 1/2" (coming up), … */
  states(): Promise<Record<string, string>>;
  /** Waits until HAProxy reports `server` fully UP (or fully DOWN); bounded by `limitMs`. */
  waitFor(server: string, want: 'UP' | 'DOWN', limitMs?: number): Promise<void>;
  /** HAProxy's own account of server state changes ("Server replicas/r1 is DOWN, reason: …"), in order. */
  events: string[];
  /** Retries and redispatches HAProxy counted on the backend so far. */
  counters(): Promise<{ retries: number; redispatches: number }>;
  stop(): Promise<void>;
}

export interface BalancerServer {
  name: string;
  port: number;
}

export function renderConfig(o: { port: number; statsPort: number; servers: BalancerServer[]; template?: string }): string {
  const servers = o.servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port} check`).join('\n');
  return readFileSync(o.template ?? TEMPLATE, 'utf8')
    .replace('{{PORT}}', String(o.port))
    .replace('{{STATS_PORT}}', String(o.statsPort))
    .replace('{{SERVERS}}', servers);
}

/** HAProxy's CSV stats as rows of column → value, for one proxy. */
export function parseStats(csv: string, proxy = 'replicas'): Array<Record<string, string>> {
  const [head, ...rows] = csv.trim().split('\n');
  const cols = (head ?? '').replace(/^# /, '').split(',');
  return rows
    .map((line) => Object.fromEntries(line.split(',').map((v, i) => [cols[i] ?? String(i), v])))
    .filter((r) => r.pxname === proxy);
}

/** Server name → status ("UP", "DOWN", "UP 1/2" going down, "DOWN 1/2" coming up, …). */
export function serverStates(csv: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of parseStats(csv)) if (r.svname && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND') out[r.svname] = r.status ?? '';
  return out;
}

export async function startBalancer(o: { dir: string; servers: BalancerServer[]; template?: string }): Promise<Balancer> {
  const port = await freePort();
  const statsPort = await freePort();
  const cfg = join(o.dir, 'haproxy.cfg');
  writeFileSync(cfg, renderConfig({ port, statsPort, servers: o.servers, template: o.template }));
  const check = spawnSync(HAPROXY, ['-c', '-q', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy rejected ${cfg}:\n${check.stdout}${check.stderr}`);
  // -db: stay in the foreground, so the process is ours to stop and its output ours to show.
  const proc: Proc = start('haproxy', HAPROXY, ['-db', '-f', cfg]);
  const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  const events: string[] = [];
  let partial = '';
  proc.child.stderr!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const m = /Server replicas\/(.*)/.exec(l);
      if (m) events.push(m[1]!.replace(/\. \d+ active and .*$/, '').trim());
    }
  });

  const csv = async () => (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2_000) })).text();
  const states = async () => serverStates(await csv());
  async function counters(): Promise<{ retries: number; redispatches: number }> {
    const b = parseStats(await csv()).find((r) => r.svname === 'BACKEND');
    return { retries: Number(b?.wretr ?? 0), redispatches: Number(b?.wredis ?? 0) };
  }

  async function waitFor(server: string, want: 'UP' | 'DOWN', limitMs = 30_000): Promise<void> {
    const end = Date.now() + limitMs;
    let last = '?';
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`haproxy exited (${proc.child.exitCode})\n${proc.output()}`);
      last = (await states().catch(() => ({}) as Record<string, string>))[server] ?? '?';
      if (last === want) return;
      if (Date.now() > end) throw new Error(`haproxy did not see ${server} ${want} within ${limitMs} ms (last: ${last})`);
      await sleep(100);
    }
  }

  // Up once the stats page answers and every server passed its checks.
  for (const s of o.servers) await waitFor(s.name, 'UP');
  return { url: `http://127.0.0.1:${port}`, statsUrl, states, waitFor, counters, events, stop: async () => void (await proc.stop(2_000)) };
}
