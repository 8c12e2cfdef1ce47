// OAuth for MCP clients: RFC 9728 metadata, resource_metadata on 401, issuer JWTs (via JWKS) mapped to team rules, virtual keys beside them.
import { randomUUID } from 'node:crypto';
import { discoverOAuthProtectedResourceMetadata, discoverAuthorizationServerMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { base64url, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthVerifier } from '../../src/http/oauth-verifier.js';
import { parseConfig } from '../../src/config.js';
import type { RunningGateway } from '../../src/server.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, KEYS, TEST_KEY } from '../helpers/mcp.js';
import { expectReadersTeam, startOAuthGateway, type OAuthGateway } from '../helpers/oauth-gateway.js';
import { freePort, type TestIssuer } from '../helpers/oauth-issuer.js';

let issuer: TestIssuer;
let gw: RunningGateway;
let resource: string;

const token = (claims: JWTPayload = {}, opts: { iss?: string; aud?: string | string[]; exp?: number | string; key?: CryptoKey | Uint8Array; alg?: string } = {}) =>
  issuer.sign({ groups: ['eng-readers'], ...claims }, { ...opts, aud: opts.aud ?? resource });

const enc = (o: object) => base64url.encode(JSON.stringify(o));
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

function post(headers: Record<string, string>, path = '/mcp'): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(INIT) });
}

let setup: OAuthGateway;
beforeAll(async () => {
  setup = await startOAuthGateway();
  ({ issuer, gw, resource } = setup);
});
afterAll(async () => {
  await setup?.stop();
});

describe('protected resource metadata (RFC 9728)', () => {
  it('serves the document at the root and at the resource-path form, and 404 elsewhere', async () => {
    const expected = { resource, authorization_servers: [issuer.url], bearer_methods_supported: ['header'], resource_name: 'Agent gateway' };
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource/mcp/fixture']) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual(expected);
    }
    expect((await fetch(`${gw.url}/.well-known/oauth-protected-resource/v2/other`)).status).toBe(404);
  });

  it('is 404 when auth.oauth is not configured', async () => {
    const plain = await startTestGateway({ keys: KEYS });
    try {
      expect((await fetch(`${plain.url}/.well-known/oauth-protected-resource`)).status).toBe(404);
      const res = await fetch(`${plain.url}/v1/models`);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gateway"');
    } finally {
      await plain.stop();
    }
  });

  it('rejects a config without a resource, or with a symmetric algorithm', () => {
    expect(() => parseConfig({ auth: { oauth: { issuer: 'https://a.example' } } })).toThrow(/auth\.oauth\.resource/);
    expect(() => parseConfig({ auth: { oauth: { issuer: 'https://a.example', resource: 'https://g.example/mcp', algorithms: ['HS256'] } } })).toThrow(/algorithms/);
  });
});

describe('401 challenges', () => {
  it('points a client without credentials to the metadata, on /mcp and /v1, and the MCP SDK discovers the issuer from it', async () => {
    const res = await post({});
    expect(res.status).toBe(401);
    const params = extractWWWAuthenticateParams(res);
    expect(params.resourceMetadataUrl?.href).toBe(`http://127.0.0.1:${new URL(resource).port}/.well-known/oauth-protected-resource/mcp`);
    expect(res.headers.get('www-authenticate')).not.toMatch(/error=/);
    const v1 = await fetch(`${gw.url}/v1/models`);
    expect(v1.status).toBe(401);
    expect(v1.headers.get('www-authenticate')).toContain('resource_metadata="');

    const prm = await discoverOAuthProtectedResourceMetadata(new URL(`${gw.url}/mcp`), { resourceMetadataUrl: params.resourceMetadataUrl });
    expect(prm.authorization_servers).toEqual([issuer.url]);
    const as = await discoverAuthorizationServerMetadata(prm.authorization_servers![0]!);
    expect(as?.issuer).toBe(issuer.url);
  });

  it('refuses bad tokens with 401 invalid_token and a reason, never echoing the token', async () => {
    const hs = new TextEncoder().encode('a-shared-secret-of-32-bytes-long!!');
    const good = await token();
    const [h, p, s] = good.split('.');
    const cases: Array<[string, string, RegExp]> = [
      ['wrong audience', await token({}, { aud: 'https://other.example/mcp' }), /audience/],
      ['wrong issuer', await token({}, { iss: 'https://evil.example' }), /issuer/],
      ['expired', await token({}, { exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/],
      ['alg none', `${enc({ alg: 'none', typ: 'JWT' })}.${p}.`, /algorithm/],
      ['HS256', await token({}, { key: hs, alg: 'HS256' }), /algorithm/],
      ['tampered', `${h}.${enc({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'mallory' })}.${s}`, /signature/],
    ];
    for (const [what, bad, reason] of cases) {
      const res = await post({ authorization: `Bearer ${bad}` });
      expect(res.status, what).toBe(401);
      const header = res.headers.get('www-authenticate') ?? '';
      expect(header, what).toContain('error="invalid_token"');
      expect(header, what).toContain('resource_metadata="');
      const body = await res.text();
      expect(body, what).toMatch(reason);
      expect(body + header, what).not.toContain(bad.slice(-20));
    }
  });

  it('answers 403 to a valid token that maps to no team or key', async () => {
    const res = await post({ authorization: `Bearer ${await token({ groups: ['strangers'] })}` });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/maps to no team or key/);
  });
});

describe('a valid token', () => {
  it('lists and calls tools through the MCP SDK client with the mapped team rules applied', async () => {
    const session = `oauth-${randomUUID()}`;
    const client = await connect(`${gw.url}/mcp`, { key: await token(), headers: { 'x-session-id': session } });
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('fixture__test_simple_text');
      expect(names).not.toContain('fixture__test_error_handling');
      await expectReadersTeam(client);
    } finally {
      await client.close();
    }
    expect(issuer.jwksHits).toBeGreaterThan(0);
    // The trail names the subject, not the token.
    await gw.deps.audit.flush();
    const [row] = await gw.deps.repo.findSessions(session);
    expect(row).toMatchObject({ keyId: 'oauth:alice@example.com', teamId: 'readers' });
  });

  it('works on the LLM door too, and the virtual key still works beside OAuth', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${await token()}` } });
    expect(res.status).toBe(200);
    const client = await connect(`${gw.url}/mcp`, { key: TEST_KEY });
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('fixture__test_error_handling');
    } finally {
      await client.close();
    }
    expect((await fetch(`${gw.url}/v1/models`, { headers: { 'x-api-key': TEST_KEY } })).status).toBe(200);
  });
});

describe('issuer keys unreachable', () => {
  it('is reported as unavailable, not as a bad token', async () => {
    const port = await freePort();
    const oauth = parseConfig({ auth: { oauth: { issuer: issuer.url, resource, jwksUrl: `http://127.0.0.1:${port}/jwks`, fetchTimeoutMs: 500 } } }).auth.oauth!;
    const outcome = await createOAuthVerifier(oauth).verify(await token());
    expect(outcome).toMatchObject({ ok: false, error: 'unavailable' });
  });
});
