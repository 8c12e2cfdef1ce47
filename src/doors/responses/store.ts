// Stored responses at the door's edge: previous_response_id expanded into input, responses saved once complete, ids the gateway's own.
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ResponsesRepo } from '../../storage/responses-repo.js';
import type { InputItem, ResponsesRequest } from './schema.js';
import { isRecord, type ResponsesEvent } from './types.js';

/** Links one expansion may walk: far beyond real agent loops, finite against a chain built to be slow to load. */
export const MAX_CHAIN_LINKS = 10_000;

export interface StoreScope {
  keyId: string | null;
  sessionId: string;
}

/** What the client gets back whatever served the call: its own `store` and `previous_response_id` (the upstream saw neither). */
export interface Presented {
  store: boolean;
  previousResponseId: string | null;
}

const ownItems = (req: ResponsesRequest): unknown[] =>
  typeof req.input === 'string' ? [{ type: 'message', role: 'user', content: req.input }] : (req.input ?? []);

/**
 * A stored output item as the next turn's input item. Ids are left out: they name items OpenAI never kept (the gateway
 * sends `store: false`), and OpenAI refuses ids it cannot find. Reasoning replays only with its encrypted content.
 */
function replayable(item: unknown): unknown[] {
  if (!isRecord(item)) return [];
  if (item.type === 'message') {
    const content = (Array.isArray(item.content) ? item.content : []).flatMap((p: unknown): Array<Record<string, string>> => {
      if (!isRecord(p)) return [];
      if (p.type === 'output_text') return [{ type: 'output_text', text: String(p.text ?? '') }];
      if (p.type === 'refusal') return [{ type: 'refusal', refusal: String(p.refusal ?? '') }];
      return [];
    });
    return [{ type: 'message', role: 'assistant', content }];
  }
  if (item.type === 'function_call') return [{ type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments }];
  if (item.type === 'reasoning') {
    return typeof item.encrypted_content === 'string' ? [{ type: 'reasoning', summary: Array.isArray(item.summary) ? item.summary : [], encrypted_content: item.encrypted_content }] : [];
  }
  return [item];
}

/**
 * The request to run: the stored conversation behind `previous_response_id` (this key's only; another key's id is
 * "not found", as at OpenAI) followed by the request's own input. Instructions are not carried over, as at OpenAI.
 * What it loads is bounded by the body limit: an expanded request is never larger than one a client could send.
 */
export async function expandPrevious(repo: ResponsesRepo, scope: StoreScope, req: ResponsesRequest, maxBytes: number): Promise<ResponsesRequest> {
  const prev = req.previous_response_id;
  if (!prev) return req;
  const param = 'previous_response_id';
  const chain = await repo.loadResponseChain(prev, scope.keyId, { maxLinks: MAX_CHAIN_LINKS, maxBytes });
  const oldest = chain[0];
  if (!oldest) throw new GatewayError('not_found', `Previous response with id '${prev}' not found.`, { param });
  if (oldest.totalBytes > maxBytes) {
    throw new GatewayError('invalid_request', `The conversation behind '${prev}' is larger than the gateway expands (${maxBytes} bytes); send the input in full instead.`, { param });
  }
  if (oldest.previousResponseId !== null) {
    if (chain.length >= MAX_CHAIN_LINKS) throw new GatewayError('invalid_request', `The conversation behind '${prev}' has more than ${MAX_CHAIN_LINKS} responses; send the input in full instead.`, { param });
    throw new GatewayError('not_found', `Response '${oldest.previousResponseId}' in the conversation behind '${prev}' was deleted.`, { param });
  }
  const cut = chain.find((l) => l.truncated);
  if (cut) throw new GatewayError('invalid_request', `Response '${cut.id}' was too large to store in full, so it cannot be continued; send the input in full instead.`, { param });
  const items = chain.flatMap((l) => [...l.input, ...l.output.flatMap(replayable)]);
  const out: ResponsesRequest = { ...req, input: [...items, ...ownItems(req)] as InputItem[] };
  delete out.previous_response_id;
  return out;
}

/** At most this many references resolve per request (each is one id in one indexed lookup). */
const MAX_REFERENCES = 4_096;

/**
 * The request with each `item_reference` replaced by the stored item it names (this key's only): clients that believe
 * the server keeps items (the AI SDK with `store`) send references, and OpenAI never kept them (the gateway sends
 * `store: false`), so the gateway resolves them for every provider.
 */
export async function resolveReferences(repo: ResponsesRepo, scope: StoreScope, req: ResponsesRequest): Promise<ResponsesRequest> {
  if (!Array.isArray(req.input)) return req;
  const refs = req.input.flatMap((item, i) => (item.type === 'item_reference' ? [{ i, id: (item as Record<string, unknown>).id }] : []));
  if (!refs.length) return req;
  const bad = refs.find((r) => typeof r.id !== 'string');
  if (bad) throw new GatewayError('invalid_request', 'An item_reference needs an id.', { param: `input[${bad.i}].id` });
  if (refs.length > MAX_REFERENCES) throw new GatewayError('invalid_request', `At most ${MAX_REFERENCES} item references are resolved per request.`, { param: 'input' });
  const found = await repo.findStoredItems([...new Set(refs.map((r) => r.id as string))], scope.keyId);
  const input = req.input.flatMap((item, i) => {
    if (item.type !== 'item_reference') return [item];
    const id = (item as Record<string, unknown>).id as string;
    const stored = found.get(id);
    if (stored === undefined) throw new GatewayError('not_found', `Item with id '${id.slice(0, 200)}' not found.`, { param: `input[${i}].id` });
    return replayable(stored) as InputItem[];
  });
  return { ...req, input };
}

/** The response object as the client sees it (OpenAI was told not to store, and got the chain already expanded). */
export function present<T extends Record<string, unknown>>(res: T, p: Presented): T {
  return { ...res, store: p.store, previous_response_id: p.previousResponseId };
}

export async function saveResponse(repo: ResponsesRepo, scope: StoreScope, req: ResponsesRequest, res: Record<string, unknown>): Promise<void> {
  await repo.insertStoredResponse({
    id: String(res.id),
    keyId: scope.keyId,
    sessionId: scope.sessionId,
    previousResponseId: req.previous_response_id ?? null,
    model: typeof res.model === 'string' ? res.model : req.model,
    status: typeof res.status === 'string' ? res.status : 'completed',
    instructions: req.instructions ?? null,
    input: ownItems(req),
    response: res,
    usage: res.usage ?? null,
  });
}

const STORED_STATUSES = new Set(['completed', 'incomplete']);

/** Saves a non-streamed response when asked; a store failure is logged, not thrown (the answer is already paid for). */
export async function storeIfAsked(repo: ResponsesRepo, log: Logger, scope: StoreScope, req: ResponsesRequest, res: Record<string, unknown>, p: Presented): Promise<void> {
  if (!p.store || !STORED_STATUSES.has(String(res.status))) return;
  try {
    await saveResponse(repo, scope, req, res);
  } catch (err) {
    log.error({ err, responseId: res.id }, 'storing a response failed');
  }
}

/** Presents every event's response object, and saves the final one before the client sees the stream's last event. */
export async function* presentEvents(events: AsyncIterable<ResponsesEvent>, p: Presented, store: (res: Record<string, unknown>) => Promise<void>): AsyncGenerator<ResponsesEvent> {
  for await (const ev of events) {
    const out = isRecord(ev.response) ? { ...ev, response: present(ev.response, p) } : ev;
    // Saved first, so a client that chains the moment the stream ends finds the response.
    if ((out.type === 'response.completed' || out.type === 'response.incomplete') && isRecord(out.response)) await store(out.response);
    yield out;
  }
}
