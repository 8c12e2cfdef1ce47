// MCP leg: one SDK client over Streamable HTTP, sequential tools/call latencies after a warm-up.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface McpResult {
  calls: number;
  errors: number;
  latencies: number[];
  /** Calls the server answered (warm-up included), for row parity. */
  answered: number;
}

/** Connects and lists tools; throws when the endpoint is not an MCP server. */
export async function mcpConnect(url: string, headers: Record<string, string>): Promise<{ client: Client; tools: string[] }> {
  const client = new Client({ name: 'gateway-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  const { tools } = await client.listTools();
  return { client, tools: tools.map((t) => t.name) };
}

export async function mcpCalls(client: Client, tool: string, warmup: number, calls: number): Promise<McpResult> {
  const r: McpResult = { calls: 0, errors: 0, latencies: [], answered: 0 };
  for (let i = 0; i < warmup + calls; i++) {
    const t0 = performance.now();
    try {
      const res = await client.callTool({ name: tool, arguments: { text: `ping ${i}` } });
      r.answered++;
      if (res.isError) throw new Error('tool error');
      if (i >= warmup) r.latencies.push(performance.now() - t0);
    } catch {
      if (i >= warmup) r.errors++;
    }
    if (i >= warmup) r.calls++;
  }
  return r;
}
