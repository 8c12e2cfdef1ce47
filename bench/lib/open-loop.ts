// Open-loop load at a fixed arrival rate (wrk2-style schedule, µs timing) over an undici Pool; sends never wait for replies.
import { Pool } from 'undici';

export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  rate: number;
  durationS: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Achieved completions per second. */
  rps: number;
  /** Client latency of 2xx replies in ms, from the moment the request was handed to the pool. */
  latencies: Float64Array;
  /** How late sends left against their schedule (generator health), p99 in ms. */
  sendLagP99: number;
}

export async function openLoop(t: Target, rate: number, durationS: number, opts: { drainMs?: number } = {}): Promise<LoadResult> {
  const pool = new Pool(t.origin, { connections: 1024, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const total = Math.round(rate * durationS);
  const interval = 1000 / rate;
  const lat = new Float64Array(total);
  const lag = new Float64Array(total);
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let done = 0;
  let lastEnd = 0;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  const headers = { 'content-type': 'application/json', ...t.headers };

  const fire = (intended: number) => {
    const t0 = performance.now();
    lag[sent++] = t0 - intended;
    pool
      .request({ path: t.path, method: 'POST', headers, body: t.body })
      .then(async (res) => {
        await res.body.dump({ limit: 1 << 30 });
        if (res.statusCode >= 200 && res.statusCode < 300) lat[ok++] = performance.now() - t0;
        else non2xx++;
      })
      .catch(() => void errors++)
      .finally(() => {
        lastEnd = performance.now();
        if (++done === total) finish();
      });
  };

  const start = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && start + i * interval <= now) fire(start + i++ * interval);
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    tick();
  });
  const sendEnd = performance.now();
  const drain = new Promise<void>((r) => setTimeout(r, opts.drainMs ?? 15_000).unref());
  await Promise.race([allDone, drain]);
  const elapsedS = (Math.max(lastEnd, sendEnd) - start) / 1000;
  await pool.destroy().catch(() => {});
  const lags = lag.slice(0, sent).sort();
  return {
    rate,
    durationS: (sendEnd - start) / 1000,
    sent,
    ok,
    non2xx,
    errors: errors + (total - done),
    rps: (ok + non2xx) / elapsedS,
    latencies: lat.slice(0, ok),
    sendLagP99: lags.length ? lags[Math.floor(lags.length * 0.99)]! : 0,
  };
}
