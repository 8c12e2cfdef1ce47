// A redis-server of the test's own on a free port, without persistence, that the test can stop and start again: a restart
// loses every key, like production Redis without AOF.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface ThrowawayRedis {
  port: number;
  url: string;
  running(): boolean;
  /** Starts the server (again) on the same port and waits until it answers. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: no goodbye to clients) and waits for the exit. */
  stop(): Promise<void>;
}

export async function throwawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  let server: ChildProcess | null = null;
  const r: ThrowawayRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => server !== null,
    async start() {
      server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      for (const started = Date.now(); ; await sleep(50)) {
        const p = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        p.on('error', () => undefined);
        const up = await p.connect().then(
          () => true,
          () => false,
        );
        p.disconnect();
        if (up) return;
        if (Date.now() - started > 5_000) throw new Error(`redis-server did not start on port ${port}`);
      }
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      const exited = once(s, 'exit');
      s.kill('SIGKILL');
      await exited;
    },
  };
  return r;
}
