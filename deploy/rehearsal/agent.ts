// The scripted agent run: openai SDK chat calls and MCP SDK tool calls on one x-session-id and one MCP session, through the balancer.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { MODEL } from './config.js';
import { recordingFetch, type Ledger, type Outcome } from './ledger.js';

export const TOOL = 'fixture__echo';

/** One call the audit timeline must show, in this order. */
export interface ExpectedEvent {
  kind: 'model_call' | 'tool_call';
  label: string;
}

export interface AgentRun {
  sessionId: string;
  /** The MCP session id the gateway gave at initialize (null before connect). */
  mcpSessionId(): string | null;
  /** The replica (name and generation) that answered initialize. */
  initializedOn: { replica: string | null; generation: number | null };
  expected: ExpectedEvent[];
  /** One agent turn: a model call, then a tool call; both labelled so the trail can be matched call by call. */
  step(label: string): Promise<{ chat: Outcome; tool: Outcome }>;
  /** MCP tool calls only (to walk the round robin after a restart). */
  tool(label: string): Promise<Outcome>;
  close(): Promise<void>;
}

export async function startAgent(o: { url: string; key: string; sessionId: string; ledger: Ledger }): Promise<AgentRun> {
  const { ledger } = o;
  const headers = { 'x-session-id': o.sessionId };
  const openai = new OpenAI({ baseURL: `${o.url}/v1`, apiKey: o.key, maxRetries: 0, defaultHeaders: headers });
  const lastTool = new Map<string, { replica: string | null; status: number }>();
  const transport = new StreamableHTTPClientTransport(new URL(`${o.url}/mcp`), {
    requestInit: { headers: { ...headers, authorization: `Bearer ${o.key}` } },
    fetch: recordingFetch(ledger, (label, replica, status) => lastTool.set(label, { replica, status })),
  });
  const mcp = new Client({ name: 'rehearsal-agent', version: '1.0.0' }, { capabilities: {} });
  await mcp.connect(transport);
  const init = ledger.outcomes.find((x) => x.kind === 'mcp-http' && x.label === 'initialize');
  const expected: ExpectedEvent[] = [];

  async function tool(label: string): Promise<Outcome> {
    expected.push({ kind: 'tool_call', label });
    try {
      const res = (await mcp.callTool({ name: TOOL, arguments: { text: label } })) as { isError?: boolean; content?: Array<{ text?: string }> };
      const seen = lastTool.get(label);
      const text = (res.content ?? []).map((c) => c.text ?? '').join('');
      const ok = !res.isError && text === `fixture: ${label}`;
      return ledger.add({ kind: 'agent-tool', label, status: seen?.status ?? null, code: null, replica: seen?.replica ?? null, error: ok ? null : `tool answered ${JSON.stringify(text)}` });
    } catch (err) {
      const seen = lastTool.get(label);
      return ledger.add({ kind: 'agent-tool', label, status: seen?.status ?? null, code: null, replica: seen?.replica ?? null, error: (err as Error).message });
    }
  }

  return {
    sessionId: o.sessionId,
    mcpSessionId: () => transport.sessionId ?? null,
    initializedOn: { replica: init?.replica ?? null, generation: init?.generation ?? null },
    expected,
    async step(label) {
      expected.push({ kind: 'model_call', label });
      const chat = await ledger.chat(openai, 'agent-chat', label, { model: MODEL, messages: [{ role: 'user', content: label }] }, `echo: ${label}`);
      return { chat, tool: await tool(label) };
    },
    tool,
    async close() {
      // Ends the session on the gateway (DELETE), as a finished agent does.
      await transport.terminateSession().catch(() => undefined);
      await mcp.close();
    },
  };
}
