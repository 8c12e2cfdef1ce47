// The secret scrubber: every echoed form of a configured key goes, ordinary text stays, and the work is linear.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError, toOpenAIError } from '../../src/errors.js';
import { createScrubber, WINDOW } from '../../src/providers/scrub.js';
import { credentialValues, providerSecrets, secretVariants } from '../../src/providers/secret-variants.js';

const KEY = 'sk-proj-Q7vX2mLp9RtZ4wKb8NcY3hJd';
const OTHER = 'AbC9xYz7QwErTy5UiOp3LkJh'; // a pool key without a recognisable prefix
const s = createScrubber([KEY, OTHER]);
const b64 = (t: string): string => Buffer.from(t).toString('base64');
const b64url = (t: string): string => Buffer.from(t).toString('base64url');

/** Every ≥ WINDOW-long fragment of `secret` is absent from `text` (case-insensitively). */
function fragmentsAbsent(text: string, secret: string): boolean {
  const t = text.toLowerCase();
  const k = secret.toLowerCase();
  for (let i = 0; i + WINDOW <= k.length; i++) if (t.includes(k.slice(i, i + WINDOW))) return false;
  return true;
}

describe('createScrubber: forms of a configured key', () => {
  it.each([
    ['as is', KEY],
    ['upper-cased', KEY.toUpperCase()],
    ['lower-cased', KEY.toLowerCase()],
    ['mixed case', [...KEY].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('')],
    ['base64', b64(KEY)],
    ['base64url', b64url(KEY)],
    ['base64 of :key (Basic auth, empty user)', b64(`:${KEY}`)],
    ['base64 of user:key', b64(`user:${KEY}`)],
    ['base64 of key:', b64(`${KEY}:`)],
    ['base64 of Bearer key', b64(`Bearer ${KEY}`)],
    ['base64url of xy:key', b64url(`xy:${KEY}`)],
    ['URL-encoded', encodeURIComponent(KEY)],
    ['a 16-char prefix', KEY.slice(0, 16)],
    ['a 12-char middle run', KEY.slice(9, 21)],
    ['a 14-char suffix', KEY.slice(-14)],
    ['the pool key', OTHER],
    ['the pool key upper-cased in base64', b64(OTHER.toUpperCase())],
  ])('removes the key %s', (_name, form) => {
    const text = `Incorrect API key provided: ${form}. You can find your API key at https://platform.openai.com.`;
    const out = s.scrub(text);
    expect(out).not.toContain(form);
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('Incorrect API key provided: ');
    expect(out).toContain('You can find your API key at https://platform.openai.com.');
  });

  it('removes a URL-encoded key with reserved characters', () => {
    const odd = 'k3y/with+plus=and/slash%more';
    const out = createScrubber([odd]).scrub(`?key=${encodeURIComponent(odd)}&x=1 and raw ${odd}`);
    expect(out).not.toContain(encodeURIComponent(odd));
    expect(out).not.toContain(odd);
    expect(out).toContain('&x=1 and raw ');
  });

  it('leaves no ≥12-char fragment of any key, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(KEY.length - WINDOW), fc.integer({ min: WINDOW, max: KEY.length }), fc.string(), (pre, start, len, post) => {
        const frag = KEY.slice(start, start + len);
        return fragmentsAbsent(s.scrub(pre + frag + post), KEY);
      }),
    );
  });

  it('removes short secrets whole only, and very short ones only exactly', () => {
    const sc = createScrubber(['Tok3nX9q', 'abcd']);
    expect(sc.scrub('got TOK3NX9Q and tok3nx9q')).toBe('got [REDACTED] and [REDACTED]');
    expect(sc.scrub('abcd ABCD')).toBe('[REDACTED] ABCD');
    expect(createScrubber(['ab']).scrub('ab cab')).toBe('ab cab');
  });

  it('merges overlapping and adjacent matches into one placeholder', () => {
    expect(s.scrub(`x ${KEY}${KEY.toUpperCase()} y`)).toBe('x [REDACTED] y');
  });
});

describe('createScrubber: no false positives', () => {
  const prose = [
    'Provider "openai" rejected the request (HTTP 400): max_tokens is too large: 100000. This model supports at most 16384.',
    'The model `gpt-4o-mini-2024-07-18` does not exist or you do not have access to it.',
    'Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.',
    'messages.0.content: Input should be a valid string; see https://docs.anthropic.com/en/api/errors',
    'Resource has been exhausted (e.g. check quota). INVALID_ARGUMENT: contents.parts must not be empty',
  ];

  it.each(prose)('keeps ordinary error text intact: %s', (text) => {
    expect(s.scrub(text)).toBe(text);
  });

  it('keeps arbitrary text that does not contain a key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => {
        fc.pre(fragmentsAbsent(t, KEY) && fragmentsAbsent(t, OTHER) && !/sk-|AIza|gsk_|xai-|bearer|basic|api.?key|eyJ|-----BEGIN/i.test(t));
        return s.scrub(t) === t;
      }),
    );
  });

  it('ignores empty and blank secret lists', () => {
    expect(createScrubber([]).scrub('nothing to hide here')).toBe('nothing to hide here');
    expect(createScrubber(['']).scrub('nothing to hide here')).toBe('nothing to hide here');
  });
});

describe('createScrubber: generic patterns and errors', () => {
  it('removes key-shaped strings it was never told about', () => {
    const out = s.scrub('keys sk-ant-api03-abcdefghijklmnop AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY gsk_abcdefghijklmnop and "x-api-key": "zzzzzzzzzzzzzz" Authorization: Bearer abc.def.ghi.jkl');
    expect(out).not.toMatch(/sk-ant-api03|AIzaSy|gsk_a|zzzzzzzz|abc\.def/);
    expect(out).toContain('"x-api-key": "[REDACTED]"');
  });

  it('scrubs an error, its stack and its cause in place', () => {
    const cause = new Error(`socket said ${KEY.toUpperCase()}`);
    const err = new GatewayError('upstream_error', `failed: ${b64(`:${KEY}`)}`, { cause });
    expect(s.error(err)).toBe(err);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.message).toBe('failed: [REDACTED]');
    expect(err.stack).not.toContain(b64(`:${KEY}`).slice(4, 20));
    expect(cause.message).toBe('socket said [REDACTED]');
    expect(s.error('not an error')).toBe('not an error');
  });

  it('the OpenAI renderer applies the generic patterns as defence in depth', () => {
    const body = toOpenAIError(new GatewayError('upstream_error', 'upstream said: Bearer sk-leaked-0123456789abcdef'));
    expect(body.error.message).toBe('upstream said: Bearer [REDACTED]');
  });
});

describe('secret sources', () => {
  it('collects apiKey, every pooled key and credential headers (without the auth scheme)', () => {
    const secrets = providerSecrets({
      apiKey: 'k-main-000000000000',
      apiKeys: ['k-pool-111111111111', 'k-pool-222222222222'],
      headers: { Authorization: 'Bearer hdr-token-33333333', 'X-Custom-Token': 'tok-444444444444', accept: 'application/json' },
    });
    expect(secrets).toEqual(['k-main-000000000000', 'k-pool-111111111111', 'k-pool-222222222222', 'hdr-token-33333333', 'tok-444444444444']);
    expect(credentialValues({ GITHUB_TOKEN: 'ghp_x', DEBUG: '1', API_KEY: 'abc' })).toEqual(['ghp_x', 'abc']);
  });

  it('lists the raw, URL-encoded and base64 forms', () => {
    const v = secretVariants('a+b/c=d-0123456789');
    expect(v).toContain('a+b/c=d-0123456789');
    expect(v).toContain(encodeURIComponent('a+b/c=d-0123456789'));
    expect(v.some((x) => b64('a+b/c=d-0123456789').includes(x))).toBe(true);
  });
});

describe('createScrubber: linear time', () => {
  // Each input is 5 MB built to hurt a naive scrubber: near-misses of the key at every offset, hash-bucket
  // hits, many prefixes of the generic patterns. A quadratic pass would take hours and time the test out.
  const FIVE_MB = 5 * 1024 * 1024;
  const fill = (unit: string): string => unit.repeat(Math.ceil(FIVE_MB / unit.length)).slice(0, FIVE_MB);

  it.each([
    ['near-misses of the key', KEY.slice(0, WINDOW - 1) + '!'],
    ['the key repeated', KEY],
    ['one repeated character', 'a'],
    ['generic-pattern prefixes', 'sk- Bearer  api-key: AIza gsk_ xai- eyJ '],
    ['a header name followed by spaces', 'api-key' + ' '.repeat(5000)],
  ])('scrubs 5 MB of %s', (_name, unit) => {
    const text = fill(unit);
    const out = s.scrub(text);
    expect(fragmentsAbsent(out.slice(0, 100_000), KEY)).toBe(true);
    expect(out.length).toBeGreaterThan(0);
  });
});
