// Soak: a gateway child on loopback fed hostile and normal requests, bounded by count and time; reports statuses, RSS and trail health.
// Usage: npx tsx bench/soak.ts [--requests 3000] [--seconds 120] [--seed 7]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { applyMutation, mutation, type Json, type Path } from '../test/robustness/arbitraries.js';
import { ADMIN_KEY, auth, chat, json, send } from '../test/robustness/harness.js';
import { violation } from '../test/robustness/invariants.js';
import { KEYS } from '../test/helpers/mcp.js';
import { freePort, rssMb, start, waitHttp } from './lib/proc.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, seconds: { type: 'string', default: '120' }, seed: { type: 'string', default: '7' } } });
const MAX_REQUESTS = Math.min(Number(values.requests), 100_000);
const MAX_MS = Math.min(Number(values.seconds), 3_600) * 1000;

const CHAT: Record<string, Json> = { model: 'mock/echo', messages: [{ role: 'user', content: 'hello' }], metadata: { a: 'b' }, max_tokens: 8 };
const PATHS: Path[] = [['model'], ['messages', 0, 'content'], ['messages', 0], ['metadata'], ['max_tokens'], ['stream'], ['tools'], ['extra']];

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-soak-'));
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, JSON.stringify({ keys: KEYS, providers: { mock: { kind: 'mock', models: ['echo'] } }, audit: { flushIntervalMs: 200 }, requestLog: { flushIntervalMs: 200 } }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gw = start('gateway', process.execPath, ['--max-old-space-size=1024', '--import', 'tsx', 'src/main.ts'], {
    env: { GATEWAY_CONFIG: config, PORT: String(port), HOST: '127.0.0.1', GATEWAY_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn', GATEWAY_ADMIN_KEY: ADMIN_KEY },
  });
  await waitHttp(`${url}/healthz`, gw);

  const samples = fc.sample(fc.tuple(mutation(PATHS), fc.boolean()), { seed: Number(values.seed), numRuns: 500 });
  const statuses: Record<string, number> = {};
  const breaks: string[] = [];
  const rss: number[] = [];
  const started = Date.now();
  let n = 0;
  for (; n < MAX_REQUESTS && Date.now() - started < MAX_MS; n++) {
    // Every fourth request is a normal one: the trail must keep taking them between hostile ones.
    const [m, stream] = samples[n % samples.length]!;
    const { bytes, label } = n % 4 === 3 ? { bytes: Buffer.from(JSON.stringify(CHAT)), label: 'normal' } : applyMutation({ ...CHAT, stream }, m);
    const r = await send(url, '/v1/chat/completions', { method: 'POST', headers: { ...json, ...auth(), 'x-session-id': `soak-${n % 50}` }, body: bytes });
    const k = r.failure ? 'no-response' : String(r.status);
    statuses[k] = (statuses[k] ?? 0) + 1;
    const v = violation(r);
    if (v && breaks.length < 20) breaks.push(`${label} → ${v}`);
    if (gw.child.exitCode !== null || gw.child.signalCode !== null) break;
    if (n % 250 === 0) rss.push(rssMb(gw.pid) ?? -1);
  }
  const alive = gw.child.exitCode === null && gw.child.signalCode === null;
  let trail = false;
  if (alive) {
    const sid = `soak-probe-${randomUUID()}`;
    await chat(url, CHAT, { 'x-session-id': sid });
    for (let i = 0; i < 100 && !trail; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const v = await send(url, `/admin/audit/verify?session=${sid}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      trail = v.status === 200 && (JSON.parse(v.text) as { ok: boolean }).ok;
    }
  }
  const fivexx = Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((a, [, c]) => a + c, 0);
  const summary = { requests: n, seconds: Math.round((Date.now() - started) / 1000), statuses, fivexx, breaks, alive, trailOk: trail, rssMb: { first: rss[0], max: Math.max(...rss), last: rss.at(-1) } };
  console.log(JSON.stringify(summary, null, 2));
  const code = await gw.stop();
  if (!alive) console.error(gw.output());
  return alive && trail && breaks.length === 0 && code === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
