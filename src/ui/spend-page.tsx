// GET /ui/spend: cost and tokens over time per key, team or model (uPlot charts over /admin/spend/series), budgets, top sessions.
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { withQuery } from './admin-client.js';
import type { BudgetView, SpendSeries, TopSession } from './api-types.js';
import { num, usd, when } from './format.js';
import { Table } from './table.js';
import { Layout, Notice, render } from './layout.js';
import { sessionHref } from './sessions-page.js';
import type { UiEnv } from './ui-env.js';

const RANGES = { '24h': { ms: 86_400_000, bucket: 'hour' }, '7d': { ms: 7 * 86_400_000, bucket: 'hour' }, '30d': { ms: 30 * 86_400_000, bucket: 'day' }, '90d': { ms: 90 * 86_400_000, bucket: 'day' } } as const;
type Range = keyof typeof RANGES;
const GROUPS = ['key', 'team', 'model'] as const;
type Group = (typeof GROUPS)[number];

const label = (s: SpendSeries['series'][number]): string => (s.other ? 'other' : (s.group ?? '(none)'));

/** Every bucket of the range on one x axis (the API sends only buckets with calls), in seconds as uPlot wants. */
function chartData(d: SpendSeries, value: (p: SpendSeries['series'][number]['points'][number]) => number) {
  const size = (d.bucket === 'day' ? 86_400 : 3600) * 1000;
  const start = Math.floor(Date.parse(d.from) / size) * size;
  const end = Date.parse(d.to);
  const x: number[] = [];
  for (let t = start; t < end; t += size) x.push(t / 1000);
  const index = new Map(x.map((t, i) => [t, i]));
  const series = d.series.map((s) => {
    const values = new Array<number>(x.length).fill(0);
    for (const p of s.points) {
      const i = index.get(Math.floor(Date.parse(p.t) / size) * (size / 1000));
      if (i !== undefined) values[i]! += value(p);
    }
    return { label: label(s), values };
  });
  return { x, series };
}

const Chart: FC<{ title: string; unit: 'usd' | 'tokens'; data: ReturnType<typeof chartData> }> = ({ title, unit, data }) => (
  <figure class="chart">
    <figcaption>{title}</figcaption>
    <div class="chart-canvas" data-chart={JSON.stringify({ unit, ...data })} role="img" aria-label={`${title}: chart; the table below has the same figures`}>
      <noscript>Charts need JavaScript; the table below has the figures.</noscript>
    </div>
  </figure>
);

const Totals: FC<{ d: SpendSeries }> = ({ d }) => {
  const rows = d.series.map((s) => {
    const t = s.points.reduce((a, p) => ({ cost: a.cost + p.costUsd, tin: a.tin + p.inputTokens, tout: a.tout + p.outputTokens, req: a.req + p.requests }), { cost: 0, tin: 0, tout: 0, req: 0 });
    return { name: label(s), ...t };
  });
  return (
    <Table caption={`Totals per ${d.groupBy}, ${when(d.from)} to ${when(d.to)}`} columns={[d.groupBy === 'key' ? 'Key' : d.groupBy === 'team' ? 'Team' : 'Model', { label: 'Cost', n: true }, { label: 'Input tokens', n: true }, { label: 'Output tokens', n: true }, { label: 'Requests', n: true }]} showCaption>
      {rows.map((r) => (
        <tr>
          <th scope="row" class="mono">{r.name}</th>
          <td class="n">{usd(r.cost)}</td>
          <td class="n">{num(r.tin)}</td>
          <td class="n">{num(r.tout)}</td>
          <td class="n">{num(r.req)}</td>
        </tr>
      ))}
    </Table>
  );
};

const Budgets: FC<{ rows: BudgetView[] }> = ({ rows }) =>
  rows.length === 0 ? (
    <p class="empty">No key or team has a budget.</p>
  ) : (
    <Table caption="Budgets with their use in the current window" columns={['Scope', 'Period', { label: 'Limit', n: true }, { label: 'Spent', n: true }, 'Use', { label: 'Remaining', n: true }, 'Resets']}>
      {rows.map((b) => (
        <tr>
          <th scope="row">
            <span class="muted">{`${b.scope} `}</span>
            <span class="mono">{b.id}</span>
            {b.name ? <span class="muted">{` (${b.name})`}</span> : null}
          </th>
          <td>{b.per === 'session' ? `${b.period}, per session` : b.period}</td>
          <td class="n">{usd(b.limitUsd)}</td>
          <td class="n">{b.spentUsd === null ? 'per session' : usd(b.spentUsd)}</td>
          <td>
            {b.spentUsd === null ? '–' : <meter min={0} max={b.limitUsd} low={b.limitUsd * 0.75} high={b.limitUsd * 0.9} optimum={0} value={Math.min(b.limitUsd, b.spentUsd + (b.reservedUsd ?? 0))} aria-label={`${b.scope} ${b.id} ${b.period} budget use`} />}
          </td>
          <td class="n">{b.remainingUsd === null ? '–' : usd(b.remainingUsd)}</td>
          <td class="nowrap">{b.resetsAt ? when(b.resetsAt) : 'never (total)'}</td>
        </tr>
      ))}
    </Table>
  );

const TopSessions: FC<{ rows: TopSession[] }> = ({ rows }) =>
  rows.length === 0 ? (
    <p class="empty">No sessions with cost in this range.</p>
  ) : (
    <Table caption="Sessions with the highest cost in the range" columns={['Session', 'Key', { label: 'Cost', n: true }, { label: 'Calls', n: true }, 'First call', 'Last call']}>
      {rows.map((s) => (
        <tr>
          <td>
            <a class="mono" href={sessionHref(s.sessionId, s.keyId)}>
              {s.sessionId}
            </a>
          </td>
          <td class="mono">{s.keyId ?? '(open)'}</td>
          <td class="n">{usd(s.costUsd)}</td>
          <td class="n">{num(s.calls)}</td>
          <td class="nowrap">{when(s.firstAt)}</td>
          <td class="nowrap">{when(s.lastAt)}</td>
        </tr>
      ))}
    </Table>
  );

export function spendRoutes(app: Hono<UiEnv>): void {
  app.get('/spend', async (c) => {
    const range: Range = (c.req.query('range') ?? '') in RANGES ? (c.req.query('range') as Range) : '24h';
    const groupBy: Group = (GROUPS as readonly string[]).includes(c.req.query('groupBy') ?? '') ? (c.req.query('groupBy') as Group) : 'key';
    const { admin, csrf } = c.var.ui;
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[range].ms).toISOString();
    const [series, top, budgets] = await Promise.all([
      admin.get<SpendSeries>('/admin/spend/series', { from, to: to.toISOString(), bucket: RANGES[range].bucket, groupBy }),
      admin.get<{ data: TopSession[] }>('/admin/spend/top-sessions', { from, to: to.toISOString(), limit: 10 }),
      admin.get<{ data: BudgetView[] }>('/admin/budgets'),
    ]);
    const link = (q: { range?: Range; groupBy?: Group }) => withQuery('/ui/spend', { range, groupBy, ...q });
    return render(
      c,
      <Layout title="Spend" section="spend" csrf={csrf} charts>
        <nav class="tabs" aria-label="Range">
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <a href={link({ range: r })} aria-current={r === range ? 'page' : undefined}>{`Last ${r}`}</a>
          ))}
        </nav>
        <nav class="tabs" aria-label="Group by">
          {GROUPS.map((g) => (
            <a href={link({ groupBy: g })} aria-current={g === groupBy ? 'page' : undefined}>{`Per ${g}`}</a>
          ))}
        </nav>
        {!series.ok ? (
          <Notice kind="error">{series.message}</Notice>
        ) : (
          <>
            <div class="charts">
              <Chart title={`Cost (USD) per ${groupBy}`} unit="usd" data={chartData(series.data, (p) => p.costUsd)} />
              <Chart title={`Tokens (input + output) per ${groupBy}`} unit="tokens" data={chartData(series.data, (p) => p.inputTokens + p.outputTokens)} />
            </div>
            {series.data.series.length === 0 ? <p class="empty">No calls in this range.</p> : <Totals d={series.data} />}
          </>
        )}
        <h2>Budgets</h2>
        {budgets.ok ? <Budgets rows={budgets.data.data} /> : <Notice kind="error">{budgets.message}</Notice>}
        <h2>Top sessions by cost</h2>
        {top.ok ? <TopSessions rows={top.data.data} /> : <Notice kind="error">{top.message}</Notice>}
      </Layout>,
    );
  });
}
