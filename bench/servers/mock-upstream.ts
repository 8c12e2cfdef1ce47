// A small fast OpenAI-compatible upstream for the bench: chat JSON after a fixed delay, or paced SSE chunks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const env = process.env;
const port = Number(env.MOCK_PORT ?? 0);
const latencyMs = Number(env.MOCK_LATENCY_MS ?? 0);
const ttftMs = Number(env.MOCK_TTFT_MS ?? 20);
const chunks = Number(env.MOCK_CHUNKS ?? 20);
const chunkMs = Number(env.MOCK_CHUNK_MS ?? 5);

const created = Math.floor(Date.now() / 1000);
const usage = { prompt_tokens: 12, completion_tokens: chunks, total_tokens: 12 + chunks };
const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench mock upstream.' }, finish_reason: 'stop', logprobs: null }],
    usage,
  }),
);
const chunk = (delta: object, finish: string | null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const FIRST = chunk({ role: 'assistant', content: '' }, null);
const TOKEN = chunk({ content: 'tok ' }, null);
const LAST = chunk({}, 'stop');
const USAGE = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', choices: [], usage })}\n\n`;
const MODELS = Buffer.from(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created, owned_by: 'bench' }] }));

function json(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function stream(res: ServerResponse, withUsage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let sent = 0;
  const next = () => {
    if (res.destroyed) return;
    if (sent === 0) res.write(FIRST);
    if (sent < chunks) {
      res.write(TOKEN);
      sent++;
      setTimeout(next, chunkMs);
      return;
    }
    res.write(LAST);
    if (withUsage) res.write(USAGE);
    res.end('data: [DONE]\n\n');
  };
  setTimeout(next, ttftMs);
}

function onChat(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    let body: { stream?: boolean; stream_options?: { include_usage?: boolean } };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8')) as typeof body;
    } catch {
      json(res, 400, Buffer.from('{"error":{"message":"bad json","type":"invalid_request_error"}}'));
      return;
    }
    if (body.stream) return stream(res, body.stream_options?.include_usage === true);
    if (latencyMs > 0) setTimeout(() => json(res, 200, completion), latencyMs);
    else json(res, 200, completion);
  });
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url?.endsWith('/chat/completions')) return onChat(req, res);
  if (req.method === 'GET' && req.url?.endsWith('/models')) return json(res, 200, MODELS);
  json(res, 404, Buffer.from('{"error":{"message":"not found","type":"invalid_request_error"}}'));
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
