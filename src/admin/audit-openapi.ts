// OpenAPI fragments for /admin/sessions and /admin/audit (merged into the admin document by openapi.ts).
import { MAX_COST_USD } from '../tracing/sessions-service.js';
import { TimelineQuerySchema } from './audit-routes.js';
import { queryParams } from './spend-openapi.js';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = { description: 'Error', ...json(ref('Error')) };
const q = (name: string, schema: object, description?: string) => ({ name, in: 'query', schema, ...(description ? { description } : {}) });
const keyParam = q('key', { type: 'string' }, 'The key id, when several keys used the same session id ("-" for calls made without a key).');
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 256 }, description: 'The session id (x-session-id, MCP session id, or request id); longer ids, control characters, NUL or invalid Unicode get a 400.' };
const nullable = (type: string) => ({ type: [type, 'null'] });

const Gap = {
  type: 'object',
  properties: { seq: { type: 'integer' }, eventId: { type: 'string' }, reason: nullable('string') },
};

const BrokenLink = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    id: nullable('integer'),
    eventId: nullable('string'),
    problem: { enum: ['hash_mismatch', 'prev_hash_mismatch', 'seq_gap', 'payload_missing', 'tail_missing'] },
    detail: { type: 'string' },
  },
};

const CheckpointReport = {
  type: 'object',
  description: 'The signed checkpoints (the signature of the newest, the chain back to the first, the leaves of each delta against its root) and each session compared with its newest checkpoint leaf (README "Threat model").',
  properties: {
    status: { enum: ['ok', 'broken', 'none', 'not_configured'] },
    checkpoint: { description: 'The newest checkpoint; `sessions` is how many it covers (a delta: the sessions changed since the one before).', oneOf: [{ type: 'object', properties: { id: { type: 'integer' }, time: { type: 'string', format: 'date-time' }, sessions: { type: 'integer' }, keyId: { type: 'string' }, hash: { type: 'string' } } }, { type: 'null' }] },
    signature: { enum: ['ok', 'bad_signature', 'unknown_key', 'hash_mismatch', null] },
    checkpointSessions: { type: 'integer', description: 'Sessions the checkpoints cover (of the key asked about, if any); each was compared with its newest checkpoint leaf.' },
    findings: {
      type: 'array',
      description: 'Sessions that differ from their newest checkpoint leaf.',
      items: { type: 'object', properties: { session: { type: 'string' }, key: nullable('string'), problem: { enum: ['truncated', 'session_deleted', 'anchor_moved', 'rewritten'] }, detail: { type: 'string' } } },
    },
    expired: { type: 'integer', description: 'Checkpointed sessions since deleted by retention.' },
    problems: { type: 'array', items: { type: 'string' }, description: 'Why the checkpoints themselves fail: signature, chain of checkpoints, the leaves of a delta against its root, leaves of a deleted checkpoint, file sink, sessions changed without being marked for a checkpoint (unmarked changes).' },
    warnings: { type: 'array', items: { type: 'string' } },
  },
};

export const auditSchemas = {
  CheckpointReport,
  SessionView: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      key: nullable('string'),
      team: nullable('string'),
      client: { type: 'object', properties: { name: nullable('string'), version: nullable('string'), userAgent: nullable('string') } },
      firstSeen: { type: 'string', format: 'date-time' },
      lastSeen: { type: 'string', format: 'date-time' },
      events: { type: 'integer' },
      totals: {
        type: 'object',
        properties: Object.fromEntries(['calls', 'inputTokens', 'outputTokens', 'costMicros', 'denials', 'redactions'].map((k) => [k, { type: 'integer' }])),
      },
    },
  },
  AuditEvent: {
    type: 'object',
    description: 'One audit row under its database column names (OTel semantic conventions where one exists), payload inline.',
    properties: {
      seq: { type: 'integer' },
      time: { type: 'string', format: 'date-time' },
      kind: { enum: ['model_call', 'tool_call', 'resource_read', 'prompt_get', 'policy_decision'] },
      request_id: { type: 'string' },
      trace_id: nullable('string'),
      span_id: nullable('string'),
      'gen_ai.request.model': nullable('string'),
      'gen_ai.response.model': nullable('string'),
      'gen_ai.provider.name': nullable('string'),
      'gen_ai.usage.input_tokens': nullable('integer'),
      'gen_ai.usage.output_tokens': nullable('integer'),
      'gen_ai.tool.name': nullable('string'),
      'mcp.method.name': nullable('string'),
      'mcp.session.id': nullable('string'),
      'mcp.resource.uri': nullable('string'),
      decision: { enum: ['allowed', 'denied', 'redacted', 'flagged', null] },
      rule: nullable('string'),
      reason: nullable('string'),
      status: nullable('integer'),
      error_code: nullable('string'),
      latency_ms: nullable('integer'),
      cost_micros: nullable('integer'),
      findings: { type: ['object', 'null'], additionalProperties: { type: 'integer' }, description: 'PII finding counts by type.' },
      payload: { description: 'The request as the upstream saw it and the response (per audit.payloads).' },
      payload_parts: { type: 'array', items: { type: 'string' }, description: 'Only in a timeline read with payloads=false: the names of the payload parts left out (request, response, original).' },
      prev_hash: { type: 'string' },
      hash: { type: 'string' },
    },
  },
  Gap: Gap,
  VerifyResult: {
    type: 'object',
    properties: {
      session: { type: 'string' },
      key: nullable('string'),
      ok: { type: 'boolean' },
      checked: { type: 'integer' },
      broken: { oneOf: [BrokenLink, { type: 'null' }] },
      gaps: { type: 'array', description: 'Events the database refused, kept as dead letters; each is a link of kind `gap`, not a break.', items: Gap },
    },
  },
};

export const auditPaths = {
  '/admin/sessions': {
    get: {
      summary: 'List agent sessions, most recent first',
      parameters: [
        q('key', { type: 'string' }),
        q('team', { type: 'string' }),
        q('from', { type: 'string', format: 'date-time' }, 'Sessions active at or after this time.'),
        q('to', { type: 'string', format: 'date-time' }, 'Sessions started at or before this time.'),
        q('hasDenials', { enum: ['true', 'false'] }),
        q('hasRedactions', { enum: ['true', 'false'] }, 'Sessions with (true) or without (false) a PII redaction.'),
        q('client', { type: 'string', minLength: 1, maxLength: 256 }, 'Part of the client name or the user agent, any case (% and _ match themselves).'),
        q('minCostUsd', { type: 'number', minimum: 0, maximum: MAX_COST_USD }, 'Sessions that cost at least this much (USD).'),
        q('sessionPrefix', { type: 'string', minLength: 1, maxLength: 128 }, 'Sessions whose id starts with this (% and _ match themselves).'),
        q('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
        q('offset', { type: 'integer', minimum: 0, default: 0 }),
      ],
      responses: {
        200: { description: 'Sessions', ...json({ type: 'object', properties: { data: { type: 'array', items: ref('SessionView') }, nextOffset: nullable('integer') } }) },
        400: error,
        401: error,
      },
    },
  },
  '/admin/sessions/{id}': {
    get: {
      summary: "One session's timeline in call order (start time, then seq); with verify=true also its chain verification, over the same rows",
      parameters: [idParam, ...queryParams(TimelineQuerySchema)],
      responses: {
        200: {
          description: 'Timeline',
          ...json({
            type: 'object',
            required: ['session', 'events'],
            properties: {
              session: ref('SessionView'),
              events: { type: 'array', items: ref('AuditEvent') },
              verify: { ...ref('VerifyResult'), description: 'Only with verify=true: what GET /admin/audit/verify?session= answers, walked in seq order over the events listed.' },
            },
          }),
        },
        400: error,
        404: error,
      },
    },
  },
  '/admin/sessions/{id}/events/{seq}': {
    get: {
      summary: 'One event of the session by its seq, payload included (what a timeline read with payloads=false leaves out)',
      parameters: [idParam, { name: 'seq', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }, keyParam],
      responses: { 200: { description: 'The event', ...json(ref('AuditEvent')) }, 400: error, 404: error },
    },
  },
  '/admin/sessions/{id}/export': {
    get: {
      summary: 'The session as JSON Lines: a session line, then one line per event in seq order',
      parameters: [idParam, keyParam],
      responses: { 200: { description: 'JSON Lines', content: { 'application/x-ndjson': { schema: { type: 'string' } } } }, 404: error },
    },
  },
  '/admin/audit/verify': {
    get: {
      summary: 'Verify the hash chain of one session, or of every session and against the signed checkpoints (each session compared with its newest leaf) (truncation, deleted sessions, moved anchors, recomputed chains)',
      parameters: [q('session', { type: 'string' }), keyParam],
      responses: {
        200: {
          description: 'Verification result',
          ...json({
            oneOf: [
              ref('VerifyResult'),
              {
                type: 'object',
                properties: {
                  ok: { type: 'boolean' },
                  sessions: { type: 'integer' },
                  empty: { type: 'boolean', description: 'No sessions and no checkpoint: nothing was verified.' },
                  broken: { type: 'array', items: ref('VerifyResult') },
                  gaps: { type: 'array', items: { allOf: [Gap, { type: 'object', properties: { session: { type: 'string' }, key: nullable('string') } }] } },
                  checkpoint: { oneOf: [ref('CheckpointReport'), { type: 'null' }] },
                  warnings: { type: 'array', items: { type: 'string' } },
                },
              },
            ],
          }),
        },
        404: error,
      },
    },
  },
  '/admin/audit/public-key': {
    get: {
      summary: 'The Ed25519 public keys audit checkpoints are signed with (this replica signs with the one marked `signing`)',
      responses: {
        200: {
          description: 'Public keys',
          ...json({
            type: 'object',
            properties: {
              enabled: { type: 'boolean', description: 'Whether this replica writes checkpoints.' },
              keys: { type: 'array', items: { type: 'object', properties: { keyId: { type: 'string', description: 'ed25519:<sha256 of the SPKI DER, 32 hex digits>' }, pem: { type: 'string' }, signing: { type: 'boolean' } } } },
            },
          }),
        },
        401: error,
      },
    },
  },
  '/admin/dead-letters': {
    get: {
      summary: 'Request-log rows and audit events the database refused even after cleaning, newest first (each audit one has a gap event in its chain)',
      parameters: [q('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 })],
      responses: {
        200: {
          description: 'Dead letters',
          ...json({
            type: 'object',
            properties: {
              data: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    time: { type: 'string', format: 'date-time' },
                    writer: { enum: ['request_log', 'audit', 'budget_spend'] },
                    reason: { type: 'string', description: "The database's reason (SQLSTATE: message)" },
                    item: { type: 'string', description: 'The refused row as escaped JSON, cut at 1 MiB' },
                    bytes: { type: 'integer' },
                  },
                },
              },
            },
          }),
        },
        400: error,
        401: error,
      },
    },
  },
};
