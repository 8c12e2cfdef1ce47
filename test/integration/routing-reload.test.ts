// Hot reload of gateway.yaml: a good file applies (new providers and aliases), a bad one is rejected with the old config serving, the watcher notices edits.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';

let gw: RunningGateway;
let client: OpenAI;
let dir: string;

const yaml = (provider: string, extra = '') => `
providers:
  ${provider}:
    kind: mock
    models: [echo]
models:
  smart:
    targets:
      - model: ${provider}/echo
${extra}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-reload-'));
  gw = await startTestGateway({ providers: { first: { kind: 'mock', models: ['echo'] } }, models: { smart: { targets: [{ model: 'first/echo' }] } } });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const servedBy = async (model: string) =>
  (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).withResponse()).response.headers.get('x-gateway-provider');

describe('config reload', () => {
  it('applies a valid file: new providers, aliases and routing take over', async () => {
    expect(await servedBy('smart')).toBe('first');
    const path = join(dir, 'good.yaml');
    writeFileSync(path, yaml('second', '  cheap:\n    strategy: round-robin\n    targets: [{ model: second/echo }]\n'));
    expect(gw.reloadConfig(path)).toEqual({ ok: true });
    expect(await servedBy('smart')).toBe('second');
    expect(await servedBy('cheap')).toBe('second');
    await expect(servedBy('first/echo')).rejects.toMatchObject({ status: 404 });
    // Server and storage settings are not reloaded: the gateway keeps its port and database.
    expect(gw.deps.config.server.port).toBe(0);
  });

  it('rejects a bad file and keeps serving the old config', async () => {
    const before = gw.deps.config;
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, yaml('third').replace('third/echo', 'nowhere/echo'));
    const r = gw.reloadConfig(bad);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error).toMatch(/unknown provider "nowhere"/);
    writeFileSync(bad, 'models: [not, a, mapping');
    expect(gw.reloadConfig(bad).ok).toBe(false);
    expect(gw.reloadConfig(join(dir, 'missing.yaml')).ok).toBe(false);
    expect(gw.deps.config).toBe(before);
    expect(await servedBy('smart')).toBe('second');
  });

  it('watches the file and applies an atomic save', async () => {
    const path = join(dir, 'gateway.yaml');
    writeFileSync(path, yaml('second'));
    gw.watchConfig(path);
    const tmp = join(dir, 'gateway.yaml.tmp');
    writeFileSync(tmp, yaml('fourth'));
    renameSync(tmp, path);
    await vi.waitFor(async () => expect(await servedBy('smart')).toBe('fourth'), { timeout: 10_000, interval: 100 });
  });
});
