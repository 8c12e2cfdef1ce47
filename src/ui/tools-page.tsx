// The MCP tools page's markup: tool definitions held back by pinning (with what changed) to approve or reject, and the approved ones.
import type { FC } from 'hono/jsx';
import type { ToolPinView } from './api-types.js';
import { when } from './format.js';
import { CsrfField, Layout, Notice } from './layout.js';
import { Table } from './table.js';

export interface ToolsPageProps {
  csrf: string;
  tools: ToolPinView[];
  notice?: string;
  error?: string;
}

const short = (h: string | null): string => (h ? `${h.slice(0, 12)}…` : '–');
const shown = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v, null, 2));

/** One review action; the pending hash rides along, so the API refuses it (409) if the tool changed after the page was drawn. */
const Review: FC<{ csrf: string; t: ToolPinView; verb: 'approve' | 'reject' }> = ({ csrf, t, verb }) => (
  <form method="post" action={`/ui/tools/${verb}`} class="inline" data-confirm={verb === 'approve' ? `Approve the new definition of ${t.server} ${t.tool}? Agents can use it at once.` : undefined}>
    <CsrfField token={csrf} />
    <input type="hidden" name="server" value={t.server} />
    <input type="hidden" name="tool" value={t.tool} />
    <input type="hidden" name="hash" value={t.pendingHash ?? ''} />
    <button type="submit" class={verb === 'approve' ? 'small' : 'secondary small'} aria-label={`${verb === 'approve' ? 'Approve' : 'Reject'} ${t.server} ${t.tool}`}>
      {verb === 'approve' ? 'Approve' : 'Reject'}
    </button>
  </form>
);

const Changes: FC<{ t: ToolPinView }> = ({ t }) => (
  <details class="payload">
    <summary>{t.approvedHash ? `${t.changes.length} change${t.changes.length === 1 ? '' : 's'}` : 'Definition (never approved)'}</summary>
    <table>
      <caption class="sr-only">{`What changed in ${t.server} ${t.tool}`}</caption>
      <thead>
        <tr>
          <th scope="col">Path</th>
          <th scope="col">Approved</th>
          <th scope="col">Pending</th>
        </tr>
      </thead>
      <tbody>
        {t.changes.map((c) => (
          <tr>
            <th scope="row" class="mono">{c.path}</th>
            <td>
              <pre>{shown(c.before)}</pre>
            </td>
            <td>
              <pre>{shown(c.after)}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </details>
);

const Pending: FC<{ csrf: string; tools: ToolPinView[] }> = ({ csrf, tools }) => (
  <Table caption="Tools awaiting review" columns={['Server', 'Tool', 'Status', 'Seen', 'Hashes', 'What changed', 'Actions']}>
    {tools.map((t) => (
      <tr data-tool={`${t.server}/${t.tool}`}>
        <td class="mono">{t.server}</td>
        <th scope="row" class="mono">{t.tool}</th>
        <td>
          <span class={`badge status-${t.status}`}>{t.status}</span>
        </td>
        <td class="nowrap">{when(t.changedAt)}</td>
        <td class="mono nowrap">{`${short(t.approvedHash)} → ${short(t.pendingHash)}`}</td>
        <td>
          <Changes t={t} />
        </td>
        <td class="actions">
          {t.configPin ? (
            <span class="muted">pinned in gateway.yaml</span>
          ) : (
            <>
              <Review csrf={csrf} t={t} verb="approve" />
              {t.status === 'quarantined' ? <Review csrf={csrf} t={t} verb="reject" /> : null}
            </>
          )}
        </td>
      </tr>
    ))}
  </Table>
);

const Approved: FC<{ tools: ToolPinView[] }> = ({ tools }) => (
  <Table caption="Approved tools" columns={['Server', 'Tool', 'Hash', 'Approved', 'By']}>
    {tools.map((t) => (
      <tr>
        <td class="mono">{t.server}</td>
        <th scope="row" class="mono">{t.tool}</th>
        <td class="mono" title={t.approvedHash ?? ''}>{short(t.approvedHash)}</td>
        <td class="nowrap">{when(t.approvedAt)}</td>
        <td>{t.approvedBy === 'first-use' ? 'first use' : (t.approvedBy ?? '–')}</td>
      </tr>
    ))}
  </Table>
);

export const ToolsPage: FC<ToolsPageProps> = ({ csrf, tools, notice, error }) => {
  const pending = tools.filter((t) => t.pendingHash !== null);
  const approved = tools.filter((t) => t.pendingHash === null);
  return (
    <Layout title="MCP tools" section="tools" csrf={csrf}>
      {notice ? <Notice kind="ok">{notice}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p class="hint">
        Each upstream tool's definition (name, title, description, schemas, annotations) is pinned by its hash. A changed or unapproved definition is hidden from agents and its calls are denied until it is approved here.
      </p>
      <h2>Awaiting review</h2>
      {pending.length === 0 ? <p class="empty">No tool definition awaits review.</p> : <Pending csrf={csrf} tools={pending} />}
      <h2>Approved</h2>
      {approved.length === 0 ? <p class="empty">No tools pinned yet (tools are pinned when a server is first listed).</p> : <Approved tools={approved} />}
    </Layout>
  );
};
