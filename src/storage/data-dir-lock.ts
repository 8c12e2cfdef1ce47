// One writer per embedded database: `<dataDir>/gateway.lock`, created with O_EXCL, naming the holder (pid, URL); stale locks are taken over.
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'gateway.lock';

export interface LockInfo {
  pid: number;
  host: string;
  /** What holds it: a serving gateway, or a CLI command working on the directory itself. */
  holder: 'gateway' | 'cli';
  /** The gateway's base URL (admin API at `<url>/admin`) once it listens; null before, and for the CLI. */
  url: string | null;
  startedAt: string;
  /** Tells this holder's lock from an earlier process that had the same pid (a container's pid 1). */
  token: string;
}

export interface DataDirLock {
  readonly dir: string;
  readonly path: string;
  /** Writes the URL the gateway serves on into the lock, for the CLI to find. */
  publish(url: string): void;
  /** Removes the lock if it is still this holder's. */
  release(): void;
}

/** "a gateway (pid 12, http://127.0.0.1:8080)" or "a gateway CLI command (pid 40)". */
export function describeHolder(info: LockInfo): string {
  return info.holder === 'gateway' ? `a gateway (pid ${info.pid}${info.url ? `, ${info.url}` : ''})` : `a gateway CLI command (pid ${info.pid})`;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly info: LockInfo,
  ) {
    const who = describeHolder(info);
    super(`${who} holds ${dir}${info.host !== hostname() ? ` from host ${info.host}` : ''}; one process at a time may open an embedded database (remove ${join(dir, LOCK_FILE)} only if that process is gone)`);
    this.name = 'DataDirLockedError';
  }
}

/** Locks this process holds, by path → token: a second open in the same process is refused too. */
const held = new Map<string, string>();
let exitHook = false;

/** A lock file younger than this that does not parse yet is being written, not abandoned. */
const FRESH_MS = 5_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid !== 'number' || typeof v.token !== 'string') return null;
    return { pid: v.pid, host: v.host ?? '', holder: v.holder === 'cli' ? 'cli' : 'gateway', url: v.url ?? null, startedAt: v.startedAt ?? '', token: v.token };
  } catch {
    return null;
  }
}

/** The lock's holder when a live process holds it (this one included); null when free or stale. */
export function lockHolder(dataDir: string): LockInfo | null {
  const path = join(resolve(dataDir), LOCK_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const info = parse(text);
  if (!info) {
    // Half-written by a holder that just created it, or left empty by a crash.
    let young = false;
    try {
      young = Date.now() - statSync(path).mtimeMs < FRESH_MS;
    } catch {
      return null;
    }
    return young ? { pid: 0, host: hostname(), holder: 'gateway', url: null, startedAt: '', token: '' } : null;
  }
  // Another host's process cannot be checked from here: assume it lives.
  if (info.host && info.host !== hostname()) return info;
  if (info.pid === process.pid) return held.get(path) === info.token ? info : null;
  return alive(info.pid) ? info : null;
}

function write(path: string, info: LockInfo, flag: 'wx' | 'w'): void {
  writeFileSync(path, `${JSON.stringify(info)}\n`, { flag, mode: 0o600 });
}

/** Takes the directory's lock or throws DataDirLockedError naming the holder. */
export function acquireDataDirLock(dataDir: string, holder: LockInfo['holder']): DataDirLock {
  const dir = resolve(dataDir);
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: hostname(), holder, url: null, startedAt: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; ; attempt++) {
    try {
      write(path, info, 'wx');
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      const current = lockHolder(dir);
      if (current) throw new DataDirLockedError(dir, current);
      // Stale: its process is gone. Move it aside rather than unlink so two takers cannot both delete a fresh lock.
      try {
        renameSync(path, `${path}.stale`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  held.set(path, info.token);
  if (!exitHook) {
    exitHook = true;
    // A process.exit() skips graceful closes: leave no lock naming a pid a later process may reuse.
    process.on('exit', () => {
      for (const [p, token] of held) if (parse(safeRead(p))?.token === token) safeUnlink(p);
    });
  }
  return {
    dir,
    path,
    publish(url) {
      if (held.get(path) !== info.token) return;
      info.url = url;
      const tmp = `${path}.${info.token}`;
      write(tmp, info, 'w');
      renameSync(tmp, path);
    },
    release() {
      if (held.get(path) !== info.token) return;
      held.delete(path);
      if (parse(safeRead(path))?.token === info.token) safeUnlink(path);
    },
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
