// A hostile upstream that echoes the provider key it received into error bodies and mid-stream SSE error frames.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KeyEchoUpstream {
  url: string;
  close(): Promise<void>;
}

type Wire = 'openai' | 'anthropic' | 'gemini';

function wireOf(path: string): Wire {
  if (path.startsWith('/v1/messages')) return 'anthropic';
  if (path.startsWith('/v1beta/')) return 'gemini';
  return 'openai';
}

/** Whatever credential the gateway sent, in whichever header or query parameter its provider kind uses. */
function keyOf(req: IncomingMessage, url: URL): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return bearer ?? String(req.headers['x-api-key'] ?? req.headers['x-goog-api-key'] ?? req.headers['api-key'] ?? url.searchParams.get('key') ?? '(none)');
}

function errorJson(wire: Wire, key: string): string {
  if (wire === 'anthropic') return JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${key}` } });
  if (wire === 'gemini') return JSON.stringify({ error: { code: 400, message: `API key not valid. Please pass a valid API key. (key=${key})`, status: 'INVALID_ARGUMENT' } });
  return JSON.stringify({ error: { message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
}

function firstFrame(wire: Wire): string {
  if (wire === 'anthropic') {
    const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, usage: { input_tokens: 1, output_tokens: 0 } } };
    return `event: message_start\ndata: ${JSON.stringify(start)}\n\n`;
  }
  if (wire === 'gemini') return `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, index: 0 }] })}\r\n\r\n`;
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: null }] })}\n\n`;
}

/**
 * `mode` is read from the model name: `err-<status>` answers that status with the key in the body;
 * otherwise a stream sends one good frame then an error frame with the key, and a non-stream call gets a 401.
 */
export async function startKeyEchoUpstream(): Promise<KeyEchoUpstream> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const wire = wireOf(url.pathname);
      const key = keyOf(req, url);
      let body: { stream?: boolean; model?: string } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        // not JSON: answer anyway
      }
      const model = `${body.model ?? ''} ${decodeURIComponent(url.pathname)}`;
      const status = Number(/err-(\d{3})/.exec(model)?.[1] ?? 0);
      const stream = body.stream === true || url.pathname.includes(':streamGenerateContent');
      if (stream && !status) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const eol = wire === 'gemini' ? '\r\n' : '\n';
        res.write(firstFrame(wire));
        res.end(`${wire === 'anthropic' ? `event: error${eol}` : ''}data: ${errorJson(wire, key)}${eol}${eol}`);
        return;
      }
      res.writeHead(status || 401, { 'content-type': 'application/json', 'x-echoed-key': key });
      res.end(errorJson(wire, key));
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
