// The sessions list's filters: read from the page's query, passed to GET /admin/sessions, and the form that sets them.
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import type { Query } from './admin-client.js';
import type { KeyView } from './api-types.js';
import { utcField } from './format.js';

export const PAGE_SIZES = [25, 50, 100] as const;
const TRISTATE = new Set(['true', 'false']);

export interface Filters {
  key: string;
  team: string;
  /** `datetime-local` values, read as UTC. */
  from: string;
  to: string;
  hasDenials: string;
  /** Offered only when the API lists them (see api-features.ts): a client name or user agent, redactions, cost, id prefix. */
  client: string;
  hasRedactions: string;
  minCostUsd: string;
  sessionPrefix: string;
  limit: number;
  offset: number;
}

export function filtersOf(c: Context): Filters {
  const q = (k: string) => (c.req.query(k) ?? '').trim();
  const tri = (k: string) => (TRISTATE.has(q(k)) ? q(k) : '');
  const limit = Number(q('limit'));
  const offset = Number(q('offset'));
  const cost = q('minCostUsd');
  return {
    key: q('key'),
    team: q('team'),
    from: q('from'),
    to: q('to'),
    hasDenials: tri('hasDenials'),
    client: q('client'),
    hasRedactions: tri('hasRedactions'),
    minCostUsd: cost && Number.isFinite(Number(cost)) && Number(cost) >= 0 ? cost : '',
    sessionPrefix: q('sessionPrefix'),
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : 50,
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

/** The API's query: only the parameters it declares (an unknown one would be a 400), empty ones left out. */
export function apiQuery(f: Filters, supported: Set<string>): Query {
  const all: Query = { ...f, from: utcField(f.from), to: utcField(f.to) };
  return Object.fromEntries(Object.entries(all).filter(([k]) => supported.has(k)));
}

const Tri: FC<{ id: string; name: string; label: string; value: string; yes: string; no: string }> = ({ id, name, label, value, yes, no }) => (
  <div class="field">
    <label for={id}>{label}</label>
    <select id={id} name={name}>
      <option value="" selected={value === ''}>any</option>
      <option value="true" selected={value === 'true'}>{yes}</option>
      <option value="false" selected={value === 'false'}>{no}</option>
    </select>
  </div>
);

const Text: FC<{ id: string; name: string; label: string; value: string; list?: string; type?: string }> = ({ id, name, label, value, list, type }) => (
  <div class="field">
    <label for={id}>{label}</label>
    <input id={id} name={name} value={value} list={list} type={type ?? 'text'} placeholder={type ? undefined : 'any'} maxlength={256} />
  </div>
);

export const FilterForm: FC<{ f: Filters; keys: KeyView[]; supported: Set<string> }> = ({ f, keys, supported }) => (
  <form method="get" action="/ui/sessions" class="filters" role="search" aria-label="Filter sessions">
    {supported.has('sessionPrefix') ? <Text id="f-prefix" name="sessionPrefix" label="Session id starts with" value={f.sessionPrefix} /> : null}
    <Text id="f-key" name="key" label="Key" value={f.key} list="key-ids" />
    <datalist id="key-ids">
      {keys.map((k) => (
        <option value={k.id}>{k.name}</option>
      ))}
    </datalist>
    <Text id="f-team" name="team" label="Team" value={f.team} />
    {supported.has('client') ? <Text id="f-client" name="client" label="Client or user agent" value={f.client} /> : null}
    <Text id="f-from" name="from" label="Active from (UTC)" value={f.from} type="datetime-local" />
    <Text id="f-to" name="to" label="Active until (UTC)" value={f.to} type="datetime-local" />
    <Tri id="f-denials" name="hasDenials" label="Denials" value={f.hasDenials} yes="with denials" no="without denials" />
    {supported.has('hasRedactions') ? <Tri id="f-redactions" name="hasRedactions" label="Redactions" value={f.hasRedactions} yes="with redactions" no="without redactions" /> : null}
    {supported.has('minCostUsd') ? <Text id="f-cost" name="minCostUsd" label="Cost at least (USD)" value={f.minCostUsd} type="number" /> : null}
    <div class="field">
      <label for="f-limit">Per page</label>
      <select id="f-limit" name="limit">
        {PAGE_SIZES.map((n) => (
          <option value={String(n)} selected={f.limit === n}>
            {String(n)}
          </option>
        ))}
      </select>
    </div>
    <div class="actions">
      <button type="submit">Search</button>
      <a href="/ui/sessions">Clear</a>
    </div>
  </form>
);
