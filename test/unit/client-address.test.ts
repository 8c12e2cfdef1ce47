// The client's address: the TCP peer, or what trusted proxies forwarded for (X-Forwarded-For read right to left).
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createClientAddress, parseProxyEntry } from '../../src/http/client-address.js';

async function resolve(trusted: string[], peer: string | null, xff?: string): Promise<string | null> {
  const app = new Hono();
  const who = createClientAddress(trusted);
  app.get('/', (c) => c.json({ address: who(c) }));
  const init = xff === undefined ? {} : { headers: { 'x-forwarded-for': xff } };
  const res = peer === null ? await app.request('/', init) : await app.request('/', init, { incoming: { socket: { remoteAddress: peer } } });
  return ((await res.json()) as { address: string | null }).address;
}

describe('createClientAddress', () => {
  it('without trusted proxies: the peer, X-Forwarded-For ignored, IPv4-mapped IPv6 unmapped', async () => {
    expect(await resolve([], '192.0.2.1', '198.51.100.9')).toBe('192.0.2.1');
    expect(await resolve([], '::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(await resolve([], '2001:db8::1', '198.51.100.9')).toBe('2001:db8::1');
    expect(await resolve([], null, '198.51.100.9')).toBeNull();
  });

  it('from a trusted proxy: the first untrusted hop from the right', async () => {
    const t = ['10.0.0.0/8', 'fd00::/8'];
    expect(await resolve(t, '10.1.2.3', '198.51.100.9')).toBe('198.51.100.9');
    expect(await resolve(t, '::ffff:10.1.2.3', '198.51.100.9')).toBe('198.51.100.9');
    // Client-written entries to the left of the proxy's are never reached.
    expect(await resolve(t, '10.1.2.3', '1.1.1.1, 2.2.2.2, 198.51.100.9')).toBe('198.51.100.9');
    // Two trusted proxies in a row.
    expect(await resolve(t, '10.1.2.3', '1.1.1.1, 198.51.100.9, 10.9.9.9')).toBe('198.51.100.9');
    expect(await resolve(t, 'fd00::5', '2001:db8::7, fd12::1')).toBe('2001:db8::7');
    // Every hop trusted: the leftmost; a malformed hop or no header ends the walk at the last trusted one.
    expect(await resolve(t, '10.1.2.3', '10.0.0.9, 10.0.0.8')).toBe('10.0.0.9');
    expect(await resolve(t, '10.1.2.3', 'evil, 10.0.0.8')).toBe('10.0.0.8');
    expect(await resolve(t, '10.1.2.3', 'x'.repeat(5000))).toBe('10.1.2.3');
    expect(await resolve(t, '10.1.2.3')).toBe('10.1.2.3');
    // An untrusted peer's header is ignored.
    expect(await resolve(t, '192.0.2.1', '10.0.0.1')).toBe('192.0.2.1');
  });

  it('takes addresses and CIDR blocks, and the config refuses anything else', () => {
    expect(parseProxyEntry('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseProxyEntry('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
    expect(parseProxyEntry('192.0.2.1')).toEqual({ address: '192.0.2.1', prefix: 32, family: 'ipv4' });
    for (const bad of ['', 'proxy.internal', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/x', '300.1.1.1']) expect(parseProxyEntry(bad), bad).toBeNull();
    expect(() => parseConfig({ server: { trustedProxies: ['10.0.0.0/8', 'lb.internal'] } }, {})).toThrow(/trustedProxies/);
    expect(parseConfig({ server: { trustedProxies: ['10.0.0.0/8'] } }, {}).server.trustedProxies).toEqual(['10.0.0.0/8']);
  });
});
