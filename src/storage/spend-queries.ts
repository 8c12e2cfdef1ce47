// Read-only queries over request_log for the admin API: spend per time bucket and group, top sessions by cost, recent MCP call stats.
import { sql, type SQL } from 'drizzle-orm';
import { rowsOf } from './audit-repo.js';
import type { Db } from './db.js';
import { requestLog, virtualKeys } from './schema.js';

export type SpendGroupBy = 'key' | 'team' | 'model';

export interface SpendSeriesQuery {
  from: Date;
  to: Date;
  bucketSeconds: number;
  groupBy: SpendGroupBy;
  /** Groups beyond this many (ranked by cost, then calls) are summed into one row with `other: true`. */
  maxGroups: number;
  /** Keys declared in gateway.yaml and their team (they have no virtual_keys row to join). */
  configKeyTeams: Array<{ id: string; team: string | null }>;
}

export interface SpendSeriesRow {
  /** Bucket start, Unix ms (UTC-aligned: hours and days since the epoch). */
  t: number;
  group: string | null;
  other: boolean;
  costMicros: number;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

export interface TopSessionRow {
  sessionId: string;
  keyId: string | null;
  costMicros: number;
  calls: number;
  firstAt: Date;
  lastAt: Date;
}

export interface McpCallStats {
  /** Calls that reached a verdict from the upstream (results and upstream failures; policy refusals excluded). */
  calls: number;
  failures: number;
  latencyP50Ms: number | null;
}

export interface SpendQueries {
  series(q: SpendSeriesQuery): Promise<SpendSeriesRow[]>;
  topSessions(q: { from: Date; to: Date; limit: number }): Promise<TopSessionRow[]>;
  /** Per MCP server id, over calls started at or after `since`; servers without calls are absent. */
  mcpStats(since: Date, servers: string[]): Promise<Map<string, McpCallStats>>;
}

const ts = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;

/** MCP rows carry the server in `provider` and the tool in `model_*` (src/tracing/call-projections.ts). */
function groupExpr(by: SpendGroupBy): SQL {
  if (by === 'key') return sql`rl.key_id`;
  if (by === 'team') return sql`case when ck.id is not null then ck.team else vk.team_id end`;
  return sql`case when rl.endpoint like 'mcp.%' then 'mcp:' || rl.provider else coalesce(rl.provider || '/' || rl.model_served, rl.model_requested) end`;
}

export function spendQueries(db: Db): SpendQueries {
  return {
    async series(q) {
      if (!Number.isSafeInteger(q.bucketSeconds) || q.bucketSeconds <= 0 || !Number.isSafeInteger(q.maxGroups) || q.maxGroups < 0) throw new RangeError('bucketSeconds and maxGroups must be integers');
      // Integers checked above, inlined so Postgres types the arithmetic itself (no untyped parameters in it).
      const size = sql.raw(String(q.bucketSeconds));
      const max = sql.raw(String(q.maxGroups));
      const teamJoin =
        q.groupBy === 'team'
          ? sql`left join json_to_recordset(${JSON.stringify(q.configKeyTeams)}::json) as ck(id text, team text) on ck.id = rl.key_id
                left join ${virtualKeys} vk on vk.id = rl.key_id`
          : sql``;
      // Rank groups over the whole range so a group is either shown in every bucket or folded into "other" in every bucket.
      const res = await db.execute(sql`
        with cells as (
          select floor(extract(epoch from rl.time) / ${size})::float8 * ${size} as t, ${groupExpr(q.groupBy)} as g,
                 coalesce(sum(rl.cost_micros), 0)::float8 as cost, coalesce(sum(rl.input_tokens), 0)::float8 as inp,
                 coalesce(sum(rl.output_tokens), 0)::float8 as outp, count(*)::float8 as n
          from ${requestLog} rl ${teamJoin}
          where rl.time >= ${ts(q.from)} and rl.time < ${ts(q.to)}
          group by 1, 2
        ), ranked as (
          select g, row_number() over (order by sum(cost) desc, sum(n) desc, g asc nulls first) as rn from cells group by g
        )
        select c.t, case when r.rn <= ${max} then c.g end as g, r.rn > ${max} as other,
               sum(c.cost) as cost, sum(c.inp) as inp, sum(c.outp) as outp, sum(c.n) as n
        from cells c join ranked r on r.g is not distinct from c.g
        group by 1, 2, 3
        order by other, min(r.rn), t`);
      type Row = { t: number | string; g: string | null; other: boolean; cost: number | string; inp: number | string; outp: number | string; n: number | string };
      return rowsOf<Row>(res).map((r) => ({
        t: Number(r.t) * 1000,
        group: r.g,
        other: r.other,
        costMicros: Number(r.cost),
        inputTokens: Number(r.inp),
        outputTokens: Number(r.outp),
        requests: Number(r.n),
      }));
    },

    async topSessions(q) {
      const res = await db.execute(sql`
        select session_id, key_id, coalesce(sum(cost_micros), 0)::float8 as cost, count(*)::int as calls, min(time) as first_at, max(time) as last_at
        from ${requestLog}
        where time >= ${ts(q.from)} and time < ${ts(q.to)} and session_id is not null
        group by session_id, key_id
        order by cost desc, calls desc, last_at desc
        limit ${q.limit}`);
      type Row = { session_id: string; key_id: string | null; cost: number | string; calls: number; first_at: Date | string; last_at: Date | string };
      return rowsOf<Row>(res).map((r) => ({
        sessionId: r.session_id,
        keyId: r.key_id,
        costMicros: Number(r.cost),
        calls: Number(r.calls),
        firstAt: new Date(r.first_at),
        lastAt: new Date(r.last_at),
      }));
    },

    async mcpStats(since, servers) {
      const out = new Map<string, McpCallStats>();
      if (!servers.length) return out;
      // Status 200 is a result (isError ones included), 5xx an upstream failure; other statuses are the gateway's refusals.
      const res = await db.execute(sql`
        select provider as server, count(*)::int as calls, (count(*) filter (where status >= 500))::int as failures,
               (percentile_cont(0.5) within group (order by latency_ms) filter (where status = 200))::float8 as p50
        from ${requestLog}
        where time >= ${ts(since)} and endpoint like 'mcp.%' and provider = any(${sql.param(servers)}::text[]) and (status = 200 or status >= 500)
        group by provider`);
      type Row = { server: string; calls: number; failures: number; p50: number | string | null };
      for (const r of rowsOf<Row>(res)) {
        out.set(r.server, { calls: Number(r.calls), failures: Number(r.failures), latencyP50Ms: r.p50 === null ? null : Math.round(Number(r.p50)) });
      }
      return out;
    },
  };
}
