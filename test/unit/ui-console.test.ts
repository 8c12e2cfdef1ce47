// The reviewer's console through app.request(): off without an admin key, login, cookie flags, CSRF and origin checks, CSP, escaping.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createMcpSessionsFor, type AppParts } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import type { AppEnv } from '../../src/http/context.js';
import { featuresOf } from '../../src/ui/api-features.js';
import { issueSession, safeNext, SESSION_TTL_SECONDS } from '../../src/ui/auth.js';
import { CSP } from '../../src/ui/security-headers.js';
import { apiQuery, type Filters } from '../../src/ui/session-filters.js';

const ADMIN = 'ui-admin-key-0123456789abcdef';
const ORIGIN = 'http://localhost';
let deps: Deps;
let off: Deps;
let app: Hono<AppEnv>;
let offApp: Hono<AppEnv>;
const parts: AppParts[] = [];

async function build(adminKey: string | undefined): Promise<{ deps: Deps; app: Hono<AppEnv> }> {
  const config = parseConfig(
    { logLevel: 'silent', providers: { mock: { kind: 'mock', models: ['echo'] } }, storage: { dataDir: 'memory://' }, ...(adminKey ? { auth: { adminKey } } : {}) },
    { DATABASE_URL: '' },
  );
  const d = await createDeps(config);
  const p = { mcp: createMcpSessionsFor(d) };
  parts.push(p);
  return { deps: d, app: createApp(d, p) };
}

beforeAll(async () => {
  ({ deps, app } = await build(ADMIN));
  ({ deps: off, app: offApp } = await build(undefined));
});
afterAll(async () => {
  for (const p of parts) await p.mcp.close();
  await deps?.close();
  await off?.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function login(extra: Record<string, string> = {}): Promise<Response> {
  return app.request('/ui/login', { method: 'POST', headers: { ...FORM, origin: ORIGIN, ...extra }, body: form({ key: ADMIN, next: '/ui/keys' }) });
}

/** A logged-in browser: its cookie and the CSRF token its pages carry. */
async function session(): Promise<{ cookie: string; csrf: string }> {
  const res = await login();
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await app.request('/ui/keys', { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(csrf).toBeTruthy();
  return { cookie, csrf: csrf! };
}

function expectSecurityHeaders(res: Response): void {
  expect(res.headers.get('content-security-policy')).toBe(CSP);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
}

describe('without GATEWAY_ADMIN_KEY', () => {
  it('the console is off: 404 with a page that says so, like /admin', async () => {
    for (const path of ['/ui', '/ui/sessions', '/ui/login', '/ui/assets/console.js']) {
      const res = await offApp.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toContain('The console is off');
      expectSecurityHeaders(res);
    }
    expect((await offApp.request('/ui/login', { method: 'POST', headers: FORM, body: form({ key: '' }) })).status).toBe(404);
  });
});

describe('login and the session cookie', () => {
  it('sends pages to the login form, which has a strict CSP, no inline script or style, and no caching', async () => {
    const res = await app.request('/ui/sessions?key=k1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/login?next=%2Fui%2Fsessions%3Fkey%3Dk1');
    expectSecurityHeaders(res);
    const page = await app.request('/ui/login');
    expect(page.status).toBe(200);
    expectSecurityHeaders(page);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
  });

  it('refuses a wrong key (401, no cookie) and an empty one', async () => {
    for (const key of ['wrong-key', ADMIN.slice(0, -1), '']) {
      const res = await app.request('/ui/login', { method: 'POST', headers: FORM, body: form({ key }) });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toContain('That is not the admin key.');
    }
  });

  it('sets an HttpOnly, SameSite=Strict cookie scoped to /ui, Secure over https, and goes to `next`', async () => {
    const res = await login();
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/keys');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^gw_ui_session=\d+\.[\w-]+\.[\w-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/ui');
    expect(cookie).toContain(`Max-Age=${SESSION_TTL_SECONDS}`);
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain(ADMIN);
    const https = (await login({ 'x-forwarded-proto': 'https' })).headers.get('set-cookie')!;
    expect(https).toContain('Secure');
  });

  it('refuses a login posted from another site', async () => {
    const cross = await app.request('/ui/login', { method: 'POST', headers: { ...FORM, origin: 'https://evil.example' }, body: form({ key: ADMIN }) });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
    const fetchMeta = await app.request('/ui/login', { method: 'POST', headers: { ...FORM, 'sec-fetch-site': 'cross-site' }, body: form({ key: ADMIN }) });
    expect(fetchMeta.status).toBe(403);
  });

  it('accepts its own cookie and refuses a forged, expired or old-admin-key one', async () => {
    const { cookie } = await session();
    const ok = await app.request('/ui/sessions', { headers: { cookie } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<h1>Sessions</h1>');
    const value = cookie.split('=')[1]!;
    const [exp, nonce] = value.split('.');
    const bad = [
      `${Number(exp) + 3600}.${nonce}.${value.split('.')[2]}`, // later expiry, same signature
      issueSession(ADMIN, Date.now() - (SESSION_TTL_SECONDS + 1) * 1000).token, // expired
      issueSession('a-previous-admin-key-000000').token, // signed with another admin key
      'garbage',
    ];
    for (const v of bad) {
      const res = await app.request('/ui/sessions', { headers: { cookie: `gw_ui_session=${v}` } });
      expect(res.status, v).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/ui\/login/);
    }
  });

  it('never redirects off the console after login', () => {
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example', '/uievil', '/ui//evil.example', '/admin/keys', '']) expect(safeNext(next), next).toBe('/ui/sessions');
    for (const next of ['/ui', '/ui/', '/ui/keys', '/ui/sessions/s-1?key=k1']) expect(safeNext(next)).toBe(next);
  });

  it('logs out (clearing the cookie) only with the CSRF token', async () => {
    const { cookie, csrf } = await session();
    const refused = await app.request('/ui/logout', { method: 'POST', headers: { ...FORM, cookie }, body: '' });
    expect(refused.status).toBe(403);
    const res = await app.request('/ui/logout', { method: 'POST', headers: { ...FORM, cookie, origin: ORIGIN }, body: form({ _csrf: csrf }) });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/^gw_ui_session=;.*Max-Age=0/);
  });
});

describe('changes need the CSRF token and a same-origin browser', () => {
  const createKey = (cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.request('/ui/keys', { method: 'POST', headers: { ...FORM, cookie, ...headers }, body: form({ name: 'ui-made', rules: '', ...fields }) });

  it('refuses a missing, wrong or other-session token, and a cross-site request even with the token', async () => {
    const { cookie, csrf } = await session();
    const other = await session();
    const before = (await deps.admin.listKeys()).length;
    expect((await createKey(cookie, {})).status).toBe(403);
    expect((await createKey(cookie, { _csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await createKey(cookie, { _csrf: other.csrf })).status).toBe(403);
    expect((await createKey(cookie, { _csrf: csrf }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await createKey(cookie, { _csrf: csrf }, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    const json = await app.request('/ui/keys', { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ _csrf: csrf, name: 'x' }) });
    expect(json.status).toBe(403);
    expect((await deps.admin.listKeys()).length).toBe(before);
    const res = await createKey(cookie, { _csrf: csrf }, { origin: ORIGIN, 'sec-fetch-site': 'same-origin' });
    expect(res.status).toBe(201);
    expect(await res.text()).toMatch(/value="sk-gw-[\w-]+"/);
    expect((await deps.admin.listKeys()).length).toBe(before + 1);
  });

  it('shows the admin API’s validation error for bad rules and keeps what was typed', async () => {
    const { cookie, csrf } = await session();
    const res = await createKey(cookie, { _csrf: csrf, name: 'bad-rules', rules: '{"models": "not-a-list"}' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/role="alert">[^<]*models: Invalid input: expected array/);
    expect(html).toContain('value="bad-rules"');
    const syntax = await createKey(cookie, { _csrf: csrf, name: 'bad-json', rules: '{models' });
    expect(syntax.status).toBe(400);
    expect(await syntax.text()).toContain('not valid JSON');
  });

  it('sets a key’s expiry, and edits its rules where the admin API takes them (else shows them read-only)', async () => {
    const { cookie, csrf } = await session();
    const { record } = await deps.admin.createKey({ name: 'to-edit', models: ['mock/*'] });
    const page = await (await app.request(`/ui/keys/${record.id}`, { headers: { cookie } })).text();
    expect(page).toContain('&quot;mock/*&quot;');
    const post = (path: string, fields: Record<string, string>) =>
      app.request(`/ui/keys/${record.id}/${path}`, { method: 'POST', headers: { ...FORM, cookie, origin: ORIGIN }, body: form({ _csrf: csrf, ...fields }) });
    const expiry = await post('expiry', { expiresAt: '2031-05-06T07:08' });
    expect(expiry.status).toBe(303);
    expect((await deps.admin.getKey(record.id)).expiresAt).toBe('2031-05-06T07:08:00.000Z');
    expect((await post('expiry', { expiresAt: '' })).status).toBe(303);
    expect((await deps.admin.getKey(record.id)).expiresAt).toBeNull();
    if (page.includes(`action="/ui/keys/${record.id}/rules"`)) {
      expect((await post('rules', { rules: '{"models": ["openai/*"]}' })).status).toBe(303);
      expect((await deps.admin.getKey(record.id)).policy).toMatchObject({ models: ['openai/*'] });
    } else {
      expect(page).toContain('changes a key&#39;s expiry only');
    }
  });

  it('escapes what it shows (a key named like markup stays text)', async () => {
    const { cookie, csrf } = await session();
    const name = '<img src=x onerror=alert(1)>"\'';
    expect((await createKey(cookie, { _csrf: csrf, name })).status).toBe(201);
    const html = await (await app.request('/ui/keys', { headers: { cookie } })).text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('assets and other paths', () => {
  it('serves its script, stylesheet and uPlot from the gateway, revalidated by ETag', async () => {
    for (const [name, type] of [['console.js', 'text/javascript'], ['console.css', 'text/css'], ['uPlot.iife.min.js', 'text/javascript'], ['uPlot.min.css', 'text/css']]) {
      const res = await app.request(`/ui/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expectSecurityHeaders(res);
      const etag = res.headers.get('etag')!;
      expect((await res.text()).length).toBeGreaterThan(100);
      expect((await app.request(`/ui/assets/${name}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    expect((await app.request('/ui/assets/../../package.json')).status).toBe(404);
    expect((await app.request('/ui/assets/nope.js')).status).toBe(404);
  });

  it('answers unknown console paths with an HTML 404 once logged in', async () => {
    const { cookie } = await session();
    const res = await app.request('/ui/nope', { headers: { cookie } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
    expectSecurityHeaders(res);
  });
});

describe('the console offers what the admin API declares', () => {
  it('reads session filters and key-rule edits from the OpenAPI document the API serves', async () => {
    const res = await app.request('/admin/openapi.json', { headers: { authorization: `Bearer ${ADMIN}` } });
    const live = featuresOf((await res.json()) as never);
    for (const p of ['key', 'team', 'from', 'to', 'hasDenials', 'limit', 'offset']) expect(live.sessionFilters.has(p), p).toBe(true);
    const doc = {
      paths: {
        '/admin/sessions': { get: { parameters: [{ name: 'key', in: 'query' }, { name: 'client', in: 'query' }, { name: 'id', in: 'path' }] } },
        '/admin/keys/{id}': { patch: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/KeyPatch' } } } } } },
      },
      components: { schemas: { KeyPatch: { type: 'object', properties: { expiresAt: {}, models: {} } } } },
    };
    expect(featuresOf(doc)).toEqual({ sessionFilters: new Set(['key', 'client']), keyRulesPatch: true });
    expect(featuresOf({}).keyRulesPatch).toBe(false);
  });

  it('sends only the filters the API declares, with form times read as UTC', () => {
    const f: Filters = { key: 'k1', team: '', from: '2030-01-02T03:04', to: '', hasDenials: 'true', client: 'claude', hasRedactions: 'true', minCostUsd: '', sessionPrefix: '', limit: 50, offset: 0 };
    expect(apiQuery(f, new Set(['key', 'team', 'from', 'to', 'hasDenials', 'limit', 'offset']))).toEqual({
      key: 'k1',
      team: '',
      from: '2030-01-02T03:04:00.000Z',
      to: undefined,
      hasDenials: 'true',
      limit: 50,
      offset: 0,
    });
  });
});
