// Answers to a 2025 session's server→client requests (sampling, elicitation, roots) and the client's cancellations that reach a replica other than the one waiting for them: relayed to every replica, taken by the one whose session waits.
import type { JSONRPCMessage, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Logger } from '../../log.js';
import type { Principal } from '../../policy/types.js';
import { awaitsResponse, type RelayServer } from '../sdk-adapter.js';
import { RelayUnavailable, type ReplicaRelay } from './replica-relay.js';
import { rpcError } from './rpc-response.js';

const TOPIC = 'session-answers';
/** More messages than a 2025-03-26 batch would hold is not a client's answer. */
const MAX_MESSAGES = 64;

/** What the relay needs of a session this replica holds. */
export interface RelayedSession {
  route: string;
  principal: Principal;
  server: RelayServer;
  transport: WebStandardStreamableHTTPServerTransport;
}

/** The session a POST names, as its record in the store has it (already checked against the caller's key and route). */
export interface SessionOwner {
  id: string;
  keyId: string | null;
  route: string;
}

/** Nothing to relay (null); all relayed (answer the client with `answer`); or some relayed and `body` left for the local transport. */
export type Diverted = { answer: Response } | { body: unknown } | null;

export interface SessionAnswers {
  divert(owner: SessionOwner, body: unknown, here: RelayedSession | undefined): Promise<Diverted>;
}

const IdSchema = z.union([z.string(), z.number()]);
const AnswerSchema = z.looseObject({ jsonrpc: z.literal('2.0'), id: IdSchema, method: z.never().optional() }).refine((m) => 'result' in m || 'error' in m);
const CancelSchema = z.looseObject({ jsonrpc: z.literal('2.0'), method: z.literal('notifications/cancelled'), id: z.never().optional(), params: z.looseObject({ requestId: IdSchema }) });
const MessageSchema = z.union([AnswerSchema, CancelSchema]);
type Message = z.infer<typeof MessageSchema>;
const RelayedSchema = z.object({ sessionId: z.string(), keyId: z.string().nullable(), route: z.string(), messages: z.array(MessageSchema).min(1).max(MAX_MESSAGES) });

const isCancel = (m: Message) => 'method' in m && m.method === 'notifications/cancelled';

/** The body's messages when every one is an answer or a cancellation (anything with a request stays with the transport). */
function relayable(body: unknown): Message[] | null {
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0 || list.length > MAX_MESSAGES) return null;
  const out: Message[] = [];
  for (const m of list) {
    // Most POSTs carry a request: leave them before any schema work on a large body.
    const method = m && typeof m === 'object' ? (m as { method?: unknown }).method : null;
    if (method !== undefined && method !== 'notifications/cancelled') return null;
    const parsed = MessageSchema.safeParse(m);
    if (!parsed.success) return null;
    out.push(parsed.data);
  }
  return out;
}

export function createSessionAnswers(relay: ReplicaRelay, sessionOf: (id: string) => RelayedSession | undefined, log: Logger): SessionAnswers {
  relay.onBroadcast(TOPIC, (body) => {
    const parsed = RelayedSchema.safeParse(body);
    if (!parsed.success) return;
    const { sessionId, keyId, route, messages } = parsed.data;
    const s = sessionOf(sessionId);
    // Never across keys: the session held here must belong to the key the answering replica checked.
    if (!s || s.route !== route || s.principal.keyId !== keyId) return;
    for (const m of messages) {
      if (isCancel(m) || awaitsResponse(s.server, m.id)) s.transport.onmessage?.(m as JSONRPCMessage);
    }
  });

  return {
    async divert(owner, body, here) {
      const messages = relayable(body);
      if (!messages) return null;
      // Cancellations go everywhere (the call they cancel may run on any replica); answers only where nothing here waits.
      const mine = (m: Message) => here !== undefined && (isCancel(m) || awaitsResponse(here.server, (m as { id: string | number }).id));
      const away = messages.filter((m) => isCancel(m) || !mine(m));
      if (away.length === 0) return null;
      try {
        await relay.broadcast(TOPIC, { sessionId: owner.id, keyId: owner.keyId, route: owner.route, messages: away });
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'mcp: could not relay an answer to another replica');
        if (err instanceof RelayUnavailable) return { answer: rpcError(413, -32600, err.message) };
        return { answer: rpcError(503, -32000, 'The answer could not be relayed to the gateway replica waiting for it.') };
      }
      const kept = messages.filter(mine);
      // What the transport answers a POST of answers and notifications with.
      if (kept.length === 0) return { answer: new Response(null, { status: 202 }) };
      return { body: Array.isArray(body) ? kept : kept[0] };
    },
  };
}
