// Resource subscriptions in the hub: resent by a restarted server's new connection at once, and a refused first subscribe forgotten.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListResourcesRequestSchema, SubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log.js';
import { McpServerConfigSchema, McpSettingsSchema } from '../../src/mcp/upstream/config-schema.js';
import { createHub, type Hub } from '../../src/mcp/upstream/hub.js';
import type { TransportFactory } from '../../src/mcp/upstream/transports.js';

let hub: Hub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

it('a restarted lazy server reconnects at once and resubscribes, so its subscribers keep hearing updates', async () => {
  const subscribed: string[] = [];
  const transports: TransportFactory = (_sid, cfg) => {
    const [client, side] = InMemoryTransport.createLinkedPair();
    const url = cfg.type === 'stdio' ? cfg.command : cfg.url;
    const s = new Server({ name: 'up', version: '1' }, { capabilities: { resources: { subscribe: true } } });
    s.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
    s.setRequestHandler(SubscribeRequestSchema, (req) => {
      subscribed.push(`${url} ${req.params.uri}`);
      return {};
    });
    void s.connect(side);
    return client;
  };
  const lazy = (url: string) => McpServerConfigSchema.parse({ url, eager: false });
  hub = createHub({ servers: { a: lazy('http://a.test/v1') }, settings: McpSettingsSchema.parse({}), log: createLogger('silent'), transports });
  hub.start();
  await hub.subscribe('a', 'test://watched', 'session-1');
  expect(subscribed).toEqual(['http://a.test/v1 test://watched']);

  const r = hub.reconcile({ a: lazy('http://a.test/v2') }, McpSettingsSchema.parse({}));
  expect(r.restarted).toEqual(['a']);
  await r.closed;
  // No call reaches the server after the reload: the subscription alone brings the new connection up.
  await vi.waitFor(() => expect(subscribed).toEqual(['http://a.test/v1 test://watched', 'http://a.test/v2 test://watched']));
});

it('a first subscribe the upstream refused is forgotten: the retry sends resources/subscribe again', async () => {
  let calls = 0;
  const transports: TransportFactory = () => {
    const [client, side] = InMemoryTransport.createLinkedPair();
    const s = new Server({ name: 'up', version: '1' }, { capabilities: { resources: { subscribe: true } } });
    s.setRequestHandler(SubscribeRequestSchema, () => {
      if (++calls === 1) throw new Error('not yet');
      return {};
    });
    void s.connect(side);
    return client;
  };
  hub = createHub({ servers: { a: McpServerConfigSchema.parse({ url: 'http://a.test/v1' }) }, settings: McpSettingsSchema.parse({}), log: createLogger('silent'), transports });
  hub.start();
  await expect(hub.subscribe('a', 'test://watched', 'session-1')).rejects.toThrow(/not yet/);
  await hub.subscribe('a', 'test://watched', 'session-1');
  expect(calls).toBe(2);
});
