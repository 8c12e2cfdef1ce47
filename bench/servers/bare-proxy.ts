// The floor: the least a Node proxy can do per chat call (node:http + undici Pool + JSON parse/stringify both ways), no framework, no features.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';

const upstream = process.env.UPSTREAM_ORIGIN;
if (!upstream) throw new Error('UPSTREAM_ORIGIN is required');
// The gateway's provider agent keeps up to 256 connections per origin; the floor gets the same.
const pool = new Pool(upstream, { connections: 256, keepAliveTimeout: 30_000 });

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parts: Buffer[] = [];
  for await (const d of req) parts.push(d as Buffer);
  // Parse and re-serialise both ways: every real proxy reads the model from the body and the usage from the answer.
  const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  const up = await pool.request({ path: req.url ?? '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await up.body.json()) as unknown;
  send(res, up.statusCode, JSON.stringify(answer));
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return send(res, 404, '{"error":{"message":"not found"}}');
  proxy(req, res).catch((err: unknown) => {
    if (!res.headersSent) send(res, 502, JSON.stringify({ error: { message: err instanceof Error ? err.message : String(err) } }));
    else res.destroy();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
