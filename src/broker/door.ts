// The contract every model door (chat completions, embeddings, responses, messages) implements for the broker's one path.
import type { ProviderKind } from '../config.js';
import type { ChatRequest } from '../openai/schemas.js';
import type { StreamTransform } from '../policy/engine.js';
import type { ModelDoorName } from '../policy/types.js';
import type { Provider, ProviderCall } from '../providers/types.js';
import type { GenAiOperation } from '../tracing/semconv.js';

/** Tokens a call used, in the provider-neutral form budgets, prices and the trails read. */
export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

/** What a stream amounted to, folded from the events the client received. */
export interface StreamTally {
  /** Usage as the upstream reported it; undefined when the stream was cut before it did. */
  usage?: CallUsage;
  servedModel?: string;
  /** Output text and tool arguments received, counted when a cut stream has no usage. */
  outputText: string;
  /** The answer as the client got it, for the audit trail. */
  response: unknown;
}

export interface StreamFold<Ev> {
  see(event: Ev): void;
  result(): StreamTally;
}

/**
 * One wire format at the edge. The broker runs policy on the door's own body (`pctx.input`), routes on its
 * chat view, and asks the door to call each target: natively when the provider speaks the format (so fields
 * the translation does not know survive), else through the chat translation.
 */
export interface ModelDoor<Req, Res, Ev> {
  readonly name: ModelDoorName;
  /** The request log's endpoint column. */
  readonly endpoint: string;
  readonly operation: GenAiOperation;
  model(req: Req): string;
  /** The request as a chat request: routing rules and token counting read it (undefined for embeddings). */
  asChat(req: Req): ChatRequest | undefined;
  /** The request with its output bounded to `perChoice` tokens, in the field the serving provider kind reads. */
  withOutputCap(req: Req, perChoice: number, kind: ProviderKind): Req;
  /** Calls one target and returns the door's response. */
  call(provider: Provider, req: Req, call: ProviderCall): Promise<Res>;
  /** Opens a stream on one target as door events (rejects before the first byte like Provider.chatStream). */
  openStream(provider: Provider, req: Req, call: ProviderCall): Promise<AsyncIterable<Ev>>;
  usage(res: Res): CallUsage | undefined;
  servedModel(res: Res): string | undefined;
  /** The response as the audit trail keeps it. */
  auditView(res: Res): unknown;
  /** Rewrites a stream's text deltas through the policy's transforms (PII), flushing held-back text before each part ends. */
  transformStream(transforms: StreamTransform[], events: AsyncIterable<Ev>): AsyncIterable<Ev>;
  /** A fresh fold over a stream's events. */
  fold(): StreamFold<Ev>;
  /**
   * A stored answer made new for this call, where the format promises each answer its own id (a Responses `resp_…` id
   * is what `previous_response_id` and GET /v1/responses/{id} find). Without it a cached answer is sent as stored.
   */
  renew?: { response(res: Res): Res; events(events: Ev[]): Ev[] };
}
