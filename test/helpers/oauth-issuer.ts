// A tiny OAuth 2.1 authorization server for tests: RFC 8414 metadata, JWKS, dynamic registration, auto-approving /authorize with PKCE, /token.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const ISSUER_KID = 'test-key-1';

export interface TestIssuer {
  url: string;
  server: Server;
  privateKey: CryptoKey;
  jwksHits: number;
  /** Claims every token /token issues carries (besides iss, aud = the requested resource, sub, exp). */
  claims: JWTPayload;
  /** The `resource` parameters /token was asked for (RFC 8707). */
  resources: string[];
  sign(claims: JWTPayload, opts: { aud: string | string[]; iss?: string; exp?: number | string; key?: CryptoKey | Uint8Array; alg?: string }): Promise<string>;
  close(): Promise<void>;
}

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let s = '';
    req.on('data', (d: Buffer) => (s += d.toString()));
    req.on('end', () => resolve(s));
  });

export async function startIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: ISSUER_KID, alg: 'ES256', use: 'sig' };
  const codes = new Map<string, { challenge: string; resource: string }>();
  const issuer = {
    url: '',
    privateKey,
    jwksHits: 0,
    claims: {} as JWTPayload,
    resources: [] as string[],
    sign(claims: JWTPayload, opts: { aud: string | string[]; iss?: string; exp?: number | string; key?: CryptoKey | Uint8Array; alg?: string }) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: opts.alg ?? 'ES256', kid: ISSUER_KID })
        .setIssuer(opts.iss ?? issuer.url)
        .setAudience(opts.aud)
        .setSubject((claims.sub as string | undefined) ?? 'alice@example.com')
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? '5m')
        .sign(opts.key ?? privateKey);
    },
  };
  const server = createServer(async (req, res) => {
    const json = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
    const u = new URL(req.url ?? '/', issuer.url);
    if (u.pathname === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: issuer.url,
        jwks_uri: `${issuer.url}/jwks`,
        authorization_endpoint: `${issuer.url}/authorize`,
        token_endpoint: `${issuer.url}/token`,
        registration_endpoint: `${issuer.url}/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
      });
    }
    if (u.pathname === '/jwks') {
      issuer.jwksHits++;
      return json(200, { keys: [jwk] });
    }
    if (u.pathname === '/register' && req.method === 'POST') {
      return json(201, { ...JSON.parse(await body(req)), client_id: `client-${randomUUID()}`, token_endpoint_auth_method: 'none' });
    }
    if (u.pathname === '/authorize') {
      // Auto-approves: the code is bound to the PKCE challenge and the resource the client asked for.
      const code = randomUUID();
      codes.set(code, { challenge: u.searchParams.get('code_challenge') ?? '', resource: u.searchParams.get('resource') ?? '' });
      const back = new URL(u.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state') ?? '');
      return res.writeHead(302, { location: back.href }).end();
    }
    if (u.pathname === '/token' && req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      const grant = codes.get(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (!grant || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return json(400, { error: 'invalid_grant' });
      codes.delete(form.get('code')!);
      const resource = form.get('resource') ?? grant.resource;
      issuer.resources.push(resource);
      const access_token = await issuer.sign(issuer.claims, { aud: resource });
      return json(200, { access_token, token_type: 'Bearer', expires_in: 300 });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return Object.assign(issuer, { server, close: () => new Promise<void>((r) => server.close(() => r())) });
}

/** A free port, so a gateway's canonical resource URL can be configured before it starts. */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
  await new Promise((r) => s.close(r));
  return port;
}
