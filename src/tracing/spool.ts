// A writer's spool: JSON-lines segment files that hold items while the database cannot take them, replayed in order.
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';

export interface SpoolSegment {
  name: string;
  bytes: number;
  events: number;
}

export interface Spool<T> {
  /** Appends events after everything already spooled; false (nothing written) when the spool is full. */
  append(events: T[]): boolean;
  /** Writes `events` before every existing segment (shutdown spill of the older in-memory queue). */
  prepend(events: T[]): Promise<void>;
  /** The oldest segment's events (sealing it if it is the one being appended to), or null when empty. */
  oldest(): Promise<{ segment: SpoolSegment; events: T[] } | null>;
  remove(segment: SpoolSegment): Promise<void>;
  isEmpty(): boolean;
  stats(): { events: number; bytes: number; segments: number; writeErrors: number };
  /** Waits for pending appends. */
  settle(): Promise<void>;
}

const FIRST = 1_000_000_000_000;

export interface SpoolOptions {
  /** Segment files are `<prefix>-<16 digits>.jsonl`. */
  prefix: string;
  maxBytes: number;
  segmentBytes: number;
  onError(err: Error, lost: number): void;
}

export async function openSpool<T>(dir: string, opts: SpoolOptions): Promise<Spool<T>> {
  const segName = (n: number) => `${opts.prefix}-${String(n).padStart(16, '0')}.jsonl`;
  const pattern = new RegExp(`^${opts.prefix}-(\\d{16})\\.jsonl$`);
  const segNum = (name: string) => Number(pattern.exec(name)?.[1] ?? NaN);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const segments: SpoolSegment[] = [];
  for (const name of (await readdir(dir)).filter((n) => Number.isFinite(segNum(n))).sort()) {
    const text = await readFile(join(dir, name), 'utf8');
    segments.push({ name, bytes: (await stat(join(dir, name))).size, events: text.split('\n').filter(Boolean).length });
  }
  let open: SpoolSegment | null = null;
  let bytes = segments.reduce((n, s) => n + s.bytes, 0);
  let writeErrors = 0;
  // One promise chain keeps appends in order without blocking the caller.
  let chain: Promise<void> = Promise.resolve();
  const next = () => (segments.length ? segNum(segments.at(-1)!.name) + 1 : FIRST);

  function write(seg: SpoolSegment, text: string, count: number): void {
    chain = chain.then(() =>
      appendFile(join(dir, seg.name), text, { mode: 0o600 }).catch((err: Error) => {
        writeErrors++;
        opts.onError(err, count);
      }),
    );
  }

  return {
    append(events) {
      const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
      const size = Buffer.byteLength(text);
      if (bytes + size > opts.maxBytes) return false;
      if (!open || open.bytes >= opts.segmentBytes) {
        open = { name: segName(next()), bytes: 0, events: 0 };
        segments.push(open);
      }
      open.bytes += size;
      open.events += events.length;
      bytes += size;
      write(open, text, events.length);
      return true;
    },
    async prepend(events) {
      if (!events.length) return;
      const first = segments.length ? segNum(segments[0]!.name) - 1 : FIRST;
      const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
      const seg = { name: segName(first), bytes: Buffer.byteLength(text), events: events.length };
      await chain;
      await appendFile(join(dir, seg.name), text, { mode: 0o600 });
      segments.unshift(seg);
      bytes += seg.bytes;
    },
    async oldest() {
      const seg = segments[0];
      if (!seg) return null;
      if (seg === open) open = null;
      await chain;
      const text = await readFile(join(dir, seg.name), 'utf8').catch(() => '');
      // A line cut short by a crash must not stop the replay of everything after it.
      const events: T[] = [];
      let bad = 0;
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          events.push(JSON.parse(line) as T);
        } catch {
          bad++;
        }
      }
      if (bad) opts.onError(new Error(`${seg.name}: ${bad} unreadable line(s) skipped`), bad);
      return { segment: seg, events };
    },
    async remove(seg) {
      const i = segments.indexOf(seg);
      if (i >= 0) segments.splice(i, 1);
      bytes -= seg.bytes;
      await rm(join(dir, seg.name), { force: true });
    },
    isEmpty: () => segments.length === 0,
    stats: () => ({ events: segments.reduce((n, s) => n + s.events, 0), bytes, segments: segments.length, writeErrors }),
    settle: () => chain,
  };
}

/**
 * A writer's spool from its settings: `<dataDir>/<name>-spool` unless a directory is given; none when `maxBytes` is 0
 * or the database is in memory (it does not outlive the process, so neither should its spool).
 */
export async function openWriterSpool<T>(name: string, o: { spoolDir?: string; spoolMaxBytes: number; dataDir: string }, log: Logger): Promise<Spool<T> | null> {
  const dir = o.spoolDir ?? (o.dataDir.startsWith('memory://') ? null : join(o.dataDir, `${name}-spool`));
  if (o.spoolMaxBytes <= 0 || !dir) return null;
  return openSpool<T>(dir, {
    prefix: name,
    maxBytes: o.spoolMaxBytes,
    segmentBytes: Math.min(4 * 1024 * 1024, o.spoolMaxBytes),
    onError: (err, lost) => log.error({ err: err.message, lost }, `${name}: spool write failed, items lost`),
  });
}
