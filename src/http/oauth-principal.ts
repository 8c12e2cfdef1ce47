// Maps a verified token's claims to a Principal: a team's rules and/or a config key's rules, under key id `oauth:<subject>`.
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { GatewayConfig } from '../config.js';
import { toAccessPolicy } from '../policy/policy-schema.js';
import type { TeamsView } from '../policy/key-store.js';
import type { AccessPolicy, Principal } from '../policy/types.js';
import type { OAuthConfig } from './oauth-config.js';

export type OAuthMapping = { ok: true; principal: Principal } | { ok: false; error: 'invalid_token' | 'forbidden'; message: string };

const MAX_SUBJECT = 64;

/** The key-level rules of a token mapped to a team only: the team's rules alone decide. */
const UNRESTRICTED: AccessPolicy = toAccessPolicy({});

/** Bounded and log-safe: the id lands in the trail, metrics labels and rate-limit keys; long or odd subjects keep a hash. */
export function subjectId(raw: string): string {
  const clean = raw.replace(/[^A-Za-z0-9_.@:+-]/g, '_');
  if (clean.length <= MAX_SUBJECT && clean === raw) return clean;
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  return `${clean.slice(0, MAX_SUBJECT - 17)}~${digest}`;
}

/** A claim as candidate strings: a string, a number, or an array of them (groups, roles). */
function valuesOf(claims: JWTPayload, name: string | undefined): string[] {
  if (!name) return [];
  const v = claims[name];
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number').map(String).slice(0, 100);
}

/** With a map, only its entries count (an allow-list); without one, the claim value is the id itself. */
function mapped(values: string[], map: Record<string, string>): string[] {
  return Object.keys(map).length ? values.flatMap((v) => (Object.hasOwn(map, v) ? [map[v]!] : [])) : values;
}

interface ConfigKeyRules {
  id: string;
  team: string | null;
  policy: AccessPolicy;
  metadata: Record<string, string>;
}

function configKey(config: GatewayConfig, id: string): ConfigKeyRules | null {
  const k = config.keys.find((x) => x.id === id);
  if (!k || (k.expiresAt && k.expiresAt.getTime() <= Date.now())) return null;
  const { id: _id, key: _key, hash: _hash, team, expiresAt: _exp, metadata, ...policy } = k;
  return { id: k.id, team: team ?? null, policy: toAccessPolicy(policy), metadata };
}

export async function principalFromClaims(
  claims: JWTPayload,
  oauth: OAuthConfig,
  rt: { config: GatewayConfig; teams: TeamsView },
): Promise<OAuthMapping> {
  const map = oauth.principal;
  const [subject] = valuesOf(claims, map.subjectClaim);
  if (!subject) return { ok: false, error: 'invalid_token', message: `Invalid access token: it has no "${map.subjectClaim}" claim.` };

  let key: ConfigKeyRules | null = null;
  for (const id of [...mapped(valuesOf(claims, map.keyClaim), map.keys), ...(map.defaultKey ? [map.defaultKey] : [])]) {
    if ((key = configKey(rt.config, id))) break;
  }
  let team: { id: string; policy: AccessPolicy } | null = null;
  // A mapped config key brings its own team first, as the key itself would.
  const teamIds = [...(key?.team ? [key.team] : []), ...mapped(valuesOf(claims, map.teamClaim), map.teams), ...(map.defaultTeam ? [map.defaultTeam] : [])];
  for (const id of teamIds) {
    if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(id)) continue;
    const t = await rt.teams.get(id);
    if (t) {
      team = { id: t.id, policy: t.policy };
      break;
    }
  }
  if (!key && !team) return { ok: false, error: 'forbidden', message: 'The access token maps to no team or key of this gateway.' };
  return {
    ok: true,
    principal: {
      keyId: `oauth:${subjectId(subject)}`,
      teamId: team?.id ?? null,
      // Never null: a null key reads as the open gateway's anonymous caller, whose listings go unfiltered.
      key: key?.policy ?? UNRESTRICTED,
      team: team?.policy ?? null,
      metadata: { ...key?.metadata, auth: 'oauth' },
    },
  };
}
