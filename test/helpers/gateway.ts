// Starts a real gateway on a random port for integration tests, on DATABASE_URL when set, else PGlite in memory.
import { parseConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { createLogger } from '../../src/log.js';
import { startGateway, type RunningGateway } from '../../src/server.js';

export async function startTestGateway(raw: Record<string, unknown>, env: Record<string, string> = {}): Promise<RunningGateway> {
  const config = parseConfig(
    {
      logLevel: 'silent',
      ...raw,
      // Every test file's gateway sees its clients as 127.0.0.1 and may share one Redis: wrong admin keys sent by one
      // file must not lock another file out. admin-auth-throttle.test.ts tests the throttle with its own settings.
      auth: { adminThrottle: { maxFailures: 1_000, windowSeconds: 60 }, ...(raw.auth as object | undefined) },
      server: { port: 0, host: '127.0.0.1', shutdownGraceMs: 5_000, ...(raw.server as object | undefined) },
      storage: { dataDir: 'memory://', ...(raw.storage as object | undefined) },
      requestLog: { flushIntervalMs: 50, maxBatch: 100, maxQueue: 10_000, ...(raw.requestLog as object | undefined) },
    },
    { DATABASE_URL: (raw.storage as { dataDir?: string } | undefined)?.dataDir ? '' : (process.env.DATABASE_URL ?? ''), ...env },
  );
  const deps = await createDeps(config, { log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  return startGateway(deps);
}

/** A JSON answer from the admin API, as the tests read it. */
export interface AdminAnswer {
  status: number;
  json: any;
}

/** One admin API call with the admin key; a string body is sent as is (for malformed-body tests). */
export async function adminCall(gw: RunningGateway, adminKey: string, method: string, path: string, body?: unknown): Promise<AdminAnswer> {
  const res = await fetch(`${gw.url}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}
