// The zod schemas for the MCP parts of gateway.yaml: upstream servers, virtual servers, transport security.
import { z } from 'zod';
import { DEFAULT_INJECTION_SCAN, InjectionScanConfigSchema } from '../guard/scan-config.js';

export { mcpServerIdSchema } from './server-id.js';

const McpTimeoutsSchema = z
  .object({
    /** Connect + initialize; a server that takes longer is marked down and retried with backoff. */
    connectMs: z.number().int().positive().default(10_000),
    /** One tools/call, resources/read or prompts/get (reset by progress notifications). */
    callMs: z.number().int().positive().default(60_000),
    /** One list request while building the catalog; a slower server is left out of that listing. */
    listMs: z.number().int().positive().default(5_000),
  })
  .strict();

/** A tool definition's pin: the sha256 (hex, optionally `sha256:`-prefixed) of its canonical JSON; stored lower-case, bare. */
export const ToolPinHashSchema = z
  .string()
  .regex(/^(sha256:)?[0-9a-fA-F]{64}$/, 'must be a sha256 hex digest (64 hex digits, optionally prefixed by "sha256:")')
  .transform((s) => s.replace(/^sha256:/, '').toLowerCase());

const upstreamBase = {
  /**
   * Static pins by upstream tool name (`gateway tools list` shows each tool's hash): they win over approvals stored in the
   * database, and a tool whose definition does not match its pin stays quarantined whatever an admin approves.
   */
  pins: z.record(z.string().min(1), ToolPinHashSchema).default({}),
  timeouts: McpTimeoutsSchema.default(McpTimeoutsSchema.parse({})),
  /** Connect at start (true) or on first use (false). */
  eager: z.boolean().default(true),
  /** USD charged to budgets for each tools/call on this server (paid APIs behind a tool). */
  costPerCallUsd: z.number().min(0).default(0),
  /**
   * `shared`: one connection serves every client session (server→client requests follow the call that caused them over
   * Streamable HTTP; elsewhere only while one session is calling). `session`: each client session gets its own
   * connection (a stdio process each), so sampling, elicitation, roots and server-side state never cross sessions.
   */
  isolation: z.enum(['shared', 'session']).default('shared'),
};

const StdioServerSchema = z
  .object({
    type: z.literal('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Only these variables (plus PATH, HOME and the like) reach the process; the gateway's own env does not. */
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    ...upstreamBase,
  })
  .strict();

const HttpServerSchema = z
  .object({
    type: z.enum(['http', 'sse']),
    url: z.url(),
    /** Sent to the upstream only, e.g. `Authorization: Bearer ${GITHUB_TOKEN}`; never shown to clients. */
    headers: z.record(z.string(), z.string()).default({}),
    ...upstreamBase,
  })
  .strict();

/** `type` may be left out as in .mcp.json files: `command` means stdio, `url` means Streamable HTTP. */
export const McpServerConfigSchema = z.preprocess(
  (v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !('type' in v)) {
      return { ...v, type: 'command' in v ? 'stdio' : 'http' };
    }
    return v;
  },
  z.discriminatedUnion('type', [StdioServerSchema, HttpServerSchema]),
);

/** A curated subset served at `/mcp/<id>` with unprefixed names; entries use the federated names of `/mcp`. */
export const VirtualServerSchema = z
  .object({
    description: z.string().optional(),
    /** Federated tool names, e.g. `github__search_code`. */
    tools: z.array(z.string().min(1)).default([]),
    /** Federated resource URIs or templates, e.g. `fs+file:///readme.md`. */
    resources: z.array(z.string().min(1)).default([]),
    /** Federated prompt names, e.g. `github__review`. */
    prompts: z.array(z.string().min(1)).default([]),
  })
  .strict();

/**
 * Tool pinning (rug-pull defence): each tool definition's hash is pinned at first sight (trust on first use) and a changed
 * definition is held back until an admin approves it.
 */
export const ToolPinningSchema = z
  .object({
    /** enforce: a changed or unapproved tool is hidden and its calls denied; audit: recorded and flagged, still served; off: no pins. */
    mode: z.enum(['off', 'audit', 'enforce']).default('enforce'),
    /** A server seen for the first time (no pins yet): approve its tools as they are (trust on first use), or quarantine them all. */
    newServers: z.enum(['approve', 'quarantine']).default('approve'),
    /** A tool that appears on a server that already has pins: approve it at first sight, or quarantine it like a changed one. */
    newTools: z.enum(['approve', 'quarantine']).default('approve'),
    /** How stale a replica's copy of the pins may get when an approval cannot reach it through Redis (no REDIS_URL, the CLI on Postgres). */
    refreshMs: z.number().int().positive().default(30_000),
  })
  .strict();

export const McpSettingsSchema = z
  .object({
    /** Extra allowed `Origin` values (e.g. `https://app.example.com`); localhost origins are always allowed. */
    allowedOrigins: z.array(z.string().min(1)).default([]),
    /** Extra allowed `Host` values (e.g. `gateway.internal:8080`); localhost and the configured host are always allowed. */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** An idle MCP session is forgotten after this long. */
    sessionTtlMs: z.number().int().positive().default(3_600_000),
    /** Backoff between reconnect attempts to a down upstream: base, doubled per failure, capped. */
    reconnectBaseMs: z.number().int().positive().default(500),
    reconnectMaxMs: z.number().int().positive().default(30_000),
    /** Ping interval for connected upstreams; a failed ping reconnects. */
    healthIntervalMs: z.number().int().positive().default(30_000),
    /** Per server with `isolation: session`: at most this many session connections; past it, calls share the server's. */
    maxSessionConnections: z.number().int().positive().max(10_000).default(64),
    pinning: ToolPinningSchema.default(ToolPinningSchema.parse({})),
    /** Prompt-injection scan of everything upstreams show the model: definitions always, results when `results` is on. */
    injectionScan: InjectionScanConfigSchema.default(DEFAULT_INJECTION_SCAN),
  })
  .strict();

export type McpServerConfig = z.infer<typeof McpServerConfigSchema>;
export type VirtualServerConfig = z.infer<typeof VirtualServerSchema>;
export type McpSettings = z.infer<typeof McpSettingsSchema>;
export type ToolPinningSettings = z.infer<typeof ToolPinningSchema>;
