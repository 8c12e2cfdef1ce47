// GET /ui/health: providers' targets and MCP upstreams (breaker state, error rate, latency) and the batched writers (GET /admin/health).
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import type { Breaker, HealthReport, WriterStatus } from './api-types.js';
import { bytes, ms, num, pct, when } from './format.js';
import { Table } from './table.js';
import { Layout, Notice, render } from './layout.js';
import type { UiEnv } from './ui-env.js';

const BreakerBadge: FC<{ state: Breaker }> = ({ state }) => <span class={`badge breaker-${state}`}>{state}</span>;

const Providers: FC<{ rows: HealthReport['providers'] }> = ({ rows }) => (
  <Table caption="Provider targets" columns={['Provider', 'Kind', 'Model', 'Breaker', { label: 'Error rate', n: true }, { label: 'Latency p50', n: true }]}>
    {rows.flatMap((p) =>
      p.targets.length === 0
        ? [
            <tr>
              <th scope="row" class="mono">{p.id}</th>
              <td>{p.kind}</td>
              <td colspan={4} class="muted">
                no calls yet
              </td>
            </tr>,
          ]
        : p.targets.map((t) => (
            <tr>
              <th scope="row" class="mono">{p.id}</th>
              <td>{p.kind}</td>
              <td class="mono">{t.model}</td>
              <td>
                <BreakerBadge state={t.breaker} />
                {t.breakerReason ? <span class="muted">{` ${t.breakerReason}`}</span> : null}
              </td>
              <td class="n">{pct(t.errorRate)}</td>
              <td class="n">{ms(t.latencyP50Ms)}</td>
            </tr>
          )),
    )}
  </Table>
);

const Mcp: FC<{ rows: HealthReport['mcpServers'] }> = ({ rows }) =>
  rows.length === 0 ? (
    <p class="empty">No MCP upstream servers are configured.</p>
  ) : (
    <Table caption="MCP upstream servers" columns={['Server', 'Status', 'Breaker', { label: 'Calls', n: true }, { label: 'Error rate', n: true }, { label: 'Latency p50', n: true }, { label: 'Tools', n: true }]}>
      {rows.map((s) => (
        <tr>
          <th scope="row" class="mono">
            {s.id}
            {s.transport ? <span class="muted">{` (${s.transport})`}</span> : null}
          </th>
          <td>
            <span class={`badge status-${s.status}`}>{s.status}</span>
            {s.error ? <span class="muted">{` ${s.error}`}</span> : null}
          </td>
          <td>
            <BreakerBadge state={s.breaker} />
          </td>
          <td class="n">{num(s.calls ?? null)}</td>
          <td class="n">{pct(s.errorRate)}</td>
          <td class="n">{ms(s.latencyP50Ms)}</td>
          <td class="n">{num(s.tools)}</td>
        </tr>
      ))}
    </Table>
  );

const WRITERS: Array<[keyof HealthReport['writers'], string]> = [
  ['requestLog', 'Request log'],
  ['audit', 'Audit trail'],
  ['budgetSpend', 'Budget spend ledger'],
];

const Writers: FC<{ w: HealthReport['writers'] }> = ({ w }) => (
  <Table caption="Batched writers" columns={['Writer', 'Accepting', { label: 'Queued', n: true }, { label: 'Queued bytes', n: true }, { label: 'Spooled', n: true }, { label: 'Dead-lettered', n: true }, { label: 'Dropped', n: true }]}>
    {WRITERS.map(([k, name]) => {
      const s = w[k] as WriterStatus | null | undefined;
      if (!s) return null;
      return (
        <tr>
          <th scope="row">{name}</th>
          <td>{s.enabled === false ? <span class="muted">off</span> : <span class={`badge ${s.accepting ? 'ok' : 'error'}`}>{s.accepting ? 'yes' : 'no'}</span>}</td>
          <td class="n">{num(s.queued)}</td>
          <td class="n">{bytes(s.queuedBytes)}</td>
          <td class="n">{num(s.spooled)}</td>
          <td class="n">{num(s.deadLettered)}</td>
          <td class="n">{num(s.dropped ?? null)}</td>
        </tr>
      );
    })}
  </Table>
);

export function healthRoutes(app: Hono<UiEnv>): void {
  app.get('/health', async (c) => {
    const { admin, csrf } = c.var.ui;
    const h = await admin.get<HealthReport>('/admin/health');
    return render(
      c,
      <Layout title="Health" section="health" csrf={csrf}>
        {!h.ok ? (
          <Notice kind="error">{h.message}</Notice>
        ) : (
          <>
            <p class="muted">{`As of ${when(h.data.time ?? new Date().toISOString())}. Reload for fresh figures.`}</p>
            <h2>Providers</h2>
            {h.data.providers.length === 0 ? <p class="empty">No providers are configured.</p> : <Providers rows={h.data.providers} />}
            <h2>MCP upstream servers</h2>
            {h.data.mcpWindowSeconds ? <p class="muted">{`Calls, error rate and latency over the last ${Math.round(h.data.mcpWindowSeconds / 60)} minutes.`}</p> : null}
            <Mcp rows={h.data.mcpServers} />
            <h2>Writers</h2>
            <Writers w={h.data.writers} />
          </>
        )}
      </Layout>,
      h.ok ? 200 : h.status,
    );
  });
}
