// One writer per embedded database: the CLI works through the gateway holding a PGlite directory, refuses without its admin key, and a second gateway refuses the directory.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_KEY_WARNING } from '../../src/admin/keys-service.js';
import type { RunningGateway } from '../../src/server.js';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE } from '../../src/storage/data-dir-lock.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-cli-lock-0123456789';
const root = new URL('../../', import.meta.url).pathname;
const providers = { mock: { kind: 'mock', models: ['echo'] } };
/** A team declared in gateway.yaml, as the README pairs it with keys the CLI creates. */
const teams = { ml: { name: 'ML', models: ['mock/*'] } };
const tmp = mkdtempSync(join(tmpdir(), 'gw-cli-lock-'));
const dir = join(tmp, 'data');
const lockFile = join(dir, LOCK_FILE);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `gateway …` as a user runs it (bin/gateway.js), on the temp directory, never on Postgres. */
function gateway(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['DATABASE_URL', 'REDIS_URL', 'GATEWAY_ADMIN_KEY', 'GATEWAY_CONFIG'].includes(k)) base[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/gateway.js'), ...args], { cwd: tmp, env: { ...base, GATEWAY_DATA_DIR: dir, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const lock = () => JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; url: string | null; holder: string };

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startTestGateway({ providers, teams, storage: { dataDir: dir } }, { GATEWAY_ADMIN_KEY: ADMIN });
});
afterAll(async () => {
  await gw?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a gateway on a PGlite directory', { timeout: 120_000 }, () => {
  it('holds the directory and publishes its URL in the lock', () => {
    expect(lock()).toMatchObject({ pid: process.pid, url: gw.url, holder: 'gateway' });
  });

  let key = '';
  let session = '';
  it('the CLI creates a key through the admin API and the running gateway accepts it at once', async () => {
    const r = await gateway(['keys', 'create', '--name', 'via-cli', '--models', 'mock/*', '--json'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const created = JSON.parse(r.stdout) as { key: string; record: { name: string }; warning?: string };
    expect(created.record.name).toBe('via-cli');
    expect(created.warning).toBe(FIRST_KEY_WARNING);
    key = created.key;
    const listed = await (await fetch(`${gw.url}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as { data: Array<{ name: string }> };
    expect(listed.data.map((k) => k.name)).toContain('via-cli');
    session = `cli-lock-${Date.now()}`;
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: { 'x-session-id': session } });
    const reply = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hello' }] });
    expect(reply.choices[0]?.message.content).toBeTruthy();
  });

  it('`keys set` edits a key’s rules through the admin API, and the running gateway obeys them at once', async () => {
    const id = ((await (await fetch(`${gw.url}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { data: Array<{ id: string; name: string }> }).data.find((k) => k.name === 'via-cli')!.id;
    const chat = (model: string) =>
      fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
    const narrowed = await gateway(['keys', 'set', id, '--models', 'nothing/*', '--json'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(narrowed.code, narrowed.stdout + narrowed.stderr).toBe(0);
    expect((JSON.parse(narrowed.stdout) as { policy: { models: string[] } }).policy.models).toEqual(['nothing/*']);
    expect((await chat('mock/echo')).status).toBe(403);
    const back = await gateway(['keys', 'set', id, '--models', 'mock/*'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect((await chat('mock/echo')).status).toBe(200);
  });

  it('the second key comes without the first-key warning', async () => {
    const r = await gateway(['keys', 'create', '--name', 'second'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sk-gw-/);
    expect(r.stdout).not.toContain('warning'); // the second key changes nothing
  });

  it('teams declared in gateway.yaml show in `teams list`, take keys, and are read-only', async () => {
    const list = await gateway(['teams', 'list', '--json'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(list.code, list.stdout + list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ id: 'ml', name: 'ML', source: 'config' }));
    const created = await gateway(['keys', 'create', '--name', 'in-ml', '--team', 'ml', '--json'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(created.code, created.stdout + created.stderr).toBe(0);
    expect((JSON.parse(created.stdout) as { record: { team: string } }).record.team).toBe('ml');
    const edit = await gateway(['teams', 'set', 'ml', '--name', 'Renamed'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(edit.code).not.toBe(0);
    expect(edit.stdout).toContain('declared in gateway.yaml');
  });

  it('sessions list and audit verify show the gateway’s data, not an empty second instance', async () => {
    await expect.poll(async () => {
      const res = await fetch(`${gw.url}/admin/sessions`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return ((await res.json()) as { data: Array<{ id: string }> }).data.map((s) => s.id);
    }, { timeout: 15_000 }).toContain(session);
    const list = await gateway(['sessions', 'list', '--json'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(list.code, list.stdout + list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { data: Array<{ id: string }> }).data.map((s) => s.id)).toContain(session);
    const show = await gateway(['sessions', 'show', session], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(show.code, show.stdout + show.stderr).toBe(0);
    expect(show.stdout).toContain(`session ${session}`);
    expect(show.stdout).toContain('mock/echo');
    const verify = await gateway(['audit', 'verify', '--json'], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const result = JSON.parse(verify.stdout) as { ok: boolean; sessions: number };
    expect(result.ok).toBe(true);
    expect(result.sessions).toBeGreaterThanOrEqual(1);
    const one = await gateway(['audit', 'verify', '--session', session], { GATEWAY_ADMIN_KEY: ADMIN });
    expect(one.code, one.stdout + one.stderr).toBe(0);
    expect(one.stdout).toContain(session);
  });

  it('without the admin key the CLI refuses clearly and leaves the directory alone', async () => {
    const before = readFileSync(lockFile, 'utf8');
    for (const args of [['keys', 'list'], ['audit', 'verify']]) {
      const r = await gateway(args);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toContain(`a gateway (pid ${process.pid}, ${gw.url}) holds ${dir}`);
      expect(r.stdout).toContain('set GATEWAY_ADMIN_KEY');
      expect(r.stdout).not.toContain('ok:');
    }
    expect(readFileSync(lockFile, 'utf8')).toBe(before);
    expect(await gw.deps.database.ping()).toBeUndefined();
  });

  it('a wrong admin key is named as such', async () => {
    const r = await gateway(['keys', 'list'], { GATEWAY_ADMIN_KEY: 'not-the-admin-key' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('refused GATEWAY_ADMIN_KEY');
  });

  it('a second gateway on the same directory refuses to start', async () => {
    const err = await startTestGateway({ providers, storage: { dataDir: dir } }, { GATEWAY_ADMIN_KEY: ADMIN }).then(
      async (second) => {
        await second.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`a gateway (pid ${process.pid}, ${gw.url}) holds ${dir}`);
    const child = await gateway([], { PORT: '0' });
    expect(child.code).toBe(75);
    expect(child.stderr).toContain(`holds ${dir}`);
    expect(lock()).toMatchObject({ pid: process.pid, url: gw.url });
  });
});

describe('after the gateway stops', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await gw.stop();
  });

  it('removes its lock, and the CLI then works on the directory itself', async () => {
    expect(existsSync(lockFile)).toBe(false);
    const r = await gateway(['keys', 'list', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ name: string }>).map((k) => k.name)).toEqual(expect.arrayContaining(['via-cli', 'second']));
    expect(existsSync(lockFile)).toBe(false);
  });

  it('a gateway refuses the directory while a CLI command holds it', async () => {
    const held = acquireDataDirLock(dir, 'cli');
    try {
      await expect(startTestGateway({ providers, storage: { dataDir: dir } })).rejects.toThrow(`a gateway CLI command (pid ${process.pid}) holds ${dir}`);
    } finally {
      held.release();
    }
  });

  it('takes over a stale lock whose process is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(lockFile, JSON.stringify({ pid: dead, host: hostname(), holder: 'gateway', url: 'http://127.0.0.1:1', startedAt: new Date().toISOString(), token: 'old' }));
    gw = await startTestGateway({ providers, storage: { dataDir: dir } }, { GATEWAY_ADMIN_KEY: ADMIN });
    expect(lock()).toMatchObject({ pid: process.pid, url: gw.url });
    await gw.stop();
    expect(existsSync(lockFile)).toBe(false);
  });
});
