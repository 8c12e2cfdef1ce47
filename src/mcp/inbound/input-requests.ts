// Server→client requests as 2026-07-28 input requests: their key, what a client must declare to answer them, whether an answer fits.
import { createHmac, randomBytes } from 'node:crypto';
import type { ClientCapabilities } from '@modelcontextprotocol/server';
import { isJsonObject, type JsonObject } from '../upstream/rpc.js';

/** `_meta` key an upstream may set on a server→client request to name its input key (a gateway cannot invent `user_name`). */
export const INPUT_KEY_META = 'io.github.mcp-agent-gateway/inputKey';
const KEY = /^[A-Za-z0-9_.-]{1,64}$/;


export const isInputKey = (k: string): boolean => KEY.test(k);

/** The upstream's key hint, and the params as the client sees them (the hint is the gateway's business, not the client's). */
export function splitInputKey(params: JsonObject): { hint: string | null; params: JsonObject } {
  const { _meta, ...rest } = params;
  const meta = isJsonObject(_meta) ? { ..._meta } : {};
  const hint = typeof meta[INPUT_KEY_META] === 'string' && KEY.test(meta[INPUT_KEY_META]) ? meta[INPUT_KEY_META] : null;
  delete meta[INPUT_KEY_META];
  return { hint, params: Object.keys(meta).length ? { ...rest, _meta: meta } : rest };
}

/** Replicas that share the secret mint states each other can verify; HMAC keeps the secret itself out of the codec. */
export function requestStateKey(secret: string | undefined): Buffer {
  return secret ? createHmac('sha256', secret).update('mcp-agent-gateway/requestState/v1').digest() : randomBytes(32);
}

function required(method: string, params: JsonObject): Record<string, JsonObject> | null {
  switch (method) {
    case 'elicitation/create':
      return { elicitation: params.mode === 'url' ? { url: {} } : { form: {} } };
    case 'sampling/createMessage':
      return { sampling: params.tools !== undefined || params.toolChoice !== undefined ? { tools: {} } : {} };
    case 'roots/list':
      return { roots: {} };
    default:
      return null;
  }
}

/**
 * The capabilities `declared` lacks for this request, in the ClientCapabilities shape of a -32021 error; undefined
 * when it has them. A bare `elicitation: {}` means form mode (its meaning before modes existed).
 */
export function missingCapabilities(method: string, params: JsonObject, declared: ClientCapabilities): ClientCapabilities | undefined {
  const need = required(method, params);
  if (!need) return { [method]: {} } as ClientCapabilities;
  const missing: Record<string, JsonObject> = {};
  for (const [cap, members] of Object.entries(need)) {
    const have = (declared as Record<string, unknown>)[cap];
    if (!isJsonObject(have)) {
      missing[cap] = members;
      continue;
    }
    const bareElicitation = cap === 'elicitation' && !('form' in have) && !('url' in have);
    const lacking = Object.keys(members).filter((m) => !(m in have) && !(bareElicitation && m === 'form'));
    if (lacking.length) missing[cap] = Object.fromEntries(lacking.map((m) => [m, {}]));
  }
  return Object.keys(missing).length ? (missing as ClientCapabilities) : undefined;
}

/** Whether `v` can stand as the answer to a `method` request: a malformed one is asked for again rather than relayed. */
export function validResponse(method: string, v: unknown): v is JsonObject {
  if (!isJsonObject(v)) return false;
  switch (method) {
    case 'elicitation/create':
      return v.action === 'accept' || v.action === 'decline' || v.action === 'cancel';
    case 'sampling/createMessage':
      return typeof v.role === 'string' && (isJsonObject(v.content) || Array.isArray(v.content));
    case 'roots/list':
      return Array.isArray(v.roots);
    default:
      return false;
  }
}
