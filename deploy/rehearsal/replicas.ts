// The gateway replicas: real child processes (tsx or the compiled build) on fixed ports, restarted one at a time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, start, waitHttp, type Proc } from '../../bench/lib/proc.js';
import { ROOT } from '../../bench/lib/servers.js';

/** Inside the repository, so the build resolves node_modules; ignored by git (deploy/rehearsal/.gitignore). */
const BUILD = resolve(import.meta.dirname, '.build');

export type Runner = 'tsx' | 'compiled';

export interface Replica {
  name: string;
  port: number;
  url: string;
  /** 1 for the first process, +1 per restart. */
  generation: number;
  proc: Proc;
}

export interface StopReport {
  name: string;
  code: number | null;
  /** In-flight work the replica reported when the signal came (its "shutting down" log line). */
  inflightAtSignal: number | null;
  /** It gave up on the drain (grace period over, or a second signal). */
  cutShort: boolean;
  drainMs: number;
}

export interface Replicas {
  list: Replica[];
  get(name: string): Replica;
  /** SIGTERM, then waits for the exit (SIGKILL only if the drain overruns its grace by far). */
  stop(name: string): Promise<StopReport>;
  /** Starts the replica again on its port and waits until its own /readyz answers 200. */
  start(name: string): Promise<Replica>;
  stopAll(): Promise<void>;
}

export interface ReplicasOptions {
  count: number;
  runner: Runner;
  configPath: string;
  dir: string;
  env: Record<string, string>;
  /** SIGKILL after this long: well past the configured shutdownGraceMs, so a clean drain is never cut. */
  killAfterMs: number;
}

/**
 * The compiled runner runs `node dist/main.js` as `npm start` does, from a build of its own (bench/.tmp/build belongs to
 * the bench, which deletes it at each run). `--noCheck` as in `npm start`'s prestart: type checking is CI's job.
 * tsx runs src/ as `npm run dev` does.
 */
export function prepareRunner(runner: Runner): void {
  if (runner !== 'compiled') return;
  rmSync(BUILD, { recursive: true, force: true });
  mkdirSync(BUILD, { recursive: true });
  // Migrations are found relative to the build (dist/../drizzle).
  symlinkSync(resolve(ROOT, 'drizzle'), join(BUILD, 'drizzle'));
  const tsc = resolve(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', join(BUILD, 'dist'), '--tsBuildInfoFile', join(BUILD, '.tsbuildinfo')], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(join(BUILD, 'dist/main.js'))) throw new Error(`gateway build failed:\n${r.stdout}${r.stderr}`);
}

export async function startReplicas(o: ReplicasOptions): Promise<Replicas> {
  const list: Replica[] = [];
  const signalLines = new Map<string, string>();
  const args = o.runner === 'compiled' ? [join(BUILD, 'dist/main.js')] : ['--import', 'tsx', 'src/main.ts'];

  function spawnOne(name: string, port: number, generation: number): Replica {
    const dataDir = join(o.dir, `${name}-data`);
    mkdirSync(dataDir, { recursive: true });
    const proc = start(name, process.execPath, args, {
      cwd: ROOT,
      env: {
        ...o.env,
        GATEWAY_CONFIG: o.configPath,
        GATEWAY_DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        OTEL_SDK_DISABLED: 'true',
        // A test runner's loader hooks must not leak into the gateway.
        NODE_OPTIONS: undefined,
        LOG_LEVEL: undefined,
      },
    });
    let buf = '';
    proc.child.stdout!.on('data', (d: Buffer) => {
      buf = (buf + d.toString()).slice(-20_000);
      const line = buf.split('\n').find((l) => l.includes('"msg":"shutting down'));
      if (line) signalLines.set(name, line);
    });
    return { name, port, url: `http://127.0.0.1:${port}`, generation, proc };
  }

  async function ready(r: Replica): Promise<void> {
    await waitHttp(`${r.url}/readyz`, r.proc, 90_000);
  }

  const ports = [];
  for (let i = 0; i < o.count; i++) ports.push(await freePort());
  for (const [i, port] of ports.entries()) list.push(spawnOne(`r${i + 1}`, port, 1));
  try {
    await Promise.all(list.map(ready));
  } catch (err) {
    await Promise.all(list.map((r) => r.proc.stop(1_000)));
    throw err;
  }

  const get = (name: string): Replica => {
    const r = list.find((x) => x.name === name);
    if (!r) throw new Error(`no replica ${name}`);
    return r;
  };

  return {
    list,
    get,
    async stop(name) {
      const r = get(name);
      signalLines.delete(name);
      const t0 = Date.now();
      const code = await r.proc.stop(o.killAfterMs);
      const line = signalLines.get(name) ?? '';
      const m = /"inflight":(\d+)/.exec(line);
      const out = r.proc.output();
      return { name, code, inflightAtSignal: m ? Number(m[1]) : null, cutShort: /grace period over|exiting now without finishing/.test(out), drainMs: Date.now() - t0 };
    },
    async start(name) {
      const old = get(name);
      const next = spawnOne(name, old.port, old.generation + 1);
      list[list.indexOf(old)] = next;
      await ready(next);
      return next;
    },
    async stopAll() {
      await Promise.all(list.map((r) => r.proc.stop(o.killAfterMs)));
    },
  };
}
