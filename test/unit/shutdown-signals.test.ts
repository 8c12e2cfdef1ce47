// The SIGTERM/SIGINT policy: the first signal drains, the same request delivered twice does not cut it, a later repeat forces exit.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createShutdownSignalHandler, DUPLICATE_SIGNAL_WINDOW_MS } from '../../src/server.js';

function setup(stopResult: 'resolve' | 'reject' | 'pending' = 'pending') {
  let clock = 1_000_000;
  const exits: number[] = [];
  const lines: Array<{ msg: string; signal?: string }> = [];
  let stops = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { msg: string });
      done();
    },
  });
  const onSignal = createShutdownSignalHandler({
    stop: () => {
      stops++;
      if (stopResult === 'resolve') return Promise.resolve();
      if (stopResult === 'reject') return Promise.reject(new Error('flush failed'));
      return new Promise<void>(() => {});
    },
    log: pino({ level: 'debug' }, sink),
    exit: (code) => void exits.push(code),
    inflight: () => 3,
    graceMs: () => 25_000,
    now: () => clock,
  });
  return { onSignal, exits, lines, stops: () => stops, advance: (ms: number) => void (clock += ms) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('shutdown signals', () => {
  it('drains on the first signal and exits 0 once the drain is done', async () => {
    const s = setup('resolve');
    s.onSignal('SIGTERM');
    expect(s.stops()).toBe(1);
    await flush();
    expect(s.exits).toEqual([0]);
    expect(s.lines[0]).toMatchObject({ signal: 'SIGTERM', inflight: 3, graceMs: 25_000 });
  });

  it('treats a repeat inside the window (npm forwarding + the terminal group signal) as the same request', async () => {
    const s = setup();
    s.onSignal('SIGINT');
    s.advance(DUPLICATE_SIGNAL_WINDOW_MS - 1);
    s.onSignal('SIGINT');
    await flush();
    expect(s.stops()).toBe(1);
    expect(s.exits).toEqual([]);
  });

  it('exits at once, with 128 + the signal number, on a deliberate second signal after the window, and says so', async () => {
    const s = setup();
    s.onSignal('SIGINT');
    s.advance(DUPLICATE_SIGNAL_WINDOW_MS);
    s.onSignal('SIGINT');
    expect(s.exits).toEqual([130]);
    expect(s.lines.at(-1)).toMatchObject({ signal: 'SIGINT', msg: expect.stringContaining('second signal') });

    const t = setup();
    t.onSignal('SIGINT');
    t.advance(DUPLICATE_SIGNAL_WINDOW_MS * 5);
    t.onSignal('SIGTERM');
    expect(t.exits).toEqual([143]);
    expect(t.stops()).toBe(1);
  });

  it('exits 1 when the drain fails', async () => {
    const s = setup('reject');
    s.onSignal('SIGTERM');
    await flush();
    expect(s.exits).toEqual([1]);
    expect(s.lines.some((l) => l.msg === 'shutdown failed')).toBe(true);
  });
});
