// The keys and teams page's markup: both lists with their actions, and the forms that create a key or a team.
import type { FC } from 'hono/jsx';
import type { KeyView, TeamView } from './api-types.js';
import { when } from './format.js';
import { RULES_TEMPLATE } from './forms.js';
import { RulesField } from './key-page.js';
import { CsrfField, Layout, Notice } from './layout.js';
import { Table } from './table.js';

export interface KeysPageProps {
  csrf: string;
  keys: KeyView[];
  teams: TeamView[];
  notice?: string;
  error?: string;
  /** What the create forms showed when they were refused, so nothing typed is lost. */
  draft?: { form: 'key' | 'team'; name?: string; team?: string; id?: string; expiresAt?: string; rules?: string };
}

const Action: FC<{ csrf: string; action: string; label: string; confirm?: string; danger?: boolean }> = ({ csrf, action, label, confirm, danger }) => (
  <form method="post" action={action} class="inline" data-confirm={confirm}>
    <CsrfField token={csrf} />
    <button type="submit" class={danger ? 'danger small' : 'secondary small'}>
      {label}
    </button>
  </form>
);


const KeyRow: FC<{ k: KeyView; csrf: string }> = ({ k, csrf }) => (
  <tr data-key-id={k.id}>
    <th scope="row">
      <a class="mono" href={`/ui/keys/${encodeURIComponent(k.id)}`}>
        {k.id}
      </a>
    </th>
    <td>{k.name}</td>
    <td>{k.team ?? '–'}</td>
    <td class="mono">{`${k.prefix}…`}</td>
    <td>
      <span class={`badge status-${k.status}`}>{k.status}</span>
      {k.rotatedTo ? <span class="muted">{` → ${k.rotatedTo}`}</span> : null}
    </td>
    <td class="nowrap">{when(k.createdAt)}</td>
    <td class="nowrap">{k.expiresAt ? when(k.expiresAt) : 'never'}</td>
    <td class="actions">
      {k.status === 'active' ? (
        <>
          <Action csrf={csrf} action={`/ui/keys/${encodeURIComponent(k.id)}/rotate`} label="Rotate" confirm={`Rotate ${k.id}? The old key stops working at once.`} />
          <Action csrf={csrf} action={`/ui/keys/${encodeURIComponent(k.id)}/revoke`} label="Revoke" confirm={`Revoke ${k.id}? Agents using it are refused at once.`} danger />
        </>
      ) : null}
    </td>
  </tr>
);

export const KeysPage: FC<KeysPageProps> = ({ csrf, keys, teams, notice, error, draft }) => (
  <Layout title="Keys and teams" section="keys" csrf={csrf}>
    {notice ? <Notice kind="ok">{notice}</Notice> : null}
    {error ? <Notice kind="error">{error}</Notice> : null}
    <h2>Virtual keys</h2>
    {keys.length === 0 ? (
      <p class="empty">No keys in the database yet (keys declared in gateway.yaml are edited there).</p>
    ) : (
      <Table caption="Virtual keys" columns={['Id', 'Name', 'Team', 'Prefix', 'Status', 'Created', 'Expires', 'Actions']}>
        {keys.map((k) => (
          <KeyRow k={k} csrf={csrf} />
        ))}
      </Table>
    )}
    <details class="card" open={draft?.form === 'key'}>
      <summary>Create a key</summary>
      <form method="post" action="/ui/keys" class="grid">
        <CsrfField token={csrf} />
        <div class="field">
          <label for="key-name">Key name</label>
          <input id="key-name" name="name" required maxlength={200} value={draft?.form === 'key' ? draft.name : ''} />
        </div>
        <div class="field">
          <label for="key-team">Team</label>
          <select id="key-team" name="team">
            <option value="">(none)</option>
            {teams.map((t) => (
              <option value={t.id} selected={draft?.form === 'key' && draft.team === t.id}>{`${t.id} (${t.name})`}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="key-expires">Expires (UTC, optional)</label>
          <input id="key-expires" name="expiresAt" type="datetime-local" value={draft?.form === 'key' ? draft.expiresAt : ''} />
        </div>
        <RulesField id="key-rules" value={draft?.form === 'key' && draft.rules !== undefined ? draft.rules : RULES_TEMPLATE} />
        <div class="actions">
          <button type="submit">Create key</button>
        </div>
      </form>
    </details>
    <h2>Teams</h2>
    {teams.length === 0 ? (
      <p class="empty">No teams.</p>
    ) : (
      <Table caption="Teams" columns={['Id', 'Name', 'Source', 'Models', 'Tools', 'PII']}>
        {teams.map((t) => (
          <tr>
            <th scope="row">
              <a class="mono" href={`/ui/teams/${encodeURIComponent(t.id)}`}>
                {t.id}
              </a>
            </th>
            <td>{t.name}</td>
            <td>{t.source === 'config' ? 'gateway.yaml (read-only here)' : 'database'}</td>
            <td class="mono">{t.policy.models.join(', ')}</td>
            <td class="mono">{t.policy.tools.join(', ')}</td>
            <td>{t.policy.pii ?? 'default'}</td>
          </tr>
        ))}
      </Table>
    )}
    <details class="card" open={draft?.form === 'team'}>
      <summary>Create a team</summary>
      <form method="post" action="/ui/teams" class="grid">
        <CsrfField token={csrf} />
        <div class="field">
          <label for="team-id">Team id</label>
          <input id="team-id" name="id" required maxlength={256} value={draft?.form === 'team' ? draft.id : ''} />
        </div>
        <div class="field">
          <label for="team-name">Team name</label>
          <input id="team-name" name="name" required maxlength={200} value={draft?.form === 'team' ? draft.name : ''} />
        </div>
        <RulesField id="team-rules" value={draft?.form === 'team' && draft.rules !== undefined ? draft.rules : RULES_TEMPLATE} />
        <div class="actions">
          <button type="submit">Create team</button>
        </div>
      </form>
    </details>
  </Layout>
);
