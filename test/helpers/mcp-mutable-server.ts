// A tiny in-process MCP server over Streamable HTTP whose tool definitions a test changes at runtime (a "rug pull"), with tools/list_changed.
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

export interface ToolDef {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  [k: string]: unknown;
}

export interface MutableServer {
  url: string;
  /** The definitions tools/list answers with, by name (change, add or delete entries, then `changed()`). */
  tools: Map<string, ToolDef>;
  /** Sends notifications/tools/list_changed on every open session. */
  changed(): Promise<void>;
  /** Names of the tools called, in order. */
  calls: string[];
  close(): Promise<void>;
}

export const lookupTool = (description = 'Looks a word up in the dictionary.'): ToolDef => ({
  name: 'lookup',
  description,
  inputSchema: { type: 'object', properties: { word: { type: 'string', description: 'The word' } }, required: ['word'] },
});
export const otherTool = (): ToolDef => ({ name: 'other', description: 'Another tool.', inputSchema: { type: 'object', properties: {} } });

export async function startMutableServer(initial: ToolDef[] = [lookupTool(), otherTool()]): Promise<MutableServer> {
  const tools = new Map(initial.map((t) => [t.name, t]));
  const calls: string[] = [];
  const sessions = new Map<string, { server: Server; transport: StreamableHTTPServerTransport }>();

  function build(): Server {
    const server = new Server({ name: 'mutable-fixture', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...tools.values()] as never }));
    server.setRequestHandler(CallToolRequestSchema, async (req) => {
      calls.push(req.params.name);
      if (!tools.has(req.params.name)) return { content: [{ type: 'text', text: `unknown tool ${req.params.name}` }], isError: true };
      return { content: [{ type: 'text', text: `${req.params.name} ran with ${JSON.stringify(req.params.arguments ?? {})}` }] };
    });
    return server;
  }

  const http: HttpServer = createServer((req, res) => {
    void (async () => {
      const sid = req.headers['mcp-session-id'];
      let s = typeof sid === 'string' ? sessions.get(sid) : undefined;
      if (!s) {
        const server = build();
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void sessions.set(id, { server, transport }),
        });
        await server.connect(transport);
        s = { server, transport };
      }
      await s.transport.handleRequest(req, res);
    })();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    tools,
    calls,
    async changed() {
      await Promise.all([...sessions.values()].map((s) => s.server.sendToolListChanged().catch(() => undefined)));
    },
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.server.close().catch(() => undefined)));
      http.closeAllConnections();
      await new Promise((r) => http.close(() => r(undefined)));
    },
  };
}
