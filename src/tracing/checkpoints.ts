// Periodic signed checkpoints of the sessions' chain tips that changed since the last one: to the database and an append-only file outside it.
import { join } from 'node:path';
import type { GatewayConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { CheckpointRepo } from '../storage/checkpoint-repo.js';
import type { AuditCheckpointRow } from '../storage/schema.js';
import { signCheckpoint } from './checkpoint-digest.js';
import { loadSigningKey, publicPem, trustedKeys, type PublicKeyView } from './checkpoint-keys.js';
import { openCheckpointSink, type CheckpointSink } from './checkpoint-sink.js';
import { checkAgainstCheckpoint, type CheckpointReport } from './checkpoint-verify.js';

export interface Checkpoints {
  /** Whether this replica writes checkpoints (a signing key and a non-zero interval). */
  enabled: boolean;
  sinkPath: string | null;
  /** Writes one now; `force` ignores a checkpoint another replica wrote moments ago. Null when skipped. */
  write(force?: boolean): Promise<AuditCheckpointRow | null>;
  check(keyId?: string): Promise<CheckpointReport>;
  publicKeys(): PublicKeyView[];
  /** Stops the timer and writes a last checkpoint (after the audit writer flushed). */
  close(): Promise<void>;
}


/** `audit.checkpointFile`, else `<dataDir>/audit-checkpoints.jsonl`; none for memory:// unless configured; '' turns it off. */
export function sinkPathOf(config: GatewayConfig): string | null {
  const f = config.audit.checkpointFile;
  if (f !== undefined) return f === '' ? null : f;
  return config.storage.dataDir === 'memory://' ? null : join(config.storage.dataDir, 'audit-checkpoints.jsonl');
}

/** `verifyOnly`: no timer and no key generated (the CLI checks what the gateway signed; it signs nothing). */
export function createCheckpoints(config: GatewayConfig, repo: CheckpointRepo, log: Logger, opts: { timer?: boolean; verifyOnly?: boolean } = {}): Checkpoints {
  const a = config.audit;
  const key = loadSigningKey({ signingKey: a.signingKey, dataDir: config.storage.dataDir, generate: !opts.verifyOnly });
  const trusted = trustedKeys(key, a.trustedPublicKeys);
  const sinkPath = sinkPathOf(config);
  const sink: CheckpointSink | null = sinkPath ? openCheckpointSink(sinkPath) : null;
  const enabled = key !== null && a.checkpointIntervalMs > 0;
  if (!key && a.checkpointIntervalMs > 0) log.warn('audit: no signing key (GATEWAY_AUDIT_SIGNING_KEY) and no data directory to keep one: checkpoints are off');
  if (key?.source === 'generated') log.warn({ keyId: key.keyId }, 'audit: generated a checkpoint signing key in the data directory; replicas sharing a database should set GATEWAY_AUDIT_SIGNING_KEY');
  let running: Promise<AuditCheckpointRow | null> | null = null;

  async function writeOnce(force: boolean): Promise<AuditCheckpointRow | null> {
    if (!key) return null;
    // The delta's leaves are chosen, stored and digested inside the database; only its root and count come back here.
    // (audit.checkpointKeepLeaves no longer applies: a delta's leaves are what later checkpoints build on.)
    const row = await repo.writeCheckpoint({
      minAgeMs: force ? 0 : a.checkpointIntervalMs / 2,
      build(prev, delta) {
        const signed = signCheckpoint({ time: new Date().toISOString(), root: delta.root, sessions: delta.sessions, prevHash: prev?.hash ?? '' }, key.priv, key.pub);
        return { time: new Date(signed.time), root: signed.root, sessions: signed.sessions, prevHash: signed.prevHash, hash: signed.hash, keyId: signed.keyId, publicKey: signed.publicKey, signature: signed.signature };
      },
    });
    if (row && sink) {
      // After the commit: a line in the file always names a row the database accepted.
      const { leaves: _l, version, watermark: _w, ...h } = row;
      sink.append({ ...h, v: version, time: row.time.toISOString() });
    }
    return row;
  }

  const write = (force = false) => {
    // One at a time per replica: the timer and shutdown must not race each other.
    const next = (running ?? Promise.resolve(null)).catch(() => null).then(() => writeOnce(force));
    running = next;
    return next;
  };

  const timer = enabled && opts.timer !== false && !opts.verifyOnly
    ? setInterval(() => void write().catch((err: Error) => log.warn({ err: err.message }, 'audit: checkpoint failed')), a.checkpointIntervalMs)
    : null;
  timer?.unref();

  return {
    enabled,
    sinkPath,
    write,
    check: (keyId) => checkAgainstCheckpoint({ repo, trusted, sink, retentionDays: a.retentionDays }, keyId),
    publicKeys: () => [...trusted].map(([keyId, pub]) => ({ keyId, pem: publicPem(pub), signing: keyId === key?.keyId })),
    async close() {
      if (timer) clearInterval(timer);
      if (!enabled) return;
      try {
        await write(true);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'audit: final checkpoint failed');
      }
    },
  };
}
