// Who sent a request: the TCP peer, or, when the peer is a proxy named in server.trustedProxies, the address that
// proxy (and any trusted proxy before it) saw, read from X-Forwarded-For right to left.
import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** Past this, X-Forwarded-For is not read (a proxy chain is a handful of hops, not a megabyte of commas). */
const MAX_FORWARDED_CHARS = 4096;
const MAX_HOPS = 32;

/** `10.0.0.0/8`, `::1`, `fd00::/8`: an address or a CIDR block, as server.trustedProxies takes them. */
export function parseProxyEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, ...rest] = entry.trim().split('/');
  const v = isIP(address);
  if (!v || rest.length > 0) return null;
  const max = v === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  return prefix <= max ? { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' } : null;
}

/** `::ffff:10.1.2.3` is 10.1.2.3: the IPv4 address a dual-stack socket reports. */
function unmapped(a: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  return m && isIP(m[1]!) === 4 ? m[1]! : a;
}

function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    const p = parseProxyEntry(e);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

export interface ClientAddressResolver {
  /** The client's address (IPv4-mapped IPv6 unmapped), or null when the request has no socket (in-process calls). */
  (c: Context): string | null;
}

/**
 * Without trusted proxies, the peer. With them: starting from the peer, while the current hop is trusted, step to the
 * address it forwarded for (the last X-Forwarded-For entry not yet used); the first untrusted hop is the client. A
 * header a client wrote itself only ever sits left of what our proxies appended, so it is never reached unless every
 * hop after it is trusted. A malformed hop ends the walk at the last trusted one.
 */
export function createClientAddress(trustedProxies: readonly string[]): ClientAddressResolver {
  const trusted = trustedProxies.length ? blockList(trustedProxies) : null;
  const isTrusted = (a: string) => trusted !== null && trusted.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
  return (c) => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      return null; // no Node socket behind this request
    }
    if (!peer) return null;
    let hop = unmapped(peer);
    if (!isTrusted(hop)) return hop;
    const header = c.req.header('x-forwarded-for');
    if (!header || header.length > MAX_FORWARDED_CHARS) return hop;
    const hops = header.split(',').slice(-MAX_HOPS);
    for (let i = hops.length - 1; i >= 0; i--) {
      const next = unmapped(hops[i]!.trim());
      if (!isIP(next)) return hop;
      hop = next;
      if (!isTrusted(hop)) return hop;
    }
    return hop;
  };
}
