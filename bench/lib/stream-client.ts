// Streaming client: opens SSE chat streams at a fixed rate and timestamps every frame (TTFT, inter-chunk gaps, usage).
import { Pool } from 'undici';
import type { Target } from './open-loop.js';

export interface StreamResult {
  streams: number;
  ok: number;
  failed: number;
  /** Streams that got no HTTP answer at all (transport errors, timeouts). */
  errors: number;
  /** ms from send to the first `data:` frame. */
  ttft: number[];
  /** ms between consecutive frames of one stream (all streams pooled). */
  gaps: number[];
  /** ms from send to the end of the stream. */
  total: number[];
  withUsage: number;
  withDone: number;
  /** Status and body start of the first non-200 answer, to say why a leg failed. */
  firstFailure?: string;
}

async function one(pool: Pool, t: Target, r: StreamResult): Promise<void> {
  const t0 = performance.now();
  const res = await pool.request({ path: t.path, method: 'POST', headers: { 'content-type': 'application/json', ...t.headers }, body: t.body });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    r.firstFailure ??= `HTTP ${res.statusCode}: ${text.slice(0, 120)}`;
    r.failed++;
    return;
  }
  let buf = '';
  let last = 0;
  let frames = 0;
  let usage = false;
  let doneSeen = false;
  for await (const piece of res.body) {
    const now = performance.now();
    buf += (piece as Buffer).toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!frame.startsWith('data:')) continue;
      if (frames++ === 0) r.ttft.push(now - t0);
      else r.gaps.push(now - last);
      last = now;
      if (frame.includes('[DONE]')) doneSeen = true;
      else if (frame.includes('"usage":{')) usage = true;
    }
  }
  r.total.push(performance.now() - t0);
  r.ok++;
  if (usage) r.withUsage++;
  if (doneSeen) r.withDone++;
}

export async function streamLoad(t: Target, rate: number, durationS: number): Promise<StreamResult> {
  const pool = new Pool(t.origin, { connections: 512, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const r: StreamResult = { streams: 0, ok: 0, failed: 0, errors: 0, ttft: [], gaps: [], total: [], withUsage: 0, withDone: 0 };
  const total = Math.round(rate * durationS);
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    r.streams++;
    pending.push(one(pool, t, r).catch(() => void r.errors++));
  }
  await Promise.race([Promise.all(pending), new Promise((res) => setTimeout(res, 20_000).unref())]);
  await pool.destroy().catch(() => {});
  return r;
}
