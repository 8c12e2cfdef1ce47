// Table-driven positives and negatives for every PII/secret detector, including checksum-invalid look-alikes.
import { describe, expect, it } from 'vitest';
import { detect } from '../../src/policy/pii/detect.js';
import type { PiiType } from '../../src/policy/pii/types.js';

const j = (...parts: string[]) => parts.join('');

/** The exact substrings detected as `type` in `text`. */
function found(text: string, type: PiiType): string[] {
  return detect(text)
    .filter((f) => f.type === type)
    .map((f) => text.slice(f.start, f.end));
}

const cases: Record<PiiType, { pos: Array<[string, string]>; neg: string[] }> = {
  EMAIL: {
    pos: [
      ['mail jane.doe@example.com now', 'jane.doe@example.com'],
      ['<Ann.Lee+tag@sub.example.co.uk>', 'Ann.Lee+tag@sub.example.co.uk'],
      ['end of sentence a_b@example.org.', 'a_b@example.org'],
    ],
    neg: ['icon@2x.png', 'react@18.2.0', '@types/node@20.19.43', 'user@localhost', 'a..b@example.com', 'not an @ email.com', 'x@y'],
  },
  PHONE: {
    pos: [
      ['call +1 415-555-2671 now', '+1 415-555-2671'],
      ['(415) 555-2671', '(415) 555-2671'],
      ['tel 415-555-2671.', '415-555-2671'],
      ['415.555.2671', '415.555.2671'],
      ['1-646-555-0199', '1-646-555-0199'],
      ['+44 20 7946 0958', '+44 20 7946 0958'],
      ['+4930901820', '+4930901820'],
      ['+81-3-1234-5678', '+81-3-1234-5678'],
    ],
    neg: [
      '4155552671', '415 555 2671', '123-456-7890', '415-555.2671', '911-555-1234', 'order 2024-10-15',
      'ORD-415-555-2671', '$415-555-2671', 'v1.415.555.2671', '+1 123 456 7890', '+123', '1.2.3.4.5.6.7',
      'total 1,234,567.89', 'ISBN 978-3-16-148410-0', '+12', '2024-06-10T14:03:11.482Z',
    ],
  },
  CREDIT_CARD: {
    pos: [
      ['4111111111111111', '4111111111111111'],
      ['4111 1111 1111 1111', '4111 1111 1111 1111'],
      ['5555-5555-5555-4444', '5555-5555-5555-4444'],
      ['amex 3782 822463 10005', '3782 822463 10005'],
      ['6011111111111117,', '6011111111111117'],
      ['4111 1111 1111 1111 2', '4111 1111 1111 1111'],
    ],
    neg: [
      '4111111111111112', '4111 1111 1111 1112', '1234567812345670', '0000000000000000', '4111-1111 1111-1111',
      '1718035200123', '1234567890123456789', '9' + '0'.repeat(15), '#4111111111111111', '4111111111111111.5',
    ],
  },
  IBAN: {
    pos: [
      ['GB82 WEST 1234 5698 7654 32', 'GB82 WEST 1234 5698 7654 32'],
      ['DE89370400440532013000', 'DE89370400440532013000'],
      ['to NL91ABNA0417164300.', 'NL91ABNA0417164300'],
      ['GB82 WEST 1234 5698 7654 32 THEN', 'GB82 WEST 1234 5698 7654 32'],
    ],
    neg: ['GB82WEST12345698765433', 'DE89370400440532013001', 'XX89370400440532013000', 'GB82WEST1234569876543', 'GB82WEST123456987654321', 'gb82west12345698765432'],
  },
  US_SSN: {
    pos: [
      ['SSN 123-45-6789', '123-45-6789'],
      ['536 22 1234', '536 22 1234'],
      ['(772-01-0001)', '772-01-0001'],
    ],
    neg: ['000-12-3456', '666-12-3456', '912-34-5678', '123-00-4567', '123-45-0000', '123456789', '123-45 6789', '078-05-1120', 'ORD-123-45-6789', '2024-01-1234'],
  },
  IP_ADDRESS: {
    pos: [
      ['from 203.0.113.42 ok', '203.0.113.42'],
      ['10.0.0.1,', '10.0.0.1'],
      ['1.2.3.4', '1.2.3.4'],
      ['net 192.168.1.0/24', '192.168.1.0'],
      ['2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::8a2e:370:7334'],
      ['[2001:db8::ff00:42:8329]:443', '2001:db8::ff00:42:8329'],
      ['::ffff:203.0.113.9', '::ffff:203.0.113.9'],
    ],
    neg: [
      '999.1.1.1', '256.0.0.1', '1.2.3', '1.2.3.4.5', 'v1.2.3.4', 'version 1.2.3.4', 'build: 10.0.19045.1', '127.0.0.1', '0.0.0.0',
      '01.02.03.04', 'section 4.2.2.13', '(OID 1.3.101.110)', 'RFC 7540 8.1.2.4', 'v8@3.14.5.9', 'mask 255.255.255.0',
      '0.0.0.1', '::1', '::', 'fe80::1', 'std::vector', 'a[1::2]', '12:30:45', '00:1A:2B:3C:4D:5E', 'dead:beef',
    ],
  },
  SECRET: {
    pos: [
      [j('k=sk-proj-', 'Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z'), j('sk-proj-', 'Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z')],
      [j('sk-ant-', 'api03-Xy7Kp2Lm9Nq4Rs8Tv1Wz6Ab3Cd5Ef0Gh2'), j('sk-ant-', 'api03-Xy7Kp2Lm9Nq4Rs8Tv1Wz6Ab3Cd5Ef0Gh2')],
      [j('id AKIA', 'IOSFODNN7EXAMPLE.'), j('AKIA', 'IOSFODNN7EXAMPLE')],
      [j('ghs', '_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'), j('ghs', '_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8')],
      [j('xox', 'p-1234567890-abcdefGHIJ'), j('xox', 'p-1234567890-abcdefGHIJ')],
      [j('AIza', 'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'), j('AIza', 'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY')],
      [j('sk', '_live_', '4eC39HqLyjWDarjtT1zdp7dc'), j('sk', '_live_', '4eC39HqLyjWDarjtT1zdp7dc')],
      ['Bearer 9f86d081884c7d659a2feaa0c55ad015', '9f86d081884c7d659a2feaa0c55ad015'],
      [j('eyJhbGciOiJub25lIn0', '.eyJzdWIiOiIxIn0.'), j('eyJhbGciOiJub25lIn0', '.eyJzdWIiOiIxIn0.')],
      [j('-----BEGIN ', 'PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END ', 'PRIVATE KEY-----'), j('-----BEGIN ', 'PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END ', 'PRIVATE KEY-----')],
      [j('-----BEGIN OPENSSH ', 'PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n(truncated)'), j('-----BEGIN OPENSSH ', 'PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n')],
    ],
    neg: [
      'sk-learn-pipeline-docs', '.sk-button-primary-large-variant', 'Bearer YOUR_API_KEY_HERE', 'Bearer ${OPENAI_API_KEY}',
      'Bearer abcdefghijklmnopqrstuvwxyz', 'AKIA1234', 'ghp_short', 'eyJ1c2VyIjoiZGVtbyJ9.eyJzdWIiOiIxIn0.abc',
      'SGVsbG8sIHdvcmxkIQ==', '3f786850e387550fdab836ed7e6dc881de23001b', '123e4567-e89b-12d3-a456-426614174000',
      '-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAK\n-----END PUBLIC KEY-----',
      j('if (pem.indexOf("-----BEGIN ', 'PRIVATE KEY-----") !== 0) throw err;'),
      'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==',
    ],
  },
};

describe.each(Object.entries(cases))('%s detector', (type, { pos, neg }) => {
  it.each(pos)('finds it in %j', (text, value) => {
    expect(found(text, type as PiiType)).toEqual([value]);
  });
  it.each(neg)('ignores %j', (text) => {
    expect(detect(text)).toEqual([]);
  });
});

describe('overlap resolution', () => {
  it('prefers the longest, then the most specific match', () => {
    const key = j('sk-ant-', 'api03-Xy7Kp2Lm9Nq4Rs8Tv1Wz6Ab3Cd5Ef0Gh2');
    expect(detect(`x ${key} y`)).toEqual([{ type: 'SECRET', kind: 'anthropic', start: 2, end: 2 + key.length }]);
    const jwt = j('eyJhbGciOiJub25lIn0', '.eyJzdWIiOiIxIn0.sig');
    expect(detect(`Bearer ${jwt}`).map((f) => f.kind)).toEqual(['jwt']);
  });

  it('returns positions only, never values', () => {
    const [f] = detect('mail jane@example.com');
    expect(f).toEqual({ type: 'EMAIL', start: 5, end: 21 });
  });

  it('detects only the requested types', () => {
    expect(detect('jane@example.com 203.0.113.4', ['IP_ADDRESS']).map((f) => f.type)).toEqual(['IP_ADDRESS']);
  });
});
