// The MCP SDK's own OAuth client flow against the gateway: 401 → resource metadata → issuer → registration → PKCE → token → tools.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { expectReadersTeam, startOAuthGateway, type OAuthGateway } from '../helpers/oauth-gateway.js';
import type { TestIssuer } from '../helpers/oauth-issuer.js';

let issuer: TestIssuer;
let gw: RunningGateway;
let resource: string;
let setup: OAuthGateway;

beforeAll(async () => {
  setup = await startOAuthGateway({ issuerClaims: { groups: ['eng-readers'] } });
  ({ issuer, gw, resource } = setup);
});
afterAll(async () => {
  await setup?.stop();
});

/** An in-memory client provider; "redirecting" the user means following the issuer's auto-approval by hand. */
function memoryProvider() {
  const state: { client?: OAuthClientInformationMixed; tokens?: OAuthTokens; verifier?: string; authUrl?: URL } = {};
  const provider: OAuthClientProvider = {
    redirectUrl: 'http://127.0.0.1:1/callback',
    clientMetadata: { client_name: 'oauth-flow-test', redirect_uris: ['http://127.0.0.1:1/callback'], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' },
    clientInformation: () => state.client,
    saveClientInformation: (c) => void (state.client = c),
    tokens: () => state.tokens,
    saveTokens: (t) => void (state.tokens = t),
    redirectToAuthorization: (url) => void (state.authUrl = url),
    saveCodeVerifier: (v) => void (state.verifier = v),
    codeVerifier: () => state.verifier!,
  };
  return { provider, state };
}

it('connects with the SDK authProvider: discovery through the 401, then a token bound to the gateway', async () => {
  const { provider, state } = memoryProvider();
  const first = new Client({ name: 'oauth-flow', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { authProvider: provider });
  await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(state.authUrl?.origin).toBe(issuer.url);
  expect(state.authUrl?.searchParams.get('resource')).toBe(resource);

  const approved = await fetch(state.authUrl!, { redirect: 'manual' });
  const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
  await transport.finishAuth(code);
  expect(issuer.resources).toEqual([resource]);

  const client = new Client({ name: 'oauth-flow', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { authProvider: provider }));
  try {
    await expectReadersTeam(client);
  } finally {
    await client.close();
  }
});
