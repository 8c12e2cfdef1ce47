// An MCP operation as the broker runs it (the method, the upstream target, its params) and how it ended.
import type { JsonObject } from '../mcp/upstream/rpc.js';

export type McpMethod = 'tools/call' | 'resources/read' | 'prompts/get';

/** The door an MCP operation is recorded and counted under. */
export const MCP_DOOR = { 'tools/call': 'tool', 'resources/read': 'resource', 'prompts/get': 'prompt' } as const;

export interface McpOperation {
  method: McpMethod;
  serverId: string;
  /** What the client asked for (federated or virtual name / URI). */
  exposed: string;
  /** The upstream's own name or URI. */
  target: string;
  /** Upstream params, already rewritten to the upstream name/URI (arguments, _meta…). */
  params: JsonObject;
}

export type Outcome =
  | { kind: 'result'; result: JsonObject }
  | { kind: 'denied'; reason: string; status: number; code: string }
  | { kind: 'failed'; code: string; message: string };
