// Queries over stored Responses (the `responses` table): save, read and delete by key, and load a previous_response_id chain.
import { and, eq, lt, sql } from 'drizzle-orm';
import { rowsOf } from './audit-repo.js';
import type { Db } from './db.js';
import { storedResponses, type StoredResponseRow } from './schema.js';
import { runSliced, storableText, storableWalk, type StorableLimits } from './storable.js';

/** Per field (input items, response object): generous next to real turns, finite against a 20 MB body repeated forever. */
export const STORED_RESPONSE_LIMITS: StorableLimits = { maxDepth: 130, maxBytes: 8 * 1024 * 1024 };

export interface NewStoredResponse {
  id: string;
  keyId: string | null;
  sessionId: string | null;
  previousResponseId: string | null;
  model: string;
  status: string;
  instructions: string | null;
  input: unknown[];
  response: Record<string, unknown>;
  usage: unknown;
}

/** One link of a chain, oldest first: the items it adds to the conversation. */
export interface ChainLink {
  id: string;
  previousResponseId: string | null;
  input: unknown[];
  output: unknown[];
  truncated: boolean;
  /** Bytes of this link and every newer one loaded. */
  totalBytes: number;
}

export interface ResponsesRepo {
  /** Stores a response; text is made storable and each field cut to its bound (then the row is marked truncated). */
  insertStoredResponse(r: NewStoredResponse): Promise<void>;
  getStoredResponse(id: string, keyId: string | null): Promise<StoredResponseRow | null>;
  deleteStoredResponse(id: string, keyId: string | null): Promise<boolean>;
  /** The chain ending at `id`, oldest first, stopping after `maxLinks` links or once `maxBytes` are loaded; empty when `id` is not the key's. */
  loadResponseChain(id: string, keyId: string | null, limits: { maxLinks: number; maxBytes: number }): Promise<ChainLink[]>;
  /** Output items of this key's stored responses by item id (what an `item_reference` names); ids not found are absent. */
  findStoredItems(ids: string[], keyId: string | null): Promise<Map<string, unknown>>;
  /** Deletes responses created before `before` (a retention job's hook); returns how many. */
  pruneStoredResponses(before: Date): Promise<number>;
}

const keyOf = (keyId: string | null): string => keyId ?? '';

export function responsesRepo(db: Db): ResponsesRepo {
  return {
    async insertStoredResponse(r) {
      const input = await runSliced(storableWalk(r.input, STORED_RESPONSE_LIMITS));
      const response = await runSliced(storableWalk(r.response, STORED_RESPONSE_LIMITS));
      const usage = await runSliced(storableWalk(r.usage ?? null, { maxDepth: 8, maxBytes: 4096 }));
      const bytes = JSON.stringify(input.value).length + JSON.stringify(response.value).length;
      const output = (response.value as { output?: unknown }).output;
      const itemIds = (Array.isArray(output) ? output : []).flatMap((o: unknown) => {
        const id = (o as { id?: unknown } | null)?.id;
        return typeof id === 'string' ? [id] : [];
      });
      await db.insert(storedResponses).values({
        id: r.id,
        keyId: keyOf(r.keyId),
        sessionId: r.sessionId,
        previousResponseId: r.previousResponseId,
        model: r.model,
        status: r.status,
        instructions: r.instructions === null ? null : storableText(r.instructions, STORED_RESPONSE_LIMITS.maxBytes),
        input: Array.isArray(input.value) ? input.value : [],
        response: response.value as Record<string, unknown>,
        usage: usage.value,
        bytes,
        truncated: input.truncated || response.truncated,
        itemIds,
      });
    },

    async getStoredResponse(id, keyId) {
      const [row] = await db.select().from(storedResponses).where(and(eq(storedResponses.id, id), eq(storedResponses.keyId, keyOf(keyId)))).limit(1);
      return row ?? null;
    },

    async deleteStoredResponse(id, keyId) {
      const gone = await db.delete(storedResponses).where(and(eq(storedResponses.id, id), eq(storedResponses.keyId, keyOf(keyId)))).returning({ id: storedResponses.id });
      return gone.length > 0;
    },

    async loadResponseChain(id, keyId, limits) {
      const key = keyOf(keyId);
      // Walks back by previous_response_id inside the key; the running byte total stops the walk before it loads too much.
      const res = await db.execute(sql`
        with recursive chain(id, prev, depth, total) as (
          select id, previous_response_id, 1, bytes from ${storedResponses} where id = ${id} and key_id = ${key}
          union all
          select r.id, r.previous_response_id, c.depth + 1, c.total + r.bytes
          from ${storedResponses} r join chain c on r.id = c.prev
          where r.key_id = ${key} and c.depth < ${limits.maxLinks} and c.total <= ${limits.maxBytes}
        )
        select c.id, c.prev, c.total, r.input, r.response -> 'output' as output, r.truncated
        from chain c join ${storedResponses} r on r.id = c.id
        order by c.depth desc`);
      type Row = { id: string; prev: string | null; total: number | string; input: unknown; output: unknown; truncated: boolean };
      return rowsOf<Row>(res).map((r) => ({
        id: r.id,
        previousResponseId: r.prev,
        input: Array.isArray(r.input) ? r.input : [],
        output: Array.isArray(r.output) ? r.output : [],
        truncated: r.truncated,
        totalBytes: Number(r.total),
      }));
    },

    async findStoredItems(ids, keyId) {
      const out = new Map<string, unknown>();
      if (!ids.length) return out;
      const res = await db.execute(sql`
        select item from ${storedResponses} r, jsonb_array_elements(r.response -> 'output') item
        where r.key_id = ${keyOf(keyId)} and r.item_ids && ${sql.param(ids)}::text[] and item ->> 'id' = any(${sql.param(ids)}::text[])`);
      for (const { item } of rowsOf<{ item: { id?: unknown } }>(res)) if (typeof item?.id === 'string') out.set(item.id, item);
      return out;
    },

    async pruneStoredResponses(before) {
      const gone = await db.delete(storedResponses).where(lt(storedResponses.createdAt, before)).returning({ id: storedResponses.id });
      return gone.length;
    },
  };
}
