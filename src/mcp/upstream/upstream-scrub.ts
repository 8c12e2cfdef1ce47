// An upstream MCP server's credentials and the errors its client throws, scrubbed of them before they reach callers or logs.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Scrubber } from '../../providers/scrub.js';
import { credentialValues } from '../../providers/secret-variants.js';
import type { McpServerConfig } from './config-schema.js';

/** The credentials the gateway holds for this server: credential-named env vars or headers, and any in its URL. */
export function upstreamSecrets(config: McpServerConfig): string[] {
  if (config.type === 'stdio') return credentialValues(config.env);
  const url = new URL(config.url);
  const inUrl = [decodeURIComponent(url.password), ...credentialValues(Object.fromEntries(url.searchParams))].filter(Boolean);
  return [...credentialValues(config.headers), ...inUrl];
}

/**
 * Errors from this server's client (JSON-RPC errors relayed to callers, transport failures that become
 * "unavailable" messages) leave with its credentials scrubbed; successful results are the tool's data.
 */
export function scrubRequests(client: Client, scrubber: Scrubber): void {
  const request = client.request.bind(client);
  client.request = (async (...args: Parameters<typeof request>) => {
    try {
      return await request(...args);
    } catch (err) {
      const data = (err as { data?: unknown }).data;
      if (data !== undefined) {
        try {
          (err as { data?: unknown }).data = JSON.parse(scrubber.scrub(JSON.stringify(data))) as unknown;
        } catch {
          (err as { data?: unknown }).data = undefined;
        }
      }
      throw scrubber.error(err);
    }
  }) as typeof client.request;
}
