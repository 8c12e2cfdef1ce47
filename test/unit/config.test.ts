// Config loading: interpolation, defaults from the environment, and error messages that name the field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, interpolate, loadConfig, parseConfig } from '../../src/config.js';

describe('interpolate', () => {
  it('replaces ${VAR} and ${VAR:-default} everywhere, and names the path of a missing variable', () => {
    expect(interpolate({ a: ['x ${A} y', '${B:-dflt}'] }, { A: '1' })).toEqual({ a: ['x 1 y', 'dflt'] });
    expect(() => interpolate({ providers: { openai: { apiKey: '${NOPE}' } } }, {})).toThrow('providers.openai.apiKey: environment variable NOPE is not set');
  });
});

describe('parseConfig', () => {
  it('starts with the mock provider plus one per provider key in the environment', () => {
    const c = parseConfig({}, { OPENAI_API_KEY: 'k1', ANTHROPIC_API_KEY: 'k2', GROQ_API_KEY: 'k3' });
    expect(Object.keys(c.providers).sort()).toEqual(['anthropic', 'groq', 'mock', 'openai']);
    expect(c.providers.groq).toMatchObject({ kind: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1' });
    expect(c.server).toMatchObject({ port: 8080, host: '127.0.0.1' });
  });

  it('takes PORT, HOST, DATABASE_URL, GATEWAY_DATA_DIR and REDIS_URL from the environment', () => {
    const c = parseConfig({}, { PORT: '9999', HOST: '0.0.0.0', DATABASE_URL: 'postgres://x', GATEWAY_DATA_DIR: '/d', REDIS_URL: 'redis://r' });
    expect(c.server).toMatchObject({ port: 9999, host: '0.0.0.0' });
    expect(c.storage).toEqual({ databaseUrl: 'postgres://x', dataDir: '/d', redisUrl: 'redis://r' });
    expect(() => parseConfig({}, { PORT: 'eighty' })).toThrow('PORT');
  });

  it.each([
    [{ providers: { x: { kind: 'nope' } } }, 'providers.x.kind'],
    [{ providers: { x: { kind: 'openai-compatible' } } }, 'providers.x.baseUrl'],
    [{ providers: { x: { kind: 'openai', timeouts: { connectMs: -1 } } } }, 'providers.x.timeouts.connectMs'],
    [{ providers: { x: { kind: 'openai', apikey: 'typo' } } }, 'providers.x'],
    [{ models: { fast: { targets: [{ model: 'ghost/m' }] } } }, 'models.fast.targets.0.model: unknown provider "ghost"'],
    [{ models: { fast: { targets: [{ model: 'no-slash' }] } } }, 'models.fast.targets.0.model'],
    [{ keys: [{ id: 'k', key: 'short' }] }, 'keys.0.key'],
    [{ serverr: {} }, 'serverr'],
  ])('rejects %j naming %s', (raw, where) => {
    let err: unknown;
    try {
      parseConfig(raw, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(where);
  });
});

describe('gateway.example.yaml', () => {
  it('is a valid config', () => {
    const { config } = loadConfig({ GATEWAY_CONFIG: 'gateway.example.yaml', OPENAI_API_KEY: 'sk-test-000000' });
    expect(Object.keys(config.providers)).toContain('openai');
    expect(config.keys.length).toBeGreaterThan(0);
  });
});

describe('loadConfig', () => {
  it('reads GATEWAY_CONFIG and reports a missing file or bad YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    const file = join(dir, 'g.yaml');
    writeFileSync(file, 'providers:\n  m:\n    kind: mock\n    latencyMs: ${LAT:-5}\n');
    expect(loadConfig({ GATEWAY_CONFIG: file }).config.providers.m).toMatchObject({ kind: 'mock', latencyMs: 5 });
    expect(() => loadConfig({ GATEWAY_CONFIG: join(dir, 'missing.yaml') })).toThrow('file not found');
    writeFileSync(file, 'providers: [unclosed');
    expect(() => loadConfig({ GATEWAY_CONFIG: file })).toThrow('not valid YAML');
  });
});
