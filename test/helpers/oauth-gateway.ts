// A gateway that takes bearer JWTs from a test issuer: the issuer's `groups: eng-readers` maps to team "readers",
// which may use only fixture__test_simple_text of a stdio fixture; virtual keys (KEYS) keep working beside it.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from './gateway.js';
import { KEYS, stdioFixture, textOf } from './mcp.js';
import { freePort, startIssuer, type TestIssuer } from './oauth-issuer.js';

export interface OAuthGateway {
  issuer: TestIssuer;
  gw: RunningGateway;
  /** The gateway's canonical resource URL (the audience its tokens are bound to). */
  resource: string;
  stop(): Promise<void>;
}

/** `host` is how the resource URL names the gateway (mcp-remote wants `localhost` for plain HTTP). */
export async function startOAuthGateway(opts: { host?: string; issuerClaims?: Record<string, unknown> } = {}): Promise<OAuthGateway> {
  const issuer = await startIssuer();
  if (opts.issuerClaims) issuer.claims = opts.issuerClaims;
  const port = await freePort();
  const resource = `http://${opts.host ?? '127.0.0.1'}:${port}/mcp`;
  const gw = await startTestGateway({
    server: { port },
    keys: KEYS,
    teams: { readers: { tools: ['fixture__test_simple_text'] } },
    mcpServers: { fixture: stdioFixture() },
    auth: { oauth: { issuer: issuer.url, resource, principal: { teamClaim: 'groups', teams: { 'eng-readers': 'readers' } } } },
  });
  return {
    issuer,
    gw,
    resource,
    async stop() {
      await gw.stop();
      await issuer.close();
    },
  };
}

/** What team "readers" may do, seen from a client: its one tool runs, any other is denied by the team's rules. */
export async function expectReadersTeam(client: Pick<Client, 'callTool'>): Promise<void> {
  const ok = await client.callTool({ name: 'fixture__test_simple_text', arguments: {} });
  expect(ok.isError).toBeFalsy();
  expect(textOf(ok)).toContain('simple text response');
  const denied = await client.callTool({ name: 'fixture__test_error_handling', arguments: {} });
  expect(denied.isError).toBe(true);
  expect(textOf(denied)).toMatch(/not allowed for team "readers"/);
}
