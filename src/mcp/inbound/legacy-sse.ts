// Legacy HTTP+SSE transport (2024-11-05): GET /sse opens the stream, POST /messages?sessionId= carries client messages.
import { randomUUID } from 'node:crypto';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import type { Principal } from '../../policy/types.js';
import { emptyView } from '../upstream/catalog.js';
import { factsAuthInfo, type RequestFacts } from './request-facts.js';
import { rpcError } from './rpc-response.js';
import { createInboundServer, type InboundParts, type SessionInfo } from './server.js';

/** One SSE stream per session; the stream lives on one replica, so these sessions are in-process by nature. */
class SseStreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (e: Error) => void;
  onmessage?: Transport['onmessage'];
  readonly stream: ReadableStream<Uint8Array>;
  private ctrl!: ReadableStreamDefaultController<Uint8Array>;
  private closed = false;
  private readonly enc = new TextEncoder();

  constructor(
    readonly sessionId: string,
    private readonly endpoint: string,
  ) {
    this.stream = new ReadableStream({ start: (c) => void (this.ctrl = c), cancel: () => void this.close() });
  }
  private write(event: string, data: string): void {
    if (!this.closed) this.ctrl.enqueue(this.enc.encode(`event: ${event}\ndata: ${data}\n\n`));
  }
  async start(): Promise<void> {
    this.write('endpoint', this.endpoint);
  }
  async send(message: JSONRPCMessage): Promise<void> {
    this.write('message', JSON.stringify(message));
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ctrl.close();
    } catch {
      // already closed by the client
    }
    this.onclose?.();
  }
}

interface LegacySession {
  info: SessionInfo;
  route: string;
  transport: SseStreamTransport;
}

export interface LegacySse {
  open(route: string, principal: Principal): Promise<Response>;
  /** One POST /messages: `facts` are the gateway's, for the handlers of the messages it carries; `raw` gives them its headers. */
  post(sessionId: string | undefined, facts: RequestFacts, body: unknown, raw: Request): Promise<Response>;
  /** After a config reload: re-resolve each session's route; a client whose view changed is told list_changed. */
  refresh(): void;
  close(): Promise<void>;
}

const LIST_CHANGED = ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'];

export function createLegacySse(parts: InboundParts): LegacySse {
  const sessions = new Map<string, LegacySession>();
  const unlisten = parts.hub.listen({
    onListChanged(sid, kinds) {
      for (const { info, transport } of sessions.values()) {
        if (!info.view.servers.includes(sid)) continue;
        // Resource templates have no notification of their own: they change with resources/list_changed, sent once.
        const methods = new Set(kinds.map((k) => (k === 'resourceTemplates' ? 'resources' : k)).map((k) => `notifications/${k}/list_changed`));
        for (const method of methods) void transport.send({ jsonrpc: '2.0', method }).catch(() => undefined);
      }
    },
    onResourceUpdated(sid, uri) {
      for (const { info, transport } of sessions.values()) {
        const exposed = info.view.exposeUri(sid, uri);
        if (exposed !== null && info.subscriptions.has(`${sid}\0${uri}`)) void transport.send({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: exposed } });
      }
    },
  });

  return {
    async open(route, principal) {
      const view = parts.catalog().view(route);
      if (!view) return rpcError(404, -32001, `No MCP server or virtual server "${route}".`);
      const id = randomUUID().replaceAll('-', '');
      const info: SessionInfo = { id, principal, view, subscriptions: new Set() };
      const transport = new SseStreamTransport(id, `/messages?sessionId=${id}`);
      const server = createInboundServer(parts, info);
      sessions.set(id, { info, route, transport });
      server.onclose = () => {
        sessions.delete(id);
        for (const s of info.subscriptions) {
          const [sid, uri] = s.split('\0') as [string, string];
          void parts.hub.unsubscribe(sid, uri, id).catch(() => undefined);
        }
      };
      await server.connect(transport);
      return new Response(transport.stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' } });
    },
    async post(sessionId, facts, body, raw) {
      if (!sessionId) return rpcError(400, -32000, 'Bad Request: sessionId query parameter is required');
      const s = sessions.get(sessionId);
      if (!s || s.info.principal.keyId !== facts.principal.keyId) return rpcError(404, -32001, 'Session not found');
      s.info.principal = facts.principal;
      const extra = { request: raw, authInfo: factsAuthInfo(facts) };
      for (const m of Array.isArray(body) ? body : [body]) s.transport.onmessage?.(m as JSONRPCMessage, extra);
      return new Response('Accepted', { status: 202 });
    },
    refresh() {
      const catalog = parts.catalog();
      for (const { info, route, transport } of sessions.values()) {
        const next = catalog.view(route) ?? emptyView(route);
        if (next.signature === info.view.signature) continue;
        info.view = next;
        for (const method of LIST_CHANGED) void transport.send({ jsonrpc: '2.0', method }).catch(() => undefined);
      }
    },
    async close() {
      unlisten();
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
    },
  };
}
