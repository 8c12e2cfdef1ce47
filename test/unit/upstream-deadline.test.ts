// callUpstream's total deadline: one timer per call that covers headers and body, answers the client's abort, and is
// gone (with its listener on the client's signal) once the body is read.
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUpstream, closeUpstreamAgents, readJson, type UpstreamRequest } from '../../src/providers/http.js';
import { createScrubber } from '../../src/providers/scrub.js';

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/fast') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    // Headers at once, then a body that trickles for longer than the total timeout (each gap under the idle timeout).
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"parts":[');
    let n = 0;
    const t = setInterval(() => {
      if (res.destroyed || n++ > 40) {
        clearInterval(t);
        if (!res.destroyed) res.end('0]}');
        return;
      }
      res.write('0,');
    }, 50);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeUpstreamAgents();
  await new Promise((r) => server.close(r));
});

function req(path: string, signal: AbortSignal, totalMs: number): UpstreamRequest {
  return {
    providerId: 'up',
    url: `${base}${path}`,
    method: 'GET',
    headers: {},
    signal,
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000, totalMs },
    scrubber: createScrubber([]),
  };
}

describe('callUpstream deadline', () => {
  it('answers a fast call and leaves no listener on the caller’s signal once the body is read', async () => {
    const client = new AbortController();
    const res = await callUpstream(req('/fast', client.signal, 5000));
    expect(await readJson(res, { providerId: 'up', signal: client.signal })).toEqual({ ok: true });
    await new Promise((r) => setImmediate(r));
    expect(getEventListeners(client.signal, 'abort')).toHaveLength(0);
  });

  it('cuts a body that is still arriving when the total timeout ends', async () => {
    const client = new AbortController();
    const res = await callUpstream(req('/slow', client.signal, 300));
    await expect(res.body.text()).rejects.toThrow();
    expect(client.signal.aborted).toBe(false);
  });

  it('passes the caller’s abort on to the upstream request', async () => {
    const client = new AbortController();
    const res = await callUpstream(req('/slow', client.signal, 60_000));
    const reading = res.body.text();
    client.abort(new Error('client went away'));
    await expect(reading).rejects.toThrow();
    expect(getEventListeners(client.signal, 'abort')).toHaveLength(0);
  });
});
