// MCP test helpers: spawn the fixture server, configs for it and server-everything, and SDK clients on the gateway.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

export const FIXTURE = fileURLToPath(new URL('../fixtures/mcp-fixture-server.ts', import.meta.url));
export const EVERYTHING = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url));
export const TEST_KEY = 'sk-gw-test-key-0123456789';
export const KEYS = [{ id: 'k1', key: TEST_KEY }];

export interface Fixture {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the fixture over Streamable HTTP on a free port. */
export async function startFixture(): Promise<Fixture> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /MCP_FIXTURE_LISTENING (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill();
      }),
  };
}

export const stdioFixture = (extra: Record<string, unknown> = {}) => ({ type: 'stdio', command: process.execPath, args: ['--import', 'tsx', FIXTURE, '--stdio'], ...extra });
export const everything = () => ({ type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] });

export interface ConnectOptions {
  key?: string | null;
  capabilities?: ClientCapabilities;
  headers?: Record<string, string>;
  /** The transport's fetch, e.g. one that spreads requests over replicas. */
  fetch?: typeof fetch;
}

export async function connect(url: string, opts: ConnectOptions = {}): Promise<Client> {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? TEST_KEY : opts.key;
  if (key) headers.authorization = `Bearer ${key}`;
  const client = new Client({ name: 'gateway-test', version: '1.0.0' }, { capabilities: opts.capabilities ?? {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, ...(opts.fetch ? { fetch: opts.fetch } : {}) }));
  return client;
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

/** Polls until `fn` returns a truthy value (no timing assertions: only a generous upper bound). */
export async function until<T>(fn: () => Promise<T> | T, what: string, limitMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
