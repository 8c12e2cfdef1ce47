// Credential detectors: provider key formats, PEM private keys, JWTs and high-entropy bearer tokens.
import { groupSpan, regexDetector, type RegexDetectorSpec } from './scan.js';
import type { Detector } from './types.js';
import { isJoseHeader, looksRandom } from './validators.js';

/** Secret matches must not sit inside a longer token, or `mask-sk-…` in a CSS class would count. */
function token(spec: Omit<RegexDetectorSpec, 'type' | 'priority'> & { priority?: number }): Detector {
  return regexDetector({ type: 'SECRET', priority: spec.priority ?? 90, ...spec });
}

const whole = (m: RegExpExecArray) => ({ start: m.index, end: m.index + m[0].length });
/** Vendor prefixes are distinctive, but `sk-` alone also starts slugs like `sk-learn-docs`; demand randomness. */
const randomTail = (prefixLen: number) => (m: RegExpExecArray) => (looksRandom(m[0].slice(prefixLen), 3.0) ? whole(m) : null);

export const secretDetectors: Detector[] = [
  // Anthropic before OpenAI in priority: `sk-ant-…` also fits the OpenAI shape, and the more specific kind wins ties.
  token({ kind: 'anthropic', priority: 95, re: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,200}(?![\w-])/g, check: randomTail(7) }),
  token({ kind: 'openai', re: /(?<![\w-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}(?![\w-])/g, check: randomTail(3) }),
  token({ kind: 'aws_access_key_id', re: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g }),
  // The secret half of an AWS key pair has no prefix; only its conventional variable name gives it away.
  token({
    kind: 'aws_secret_access_key',
    re: /aws_?secret_?access_?key["']?\s{0,4}[:=]\s{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
    check: (m) => groupSpan(m, 1),
  }),
  token({ kind: 'github', re: /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![\w-])/g }),
  token({ kind: 'slack', re: /(?<![\w-])xox[abprs]-[A-Za-z0-9-]{10,250}(?![\w-])/g, check: (m) => (/\d/.test(m[0]) ? whole(m) : null) }),
  token({ kind: 'google_api_key', re: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g }),
  token({ kind: 'stripe', re: /(?<![\w-])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,247}(?![\w-])/g }),
  // A complete PEM private-key block. The body stops at the next `-----`, so a text full of unterminated headers
  // costs linear time instead of a 16 KB lookahead per header.
  token({
    kind: 'private_key',
    priority: 99,
    re: /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----(?:[^-]|-(?!----)){0,16000}-----END ([A-Z0-9]+ )*PRIVATE KEY-----/g,
  }),
  // A truncated block (no footer yet or ever): header plus body lines is still the key material. At least one
  // base64 line is required, because code that merely compares against the header string holds no key.
  token({
    kind: 'private_key',
    priority: 98,
    re: /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----(?:\r?\n[ \t]{0,16}(?:[A-Za-z-]+: [^\r\n]{1,128})?)*(?:\r?\n[ \t]{0,16}[A-Za-z0-9+\/=]{16,128})(?:\r?\n[ \t]{0,16}(?:[A-Za-z0-9+\/=]{1,128}|))*/g,
  }),
  token({
    kind: 'jwt',
    re: /(?<![\w-])eyJ[A-Za-z0-9_-]{4,8000}\.[A-Za-z0-9_-]{2,16000}\.[A-Za-z0-9_-]{0,8000}(?![\w-]|\.[\w-])/g,
    check: (m) => (isJoseHeader(m[0].slice(0, m[0].indexOf('.'))) ? whole(m) : null),
  }),
  // Only the token is the secret; keeping `Bearer ` in the text tells the reader what was removed.
  token({
    kind: 'bearer',
    priority: 85,
    re: /\bBearer[ \t]{1,8}([A-Za-z0-9._~+\/-]{16,4000}=*)(?![\w~+\/=.-])/dg,
    check: (m) => {
      const t = m[1] ?? '';
      return looksRandom(t, 3.0) ? groupSpan(m, 1) : null;
    },
  }),
];
