// One team's page: its rules as JSON (saved with PUT /admin/teams/:id), or read-only when gateway.yaml declares it.
import type { FC } from 'hono/jsx';
import type { TeamView } from './api-types.js';
import { when } from './format.js';
import { rulesText } from './forms.js';
import { CsrfField, Layout, Notice } from './layout.js';

export const TeamDetail: FC<{ csrf: string; team: TeamView; notice?: string; error?: string; rules?: string }> = ({ csrf, team, notice, error, rules }) => {
  const readOnly = team.source === 'config';
  const path = `/ui/teams/${encodeURIComponent(team.id)}`;
  return (
    <Layout title={`Team ${team.id}`} section="keys" csrf={csrf}>
      {notice ? <Notice kind="ok">{notice}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {readOnly ? <Notice kind="warn">This team is declared in gateway.yaml: change it there (the console and the admin API show it read-only).</Notice> : null}
      <p>{team.createdAt ? `Created ${when(team.createdAt)}.` : 'From gateway.yaml.'}</p>
      <form method="post" action={path} class="card grid">
        <CsrfField token={csrf} />
        <div class="field">
          <label for="team-name">Team name</label>
          <input id="team-name" name="name" required maxlength={200} value={team.name} disabled={readOnly} />
        </div>
        <div class="field wide">
          <label for="team-rules">Rules (JSON)</label>
          <textarea id="team-rules" name="rules" rows={12} spellcheck={false} class="mono" disabled={readOnly}>
            {rules ?? rulesText(team.policy)}
          </textarea>
        </div>
        {readOnly ? null : (
          <div class="actions">
            <button type="submit">Save team</button>
          </div>
        )}
      </form>
      {readOnly ? null : (
        <form method="post" action={`${path}/delete`} class="inline" data-confirm={`Delete team ${team.id}? Only a team without keys can be deleted.`}>
          <CsrfField token={csrf} />
          <button type="submit" class="danger small">
            Delete team
          </button>
        </form>
      )}
      <p>
        <a href={`/ui/sessions?team=${encodeURIComponent(team.id)}`}>This team's sessions</a> · <a href="/ui/keys">All keys and teams</a>
      </p>
    </Layout>
  );
};
