// The robustness suite's gateway (keys, admin key, mock + fake upstream providers, fixture MCP server) and a raw HTTP sender.
import { request } from 'node:http';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { KEYS, stdioFixture, TEST_KEY } from '../helpers/mcp.js';

export const ADMIN_KEY = 'admin-key-robustness-suite-0123456789';
export const KEY = TEST_KEY;
/** Provider key of the fake upstream: must never reach a client. */
export const UPSTREAM_KEY = 'sk-upstream-robustness-secret-4242';
export const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } };

export interface Rig {
  gw: RunningGateway;
  fake: FakeUpstream;
  stop(): Promise<void>;
}

/** One gateway with everything configured; `extra` overrides top-level config sections. */
export async function startRig(extra: Record<string, unknown> = {}, opts: { mcp?: boolean; providers?: Record<string, unknown> } = {}): Promise<Rig> {
  const fake = await startFakeUpstream();
  const gw = await startTestGateway({
    auth: { adminKey: ADMIN_KEY },
    keys: KEYS,
    providers: {
      mock: { kind: 'mock', models: ['echo'] },
      fake: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: UPSTREAM_KEY, timeouts: { firstByteMs: 10_000, totalMs: 20_000 } },
      ...opts.providers,
    },
    audit: { flushIntervalMs: 50 },
    ...(opts.mcp ? { mcpServers: { fixture: stdioFixture() } } : {}),
    ...extra,
  });
  return {
    gw,
    fake,
    async stop() {
      await gw.stop();
      await fake.close();
    },
  };
}

export interface Sent {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Set when the exchange failed at the socket level (reset, timeout) before any status arrived. */
  failure: string | null;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/**
 * Raw node:http exchange: sends bytes fetch would refuse to (invalid UTF-8) and sees hop-by-hop headers
 * (`connection`) that fetch hides. A status answered early is kept even if the upload then fails.
 */
export function send(base: string, path: string, o: SendOptions = {}): Promise<Sent> {
  const url = new URL(path, base);
  const body = typeof o.body === 'string' ? Buffer.from(o.body, 'utf8') : o.body;
  const headers: Record<string, string> = { ...o.headers };
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    let done = false;
    let got: Omit<Sent, 'text' | 'failure'> | null = null;
    const chunks: Buffer[] = [];
    const finish = (failure: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (got) resolve({ ...got, text: Buffer.concat(chunks).toString('utf8'), failure: null });
      else resolve({ status: 0, headers: {}, text: '', failure });
    };
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: o.method ?? 'GET', headers, agent: false }, (res) => {
      got = { status: res.statusCode ?? 0, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])) };
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => finish(null));
      res.on('error', () => finish(null));
      res.on('close', () => finish(null));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(`timeout after ${o.timeoutMs ?? 30_000} ms`);
    }, o.timeoutMs ?? 30_000);
    req.on('error', (err) => {
      // A server that answered and then closed mid-upload is fine: keep its answer.
      if (got) return;
      setTimeout(() => finish(`socket error: ${err.message}`), 50);
    });
    if (body) req.write(body);
    req.end();
  });
}

export const auth = (key = KEY): Record<string, string> => ({ authorization: `Bearer ${key}` });
export const json = { 'content-type': 'application/json' };

/** A normal chat call; returns the response and its request id. */
export async function chat(base: string, body: unknown, headers: Record<string, string> = {}): Promise<Sent> {
  return send(base, '/v1/chat/completions', { method: 'POST', headers: { ...json, ...auth(), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Opens an MCP session on /mcp and returns its id. */
export async function mcpSession(base: string): Promise<string> {
  const r = await send(base, '/mcp', { method: 'POST', headers: { ...json, ...auth(), accept: 'application/json, text/event-stream' }, body: JSON.stringify(INIT) });
  const sid = r.headers['mcp-session-id'];
  if (r.status !== 200 || !sid) throw new Error(`MCP initialize failed: ${r.status} ${r.text.slice(0, 200)}`);
  await send(base, '/mcp', { method: 'POST', headers: { ...json, ...auth(), accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  return sid;
}
