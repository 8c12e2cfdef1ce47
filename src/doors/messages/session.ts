// The agent session of a Messages call without x-session-id, from metadata.user_id (Claude Code puts its session id there).
import { createHash } from 'node:crypto';

/** The same rule request-context applies to x-session-id. */
const SESSION_ID = /^[\x21-\x7e]{1,128}$/;
/** Claude Code before 2.x: `user_<hash>_account_<uuid>_session_<uuid>`. */
const LEGACY = /_session_([0-9a-zA-Z-]{8,64})$/;

function fromJson(userId: string): string | undefined {
  if (!userId.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(userId) as { session_id?: unknown; sessionId?: unknown };
    const id = v.session_id ?? v.sessionId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The session id the user_id names (Claude Code's JSON blob, or its older `…_session_<uuid>` form) when it is a valid
 * session id; otherwise a bounded hash of the whole string, so equal user_ids still group. Undefined when there is none.
 */
export function sessionFromUserId(userId: string | null | undefined): string | undefined {
  if (!userId) return undefined;
  const named = fromJson(userId) ?? LEGACY.exec(userId)?.[1];
  if (named && SESSION_ID.test(named)) return named;
  return `user-${createHash('sha256').update(userId).digest('hex').slice(0, 32)}`;
}
