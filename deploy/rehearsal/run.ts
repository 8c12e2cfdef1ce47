// `npx tsx deploy/rehearsal/run.ts [--short] [--replicas N] [--runner tsx|compiled] [--haproxy-config FILE] [--json FILE]`: the rehearsal from a shell; exit 1 when a check fails.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hasHaproxy, HAPROXY } from './balancer.js';
import { evaluate } from './checks.js';
import { formatSummary } from './report.js';
import { FULL_PLAN, runRehearsal, SHORT_PLAN } from './rehearsal.js';
import type { Runner } from './replicas.js';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    replicas: { type: 'string' },
    runner: { type: 'string' },
    json: { type: 'string' },
    'haproxy-config': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(`Usage: npx tsx deploy/rehearsal/run.ts [--short] [--replicas N] [--runner tsx|compiled] [--haproxy-config FILE] [--json FILE]

Starts gateway replicas on DATABASE_URL's Postgres (in a throwaway database) and REDIS_URL's Redis (db REHEARSAL_REDIS_DB,
default 14) behind HAProxy, runs an agent session and budget and rate-limit bursts through it while restarting replicas,
and prints what held. --short is CI's form (2 replicas, 1 restart, tsx); the full form is 3 replicas, all restarted, compiled.
--haproxy-config rehearses another HAProxy config template ({{PORT}}, {{STATS_PORT}}, {{SERVERS}} are filled in; keep
the "replicas" backend name and the x-served-by header).
`);
  process.exit(0);
}

const env = process.env;
if (!hasHaproxy()) {
  process.stderr.write(`rehearsal: HAProxy not found at ${HAPROXY} (apt-get install haproxy, or set HAPROXY_BIN)\n`);
  process.exit(2);
}
const plan = { ...(values.short ? SHORT_PLAN : FULL_PLAN) };
if (values.replicas) plan.replicas = Number(values.replicas);
// The full form restarts every replica in turn; the short form one.
plan.restarts = values.short ? 1 : plan.replicas;
if (!Number.isInteger(plan.replicas) || plan.replicas < 2) {
  process.stderr.write('rehearsal: --replicas must be 2 or more\n');
  process.exit(2);
}
const runner = (values.runner ?? (values.short ? 'tsx' : 'compiled')) as Runner;
if (runner !== 'tsx' && runner !== 'compiled') {
  process.stderr.write('rehearsal: --runner is tsx or compiled\n');
  process.exit(2);
}

const result = await runRehearsal({
  plan,
  runner,
  databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  freshDatabase: true,
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  redisDb: Number(env.REHEARSAL_REDIS_DB ?? 14),
  haproxyTemplate: values['haproxy-config'],
  log: (line) => process.stderr.write(`rehearsal: ${line}\n`),
}).catch((err: unknown) => {
  // Setup failures (Postgres or Redis unreachable, a replica that would not start): the message says which.
  process.stderr.write(`rehearsal: could not run: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
const checks = evaluate(result);
process.stdout.write(`${formatSummary(result, checks)}\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ ...result, checks }, null, 2)}\n`);
process.exit(checks.every((c) => c.ok) ? 0 : 1);
