// deploy/compose.yaml without Docker: services, health checks, ordering, mounts, and the HAProxy, Prometheus, Grafana and gateway configs agree.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { interpolate, parseConfig } from '../../src/config.js';
import { repoRoot } from '../../deploy/scripts/render-k8s.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
  read_only?: boolean;
  stop_grace_period?: string;
}

const deployDir = join(repoRoot, 'deploy');
const read = (p: string) => readFileSync(join(deployDir, p), 'utf8');
const composeText = read('compose.yaml');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const gateways = Object.keys(services).filter((s) => /^gateway-\d+$/.test(s));
const haproxy = read('compose/haproxy.cfg');
const seconds = (d: string) => Number(d.replace(/s$/, ''));

/** The source side of `src:dst[:mode]` bind mounts, relative to deploy/. */
const bindMounts = (s: Service) => (s.volumes ?? []).map((v) => v.split(':')).filter(([src]) => src!.startsWith('.'));

/**
 * The Compose Specification's JSON schema (compose-spec/compose-spec schema/compose-spec.json at 170098b, Apache-2.0),
 * what `docker compose config` validates against. zod reads draft-07 `definitions` as `$defs`.
 */
function composeSchema(): z.ZodType {
  const text = readFileSync(join(repoRoot, 'test/deploy/compose-spec.schema.json'), 'utf8');
  return z.fromJSONSchema(JSON.parse(text.replaceAll('#/definitions/', '#/$defs/').replace('"definitions":', '"$defs":')) as Parameters<typeof z.fromJSONSchema>[0]);
}

describe('deploy/compose.yaml', () => {
  it('matches the Compose Specification schema, which rejects unknown keys and wrong types', () => {
    const schema = composeSchema();
    const result = schema.safeParse(compose);
    expect(result.success ? [] : result.error.issues).toEqual([]);
    const typo = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    typo.services.redis!.healtcheck = {};
    expect(schema.safeParse(typo).success).toBe(false);
  });

  it('runs postgres, redis, two gateway replicas, haproxy, prometheus and grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway-1', 'gateway-2', 'grafana', 'haproxy', 'postgres', 'prometheus', 'redis']);
  });

  it('builds one image from the repository Dockerfile for every replica, each with its own /data', () => {
    const images = new Set(gateways.map((g) => services[g]!.image));
    expect(images.size).toBe(1);
    for (const g of gateways) {
      const s = services[g]!;
      expect(existsSync(join(deployDir, s.build!.context, s.build!.dockerfile)), 'Dockerfile').toBe(true);
      expect(s.read_only).toBe(true);
      expect(s.ports, `${g} publishes no port: only the balancer does`).toBeUndefined();
      expect(s.expose).toEqual(['8080']);
      const data = (s.volumes ?? []).find((v) => v.endsWith(':/data'))!;
      expect(compose.volumes).toHaveProperty(data.split(':')[0]!);
    }
    expect(new Set(gateways.map((g) => services[g]!.volumes!.find((v) => v.endsWith(':/data')))).size).toBe(gateways.length);
  });

  it('gateways share one database, one Redis and one signing key, and wait for both to be healthy', () => {
    for (const g of gateways) {
      const env = services[g]!.environment!;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/gateway:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/gateway$/);
      expect(env.REDIS_URL).toMatch(/^redis:\/\/redis:6379/);
      expect(env.GATEWAY_AUDIT_SIGNING_KEY).toMatch(/^\$\{GATEWAY_AUDIT_SIGNING_KEY:\?/);
      expect(env.GATEWAY_ADMIN_KEY).toMatch(/^\$\{GATEWAY_ADMIN_KEY:\?/);
      expect(services[g]!.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(services[g]!.healthcheck!.test.join(' ')).toContain('/readyz');
    }
    for (const s of ['postgres', 'redis']) expect(services[s]!.healthcheck?.test.length).toBeGreaterThan(1);
  });

  it('every mounted file exists, every named volume is declared', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [src] of bindMounts(s)) expect(existsSync(join(deployDir, src!)), `${name}: ${src}`).toBe(true);
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (!src.startsWith('.') && !src.startsWith('/')) expect(compose.volumes, `${name}: volume ${src}`).toHaveProperty(src);
      }
    }
  });

  it('the only port on all interfaces is the balancer; Prometheus and Grafana listen on localhost', () => {
    expect(services.haproxy!.ports).toEqual(['8080:8080']);
    expect(services.prometheus!.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(services.grafana!.ports).toEqual(['127.0.0.1:3000:3000']);
  });

  it('every required variable is in env.example and written by compose-env.sh', () => {
    const required = [...new Set([...composeText.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!))];
    expect(required.sort()).toEqual(['GATEWAY_ADMIN_KEY', 'GATEWAY_AUDIT_SIGNING_KEY', 'GATEWAY_DEMO_KEY', 'GRAFANA_ADMIN_PASSWORD', 'POSTGRES_PASSWORD']);
    const example = read('compose/env.example');
    const script = read('scripts/compose-env.sh');
    for (const v of required) {
      expect(example).toMatch(new RegExp(`^${v}=`, 'm'));
      expect(script).toContain(`echo "${v}=`);
    }
  });

  it("the replicas' gateway.yaml is valid for the gateway and matches the deployment", () => {
    const mount = bindMounts(services['gateway-1']!).find(([, dst]) => dst === posix.dirname(services['gateway-1']!.environment!.GATEWAY_CONFIG!))!;
    const raw = parse(readFileSync(join(deployDir, mount[0]!, 'gateway.yaml'), 'utf8'));
    const env = { GATEWAY_DEMO_KEY: 'sk-demo-0123456789abcdef', OPENAI_API_KEY: '' };
    const config = parseConfig(interpolate(raw, env), env);
    expect(config.policy.replicas).toBe(gateways.length);
    expect(config.keys.map((k) => k.id)).toEqual(['demo']);
    for (const g of gateways) expect(seconds(services[g]!.stop_grace_period!)).toBeGreaterThan(config.server.shutdownGraceMs / 1000);
    // /metrics is open on the private network only because the balancer refuses it.
    expect(config.telemetry.metrics.public).toBe(true);
    expect(haproxy).toMatch(/^\s*http-request deny deny_status 404 if \{ path \/metrics \/metrics\/ \}$/m);
  });
});

describe('deploy/compose configs', () => {
  it('HAProxy: round robin over every replica on 8080, checked on /readyz, safe retries, no stickiness', () => {
    const servers = [...haproxy.matchAll(/^\s*server (\S+) (\S+):(\d+)/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(servers).toEqual(gateways.map((g) => [g, g, '8080']));
    expect(haproxy).toMatch(/^\s*balance roundrobin$/m);
    expect(haproxy).toMatch(/^\s*option httpchk GET \/readyz$/m);
    expect(haproxy).toMatch(/^\s*retry-on conn-failure empty-response 503$/m);
    expect(haproxy).toMatch(/^\s*option redispatch/m);
    expect(haproxy).not.toMatch(/^\s*(cookie|stick|balance source|hash-type)/m);
  });

  it.skipIf(spawnSync('haproxy', ['-v']).status !== 0)('HAProxy accepts the file (haproxy -c)', () => {
    const r = spawnSync('haproxy', ['-c', '-f', join(deployDir, 'compose/haproxy.cfg')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('Prometheus scrapes each replica directly and HAProxy on its stats port', () => {
    const prom = parse(read('compose/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }>; metrics_path?: string }> };
    const job = (n: string) => prom.scrape_configs.find((j) => j.job_name === n)!;
    expect(job('mcp-agent-gateway').static_configs[0]!.targets).toEqual(gateways.map((g) => `${g}:8080`));
    expect(job('mcp-agent-gateway').metrics_path).toBe('/metrics');
    expect(job('haproxy').static_configs[0]!.targets).toEqual(['haproxy:8404']);
    expect(haproxy).toMatch(/^\s*bind :8404$/m);
  });

  it('Grafana is provisioned with the Prometheus data source and the dashboard', () => {
    const ds = parse(read('compose/grafana/datasources.yml')) as { datasources: Array<{ type: string; url: string }> };
    expect(ds.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
    const providers = parse(read('compose/grafana/dashboards.yml')) as { providers: Array<{ options: { path: string } }> };
    const dashboard = bindMounts(services.grafana!).find(([src]) => src!.endsWith('gateway-dashboard.json'))!;
    expect(dirname(dashboard[1]!)).toBe(providers.providers[0]!.options.path);
    expect(JSON.parse(read(dashboard[0]!)).uid).toBe('mcp-agent-gateway');
  });
});
