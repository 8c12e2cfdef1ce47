// The audit trail's tables: agent sessions, their hash-chained events and payloads, and the signed checkpoints over them.
import { bigint, bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

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
    /** The response cache's verdict (`hit`, `miss`, `bypass`), a semantic hit's similarity and a hit's avoided cost. */
    cache: text('cache'),
    cacheSimilarity: doublePrecision('cache_similarity'),
    savedCostMicros: bigint('saved_cost_micros', { mode: 'number' }),
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
