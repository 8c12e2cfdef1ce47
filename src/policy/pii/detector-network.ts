// IP address detectors: IPv4 by octet range, IPv6 by node:net's parser; loopback, 0/8 and 240/4 are not hosts.
import { isIP } from 'node:net';
import { anchoredDetector, regexDetector } from './scan.js';
import type { Detector } from './types.js';

// `version 1.2.3.4`, `section 4.2.2.13`, `OID 1.3.101.110` and `v8@3.14.5.9` are dotted numbers, not hosts;
// a bare `1.2.3.4` is treated as an address, since nothing in the text says otherwise.
const NOT_AN_ADDRESS_BEFORE = /(?:\b(?:versions?|ver|v|release|build|section|sec|chapter|clause|oid|rfc ?\d+)|§|@)\s*[:=]?\s*$/i;

export const ipv4Detector: Detector = regexDetector({
  type: 'IP_ADDRESS',
  priority: 40,
  re: /(?<![\w.:#-])(?:\d{1,3}\.){3}\d{1,3}(?![\w-]|\.\d)/g,
  check(m, text) {
    const octets = m[0].split('.');
    if (octets.some((o) => Number(o) > 255 || (o.length > 1 && o[0] === '0'))) return null;
    // 0/8 (this network), 127/8 (loopback) and 240/4 (reserved, broadcast, netmasks like 255.255.255.0) never name
    // a host someone could be found at; private and documentation ranges stay, since they reveal internal topology.
    const first = Number(octets[0]);
    if (first === 0 || first === 127 || first >= 240) return null;
    if (NOT_AN_ADDRESS_BEFORE.test(text.slice(Math.max(0, m.index - 16), m.index))) return null;
    return { start: m.index, end: m.index + m[0].length };
  },
});

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isWordOrSep = (c: number) => isHex(c) || (c >= 71 && c <= 90) || (c >= 103 && c <= 122) || c === 95 || c === 58 || c === 46;

/** An address starts at most four hex digits before its first colon, after a character that is not `[\w:.]`. */
function addressStart(text: string, colon: number): number {
  let s = colon;
  while (s > 0 && colon - s < 5 && isHex(text.charCodeAt(s - 1))) s--;
  if (colon - s > 4) return -1;
  return s > 0 && isWordOrSep(text.charCodeAt(s - 1)) ? -1 : s;
}

export const ipv6Detector: Detector = anchoredDetector({
  type: 'IP_ADDRESS',
  priority: 40,
  anchor: ':',
  startOf: addressStart,
  // Candidate shape only (hex groups and colons, optional dotted IPv4 tail); node:net decides validity.
  re: /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\w)/g,
  check(m) {
    const s = m[0];
    if (isIP(s) !== 6) return null;
    // `a::b` in code (`std::vec`, `[1::2]` slices) parses too; an address worth hiding has 3+ groups.
    // An embedded dotted IPv4 tail stands for two groups (`::ffff:203.0.113.9`).
    const groups = s.split(':').reduce((n, g) => n + (g === '' ? 0 : g.includes('.') ? 2 : 1), 0);
    if (groups < 3) return null;
    return { start: m.index, end: m.index + s.length };
  },
});
