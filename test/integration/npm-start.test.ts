// `npm start` run as people and process managers run it: SIGTERM to npm alone, or Ctrl-C to the whole process group, lets an in-flight stream finish, exits 0 and leaves no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROMPT = 'one two three four five six seven eight';

interface NpmStart {
  proc: ChildProcess;
  url: string;
  /** npm's own exit status (an orphaned gateway would keep the pipes, and so 'close', open). */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every output line read (after exit, once the pipes close). */
  log: () => Promise<string>;
}

let fake: FakeUpstream;
let dir: string;
let running: NpmStart | null = null;

/** True while any process of the group npm leads is alive: the gateway, or anything it started. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `npm start` as the leader of a process group of its own, as a shell job is; resolves once the gateway listens. */
async function npmStart(): Promise<NpmStart> {
  // One data directory for both runs: the second start also shows the first released its lock on the way out.
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    GATEWAY_CONFIG: join(dir, 'gateway.yaml'),
    GATEWAY_DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    GATEWAY_ADMIN_KEY: '',
    LOG_LEVEL: 'debug',
    OTEL_SDK_DISABLED: 'true',
  };
  delete env.NODE_OPTIONS;
  const proc = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise<void>((resolve) => proc.on('close', () => resolve()));
  running = { proc, url: '', exit, log: () => closed.then(() => out) };
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"gateway listening"/.exec(out);
      if (m) resolve(m[1]!);
    };
    proc.stdout!.on('data', look);
    void exit.then(() => reject(new Error(`npm start exited before listening:\n${out}`)));
  });
  running.url = url;
  return running;
}

/** Starts a paced stream and returns once its first bytes arrived (wrapped: awaiting would adopt the rest too). */
async function streamInFlight(url: string): Promise<{ rest: Promise<string> }> {
  fake.fault({ path: '/chat/completions', chunkDelayMs: 150 });
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'up/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const first = await reader.read();
  expect(first.done).toBe(false);
  const rest = (async () => {
    let raw = decoder.decode(first.value, { stream: true });
    for (let r = await reader.read(); !r.done; r = await reader.read()) raw += decoder.decode(r.value, { stream: true });
    return raw;
  })();
  return { rest };
}

/** The streamed text, and whether the stream ended with [DONE]. */
function parseSse(raw: string): { text: string; done: boolean } {
  const data = raw.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  const chunks = data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as { choices: Array<{ delta: { content?: string } }> });
  return { text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), done: data.at(-1) === '[DONE]' };
}

describe.skipIf(process.platform === 'win32')('npm start', () => {
  beforeAll(async () => {
    // No build here: the first `npm start` compiles in its prestart, as in a fresh checkout.
    fake = await startFakeUpstream();
    dir = mkdtempSync(join(tmpdir(), 'gw-npm-start-'));
    writeFileSync(join(dir, 'gateway.yaml'), `providers:\n  up:\n    kind: openai-compatible\n    baseUrl: ${fake.url}/v1\n    apiKey: sk-up-test\n`);
  });

  afterEach(() => {
    const pid = running?.proc.pid;
    if (pid && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    running = null;
  });

  afterAll(async () => {
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('drains on SIGTERM to npm alone: the stream finishes, exit 0, no orphaned gateway', async () => {
    const gw = await npmStart();
    const stream = await streamInFlight(gw.url);
    process.kill(gw.proc.pid!, 'SIGTERM');
    const { text, done } = parseSse(await stream.rest);
    expect(text).toBe(`echo: ${PROMPT}`);
    expect(done).toBe(true);
    expect(await gw.exit).toEqual({ code: 0, signal: null });
    expect(groupAlive(gw.proc.pid!)).toBe(false);
    const log = await gw.log();
    expect(log).toContain('"signal":"SIGTERM","inflight":1');
    expect(log).not.toContain('exiting now without finishing the drain');
  }, 180_000);

  it('drains on Ctrl-C to the process group (npm forwards a second SIGINT): the stream finishes, exit 0', async () => {
    const gw = await npmStart();
    const stream = await streamInFlight(gw.url);
    process.kill(-gw.proc.pid!, 'SIGINT');
    const { text, done } = parseSse(await stream.rest);
    expect(text).toBe(`echo: ${PROMPT}`);
    expect(done).toBe(true);
    expect(await gw.exit).toEqual({ code: 0, signal: null });
    expect(groupAlive(gw.proc.pid!)).toBe(false);
    const log = await gw.log();
    expect(log).toContain('"signal":"SIGINT","inflight":1');
    expect(log).not.toContain('exiting now without finishing the drain');
  }, 180_000);
});
