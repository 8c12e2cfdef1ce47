// Starts the processes under test: mock upstreams, the bare-Node floor, the gateway (compiled or tsx) in a mode, and the Portkey peer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort, start, waitHttp, waitReadyLine, type Proc } from './proc.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const TMP = resolve(ROOT, 'bench/.tmp');
export const GATEWAY_CPU = 0;
export const CLIENT_CPU = 1;

export interface Running {
  proc: Proc;
  port: number;
  origin: string;
}

/** Starts one of bench/servers/*.ts, which prints `READY <port>`. */
async function startBenchServer(script: string, cpu: number, env: Record<string, string>): Promise<Running> {
  const proc = start(script, process.execPath, ['--import', 'tsx', `bench/servers/${script}.ts`], { cpu, cwd: ROOT, env });
  const port = await waitReadyLine(proc);
  return { proc, port, origin: `http://127.0.0.1:${port}` };
}

export function startMock(script: 'mock-upstream' | 'mock-mcp', env: Record<string, string> = {}): Promise<Running> {
  return startBenchServer(script, CLIENT_CPU, env);
}

/** The bare-Node floor proxy, on the gateway's CPU like the gateway and the peer. */
export function startFloor(upstreamOrigin: string): Promise<Running> {
  return startBenchServer('bare-proxy', GATEWAY_CPU, { UPSTREAM_ORIGIN: upstreamOrigin });
}

export type Runner = 'compiled' | 'tsx';

/** Compiles src/ into bench/.tmp/build (dist/ is left alone); migrations resolve through a symlink. */
export function buildGateway(): { ok: boolean; log: string } {
  const out = resolve(TMP, 'build');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  symlinkSync(resolve(ROOT, 'drizzle'), resolve(out, 'drizzle'));
  const r = spawnSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', resolve(out, 'dist'), '--tsBuildInfoFile', resolve(out, '.tsbuildinfo')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  // Its own build-info file: the shared dist/.tsbuildinfo would make tsc think this out dir is up to date and emit nothing.
  // tsc emits despite type errors elsewhere in the tree; what matters is a runnable main.js.
  return { ok: existsSync(resolve(out, 'dist/main.js')), log: `${r.stdout}${r.stderr}`.trim() };
}

export async function startGateway(o: { runner: Runner; port: number; configPath: string; databaseUrl?: string; redisUrl?: string; dataDir: string; cpuProfDir?: string }): Promise<Running> {
  const port = o.port;
  const prof = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const args = o.runner === 'compiled' ? [...prof, resolve(TMP, 'build/dist/main.js')] : [...prof, '--import', 'tsx', 'src/main.ts'];
  const proc = start(`gateway`, process.execPath, args, {
    cpu: GATEWAY_CPU,
    cwd: ROOT,
    env: {
      GATEWAY_CONFIG: o.configPath,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: o.databaseUrl,
      GATEWAY_DATA_DIR: o.dataDir,
      LOG_LEVEL: undefined,
      REDIS_URL: o.redisUrl,
      NODE_ENV: 'production',
    },
  });
  await waitHttp(`http://127.0.0.1:${port}/healthz`, proc);
  return { proc, port, origin: `http://127.0.0.1:${port}` };
}

export async function startPortkey(): Promise<Running> {
  const port = await freePort();
  const bin = resolve(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  const proc = start('portkey', process.execPath, [bin, `--port=${port}`, '--headless'], { cpu: GATEWAY_CPU, cwd: ROOT, env: { NODE_ENV: 'production' } });
  await waitHttp(`http://127.0.0.1:${port}/`, proc);
  return { proc, port, origin: `http://127.0.0.1:${port}` };
}
