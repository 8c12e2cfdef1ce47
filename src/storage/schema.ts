// The database schema (drizzle); `npm run db:generate` turns changes into migrations in drizzle/.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** One row per model call: what was asked, what served it, how it went, what it cost. */
export const requestLog = pgTable(
  'request_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull(),
    requestId: text('request_id').notNull(),
    sessionId: text('session_id'),
    keyId: text('key_id'),
    endpoint: text('endpoint').notNull(),
    modelRequested: text('model_requested'),
    modelServed: text('model_served'),
    provider: text('provider'),
    stream: boolean('stream').notNull().default(false),
    status: integer('status').notNull(),
    errorCode: text('error_code'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    latencyMs: integer('latency_ms').notNull(),
    /** Cost in integer micro-dollars; null when the price is not known. */
    costMicros: bigint('cost_micros', { mode: 'number' }),
    /** Upstream attempts made (fallbacks, retries, hedges); null for rows written before routing existed. */
    attempts: integer('attempts'),
    /** Why the call went where it went: alias, rule, strategy and each attempt's outcome. */
    routeReason: text('route_reason'),
  },
  (t) => [index('request_log_time_idx').on(t.time), index('request_log_key_time_idx').on(t.keyId, t.time)],
);

export type RequestLogRow = typeof requestLog.$inferInsert;

/** A team groups keys and carries rules every one of its keys must also pass. */
export const teams = pgTable('teams', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** AccessPolicy (src/policy/types.ts) as JSON. */
  policy: jsonb('policy').notNull(),
  metadata: jsonb('metadata').notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** Virtual keys: only the sha256 hash of the key is stored; the key itself is shown once. */
export const virtualKeys = pgTable(
  'virtual_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    teamId: text('team_id').references(() => teams.id),
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the key, so people can tell keys apart in lists. */
    keyPrefix: text('key_prefix').notNull(),
    policy: jsonb('policy').notNull(),
    metadata: jsonb('metadata').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    /** Set on the old key when it was replaced by a rotation. */
    rotatedTo: text('rotated_to'),
  },
  (t) => [index('virtual_keys_team_idx').on(t.teamId)],
);

export type TeamRow = typeof teams.$inferSelect;
export type VirtualKeyRow = typeof virtualKeys.$inferSelect;

/**
 * One agent run: the client's x-session-id (or the MCP session id, or the request id), scoped to the key.
 * `key_id` is '' when the gateway runs open, so the unique pair needs no NULLS NOT DISTINCT.
 */
export const agentSessions = pgTable(
  'agent_sessions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    keyId: text('key_id').notNull().default(''),
    sessionId: text('session_id').notNull(),
    teamId: text('team_id'),
    clientName: text('client_name'),
    clientVersion: text('client_version'),
    userAgent: text('user_agent'),
    firstSeen: timestamp('first_seen', { withTimezone: true, mode: 'date' }).notNull(),
    lastSeen: timestamp('last_seen', { withTimezone: true, mode: 'date' }).notNull(),
    calls: integer('calls').notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    denials: integer('denials').notNull().default(0),
    redactions: integer('redactions').notNull().default(0),
    /** The chain tip: the last event's seq and hash (the writer locks this row while it appends). */
    lastSeq: integer('last_seq').notNull().default(0),
    lastHash: text('last_hash').notNull().default(''),
    /** Where verification starts: seq 1 and '' until retention cuts the session's oldest events. */
    anchorSeq: integer('anchor_seq').notNull().default(1),
    anchorHash: text('anchor_hash').notNull().default(''),
    /**
     * The transaction that last changed the tip, anchor or seen times, set by a trigger (drizzle/0009): a checkpoint
     * looks only at sessions changed at or after the previous checkpoint's snapshot (src/storage/checkpoint-repo.ts).
     */
    changeXid: bigint('change_xid', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    uniqueIndex('agent_sessions_session_key_uq').on(t.sessionId, t.keyId),
    index('agent_sessions_last_seen_idx').on(t.lastSeen),
    index('agent_sessions_team_last_seen_idx').on(t.teamId, t.lastSeen),
    index('agent_sessions_change_xid_idx').on(t.changeXid),
  ],
);

/** Append-only, hash-chained per session; OTel semantic-convention names where one exists. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Unique per event, assigned when recorded: spool replays skip events already written. */
    eventId: text('event_id').notNull(),
    keyId: text('key_id').notNull().default(''),
    sessionId: text('session_id').notNull(),
    seq: integer('seq').notNull(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull(),
    kind: text('kind').notNull(),
    requestId: text('request_id').notNull(),
    teamId: text('team_id'),
    traceId: text('trace_id'),
    spanId: text('span_id'),
    operation: text('gen_ai.operation.name'),
    /** The door the call came through (chat, embeddings, responses, messages, tool, resource, prompt); null on rows older than the column. */
    door: text('door'),
    provider: text('gen_ai.provider.name'),
    requestModel: text('gen_ai.request.model'),
    responseModel: text('gen_ai.response.model'),
    inputTokens: integer('gen_ai.usage.input_tokens'),
    outputTokens: integer('gen_ai.usage.output_tokens'),
    toolName: text('gen_ai.tool.name'),
    promptName: text('gen_ai.prompt.name'),
    mcpMethod: text('mcp.method.name'),
    mcpSessionId: text('mcp.session.id'),
    resourceUri: text('mcp.resource.uri'),
    /** The upstream MCP server id (no semconv name for the gateway's own server ids). */
    mcpServer: text('mcp_server'),
    stream: boolean('stream'),
    step: text('step'),
    decision: text('decision'),
    rule: text('rule'),
    reason: text('reason'),
    status: integer('status'),
    errorCode: text('error_code'),
    latencyMs: integer('latency_ms'),
    costMicros: bigint('cost_micros', { mode: 'number' }),
    /** PII finding counts by type; never the values. */
    findings: jsonb('findings'),
    /** Request as the upstream saw it and the response, when small; else in audit_payloads. */
    payload: jsonb('payload'),
    payloadId: text('payload_id'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    uniqueIndex('audit_events_session_seq_uq').on(t.sessionId, t.keyId, t.seq),
    uniqueIndex('audit_events_event_id_uq').on(t.eventId),
    index('audit_events_key_time_idx').on(t.keyId, t.time),
    index('audit_events_time_idx').on(t.time),
    index('audit_events_tool_idx').on(t.toolName),
    index('audit_events_decision_idx').on(t.decision),
  ],
);

/** Payloads over the inline limit, referenced by audit_events.payload_id. */
export const auditPayloads = pgTable('audit_payloads', {
  id: text('id').primaryKey(),
  payload: jsonb('payload').notNull(),
});

export type AgentSessionRow = typeof agentSessions.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = typeof auditEvents.$inferInsert;

/** Items a batched writer could not store even after sanitising (request-log rows, audit events), kept for review instead of blocking the writer. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** `request_log`, `audit` or `budget_spend`. */
    writer: text('writer').notNull(),
    /** The database's reason for refusing the item. */
    reason: text('reason').notNull(),
    /** The item as JSON text (escaped, so always storable), cut at 1 MiB. */
    item: text('item').notNull(),
    bytes: integer('bytes').notNull(),
  },
  (t) => [index('dead_letters_time_idx').on(t.time)],
);

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/**
 * Signed checkpoints of the sessions' chain tips (src/tracing/checkpoints.ts), chained to each other.
 * Version 2 (a delta): the root covers this checkpoint's rows in audit_checkpoint_leaves, the sessions that changed since
 * the one before. Version 1 (a full snapshot, before migration 0009): `leaves` held every session's tip, on the newest few only.
 */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull(),
    root: text('root').notNull(),
    sessions: integer('sessions').notNull(),
    prevHash: text('prev_hash').notNull(),
    /** sha256 over the signed body and the signature: the next checkpoint's prev_hash. */
    hash: text('hash').notNull(),
    /** Fingerprint of the public key that signed it. */
    keyId: text('key_id').notNull(),
    /** The Ed25519 public key, base64 SPKI DER. */
    publicKey: text('public_key').notNull(),
    signature: text('signature').notNull(),
    leaves: jsonb('leaves'),
    /** The signed body's `v`: 1 a full snapshot, 2 a delta. */
    version: integer('version').notNull().default(1),
    /**
     * Version 2: the xmin of the snapshot the delta was taken in; every session changed by a transaction below it was seen,
     * so the next delta looks at change_xid >= watermark only. Not signed: it decides what is looked at, not what is proven.
     */
    watermark: bigint('watermark', { mode: 'number' }),
  },
  (t) => [uniqueIndex('audit_checkpoints_hash_uq').on(t.hash), index('audit_checkpoints_time_idx').on(t.time)],
);

export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;

/**
 * One session's chain state in a version-2 checkpoint, written when it differs from the session's newest leaf (or it has
 * none). A session's current checkpointed state is its newest leaf. Leaves of sessions deleted by retention are kept.
 */
export const auditCheckpointLeaves = pgTable(
  'audit_checkpoint_leaves',
  {
    checkpointId: bigint('checkpoint_id', { mode: 'number' }).notNull(),
    keyId: text('key_id').notNull(),
    sessionId: text('session_id').notNull(),
    lastSeq: integer('last_seq').notNull(),
    lastHash: text('last_hash').notNull(),
    anchorSeq: integer('anchor_seq').notNull(),
    anchorHash: text('anchor_hash').notNull(),
    firstSeen: timestamp('first_seen', { withTimezone: true, mode: 'date' }).notNull(),
    lastSeen: timestamp('last_seen', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.checkpointId, t.keyId, t.sessionId] }),
    index('audit_checkpoint_leaves_session_idx').on(t.keyId, t.sessionId, t.checkpointId.desc()),
  ],
);

/**
 * The spend ledger (src/policy/spend-ledger.ts): settled budget spend per scope (`key:k1`, `team:t1`, `session:…`) and
 * period window (`total`, `d2025-01-31`, `m2025-01`), added to in batches; budget counters are rebuilt from it.
 */
export const budgetSpend = pgTable(
  'budget_spend',
  {
    scope: text('scope').notNull(),
    windowId: text('window_id').notNull(),
    /** `daily`, `monthly` or `total`: which period the window belongs to (the window id says it too; kept for queries). */
    period: text('period').notNull(),
    spentMicros: bigint('spent_micros', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.windowId] })],
);

export type BudgetSpendRow = typeof budgetSpend.$inferSelect;

/**
 * Responses the gateway stored for its Responses door (`store`, default true as at OpenAI): read back by id and chained by
 * `previous_response_id`, only by the key that made them (`key_id` '' when the gateway runs open). Each row keeps the
 * request's own input items, not its chain's, and the response as returned; `bytes` bounds what expanding a chain loads.
 */
export const storedResponses = pgTable(
  'responses',
  {
    id: text('id').primaryKey(),
    keyId: text('key_id').notNull().default(''),
    sessionId: text('session_id'),
    previousResponseId: text('previous_response_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    model: text('model').notNull(),
    status: text('status').notNull(),
    instructions: text('instructions'),
    /** The request's own input items (a string input stored as one user message). */
    input: jsonb('input').notNull(),
    /** The response object as the client got it. */
    response: jsonb('response').notNull(),
    usage: jsonb('usage'),
    /** Serialised size of input and response, as stored. */
    bytes: integer('bytes').notNull(),
    /** Something was cut to fit the size bound: the row can be read back but not continued from. */
    truncated: boolean('truncated').notNull().default(false),
    /** Ids of the output items, so an `item_reference` in a later request (the AI SDK sends them) finds its item. */
    itemIds: text('item_ids').array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [index('responses_key_created_idx').on(t.keyId, t.createdAt), index('responses_item_ids_idx').using('gin', t.itemIds)],
);

export type StoredResponseRow = typeof storedResponses.$inferSelect;
