// Graceful shutdown: in-flight streams finish, new work is refused, and every response carries x-request-id.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';

describe('graceful shutdown', () => {
  it('lets an in-flight stream finish, then stops', async () => {
    const gw = await startTestGateway({ providers: { slow: { kind: 'mock', chunkDelayMs: 40 } } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'slow/m', messages: [{ role: 'user', content: 'a b c d e f g h' }], stream: true });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    const stopped = gw.stop();
    let text = '';
    for (let r = await it.next(); !r.done; r = await it.next()) text += r.value.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: a b c d e f g h');
    await stopped;
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
  });
});

describe('request ids', () => {
  it('are on success, error and unknown-route responses, and x-session-id is echoed', async () => {
    const gw = await startTestGateway({ providers: { mock: { kind: 'mock' } } });
    try {
      const ok = await fetch(`${gw.url}/healthz`);
      const bad = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: '{', headers: { 'x-session-id': 'agent-run-42' } });
      const none = await fetch(`${gw.url}/nowhere`);
      for (const r of [ok, bad, none]) expect(r.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
      expect(bad.status).toBe(400);
      expect(bad.headers.get('x-session-id')).toBe('agent-run-42');
      const longSession = await fetch(`${gw.url}/v1/models`, { headers: { 'x-session-id': 'x'.repeat(129) } });
      expect(longSession.status).toBe(400);
    } finally {
      await gw.stop();
    }
  });
});
