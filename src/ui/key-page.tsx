// One key's page (rules and expiry), the page that shows a new key once, and the rules field both pages' forms use.
import type { FC } from 'hono/jsx';
import type { KeyView } from './api-types.js';
import { toField, when } from './format.js';
import { rulesText } from './forms.js';
import { CsrfField, Layout, Notice } from './layout.js';

export const RulesField: FC<{ id: string; value: string; hint?: string }> = ({ id, value, hint }) => (
  <div class="field wide">
    <label for={id}>Rules (JSON)</label>
    <textarea id={id} name="rules" rows={10} spellcheck={false} class="mono" aria-describedby={`${id}-hint`}>
      {value}
    </textarea>
    <p class="hint" id={`${id}-hint`}>
      {hint ?? 'models, tools and mcpServers patterns; budgets [{"period": "daily|monthly|total", "usd": 5}]; rateLimits {"requestsPerMinute": 60}; pii off|audit|redact|block. The admin API checks them.'}
    </p>
  </div>
);

/** The one time a key is visible: after create or rotate. */
export const KeyShownOnce: FC<{ csrf: string; title: string; secret: string; record: KeyView; warning?: string }> = ({ csrf, title, secret, record, warning }) => (
  <Layout title={title} section="keys" csrf={csrf}>
    <Notice kind="warn">This is the only time the key is shown. Copy it now; the gateway keeps only its hash.</Notice>
    {warning ? <Notice kind="warn">{`Note: ${warning}.`}</Notice> : null}
    <div class="secret card">
      <label for="new-key">{`Key for ${record.id} (${record.name})`}</label>
      <input id="new-key" class="mono" readonly value={secret} data-select-on-focus="" />
      <button type="button" class="secondary" data-copy="#new-key" hidden>
        Copy
      </button>
    </div>
    <p>
      <a href="/ui/keys">Back to keys and teams</a>
    </p>
  </Layout>
);

export const KeyDetail: FC<{ csrf: string; k: KeyView; editable: boolean; notice?: string; error?: string; rules?: string }> = ({ csrf, k, editable, notice, error, rules }) => (
  <Layout title={`Key ${k.id}`} section="keys" csrf={csrf}>
    {notice ? <Notice kind="ok">{notice}</Notice> : null}
    {error ? <Notice kind="error">{error}</Notice> : null}
    <p>{`${k.name} · ${k.team ? `team ${k.team}` : 'no team'} · ${k.status} · created ${when(k.createdAt)}`}</p>
    {editable ? (
      <form method="post" action={`/ui/keys/${encodeURIComponent(k.id)}/rules`} class="card grid">
        <CsrfField token={csrf} />
        <RulesField id="rules" value={rules ?? rulesText(k.policy)} />
        <div class="actions">
          <button type="submit">Save rules</button>
        </div>
      </form>
    ) : (
      <div class="card">
        <h2 class="flush">Rules</h2>
        <pre tabindex={0}>{rulesText(k.policy)}</pre>
        <p class="hint">This gateway's admin API changes a key's expiry only; to change its rules, change its team's rules, or create a key with the new rules and revoke this one.</p>
      </div>
    )}
    <form method="post" action={`/ui/keys/${encodeURIComponent(k.id)}/expiry`} class="card grid">
      <CsrfField token={csrf} />
      <div class="field">
        <label for="expires">Expires (UTC; empty means never)</label>
        <input id="expires" name="expiresAt" type="datetime-local" value={toField(k.expiresAt ?? undefined)} />
      </div>
      <div class="actions">
        <button type="submit">Save expiry</button>
      </div>
    </form>
    <p>
      <a href={`/ui/sessions?key=${encodeURIComponent(k.id)}`}>This key's sessions</a> · <a href="/ui/keys">All keys</a>
    </p>
  </Layout>
);
