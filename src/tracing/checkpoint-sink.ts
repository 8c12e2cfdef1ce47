// The append-only JSON-lines copy of every checkpoint, outside the database (mode 0600, fsync'd per line).
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SignedCheckpoint } from './checkpoint-digest.js';

export type SinkEntry = SignedCheckpoint & { id: number };

export interface CheckpointSink {
  path: string;
  append(entry: SinkEntry): void;
  /** The newest entries (the file's last `maxBytes`), oldest first; a torn last line is skipped. */
  tail(maxBytes?: number): SinkEntry[];
}

export function openCheckpointSink(path: string): CheckpointSink {
  return {
    path,
    append(entry) {
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(path, 'a', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(entry)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    tail(maxBytes = 256 * 1024) {
      if (!existsSync(path)) return [];
      const fd = openSync(path, 'r');
      try {
        const size = fstatSync(fd).size;
        const start = Math.max(0, size - maxBytes);
        const buf = Buffer.alloc(size - start);
        readSync(fd, buf, 0, buf.length, start);
        const lines = buf.toString('utf8').split('\n');
        if (start > 0) lines.shift(); // the first line is probably cut
        const out: SinkEntry[] = [];
        for (const l of lines) {
          if (!l.trim()) continue;
          try {
            const e = JSON.parse(l) as SinkEntry;
            if (typeof e.hash === 'string' && typeof e.id === 'number') out.push(e);
          } catch {
            // a line torn by a crash mid-write: the entries around it still count
          }
        }
        return out;
      } finally {
        closeSync(fd);
      }
    },
  };
}
