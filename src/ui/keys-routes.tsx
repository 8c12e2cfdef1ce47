// /ui/keys and /ui/teams: list, create (the key shown once), rotate, revoke, expiry and rules, each through the admin API.
import type { Context, Hono } from 'hono';
import { seg } from './admin-client.js';
import { apiFeatures } from './api-features.js';
import type { KeyView, TeamView } from './api-types.js';
import { utcField } from './format.js';
import { field, parseRules, type Form } from './forms.js';
import { KeyDetail, KeyShownOnce } from './key-page.js';
import { KeysPage, type KeysPageProps } from './keys-page.js';
import { render } from './layout.js';
import { TeamDetail } from './team-page.js';
import type { UiEnv } from './ui-env.js';

type Ctx = Context<UiEnv>;

/** Fixed texts for the notice after a redirect: the query names one, never free text. */
const DONE: Record<string, string> = { revoked: 'revoked', saved: 'saved', deleted: 'deleted', created: 'created' };

const noticeOf = (c: Ctx): string | undefined => {
  const done = DONE[c.req.query('done') ?? ''];
  const id = c.req.query('id');
  return done ? `${id ? `${id}: ` : ''}${done}.` : undefined;
};

async function keysPage(c: Ctx, extra: Partial<KeysPageProps> = {}, status = 200): Promise<Response> {
  const { admin, csrf } = c.var.ui;
  const [keys, teams] = await Promise.all([admin.get<{ data: KeyView[] }>('/admin/keys'), admin.get<{ data: TeamView[] }>('/admin/teams')]);
  const error = [extra.error, keys.ok ? null : keys.message, teams.ok ? null : teams.message].filter(Boolean).join(' ') || undefined;
  const page = <KeysPage csrf={csrf} keys={keys.ok ? keys.data.data : []} teams={teams.ok ? teams.data.data : []} notice={extra.notice ?? noticeOf(c)} draft={extra.draft} error={error} />;
  return render(c, page, status);
}

async function keyPage(c: Ctx, id: string, extra: { error?: string; rules?: string } = {}, status = 200): Promise<Response> {
  const [k, features] = await Promise.all([c.var.ui.admin.get<KeyView>(`/admin/keys/${seg(id)}`), apiFeatures(c.var.ui.admin)]);
  if (!k.ok) return keysPage(c, { error: k.message }, k.status);
  return render(c, <KeyDetail csrf={c.var.ui.csrf} k={k.data} notice={noticeOf(c)} editable={features.keyRulesPatch} {...extra} />, status);
}

// The guard parsed the body already (for the CSRF token); Hono hands back that parse.
const form = async (c: Ctx): Promise<Form> => (await c.req.parseBody()) as Form;

export function keysRoutes(app: Hono<UiEnv>): void {
  app.get('/keys', (c) => keysPage(c));

  app.post('/keys', async (c) => {
    const f = await form(c);
    const draft = { form: 'key' as const, name: field(f, 'name'), team: field(f, 'team'), expiresAt: field(f, 'expiresAt'), rules: field(f, 'rules') };
    const rules = parseRules(draft.rules);
    if (!rules.ok) return keysPage(c, { error: rules.message, draft }, 400);
    const body = { ...rules.value, name: draft.name, ...(draft.team ? { team: draft.team } : {}), ...(draft.expiresAt ? { expiresAt: utcField(draft.expiresAt) ?? draft.expiresAt } : {}) };
    const r = await c.var.ui.admin.send<{ key: string; record: KeyView; warning?: string }>('POST', '/admin/keys', body);
    if (!r.ok) return keysPage(c, { error: r.message, draft }, r.status);
    return render(c, <KeyShownOnce csrf={c.var.ui.csrf} title="Key created" secret={r.data.key} record={r.data.record} warning={r.data.warning} />, 201);
  });

  app.get('/keys/:id', (c) => keyPage(c, c.req.param('id')));

  app.post('/keys/:id/rotate', async (c) => {
    const r = await c.var.ui.admin.send<{ key: string; record: KeyView }>('POST', `/admin/keys/${seg(c.req.param('id'))}/rotate`);
    if (!r.ok) return keysPage(c, { error: r.message }, r.status);
    return render(c, <KeyShownOnce csrf={c.var.ui.csrf} title={`Key ${c.req.param('id')} rotated`} secret={r.data.key} record={r.data.record} />, 201);
  });

  app.post('/keys/:id/revoke', async (c) => {
    const id = c.req.param('id');
    const r = await c.var.ui.admin.send<KeyView>('POST', `/admin/keys/${seg(id)}/revoke`);
    if (!r.ok) return keysPage(c, { error: r.message }, r.status);
    return c.redirect(`/ui/keys?done=revoked&id=${encodeURIComponent(id)}`, 303);
  });

  app.post('/keys/:id/expiry', async (c) => {
    const id = c.req.param('id');
    const raw = field(await form(c), 'expiresAt');
    const r = await c.var.ui.admin.send<KeyView>('PATCH', `/admin/keys/${seg(id)}`, { expiresAt: raw ? (utcField(raw) ?? raw) : null });
    if (!r.ok) return keyPage(c, id, { error: r.message }, r.status);
    return c.redirect(`/ui/keys/${seg(id)}?done=saved&id=${encodeURIComponent(id)}`, 303);
  });

  app.post('/keys/:id/rules', async (c) => {
    const id = c.req.param('id');
    const text = field(await form(c), 'rules');
    const rules = parseRules(text);
    if (!rules.ok) return keyPage(c, id, { error: rules.message, rules: text }, 400);
    const r = await c.var.ui.admin.send<KeyView>('PATCH', `/admin/keys/${seg(id)}`, rules.value);
    if (!r.ok) return keyPage(c, id, { error: r.message, rules: text }, r.status);
    return c.redirect(`/ui/keys/${seg(id)}?done=saved&id=${encodeURIComponent(id)}`, 303);
  });

  app.post('/teams', async (c) => {
    const f = await form(c);
    const draft = { form: 'team' as const, id: field(f, 'id'), name: field(f, 'name'), rules: field(f, 'rules') };
    const rules = parseRules(draft.rules);
    if (!rules.ok) return keysPage(c, { error: rules.message, draft }, 400);
    if (!draft.id) return keysPage(c, { error: 'A team needs an id.', draft }, 400);
    const exists = await c.var.ui.admin.get<{ data: TeamView[] }>('/admin/teams');
    if (exists.ok && exists.data.data.some((t) => t.id === draft.id)) {
      return keysPage(c, { error: `Team "${draft.id}" exists already; edit it from its page.`, draft }, 409);
    }
    const r = await c.var.ui.admin.send<TeamView>('PUT', `/admin/teams/${seg(draft.id)}`, { ...rules.value, name: draft.name });
    if (!r.ok) return keysPage(c, { error: r.message, draft }, r.status);
    return c.redirect(`/ui/keys?done=created&id=${encodeURIComponent(draft.id)}`, 303);
  });

  app.get('/teams/:id', async (c) => teamPage(c, c.req.param('id')));

  app.post('/teams/:id', async (c) => {
    const id = c.req.param('id');
    const f = await form(c);
    const text = field(f, 'rules');
    const rules = parseRules(text);
    if (!rules.ok) return teamPage(c, id, { error: rules.message, rules: text }, 400);
    const current = await c.var.ui.admin.get<{ data: TeamView[] }>('/admin/teams');
    const metadata = current.ok ? current.data.data.find((t) => t.id === id)?.metadata : undefined;
    const r = await c.var.ui.admin.send<TeamView>('PUT', `/admin/teams/${seg(id)}`, { ...rules.value, name: field(f, 'name'), ...(metadata ? { metadata } : {}) });
    if (!r.ok) return teamPage(c, id, { error: r.message, rules: text }, r.status);
    return c.redirect(`/ui/teams/${seg(id)}?done=saved&id=${encodeURIComponent(id)}`, 303);
  });

  app.post('/teams/:id/delete', async (c) => {
    const id = c.req.param('id');
    const r = await c.var.ui.admin.send('DELETE', `/admin/teams/${seg(id)}`);
    if (!r.ok) return teamPage(c, id, { error: r.message }, r.status);
    return c.redirect(`/ui/keys?done=deleted&id=${encodeURIComponent(id)}`, 303);
  });
}

async function teamPage(c: Ctx, id: string, extra: { error?: string; rules?: string } = {}, status = 200): Promise<Response> {
  const teams = await c.var.ui.admin.get<{ data: TeamView[] }>('/admin/teams');
  if (!teams.ok) return keysPage(c, { error: teams.message }, teams.status);
  const team = teams.data.data.find((t) => t.id === id);
  if (!team) return keysPage(c, { error: `No team with id "${id}".` }, 404);
  return render(c, <TeamDetail csrf={c.var.ui.csrf} team={team} notice={noticeOf(c)} {...extra} />, status);
}
