// Teams from gateway.yaml and from the database are one view: listed together, config ones read-only, keys created in either.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-key-teams-0123456789abcdef';
const providers = { mock: { kind: 'mock', models: ['echo', 'other'] } };
let gw: RunningGateway;
const suffix = Date.now().toString(36); // database teams are unique per run: DATABASE_URL may be shared

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.url}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function chat(key: string, model: string): Promise<number> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body?.cancel();
  return res.status;
}

beforeAll(async () => {
  gw = await startTestGateway({ providers, teams: { ml: { name: 'ML', models: ['mock/echo'] } } }, { GATEWAY_ADMIN_KEY: ADMIN });
});
afterAll(async () => {
  await gw?.stop();
});

describe('config teams in the admin API', () => {
  let mlKey = '';

  it('lists config teams with source "config" beside database teams', async () => {
    expect((await admin('PUT', `/teams/db-${suffix}`, { name: 'From the API', models: ['mock/*'] })).json).toMatchObject({ id: `db-${suffix}`, source: 'database' });
    const { status, json } = await admin('GET', '/teams');
    expect(status).toBe(200);
    const data = json.data as Array<{ id: string; source: string; name: string; createdAt: string | null; policy: { models: string[] } }>;
    expect(data.filter((t) => t.id === 'ml')).toEqual([expect.objectContaining({ id: 'ml', name: 'ML', source: 'config', createdAt: null, policy: expect.objectContaining({ models: ['mock/echo'] }) })]);
    expect(data.find((t) => t.id === `db-${suffix}`)).toMatchObject({ source: 'database', name: 'From the API' });
  });

  it('creates a key in a config team, and the team’s rules (from the config) bind it', async () => {
    const { status, json } = await admin('POST', '/keys', { name: 'in-ml', team: 'ml' });
    expect(status, JSON.stringify(json)).toBe(201);
    expect(json.record.team).toBe('ml');
    mlKey = json.key;
    expect(await chat(mlKey, 'mock/echo')).toBe(200);
    expect(await chat(mlKey, 'mock/other')).toBe(403);
    // Still one entry for ml: the row the key points at is not a second team.
    const teams = (await admin('GET', '/teams')).json.data as Array<{ id: string }>;
    expect(teams.filter((t) => t.id === 'ml')).toHaveLength(1);
    expect((await admin('GET', '/keys?team=ml')).json.data.map((k: { name: string }) => k.name)).toContain('in-ml');
  });

  it('refuses to edit or delete a config team, and says where to change it', async () => {
    const edit = await admin('PUT', '/teams/ml', { name: 'Hijacked', models: ['*'] });
    expect(edit.status).toBe(409);
    expect(edit.json.error.message).toMatch(/declared in gateway\.yaml/);
    const del = await admin('DELETE', '/teams/ml');
    expect(del.status).toBe(409);
    expect(del.json.error.message).toMatch(/declared in gateway\.yaml/);
    expect(await chat(mlKey, 'mock/other')).toBe(403); // the refused edit changed nothing
  });

  it('deletes a database team without keys; one with keys is refused; an unknown one is 404', async () => {
    const lone = `lone-${suffix}`;
    expect((await admin('PUT', `/teams/${lone}`, { name: 'Lone' })).status).toBe(200);
    expect(await admin('DELETE', `/teams/${lone}`)).toEqual({ status: 200, json: { id: lone, deleted: true } });
    expect((await admin('DELETE', `/teams/${lone}`)).status).toBe(404);
    expect((await admin('POST', '/keys', { name: 'member', team: `db-${suffix}` })).status).toBe(201);
    const busy = await admin('DELETE', `/teams/db-${suffix}`);
    expect(busy.status).toBe(409);
    expect(busy.json.error.message).toMatch(/still has 1 key/);
  });

  it('a reload that adds a config team makes it usable at once; one that removes it leaves its keys bound by the last rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-teams-'));
    // A reload reads the environment as a start does: the admin key must be there for the admin API to stay on.
    const saved = process.env.GATEWAY_ADMIN_KEY;
    process.env.GATEWAY_ADMIN_KEY = ADMIN;
    try {
      const path = join(dir, 'gateway.yaml');
      const yaml = (teams: string) => `providers:\n  mock:\n    kind: mock\n    models: [echo, other]\nteams:\n${teams}`;
      writeFileSync(path, yaml('  ml:\n    name: ML\n    models: [mock/echo]\n  ops:\n    models: [mock/other]\n'));
      expect(gw.reloadConfig(path)).toEqual({ ok: true });
      const ops = await admin('POST', '/keys', { name: 'in-ops', team: 'ops' });
      expect(ops.status).toBe(201);
      expect(await chat(ops.json.key, 'mock/other')).toBe(200);
      expect(await chat(ops.json.key, 'mock/echo')).toBe(403);

      writeFileSync(path, yaml('  ml:\n    name: ML\n    models: [mock/echo]\n'));
      expect(gw.reloadConfig(path)).toEqual({ ok: true });
      const listed = (await admin('GET', '/teams')).json.data as Array<{ id: string; source: string }>;
      expect(listed.find((t) => t.id === 'ops')).toMatchObject({ source: 'database' });
      expect(await chat(ops.json.key, 'mock/echo')).toBe(403);
    } finally {
      if (saved === undefined) delete process.env.GATEWAY_ADMIN_KEY;
      else process.env.GATEWAY_ADMIN_KEY = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
