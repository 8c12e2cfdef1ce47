// Claim mapping of OAuth tokens: team and key allow-lists, defaults, the key's own team, bounded subject ids.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { principalFromClaims, subjectId } from '../../src/http/oauth-principal.js';
import { createTeamsView } from '../../src/policy/key-store.js';

const base = { issuer: 'https://auth.example', resource: 'https://gw.example/mcp' };
const noDb = { getTeam: async () => null, listTeams: async () => [] } as unknown as Parameters<typeof createTeamsView>[1];

function setup(principal: Record<string, unknown>) {
  const config = parseConfig({
    teams: { ml: { tools: ['a__*'] }, ops: { tools: ['b__*'] } },
    keys: [{ id: 'agents', key: 'sk-gw-agents-key-0123456789', team: 'ops', tools: ['b__x'], metadata: { env: 'prod' } }],
    auth: { oauth: { ...base, principal } },
  });
  return { oauth: config.auth.oauth!, rt: { config, teams: createTeamsView(config.teams, noDb) } };
}

describe('principalFromClaims', () => {
  it('maps a group through the teams allow-list and ignores unlisted values', async () => {
    const { oauth, rt } = setup({ teamClaim: 'groups', teams: { 'eng-ml': 'ml' } });
    const ok = await principalFromClaims({ sub: 'u1', groups: ['other', 'eng-ml'] }, oauth, rt);
    expect(ok).toMatchObject({ ok: true, principal: { keyId: 'oauth:u1', teamId: 'ml', key: { tools: ['*'] }, team: { tools: ['a__*'] } } });
    // "ml" is a real team, but with a map only mapped values count.
    expect(await principalFromClaims({ sub: 'u1', groups: ['ml'] }, oauth, rt)).toMatchObject({ ok: false, error: 'forbidden' });
  });

  it('takes the claim value as the id when no map is given, and falls back to the defaults', async () => {
    const { oauth, rt } = setup({ teamClaim: 'team', defaultTeam: 'ops' });
    expect(await principalFromClaims({ sub: 'u', team: 'ml' }, oauth, rt)).toMatchObject({ ok: true, principal: { teamId: 'ml' } });
    expect(await principalFromClaims({ sub: 'u', team: 'nope' }, oauth, rt)).toMatchObject({ ok: true, principal: { teamId: 'ops' } });
  });

  it("binds a config key's rules and its team, under the subject's id", async () => {
    const { oauth, rt } = setup({ keyClaim: 'client_id', keys: { 'cli-1': 'agents' } });
    const r = await principalFromClaims({ sub: 'svc', client_id: 'cli-1' }, oauth, rt);
    expect(r).toMatchObject({ ok: true, principal: { keyId: 'oauth:svc', teamId: 'ops', key: { tools: ['b__x'] }, metadata: { env: 'prod', auth: 'oauth' } } });
  });

  it('refuses a token without a subject', async () => {
    const { oauth, rt } = setup({ defaultTeam: 'ml' });
    expect(await principalFromClaims({}, oauth, rt)).toMatchObject({ ok: false, error: 'invalid_token' });
  });
});

describe('subjectId', () => {
  it('keeps plain subjects and bounds odd or long ones with a hash', () => {
    expect(subjectId('alice@example.com')).toBe('alice@example.com');
    const odd = subjectId('a b\n"c"');
    expect(odd).toMatch(/^a_b__c_~[0-9a-f]{16}$/);
    expect(subjectId('x'.repeat(500))).toHaveLength(64);
    expect(subjectId('x'.repeat(500))).not.toBe(subjectId('x'.repeat(501)));
  });
});
