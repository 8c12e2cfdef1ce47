// GET /ui/sessions: the searchable, paginated list of agent sessions (GET /admin/sessions) and a jump to one session by id.
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { seg, withQuery } from './admin-client.js';
import type { KeyView, SessionView } from './api-types.js';
import { apiFeatures } from './api-features.js';
import { num, usdMicros, when } from './format.js';
import { Table } from './table.js';
import { Layout, Notice, render } from './layout.js';
import { apiQuery, FilterForm, filtersOf } from './session-filters.js';
import type { UiEnv } from './ui-env.js';

/** The session page's address; a session of an open gateway (no key) is `key=-`, as the API spells it. */
export const sessionHref = (id: string, key: string | null): string => `/ui/sessions/${seg(id)}?key=${encodeURIComponent(key ?? '-')}`;

const clientOf = (s: SessionView): string => [s.client.name && `${s.client.name}${s.client.version ? ` ${s.client.version}` : ''}`, s.client.userAgent].filter(Boolean).join(' · ') || '–';

const SessionsTable: FC<{ rows: SessionView[] }> = ({ rows }) => (
  <Table caption="Agent sessions, most recent first" columns={['Session', 'Key', 'Team', 'Client', 'Last seen', { label: 'Events', n: true }, { label: 'Tokens in / out', n: true }, { label: 'Cost', n: true }, 'Policy']}>
    {rows.map((s) => (
      <tr>
        <td>
          <a class="mono" href={sessionHref(s.id, s.key)}>
            {s.id}
          </a>
        </td>
        <td class="mono">{s.key ?? '(open)'}</td>
        <td>{s.team ?? '–'}</td>
        <td>{clientOf(s)}</td>
        <td class="nowrap">{when(s.lastSeen)}</td>
        <td class="n">{num(s.events)}</td>
        <td class="n">{`${num(s.totals.inputTokens)} / ${num(s.totals.outputTokens)}`}</td>
        <td class="n">{usdMicros(s.totals.costMicros)}</td>
        <td>
          {s.totals.denials > 0 ? <span class="badge denied">{`${s.totals.denials} denied`}</span> : null}
          {s.totals.redactions > 0 ? <span class="badge redacted">{`${s.totals.redactions} redacted`}</span> : null}
          {s.totals.denials === 0 && s.totals.redactions === 0 ? <span class="muted">clean</span> : null}
        </td>
      </tr>
    ))}
  </Table>
);

export function sessionsRoutes(app: Hono<UiEnv>): void {
  app.get('/sessions', async (c) => {
    const f = filtersOf(c);
    const { admin, csrf } = c.var.ui;
    const [features, keys] = await Promise.all([apiFeatures(admin), admin.get<{ data: KeyView[] }>('/admin/keys')]);
    const supported = features.sessionFilters;
    const list = await admin.get<{ data: SessionView[]; nextOffset: number | null }>('/admin/sessions', apiQuery(f, supported));
    const page = (offset: number) => withQuery('/ui/sessions', { ...apiQuery(f, supported), from: f.from, to: f.to, offset: offset || undefined, limit: f.limit === 50 ? undefined : f.limit });
    return render(
      c,
      <Layout title="Sessions" section="sessions" csrf={csrf}>
        <form method="get" action="/ui/sessions/open" class="inline" aria-label="Open a session by id">
          <label for="open-id">Open session id</label>
          <input id="open-id" name="id" required maxlength={256} class="mono" />
          <label for="open-key">Its key (if several keys used the id)</label>
          <input id="open-key" name="key" maxlength={256} class="mono" />
          <button type="submit">Open</button>
        </form>
        <FilterForm f={f} keys={keys.ok ? keys.data.data : []} supported={supported} />
        {!list.ok ? (
          <Notice kind="error">{list.message}</Notice>
        ) : list.data.data.length === 0 ? (
          <p class="empty">No sessions match. Sessions appear once an agent calls the gateway (the trail is written within a second).</p>
        ) : (
          <>
            <SessionsTable rows={list.data.data} />
            <nav class="pager" aria-label="Pages">
              {f.offset > 0 ? <a href={page(Math.max(0, f.offset - f.limit))}>← Newer</a> : <span />}
              <span class="muted">{`Sessions ${f.offset + 1}–${f.offset + list.data.data.length}`}</span>
              {list.data.nextOffset !== null ? <a href={page(list.data.nextOffset)}>Older →</a> : <span />}
            </nav>
          </>
        )}
      </Layout>,
      list.ok ? 200 : list.status,
    );
  });

  app.get('/sessions/open', (c) => {
    const id = (c.req.query('id') ?? '').trim();
    const key = (c.req.query('key') ?? '').trim();
    if (!id) return c.redirect('/ui/sessions', 303);
    return c.redirect(key ? sessionHref(id, key) : `/ui/sessions/${seg(id)}`, 303);
  });
}
