// The trail's settings: the audit trail (payloads, writer, spool, retention, signed checkpoints) and the request log.
import { z } from 'zod';
import { optionalSecret } from '../providers/config-schema.js';

/** The per-session audit trail (README "Audit trail"). */
export const AuditConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `redacted`: payloads as the upstream saw them (after policy redaction); `full` adds the client's original request. */
    payloads: z.enum(['full', 'redacted', 'metadata-only']).default('redacted'),
    flushIntervalMs: z.number().int().positive().default(500),
    maxBatch: z.number().int().positive().default(500),
    /** Events held in memory while the database is slow or down; beyond it they go to the spool. */
    maxQueue: z.number().int().positive().default(20_000),
    /** Bytes those events may hold in memory, payloads included (estimated); past it they go to the spool as well. */
    maxQueueBytes: z.number().int().positive().default(64 * 1024 * 1024),
    inlinePayloadBytes: z.number().int().positive().default(16 * 1024),
    /** A payload larger than this (serialised) is stored cut to this size, marked `truncated`, so one huge call never stalls the writer. */
    maxPayloadBytes: z.number().int().positive().default(2 * 1024 * 1024),
    /** JSON-lines spool for a database outage; default `<dataDir>/audit-spool`. 0 bytes turns it off. */
    spoolDir: z.string().optional(),
    spoolMaxBytes: z.number().int().min(0).default(256 * 1024 * 1024),
    /** Refuse new calls with 503 while the trail is dropping events, or has not written for `stuckAfterMs`. */
    failClosed: z.boolean().default(false),
    /** A writer whose writes have failed for this long counts as stuck (`gateway_audit_accepting` 0). */
    stuckAfterMs: z.number().int().positive().default(30_000),
    /** Sessions idle longer than this are deleted (and older events of live sessions cut); 0 keeps everything. */
    retentionDays: z.number().min(0).default(0),
    retentionIntervalMs: z.number().int().positive().default(3_600_000),
    /** Signed checkpoints over the sessions changed since the last one (README "Threat model"); 0 turns them off. */
    checkpointIntervalMs: z.number().int().min(0).default(60_000),
    /** Append-only JSON-lines copy of each checkpoint; default `<dataDir>/audit-checkpoints.jsonl` (none for memory://); '' turns it off. */
    checkpointFile: z.string().optional(),
    /** Ignored since delta checkpoints (every leaf is kept: later checkpoints build on them); still accepted so older configs load. */
    checkpointKeepLeaves: z.number().int().min(1).default(3),
    /** Ed25519 private key (PEM PKCS8, base64 DER or base64 32-byte seed); GATEWAY_AUDIT_SIGNING_KEY overrides. */
    signingKey: optionalSecret,
    /** Public keys (PEM or base64 SPKI) whose checkpoints verify too: other replicas' keys, retired keys. */
    trustedPublicKeys: z.array(z.string()).default([]),
  })
  .strict();

/** One row per model call, written by the same batched writer as the audit trail. */
export const RequestLogConfigSchema = z
  .object({
    /** Off only for minimal setups and benchmarks: no request-log rows are written at all. */
    enabled: z.boolean().default(true),
    flushIntervalMs: z.number().int().positive().default(1000),
    maxBatch: z.number().int().positive().default(500),
    maxQueue: z.number().int().positive().default(100_000),
    /** Bytes the queued rows may hold in memory (estimated); past it they go to the spool as well. */
    maxQueueBytes: z.number().int().positive().default(32 * 1024 * 1024),
    /** JSON-lines spool for a database outage; default `<dataDir>/request-log-spool`. 0 bytes turns it off. */
    spoolDir: z.string().optional(),
    spoolMaxBytes: z.number().int().min(0).default(128 * 1024 * 1024),
    stuckAfterMs: z.number().int().positive().default(30_000),
  })
  .strict();
