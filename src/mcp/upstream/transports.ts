// How the hub reaches an upstream MCP server: the transport factory (stdio, Streamable HTTP, SSE; tests inject in-memory ones).
import { createInterface } from 'node:readline';
import type { PassThrough } from 'node:stream';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../../log.js';
import { createScrubber } from '../../providers/scrub.js';
import type { McpServerConfig } from './config-schema.js';
import type { StreamOrigins } from './stream-origins.js';
import { upstreamSecrets } from './upstream-scrub.js';

/**
 * A fresh, unconnected transport for one connection attempt to `serverId` (called again on every reconnect).
 * `origins`, when given, learns which call each server→client request streamed in under (Streamable HTTP only).
 */
export type TransportFactory = (serverId: string, config: McpServerConfig, origins?: StreamOrigins) => Transport;

/** The real transports; a stdio server's stderr goes to the log, scrubbed of the credentials it was given. */
export function createTransportFactory(log: Logger): TransportFactory {
  return (id, config, origins) => {
    if (config.type === 'stdio') {
      const t = new StdioClientTransport({ command: config.command, args: config.args, env: config.env, cwd: config.cwd, stderr: 'pipe' });
      const err = t.stderr;
      if (err) {
        const scrubber = createScrubber(upstreamSecrets(config));
        createInterface({ input: err as PassThrough }).on('line', (line) => log.info({ mcpServer: id, stream: 'stderr' }, scrubber.scrub(line)));
      }
      return t;
    }
    const requestInit = { headers: config.headers };
    // The SSE transport sends requestInit headers on the event stream too.
    if (config.type === 'sse') return new SSEClientTransport(new URL(config.url), { requestInit });
    return new StreamableHTTPClientTransport(new URL(config.url), { requestInit, ...(origins ? { fetch: origins.wrap(fetch) } : {}) });
  };
}
