// Creating, listing, rotating, revoking, expiring and re-ruling virtual keys and teams: shared by the admin API and the CLI.
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { firstUnstorable, isSafeText } from '../http/text-bounds.js';
import { generateKey, hashKey, keyPrefix, newId } from '../policy/key-format.js';
import { createTeamsView, teamRecord, type TeamRecord, type TeamsView } from '../policy/key-store.js';
import { AccessPolicySchema, policyFields } from '../policy/policy-schema.js';
import type { AccessPolicy } from '../policy/types.js';
import type { Repo } from '../storage/repo.js';
import type { VirtualKeyRow } from '../storage/schema.js';

const SafeTextSchema = (max: number) => z.string().min(1).max(max).refine(isSafeText, 'must be printable text (no control characters, NUL or lone surrogates)');

/** Dates Postgres can store (a JS Date reaches far beyond): years 1 to 9999. */
export const StorableDateSchema = z.coerce.date({ error: 'must be a date-time such as 2027-01-31T00:00:00Z' }).refine((d) => {
  const y = d.getUTCFullYear();
  return y >= 1 && y <= 9999;
}, 'must be a date between the years 1 and 9999');

const MetadataSchema = z
  .record(z.string().max(256), z.string().max(4096))
  .refine((m) => Object.keys(m).length <= 64, 'must have at most 64 pairs')
  .default({});

/** Postgres refuses NUL and lone surrogates in text and jsonb: a 400 here, not a 500 from the insert. */
function storable(v: object, ctx: z.RefinementCtx): void {
  const at = firstUnstorable(v);
  if (at !== null) ctx.addIssue({ code: 'custom', path: at === '(body)' ? [] : at.split('.'), message: 'must not contain NUL or lone surrogates' });
}

export const CreateKeySchema = z
  .object({
    name: SafeTextSchema(200),
    team: SafeTextSchema(256).optional(),
    expiresAt: StorableDateSchema.optional(),
    metadata: MetadataSchema,
    ...policyFields,
  })
  .strict();

export const TeamSchema = z.object({ name: SafeTextSchema(200), metadata: MetadataSchema, ...policyFields }).strict();

const rule = AccessPolicySchema.shape;

/** PATCH /admin/keys/{id}: the expiry and any policy field, each replacing the stored one; absent fields stay as they are. */
export const UpdateKeySchema = z
  .object({
    expiresAt: StorableDateSchema.nullable().optional(),
    // Without their defaults: an absent field must not reset the stored one.
    models: rule.models.unwrap().optional(),
    tools: rule.tools.unwrap().optional(),
    mcpServers: rule.mcpServers.unwrap().optional(),
    budgets: rule.budgets.unwrap().optional(),
    rateLimits: rule.rateLimits.unwrap().optional(),
    pii: rule.pii.unwrap().optional(),
  })
  .strict()
  .meta({ minProperties: 1 });

const UPDATABLE = Object.keys(UpdateKeySchema.shape).join(', ');

/** What the API and CLI accept: the schemas above (kept plain for the OpenAPI document) plus the Postgres check. */
export const CreateKeyInputSchema = CreateKeySchema.superRefine(storable);
export const TeamInputSchema = TeamSchema.superRefine(storable);
export const UpdateKeyInputSchema = UpdateKeySchema.superRefine(storable).superRefine((b, ctx) => {
  if (Object.keys(b).length === 0) ctx.addIssue({ code: 'custom', path: [], message: `give at least one of ${UPDATABLE}` });
});

/** A key as lists show it: never the key or its hash. */
export interface KeyView {
  id: string;
  name: string;
  team: string | null;
  prefix: string;
  policy: unknown;
  metadata: unknown;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedTo: string | null;
  status: 'active' | 'revoked' | 'expired';
}

export function keyView(k: VirtualKeyRow, now = Date.now()): KeyView {
  const status = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt.getTime() <= now ? 'expired' : 'active';
  return {
    id: k.id,
    name: k.name,
    team: k.teamId,
    prefix: k.keyPrefix,
    policy: k.policy,
    metadata: k.metadata,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    rotatedTo: k.rotatedTo,
    status,
  };
}

/** Said by the API and the CLI when the database's first key is created: from then on keys bind. */
export const FIRST_KEY_WARNING = 'this is the first key: the gateway now refuses calls without a key';

export interface KeysService {
  /** `warning` is set when this is the first key in the database: the gateway stops being open. */
  createKey(input: z.input<typeof CreateKeySchema>): Promise<{ key: string; record: KeyView; warning?: string }>;
  rotateKey(id: string): Promise<{ key: string; record: KeyView }>;
  revokeKey(id: string): Promise<KeyView>;
  setExpiry(id: string, expiresAt: Date | null): Promise<KeyView>;
  /** Sets the expiry and replaces the given policy fields of a database key; every replica drops its cached copy. */
  updateKey(id: string, input: z.input<typeof UpdateKeySchema>): Promise<KeyView>;
  listKeys(team?: string): Promise<KeyView[]>;
  getKey(id: string): Promise<KeyView>;
  /** Creates or edits a database team; a team declared in gateway.yaml is refused (409): it is edited there. */
  upsertTeam(id: string, input: z.input<typeof TeamSchema>): Promise<TeamRecord>;
  /** Config teams (`source: "config"`) and database teams as one list. */
  listTeams(): Promise<TeamRecord[]>;
}

/** What the admin API adds to the CLI's service (the CLI gains it through the API). */
export interface AdminKeysService extends KeysService {
  /** Deletes a database team no key belongs to; config teams and teams with keys are refused (409). */
  deleteTeam(id: string): Promise<{ id: string; deleted: true }>;
}

/** A refusal because of the state of things, not the request's shape: 409. */
function conflict(message: string, param?: string): GatewayError {
  return new GatewayError('invalid_request', message, { status: 409, ...(param ? { param } : {}) });
}

const readOnly = (id: string) => conflict(`Team "${id}" is declared in gateway.yaml; change or remove it there (config teams are read-only here).`);

/**
 * `invalidate` drops a key from every replica's cache (the key store's, which publishes through Redis); `teams` is the
 * current view of config and database teams (a config reload replaces it; without one, database teams only).
 */
export function createKeysService(repo: Repo, invalidate: (keyHash: string) => Promise<void>, teams: () => TeamsView = () => createTeamsView({}, repo)): AdminKeysService {
  async function mustGet(id: string): Promise<VirtualKeyRow> {
    const k = await repo.getKey(id);
    if (!k) throw new GatewayError('not_found', `No key with id "${id}".`);
    return k;
  }

  async function insert(input: z.output<typeof CreateKeySchema>): Promise<{ key: string; record: KeyView }> {
    const team = input.team ? await teams().get(input.team) : null;
    if (input.team && !team) throw new GatewayError('invalid_request', `No team with id "${input.team}".`, { param: 'team' });
    // A key points at a team row: a config team gets one that mirrors it (its rules still come from the config).
    if (team?.source === 'config') await repo.upsertTeam({ id: team.id, name: team.name, policy: team.policy, metadata: {} });
    const { name, team: _team, expiresAt, metadata, ...policy } = input;
    const key = generateKey();
    const row = await repo.insertKey({
      id: newId('key'),
      name,
      teamId: input.team ?? null,
      keyHash: hashKey(key),
      keyPrefix: keyPrefix(key),
      policy: AccessPolicySchema.parse(policy),
      metadata,
      expiresAt: expiresAt ?? null,
    });
    return { key, record: keyView(row) };
  }

  async function update(id: string, change: { expiresAt?: Date | null; rules?: Partial<AccessPolicy> }): Promise<KeyView> {
    const k = await mustGet(id);
    if (change.rules && k.revokedAt) throw conflict(`Key "${id}" is revoked; its rules no longer matter. Create a new key instead.`);
    // The stored policy is whole (defaults filled at creation); a given field replaces its stored value, arrays and objects alike.
    const policy = change.rules ? AccessPolicySchema.parse({ ...((k.policy ?? {}) as object), ...change.rules }) : undefined;
    const row = (await repo.updateKey(id, { expiresAt: change.expiresAt, policy })) ?? k;
    await invalidate(k.keyHash);
    return keyView(row);
  }

  return {
    async createKey(input) {
      const parsed = CreateKeyInputSchema.parse(input);
      const first = (await repo.listKeys({})).length === 0;
      const created = await insert(parsed);
      // Every replica re-reads its open/closed mode (and forgets a cached "unknown" for this key).
      await invalidate(hashKey(created.key));
      return first ? { ...created, warning: FIRST_KEY_WARNING } : created;
    },
    async rotateKey(id) {
      const old = await mustGet(id);
      if (old.revokedAt) throw new GatewayError('invalid_request', `Key "${id}" is revoked; create a new one instead.`);
      const created = await insert({
        name: old.name,
        team: old.teamId ?? undefined,
        expiresAt: old.expiresAt ?? undefined,
        metadata: (old.metadata ?? {}) as Record<string, string>,
        ...AccessPolicySchema.parse(old.policy),
      });
      await repo.revokeKey(id, new Date(), created.record.id);
      await invalidate(old.keyHash);
      return created;
    },
    async revokeKey(id) {
      const k = await mustGet(id);
      const row = (await repo.revokeKey(id, new Date())) ?? k;
      await invalidate(k.keyHash);
      return keyView(row);
    },
    setExpiry: (id, expiresAt) => update(id, { expiresAt }),
    async updateKey(id, input) {
      const { expiresAt, ...rules } = UpdateKeyInputSchema.parse(input);
      return update(id, { ...(expiresAt !== undefined ? { expiresAt } : {}), ...(Object.keys(rules).length ? { rules } : {}) });
    },
    listKeys: async (team) => (await repo.listKeys({ teamId: team })).map((k) => keyView(k)),
    getKey: async (id) => keyView(await mustGet(id)),
    async upsertTeam(id, input) {
      const { name, metadata, ...policy } = TeamInputSchema.parse(input);
      if (teams().declared(id)) throw readOnly(id);
      const team = teamRecord(await repo.upsertTeam({ id, name, metadata, policy: AccessPolicySchema.parse(policy) }));
      await invalidate('*'); // cached principals carry their team's rules
      return team;
    },
    listTeams: () => teams().list(),
    async deleteTeam(id) {
      if (teams().declared(id)) throw readOnly(id);
      if (!(await repo.getTeam(id))) throw new GatewayError('not_found', `No team with id "${id}".`);
      const keys = await repo.listKeys({ teamId: id });
      if (keys.length > 0) throw conflict(`Team "${id}" still has ${keys.length} key(s), revoked ones included; a key's team cannot be removed.`);
      await repo.deleteTeam(id);
      await invalidate('*');
      return { id, deleted: true };
    },
  };
}
