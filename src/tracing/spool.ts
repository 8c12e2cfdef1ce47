// The audit spool: JSON-lines segment files that hold events while the database cannot take them, replayed in order.
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpoolSegment {
  name: string;
  bytes: number;
  events: number;
}

export interface AuditSpool<T> {
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
const segName = (n: number) => `audit-${String(n).padStart(16, '0')}.jsonl`;
const segNum = (name: string) => Number(/^audit-(\d{16})\.jsonl$/.exec(name)?.[1] ?? NaN);

export async function openAuditSpool<T>(dir: string, opts: { maxBytes: number; segmentBytes: number; onError(err: Error, lost: number): void }): Promise<AuditSpool<T>> {
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
      return { segment: seg, events: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) };
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
