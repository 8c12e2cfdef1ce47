// A tiny in-process MCP server over Streamable HTTP whose tools echo the request `_meta` (traceparent), fail with isError, or count calls.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface MetaServer {
  url: string;
  /** `_meta` of every tools/call received, in order. */
  metas: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startMetaServer(): Promise<MetaServer> {
  const metas: Array<Record<string, unknown>> = [];
  const mcp = new McpServer({ name: 'meta-fixture', version: '1.0.0' });
  mcp.registerTool('meta', { description: 'Echoes the request _meta' }, async (extra) => {
    const meta = (extra._meta ?? {}) as Record<string, unknown>;
    metas.push(meta);
    return { content: [{ type: 'text', text: JSON.stringify(meta) }] };
  });
  // Both count their calls: a cached answer shows the count of the call that made it.
  let calls = 0;
  mcp.registerTool('lookup', { description: 'A read-only lookup', inputSchema: { q: z.string() }, annotations: { readOnlyHint: true } }, async ({ q }) => ({
    content: [{ type: 'text', text: `${q}#${++calls}` }],
  }));
  mcp.registerTool('bump', { description: 'Not annotated', inputSchema: { q: z.string() } }, async ({ q }) => ({ content: [{ type: 'text', text: `${q}#${++calls}` }] }));
  mcp.registerTool('boom', { description: 'Always fails' }, async () => ({ content: [{ type: 'text', text: 'boom' }], isError: true }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await mcp.connect(transport);
  const server: Server = createServer((req, res) => void transport.handleRequest(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    metas,
    close: async () => {
      await mcp.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
}
