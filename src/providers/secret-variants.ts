// Which configured values are secrets, and the encoded forms of a secret an upstream may echo back.

/** Header names whose values are credentials (the rest, e.g. accept or user-agent, are not worth hiding). */
const CREDENTIAL_NAME = /auth|key|token|secret|pass|cookie|session|signature|credential/i;

/** `Bearer x` / `Basic x` / `Token x`: only `x` is secret, and the scheme word alone would match ordinary text. */
function credentialPart(value: string): string {
  const m = /^(?:bearer|basic|token|apikey)[ \t]+(\S+)\s*$/i.exec(value);
  return m ? m[1]! : value;
}

/** The credential values among headers or environment variables, judged by name. */
export function credentialValues(entries: Record<string, string> | undefined): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(entries ?? {})) {
    if (CREDENTIAL_NAME.test(name) && value) out.push(credentialPart(value));
  }
  return out;
}

/** Every secret of one provider: its key, every key of its key pool, and credential headers. */
export function providerSecrets(c: { apiKey?: string | undefined; apiKeys?: readonly string[]; headers?: Record<string, string> }): string[] {
  return [...(c.apiKey ? [c.apiKey] : []), ...(c.apiKeys ?? []), ...credentialValues(c.headers)].filter((s) => s !== '');
}

/**
 * Base64 of a secret depends on where it sits in the encoded input (3 alignments). For each alignment this
 * keeps only the characters computed from the secret's bytes alone, so the result is a substring of the
 * base64 of ANY text containing the secret: `user:key`, `key:`, `Bearer key` (Basic auth and echo formats).
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [0, 1, 2].map((pad) => {
    const enc = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    return enc.slice(Math.ceil((8 * pad) / 6), Math.floor((8 * (pad + bytes.length)) / 6));
  });
}

const toBase64Url = (s: string): string => s.replaceAll('+', '-').replaceAll('/', '_');

/** The forms to look for; case changes are handled by the matcher, which compares ASCII case-insensitively. */
export function secretVariants(secret: string): string[] {
  const out = new Set<string>([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  // Base64 is case-sensitive: an upstream that upper-cases the key before encoding it yields other characters.
  for (const form of new Set([secret, secret.toUpperCase(), secret.toLowerCase()])) {
    for (const core of base64Cores(form)) {
      out.add(core);
      out.add(toBase64Url(core));
    }
  }
  return [...out];
}
