// /admin/spend/series, /admin/spend/top-sessions and /admin/budgets: cost and tokens over time per key, team or model, the costliest sessions, budget use.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/context.js';
import type { Db } from '../storage/db.js';
import { spendQueries, type SpendQueries, type SpendSeriesRow } from '../storage/spend-queries.js';
import { badQuery, parseQuery } from './admin-query.js';
import { listBudgets } from './budgets-service.js';

const HOUR_S = 3600;
const BUCKET_SECONDS = { hour: HOUR_S, day: 24 * HOUR_S } as const;
/** A chart wider than this says nothing more; it bounds the rows the series query returns (times MAX_GROUPS). */
export const MAX_BUCKETS = 2000;
/** Series beyond this many (by cost) are summed into one series marked `other`. */
export const MAX_GROUPS = 50;
const DEFAULT_RANGE_MS = 24 * HOUR_S * 1000;
const MICROS_PER_USD = 1_000_000;

/** An RFC 3339 date-time with its offset, or a date (midnight UTC); Postgres has no year 0 (nor JS dates past 275760). */
const DateParamSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((s) => new Date(s))
  .refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, 'must be a date between the years 1 and 9999');
const RangeFields = {
  from: DateParamSchema.optional().describe('Start (inclusive); default `to` minus 24 hours.'),
  to: DateParamSchema.optional().describe('End (exclusive); default now.'),
};

export const SpendSeriesQuerySchema = z
  .object({
    ...RangeFields,
    bucket: z.enum(['hour', 'day']).default('hour').describe('Bucket width; buckets are aligned to UTC hours or days.'),
    groupBy: z.enum(['key', 'team', 'model']).default('key').describe("One series per key, per team (the key's team) or per model (`provider/model`, `mcp:<server>` for MCP calls)."),
  })
  .strict();

export const TopSessionsQuerySchema = z
  .object({ ...RangeFields, limit: z.coerce.number().int().min(1).max(100).default(10) })
  .strict();

export const BudgetsQuerySchema = z
  .object({
    scope: z.enum(['key', 'team']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(500),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

/** Defaults and whole-range checks: from before to, and not more buckets than a chart can use. */
function range(q: { from?: Date; to?: Date }, bucketSeconds: number | null, now = Date.now()): { from: Date; to: Date } {
  const to = q.to ?? new Date(now);
  const from = q.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime()) throw badQuery('from', 'must be before `to`');
  if (bucketSeconds !== null) {
    const size = bucketSeconds * 1000;
    const buckets = Math.ceil((to.getTime() - Math.floor(from.getTime() / size) * size) / size);
    if (buckets > MAX_BUCKETS) throw badQuery('from', `the range spans ${buckets} buckets; at most ${MAX_BUCKETS} (use a shorter range or bucket=day)`);
  }
  return { from, to };
}

const usd = (micros: number): number => micros / MICROS_PER_USD;

interface Point {
  t: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}
interface Series {
  group: string | null;
  other?: true;
  totals: Omit<Point, 't'>;
  points: Point[];
}

/** Rows arrive grouped (ranked groups first, `other` last) and by time within a group. */
function toSeries(rows: SpendSeriesRow[]): Series[] {
  const out = new Map<string, Series>();
  for (const r of rows) {
    const k = r.other ? 'o' : r.group === null ? 'n' : `g${r.group}`;
    let s = out.get(k);
    if (!s) {
      s = { group: r.other ? null : r.group, ...(r.other ? { other: true as const } : {}), totals: { costUsd: 0, inputTokens: 0, outputTokens: 0, requests: 0 }, points: [] };
      out.set(k, s);
    }
    const p = { t: new Date(r.t).toISOString(), costUsd: usd(r.costMicros), inputTokens: r.inputTokens, outputTokens: r.outputTokens, requests: r.requests };
    s.points.push(p);
    s.totals.inputTokens += r.inputTokens;
    s.totals.outputTokens += r.outputTokens;
    s.totals.requests += r.requests;
    s.totals.costUsd += r.costMicros; // summed in micros (integers), converted once below
  }
  for (const s of out.values()) s.totals.costUsd = usd(s.totals.costUsd);
  return [...out.values()];
}

// One query object per database handle (the handle lives as long as the gateway).
const cache = new WeakMap<Db, SpendQueries>();
export function queriesFor(db: Db): SpendQueries {
  let q = cache.get(db);
  if (!q) cache.set(db, (q = spendQueries(db)));
  return q;
}

/** Registers the routes on the (already authenticated) admin app. */
export function spendRoutes(app: Hono<AppEnv>): void {
  app.get('/spend/series', async (c) => {
    const q = parseQuery(SpendSeriesQuerySchema, c.req.query());
    const bucketSeconds = BUCKET_SECONDS[q.bucket];
    const { from, to } = range(q, bucketSeconds);
    const configKeyTeams = c.var.deps.runtime.config.keys.map((k) => ({ id: k.id, team: k.team ?? null }));
    const rows = await queriesFor(c.var.deps.database.db).series({ from, to, bucketSeconds, groupBy: q.groupBy, maxGroups: MAX_GROUPS, configKeyTeams });
    return c.json({ from: from.toISOString(), to: to.toISOString(), bucket: q.bucket, groupBy: q.groupBy, series: toSeries(rows) });
  });

  app.get('/spend/top-sessions', async (c) => {
    const q = parseQuery(TopSessionsQuerySchema, c.req.query());
    const { from, to } = range(q, null);
    const rows = await queriesFor(c.var.deps.database.db).topSessions({ from, to, limit: q.limit });
    const data = rows.map((r) => ({ sessionId: r.sessionId, keyId: r.keyId, costUsd: usd(r.costMicros), calls: r.calls, firstAt: r.firstAt.toISOString(), lastAt: r.lastAt.toISOString() }));
    return c.json({ from: from.toISOString(), to: to.toISOString(), data });
  });

  app.get('/budgets', async (c) => {
    const q = parseQuery(BudgetsQuerySchema, c.req.query());
    const deps = c.var.deps;
    return c.json(await listBudgets({ runtime: deps.runtime, admin: deps.admin, budgets: deps.policyStores.budgets }, q));
  });
}
