// Linking server→client requests to the call whose SSE response carried them, whatever the chunking.
import { describe, expect, it } from 'vitest';
import { createStreamOrigins } from '../../src/mcp/upstream/stream-origins.js';

function sseResponse(chunks: string[], type = 'text/event-stream'): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
  return new Response(body, { headers: { 'content-type': type } });
}

async function through(chunks: string[], body: unknown, type?: string) {
  const origins = createStreamOrigins();
  const f = origins.wrap(async () => sseResponse(chunks, type));
  const res = await f('http://upstream/mcp', { method: 'POST', body: JSON.stringify(body) });
  return { origins, text: await res.text() };
}

const req = (id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'sampling/createMessage', params: {} });

describe('stream origins', () => {
  it('links a request streamed on a call to that call, passing the bytes on unchanged', async () => {
    const chunks = ['event: message\nid: 1\ndata: ', `${req(0)}\n`, '\n', `data: ${JSON.stringify({ jsonrpc: '2.0', id: 7, result: {} })}\r\n\r\n`];
    const { origins, text } = await through(chunks, { jsonrpc: '2.0', id: 7, method: 'tools/call' });
    expect(text).toBe(chunks.join(''));
    expect(origins.take(0)).toBe(7);
    expect(origins.take(0)).toBeUndefined();
  });

  it('joins multi-line data, and ignores results, notifications, JSON responses and batches', async () => {
    const split = `data: {"jsonrpc":"2.0","id":"s1",\ndata: "method":"roots/list"}\n\n`;
    const note = `data: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n`;
    const { origins } = await through([split, note], { jsonrpc: '2.0', id: 3, method: 'tools/call' });
    expect(origins.take('s1')).toBe(3);
    const json = await through([req(5)], { jsonrpc: '2.0', id: 4, method: 'tools/call' }, 'application/json');
    expect(json.origins.take(5)).toBeUndefined();
    const batch = await through([`data: ${req(6)}\n\n`], [{ jsonrpc: '2.0', id: 1, method: 'a' }, { jsonrpc: '2.0', id: 2, method: 'b' }]);
    expect(batch.origins.take(6)).toBeUndefined();
  });

  it('survives hostile streams: garbage data, an endless line, many unanswered requests', async () => {
    const many = Array.from({ length: 1_500 }, (_, i) => `data: ${req(i)}\n\n`);
    const { origins } = await through(['data: {not json\n\n', 'x'.repeat(5 * 1024 * 1024), '\n\n', ...many], { jsonrpc: '2.0', id: 9, method: 'tools/call' });
    expect(origins.take(0)).toBeUndefined(); // the oldest links were dropped at the bound
    expect(origins.take(1_499)).toBe(9);
  });
});
