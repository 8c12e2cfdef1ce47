// GET /ui/sessions/:id: one session's header, chain verification and timeline (also printable), and its JSON Lines export.
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { seg, withQuery } from './admin-client.js';
import type { EventView, SessionView, Timeline as TimelineData } from './api-types.js';
import { num, usdMicros, when } from './format.js';
import { Layout, Notice, render } from './layout.js';
import { Timeline, Verification, type PayloadMode } from './timeline.js';
import type { UiEnv } from './ui-env.js';

const Summary: FC<{ s: SessionView }> = ({ s }) => (
  <dl class="summary">
    <div>
      <dt>Key</dt>
      <dd class="mono">{s.key ?? '(open gateway)'}</dd>
    </div>
    <div>
      <dt>Team</dt>
      <dd>{s.team ?? '–'}</dd>
    </div>
    <div>
      <dt>Client</dt>
      <dd>{[s.client.name, s.client.version].filter(Boolean).join(' ') || '–'}</dd>
    </div>
    <div>
      <dt>User agent</dt>
      <dd>{s.client.userAgent ?? '–'}</dd>
    </div>
    <div>
      <dt>First seen</dt>
      <dd>{when(s.firstSeen)}</dd>
    </div>
    <div>
      <dt>Last seen</dt>
      <dd>{when(s.lastSeen)}</dd>
    </div>
    <div>
      <dt>Calls</dt>
      <dd>{num(s.totals.calls)}</dd>
    </div>
    <div>
      <dt>Tokens in / out</dt>
      <dd>{`${num(s.totals.inputTokens)} / ${num(s.totals.outputTokens)}`}</dd>
    </div>
    <div>
      <dt>Cost</dt>
      <dd>{usdMicros(s.totals.costMicros)}</dd>
    </div>
    <div>
      <dt>Denials</dt>
      <dd>{num(s.totals.denials)}</dd>
    </div>
    <div>
      <dt>Redactions</dt>
      <dd>{num(s.totals.redactions)}</dd>
    </div>
  </dl>
);

const Failed: FC<{ title: string; message: string; csrf: string }> = ({ title, message, csrf }) => (
  <Layout title={title} section="sessions" csrf={csrf}>
    <Notice kind="error">{message}</Notice>
    <p>
      <a href="/ui/sessions">Back to the sessions</a>
    </p>
  </Layout>
);

export function sessionRoutes(app: Hono<UiEnv>): void {
  app.get('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    const key = c.req.query('key') || undefined;
    const print = c.req.query('print') === '1';
    // Payloads inline only when asked for (print, expand all); otherwise each is read from its event's page on demand.
    const inline = print || c.req.query('payloads') === 'all';
    const { admin, csrf } = c.var.ui;
    // One read: the timeline and its chain verification over the same rows (the verify route's check, in seq order).
    const timeline = await admin.get<TimelineData>(`/admin/sessions/${seg(id)}`, { key, verify: true, payloads: inline ? undefined : false });
    if (!timeline.ok) return render(c, <Failed title="Session" message={timeline.message} csrf={csrf} />, timeline.status);
    const { session, events } = timeline.data;
    const verify = timeline.data.verify ?? null;
    const self = (extra: string, q: Record<string, string> = {}) => withQuery(`/ui/sessions/${seg(session.id)}${extra}`, { key: session.key ?? '-', ...q });
    const payloads: PayloadMode = inline ? { inline: true, open: true } : { inline: false, href: (seq) => self(`/events/${seq}`) };
    return render(
      c,
      <Layout title={`Session ${session.id}`} section="sessions" csrf={csrf} print={print}>
        <Summary s={session} />
        <Verification verify={verify} error={verify ? null : 'the admin API sent no verification'} />
        <div class="toolbar no-print">
          <a class="button" href={self('/export')} download>
            Export JSON Lines
          </a>
          <a class="button secondary" href={self('', { print: '1' })}>
            Printable view
          </a>
          {inline ? (
            <a class="button secondary" href={self('')}>
              Collapse payloads
            </a>
          ) : (
            <a class="button secondary" href={self('', { payloads: 'all' })}>
              Expand all payloads
            </a>
          )}
        </div>
        {print ? (
          <p class="print-meta">
            {`Printed from the gateway's reviewer console. ${num(events.length)} events; chain ${verify?.ok ? 'verified' : 'NOT verified'}.`}{' '}
            <button type="button" class="no-print" data-action="print" hidden>
              Print
            </button>
          </p>
        ) : null}
        <h2>{`Timeline (${num(events.length)} events)`}</h2>
        {events.length === 0 ? <p class="empty">This session has no events left (retention may have cut them).</p> : <Timeline events={events} verify={verify} payloads={payloads} />}
      </Layout>,
    );
  });

  // One event with its payload: where a timeline's payload link goes, and what the console's script reads to show it in place.
  app.get('/sessions/:id/events/:seq', async (c) => {
    const id = c.req.param('id');
    const seq = c.req.param('seq');
    const key = c.req.query('key') || undefined;
    const { admin, csrf } = c.var.ui;
    const event = await admin.get<EventView>(`/admin/sessions/${seg(id)}/events/${seg(seq)}`, { key });
    if (!event.ok) return render(c, <Failed title="Event" message={event.message} csrf={csrf} />, event.status);
    return render(
      c,
      <Layout title={`Event #${seq} of session ${id}`} section="sessions" csrf={csrf}>
        <p>
          <a href={`${withQuery(`/ui/sessions/${seg(id)}`, { key })}#event-${seg(seq)}`}>Back to the session's timeline</a>
        </p>
        <Timeline events={[event.data]} verify={null} payloads={{ inline: true, open: true }} />
      </Layout>,
    );
  });

  // The admin API's stream, passed through as is (a download: same bytes the CLI exports).
  app.get('/sessions/:id/export', async (c) => {
    const res = await c.var.ui.admin.raw(`/admin/sessions/${seg(c.req.param('id'))}/export`, { key: c.req.query('key') || undefined });
    const headers = new Headers();
    for (const h of ['content-type', 'content-disposition']) {
      const v = res.headers.get(h);
      if (v) headers.set(h, v);
    }
    return new Response(res.body, { status: res.status, headers });
  });
}
