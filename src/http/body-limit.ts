// The one request-body limit for every route group: checked on content-length up front and while a chunked body streams in.
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import { rpcError } from '../mcp/inbound/rpc-response.js';
import type { AppEnv } from './context.js';

/**
 * An over-limit body is read only so far (see below), so the connection cannot carry another request:
 * `Connection: close` makes the server end it after the 413 and tells the client to open a new one.
 */
export const CLOSE = { connection: 'close' } as const;

/** How much of an over-limit body is read and thrown away, at most, before the 413 goes out. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 2_000;

/**
 * Reads and throws away the rest of the body (bounded in bytes and time) before answering: a client still sending when
 * the connection closes gets a reset (EPIPE) instead of the 413. Nothing is kept, so memory stays flat.
 */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const deadline = Date.now() + DISCARD_MAX_MS;
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), DISCARD_MAX_MS)));
  try {
    while (bytes <= DISCARD_MAX_BYTES && Date.now() < deadline) {
      const r = await Promise.race([reader.read(), timeout]);
      if (!r || r.done) return;
      bytes += r.value.byteLength;
    }
  } catch {
    // the client went away: nothing left to protect
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => undefined);
  }
}

/** Whether the request came through @hono/node-server (its bindings carry the Node request). */
const fromNodeServer = (c: Context<AppEnv>): boolean => typeof c.env === 'object' && c.env !== null && 'incoming' in c.env;

/**
 * Passes a body within `max` on (a declared length is trusted: Node frames the request by it); buffers a chunked one up
 * to `max`. False, after discarding the rest, when the body is larger.
 */
async function withinLimit(c: Context<AppEnv>, max: number): Promise<boolean> {
  // Headers first: touching `c.req.raw.body` makes the Node adapter build a web Request and stream for the body, while
  // a body within a declared length is left for the handler to read straight from the socket (c.req.text()).
  const headers = c.req.raw.headers;
  const chunked = headers.has('transfer-encoding');
  const declared = chunked ? null : headers.get('content-length');
  if (declared !== null && Number(declared) <= max) return true;
  // Over Node's HTTP/1.1 server no length and no chunking means no body; a web Request (app.request()) may still stream one.
  if (!chunked && declared === null && fromNodeServer(c)) return true;
  const body = c.req.raw.body;
  if (!body) return true;
  const reader = body.getReader();
  if (declared !== null) {
    await discard(reader);
    return false;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await discard(reader);
      return false;
    }
    chunks.push(value);
  }
  c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) });
  return true;
}

function tooLarge(maxBytes: number): string {
  return `The request body is larger than ${maxBytes} bytes.`;
}

/** OpenAI-shaped 413 (through app.onError) for /v1 and /admin. */
export function limitBody(maxBytes: (c: Context<AppEnv>) => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const max = maxBytes(c);
    if (await withinLimit(c, max)) return next();
    throw new GatewayError('payload_too_large', tooLarge(max), { headers: { ...CLOSE } });
  };
}

/** JSON-RPC-shaped 413 for the MCP routes. */
export function limitRpcBody(maxBytes: (c: Context<AppEnv>) => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const max = maxBytes(c);
    if (await withinLimit(c, max)) return next();
    const res = rpcError(413, -32600, tooLarge(max));
    res.headers.set('connection', CLOSE.connection);
    return res;
  };
}
