// The gateway as a real child process (`src/main.ts`) under hostile input: a crash or V8 OOM shows as the child exiting.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../helpers/mcp.js';
import { applyMutation, deepText, mutation, type Json, type Path } from './arbitraries.js';
import { ADMIN_KEY, auth, chat, json, send } from './harness.js';
import { childRss, RSS_LIMIT_BYTES, Tally } from './invariants.js';

let child: ChildProcess;
let url = '';
let output = '';
const exited = () => child.exitCode !== null || child.signalCode !== null;
const tail = () => output.slice(-2_000);

async function startChild(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-robust-'));
  const config = join(dir, 'gateway.yaml');
  // JSON is YAML: no quoting surprises.
  writeFileSync(
    config,
    JSON.stringify({
      server: { bodyLimitBytes: 1024 * 1024, shutdownGraceMs: 2_000 },
      keys: KEYS,
      providers: { mock: { kind: 'mock', models: ['echo'] } },
      audit: { flushIntervalMs: 50 },
      requestLog: { flushIntervalMs: 50 },
    }),
  );
  // A finite heap turns a runaway allocation into a visible crash instead of a swapping machine.
  child = spawn(process.execPath, ['--max-old-space-size=1024', '--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, GATEWAY_CONFIG: config, PORT: '0', HOST: '127.0.0.1', GATEWAY_DATA_DIR: 'memory://', LOG_LEVEL: 'info', GATEWAY_ADMIN_KEY: ADMIN_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stderr!.on('data', keep);
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${tail()}`)), 45_000);
    child.stdout!.on('data', (d: Buffer) => {
      keep(d);
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*gateway listening|gateway listening[^\n]*"url":"(http:\/\/[^"]+)"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve((m[1] ?? m[2])!);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited at start (${code ?? sig}): ${tail()}`));
    });
  });
}

beforeAll(startChild, 60_000);
afterAll(async () => {
  if (!child || exited()) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
});

function expectAlive(what: string): void {
  expect(exited(), `the gateway process died after ${what} (exit ${child.exitCode ?? child.signalCode}): ${tail()}`).toBe(false);
  const rss = childRss(child.pid!);
  if (rss !== null) expect(rss, `child VmRSS ${Math.round(rss / 2 ** 20)} MB after ${what}`).toBeLessThan(RSS_LIMIT_BYTES);
}

const CHAT: Record<string, Json> = { model: 'mock/echo', messages: [{ role: 'user', content: 'hello' }], metadata: { a: 'b' }, max_tokens: 8 };
const PATHS: Path[] = [['model'], ['messages', 0, 'content'], ['messages', 0], ['metadata'], ['max_tokens'], ['stream'], ['tools']];

describe('gateway child process under hostile input', () => {
  it('survives the known triggers and a fuzz burst, stays under the RSS bound, and keeps its trail', { timeout: 120_000 }, async () => {
    const t = new Tally('child-process');
    const hostile: Array<[string, () => Promise<void>]> = [
      ['embeddings dimensions 2147483648', async () => t.record(await send(url, '/v1/embeddings', { method: 'POST', headers: { ...json, ...auth() }, body: '{"model":"mock/echo","input":"x","dimensions":2147483648}' }), 'dims')],
      ['lone surrogate', async () => t.record(await chat(url, '{"model":"mock/echo","messages":[{"role":"user","content":"x \\ud800"}]}'), 'surrogate')],
      ['NUL model', async () => t.record(await chat(url, '{"model":"mock/echo\\u0000","messages":[{"role":"user","content":"x"}]}'), 'nul model')],
      ['10,000-deep nesting', async () => t.record(await chat(url, `{"model":"mock/echo","messages":[{"role":"user","content":"x","extra":${deepText(10_000)}}],"extra":${deepText(10_000, 'array')}}`), 'deep')],
      ['900 KB model names', async () => {
        for (let i = 0; i < 5; i++) t.record(await chat(url, { model: `mock/${'m'.repeat(900_000)}${i}`, messages: [{ role: 'user', content: 'x' }] }), 'long model');
      }],
      ['bodies over the limit', async () => {
        const big = Buffer.alloc(5 * 1024 * 1024, 0x61);
        for (const [method, path, key] of [['POST', '/mcp', KEYS[0]!.key], ['POST', '/admin/keys', ADMIN_KEY], ['POST', '/v1/chat/completions', KEYS[0]!.key]] as const) {
          t.record(await send(url, path, { method, headers: { ...json, accept: 'application/json, text/event-stream', authorization: `Bearer ${key}` }, body: big }), `big ${path}`);
        }
      }],
    ];
    for (const [what, run] of hostile) {
      await run();
      expectAlive(what);
    }
    await fc.assert(
      fc.asyncProperty(mutation(PATHS), fc.boolean(), async (m, stream) => {
        const { bytes, label } = applyMutation({ ...CHAT, stream }, m);
        t.record(await send(url, '/v1/chat/completions', { method: 'POST', headers: { ...json, ...auth() }, body: bytes }), label);
        return !exited();
      }),
      { seed: 424_242, numRuns: 60, endOnFailure: true },
    );
    t.check();
    expectAlive('the fuzz burst');

    const sid = `child-probe-${randomUUID()}`;
    const r = await chat(url, { model: 'mock/echo', messages: [{ role: 'user', content: 'probe' }] }, { 'x-session-id': sid });
    expect(r.status, r.text.slice(0, 200)).toBe(200);
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    let verify: { ok?: boolean; checked?: number } = {};
    for (let i = 0; i < 200 && !verify.ok; i++) {
      await new Promise((res) => setTimeout(res, 50));
      const v = await send(url, `/admin/audit/verify?session=${sid}`, { headers: admin });
      if (v.status === 200) verify = JSON.parse(v.text) as typeof verify;
    }
    expect(verify, `audit trail of the probe session in the child: ${tail()}`).toMatchObject({ ok: true });
    expectAlive('the probe');
  });
});
