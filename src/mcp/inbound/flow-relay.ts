// 2026-07-28 input_required retries that reach a replica other than the one holding the flow: forwarded to that replica over the replica relay, its answer (or error) given back to the client.
import { ProtocolError, type ClientCapabilities } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Logger } from '../../log.js';
import { isJsonObject, ErrorCode, RpcError, type JsonObject } from '../upstream/rpc.js';
import { invalidState, type FlowRemote, type ForwardedRound } from './flow-rounds.js';
import type { InputFlows } from './input-flows.js';
import { RelayRemoteError, RelayUnavailable, type ReplicaRelay } from './replica-relay.js';

const TOPIC = 'flow-round';

const ForwardedRoundSchema = z.object({
  route: z.string(),
  name: z.string(),
  method: z.string(),
  keyId: z.string(),
  flow: z.string(),
  round: z.number().int(),
  caps: z.record(z.string(), z.unknown()),
  inputResponses: z.record(z.string(), z.unknown()).optional(),
});


/** The forwarding side: a state minted elsewhere is served there; a holder that is gone or silent reads as an expired state. */
export function flowRemote(relay: ReplicaRelay, log: Logger): FlowRemote {
  return {
    replica: relay.id,
    async forward(replica, round, signal) {
      try {
        const body = await relay.call(replica, TOPIC, round, signal);
        if (!isJsonObject(body)) throw new RpcError(ErrorCode.InternalError, 'The gateway replica holding this request answered with no result.');
        return body;
      } catch (err) {
        if (err instanceof RelayRemoteError) throw new ProtocolError(err.code, err.message, err.data);
        if (err instanceof RelayUnavailable && (err.reason === 'busy' || err.reason === 'too_large')) throw new RpcError(ErrorCode.InternalError, err.message);
        log.info({ err: (err as Error).message, replica }, 'mcp: the replica holding an input flow did not serve its round');
        throw invalidState();
      }
    },
  };
}

/** The holding side: rounds other replicas forward are served here as if the retry had come in directly. */
export function serveForwardedRounds(relay: ReplicaRelay, flows: InputFlows): void {
  relay.serve(TOPIC, async (body, signal) => {
    const parsed = ForwardedRoundSchema.safeParse(body);
    if (!parsed.success) throw invalidState();
    const round: ForwardedRound = { ...parsed.data, caps: parsed.data.caps as ClientCapabilities };
    return flows.serveForwarded(round, signal);
  });
}
