// The session store with its database copy: restored on a working-store miss or outage, touched sparingly, idle ones gone.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { withArchive } from '../../src/mcp/inbound/session-archive.js';
import { createSessionStore, type SessionRecord, type SessionStore } from '../../src/mcp/inbound/session-store.js';
import type { McpSessionsRepo } from '../../src/storage/mcp-sessions-repo.js';
import type { McpSessionRow } from '../../src/storage/schema.js';

const TTL = 60_000;
const rec = (id: string, createdAt: number): SessionRecord => ({ id, keyId: 'k1', route: '', protocolVersion: '2025-11-25', clientInfo: { name: 'c' }, capabilities: {}, createdAt });

function fakeRepo() {
  const rows = new Map<string, McpSessionRow>();
  const touches: number[] = [];
  const repo: McpSessionsRepo = {
    insert: async (r) => void rows.set(r.id, r),
    find: async (id, after) => {
      const r = rows.get(id);
      return r && r.lastSeenAt > after ? r : null;
    },
    touch: async (id, at) => {
      touches.push(at.getTime());
      const r = rows.get(id);
      if (r) r.lastSeenAt = at;
    },
    remove: async (id) => void rows.delete(id),
    prune: async () => 0,
  };
  return { repo, rows, touches };
}

function setup(fast: SessionStore = createSessionStore(undefined, TTL, createLogger('silent'))) {
  let t = 1_000_000;
  const db = fakeRepo();
  const store = withArchive(fast, db.repo, () => TTL, createLogger('silent'), () => t);
  return { store, db, fast, advance: (ms: number) => (t += ms), now: () => t };
}

describe('withArchive', () => {
  it('writes the record through, restores it after the working copy is lost, and keeps ended sessions ended', async () => {
    const { store, db, now } = setup();
    await store.put(rec('a', now()));
    await store.put(rec('b', now()));
    expect(db.rows.has('a')).toBe(true);
    // A new process: an empty working store over the same database.
    const restored = withArchive(createSessionStore(undefined, TTL, createLogger('silent')), db.repo, () => TTL, createLogger('silent'), now);
    expect(await restored.get('a')).toMatchObject({ id: 'a', keyId: 'k1', protocolVersion: '2025-11-25' });
    await restored.delete('b');
    expect(await restored.get('b')).toBeNull();
    await restored.close();
    await store.close();
  });

  it('touches the database copy at most every quarter TTL, and forgets a session idle past the TTL', async () => {
    const { store, db, advance, now } = setup();
    await store.put(rec('a', now()));
    advance(TTL / 8);
    await store.get('a');
    expect(db.touches).toEqual([]);
    advance(TTL / 4);
    await store.get('a');
    expect(db.touches).toEqual([now()]);
    // The working copy expired (idle) and the database copy is older than the TTL: gone.
    const cold = withArchive(createSessionStore(undefined, TTL, createLogger('silent')), db.repo, () => TTL, createLogger('silent'), () => now() + TTL + 1);
    expect(await cold.get('a')).toBeNull();
    await cold.close();
    await store.close();
  });

  it('never revives a session that a lookup races with its delete', async () => {
    const { store, db, now } = setup();
    await store.put(rec('a', now()));
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const remove = db.repo.remove;
    db.repo.remove = async (id) => {
      await slow;
      await remove(id);
    };
    const deleting = store.delete('a');
    await new Promise((r) => setTimeout(r, 5));
    await store.get('a'); // during the delete: whatever it answers, it must not bring the record back
    release();
    await deleting;
    expect(await store.get('a')).toBeNull();
    await store.close();
  });

  it('reads the database when the working store cannot answer', async () => {
    const broken: SessionStore = { kind: 'redis', put: async () => undefined, get: async () => Promise.reject(new Error('redis down')), delete: async () => undefined, close: async () => undefined };
    const { store, now } = setup(broken);
    await store.put(rec('a', now()));
    expect(await store.get('a')).toMatchObject({ id: 'a' });
    await store.close();
  });
});
