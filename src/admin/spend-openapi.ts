// OpenAPI fragments for /admin/spend/*, /admin/budgets and /admin/health (merged into the admin document by openapi.ts); query parameters come from the routes' zod schemas.
import { z } from 'zod';
import { MCP_WINDOW_MS } from './health-routes.js';
import { BudgetsQuerySchema, MAX_BUCKETS, MAX_GROUPS, SpendSeriesQuerySchema, TopSessionsQuerySchema } from './spend-routes.js';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = { description: 'Error', ...json(ref('Error')) };
const nullable = (type: string) => ({ type: [type, 'null'] });
const int = { type: 'integer' };
const num = { type: 'number' };
const time = { type: 'string', format: 'date-time' };
const obj = (properties: Record<string, unknown>, description?: string) => ({ type: 'object', required: Object.keys(properties), properties, ...(description ? { description } : {}) });

/** One OpenAPI query parameter per field of a route's query schema, as the route parses it (input side). */
export function queryParams(schema: z.ZodObject): unknown[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _s, description, ...js } = z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    return { name, in: 'query', required: !(field as z.ZodType).safeParse(undefined).success, schema: js, ...(description ? { description } : {}) };
  });
}

const Usage = { costUsd: num, inputTokens: int, outputTokens: int, requests: int };
const WriterStatus = obj(
  { enabled: { type: 'boolean' }, queued: int, queuedBytes: int, spooled: int, spoolBytes: int, dropped: int, deadLettered: int, failures: int, lastFlushMs: num, accepting: { type: 'boolean' } },
  'A batched writer: queued in memory, spooled to disk while the database is unreachable, dropped (queue and spool full), refused rows kept as dead letters; `accepting` false while it drops or has been failing for its stuck limit.',
);

export const spendSchemas = {
  SpendSeries: obj({
    from: time,
    to: time,
    bucket: { enum: ['hour', 'day'] },
    groupBy: { enum: ['key', 'team', 'model'] },
    series: {
      type: 'array',
      description: `At most ${MAX_GROUPS} series, costliest first (null: calls without a key, a key without a team, or a call that never reached a model), then one series marked \`other\` summing the rest.`,
      items: {
        type: 'object',
        required: ['group', 'totals', 'points'],
        properties: {
          group: nullable('string'),
          other: { type: 'boolean', const: true, description: 'Present on the series that sums every group past the first ones.' },
          totals: obj(Usage),
          points: {
            type: 'array',
            description: 'Only buckets with calls (a missing bucket is zero), oldest first; `t` is the UTC start of the bucket.',
            items: obj({ t: time, ...Usage }),
          },
        },
      },
    },
  }),
  TopSession: obj({ sessionId: { type: 'string' }, keyId: nullable('string'), costUsd: num, calls: int, firstAt: time, lastAt: time }),
  BudgetView: obj({
    scope: { enum: ['key', 'team'] },
    id: { type: 'string' },
    name: nullable('string'),
    per: { enum: ['key', 'session'], description: '`session`: the limit applies to each agent session separately, so spent, reserved and remaining are null.' },
    period: { enum: ['daily', 'monthly', 'total'] },
    limitUsd: num,
    spentUsd: { type: ['number', 'null'], description: 'Settled spend in the current window, as the budget step checks it.' },
    reservedUsd: { type: ['number', 'null'], description: 'Held by calls in flight.' },
    remainingUsd: { type: ['number', 'null'], description: 'limit − spent − reserved, never below 0.' },
    resetsAt: { type: ['string', 'null'], format: 'date-time', description: 'End of the current UTC window; null for total budgets.' },
  }),
  TargetHealth: obj({
    model: { type: 'string' },
    breaker: { enum: ['closed', 'open', 'half-open'] },
    breakerReason: nullable('string'),
    errorRate: { type: 'number', minimum: 0, maximum: 1, description: 'Exponentially weighted share of recent calls that failed.' },
    latencyP50Ms: { type: ['integer', 'null'], description: 'Median time to first byte of the last 64 successful calls.' },
  }),
  McpServerHealth: obj({
    id: { type: 'string' },
    transport: { enum: ['stdio', 'http', 'sse', null] },
    status: { enum: ['idle', 'connecting', 'ready', 'down', 'closed'] },
    error: { type: ['string', 'null'], description: 'Why the last connection failed (credentials scrubbed).' },
    retries: int,
    breaker: { enum: ['closed', 'open', 'half-open'], description: 'open while down (calls fail fast until the next reconnect), half-open while reconnecting after a failure.' },
    calls: { type: ['integer', 'null'], description: `Calls that reached the server in the last ${MCP_WINDOW_MS / 60_000} minutes (null when the request log cannot be read).` },
    errorRate: { type: ['number', 'null'], description: 'Share of those calls that failed upstream (5xx).' },
    latencyP50Ms: { type: ['integer', 'null'], description: 'Median latency of those that succeeded.' },
    tools: { type: ['integer', 'null'], description: 'Tools the server lists (null unless ready).' },
  }),
  WriterStatus,
};

export const spendPaths = {
  '/admin/spend/series': {
    get: {
      summary: `Cost, tokens and calls from the request log per time bucket, one series per key, team or model (at most ${MAX_BUCKETS} buckets)`,
      parameters: queryParams(SpendSeriesQuerySchema),
      responses: { 200: { description: 'Series', ...json(ref('SpendSeries')) }, 400: error, 401: error },
    },
  },
  '/admin/spend/top-sessions': {
    get: {
      summary: 'The sessions that cost most in a time range (model and tool calls of the request log)',
      parameters: queryParams(TopSessionsQuerySchema),
      responses: { 200: { description: 'Sessions', ...json(obj({ from: time, to: time, data: { type: 'array', items: ref('TopSession') } })) }, 400: error, 401: error },
    },
  },
  '/admin/budgets': {
    get: {
      summary: 'Every budget of active keys and of teams (gateway.yaml and database), with spend and what is left in the current window',
      parameters: queryParams(BudgetsQuerySchema),
      responses: {
        200: { description: 'Budgets', ...json(obj({ data: { type: 'array', items: ref('BudgetView') }, nextOffset: nullable('integer') })) },
        400: error,
        401: error,
        503: error,
      },
    },
  },
  '/admin/health': {
    get: {
      summary: 'Providers (routing targets with breaker, error rate, latency), MCP upstreams and the batched writers',
      responses: {
        200: {
          description: 'Health',
          ...json(
            obj({
              time,
              providers: {
                type: 'array',
                items: obj({ id: { type: 'string' }, kind: { type: 'string' }, targets: { type: 'array', items: ref('TargetHealth') }, moreTargets: { ...int, description: 'Targets left out (100 per provider shown).' } }),
              },
              mcpServers: { type: 'array', items: ref('McpServerHealth') },
              mcpWindowSeconds: int,
              writers: obj({ requestLog: ref('WriterStatus'), audit: ref('WriterStatus'), budgetSpend: { oneOf: [ref('WriterStatus'), { type: 'null' }] } }),
            }),
          ),
        },
        401: error,
      },
    },
  },
};
