// mcp-remote (the stdio bridge desktop clients use) connects to the gateway by OAuth alone: no key, no --header.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectReadersTeam, startOAuthGateway, type OAuthGateway } from '../helpers/oauth-gateway.js';
import { freePort, type TestIssuer } from '../helpers/oauth-issuer.js';

const MCP_REMOTE = fileURLToPath(new URL('../../node_modules/mcp-remote/dist/proxy.js', import.meta.url));
const BROWSER = fileURLToPath(new URL('../fixtures/fake-browser.mjs', import.meta.url));

let issuer: TestIssuer;
let resource: string;
let configDir: string;
let setup: OAuthGateway;

beforeAll(async () => {
  // mcp-remote accepts plain HTTP only for localhost.
  setup = await startOAuthGateway({ host: 'localhost', issuerClaims: { groups: ['eng-readers'] } });
  ({ issuer, resource } = setup);
  configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'));
});
afterAll(async () => {
  await setup?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

it('mcp-remote discovers the issuer from the 401, registers, runs PKCE in the "browser" and calls tools as the mapped team', async () => {
  const callbackPort = await freePort();
  const stderr: string[] = [];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_REMOTE, resource, String(callbackPort)],
    // DISPLAY unset: the opener falls back to $BROWSER, which follows the issuer's auto-approval.
    env: { PATH: process.env.PATH ?? '', HOME: configDir, MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: BROWSER },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (d: Buffer) => void stderr.push(d.toString()));
  const client = new Client({ name: 'desktop-app', version: '1.0.0' });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['fixture__test_simple_text']);
    await expectReadersTeam(client);
    // The token was asked for this gateway (RFC 8707), so it is audience-bound to it.
    expect(issuer.resources).toEqual([resource]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nmcp-remote stderr:\n${stderr.join('').slice(-4000)}`);
  } finally {
    await client.close();
  }
}, 60_000);
