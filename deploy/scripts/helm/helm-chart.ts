// Renders a Helm chart the way `helm template` does (values merge, schema check, .Release/.Chart/.Template), for CI without a helm binary.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { createExecutor } from './go-template-exec.js';
import { parseTemplate, type Node } from './go-template-parse.js';
import { isMap, STRUCT, TemplateError, type GoMap, type GoValue } from './go-values.js';
import { helmFunctions } from './helm-functions.js';

export interface RenderOptions {
  releaseName: string;
  namespace?: string;
  /** `.Release.Service`: "Helm" under Helm; the plain manifests say who made them. */
  service?: string;
  /** Values files merged over values.yaml, in order, as `-f` does. */
  valuesFiles?: string[];
  /** Merged last, as `--set` would be. */
  values?: GoMap;
  isUpgrade?: boolean;
}

export interface RenderedTemplate {
  /** Path inside the chart, e.g. `templates/workload.yaml`. */
  path: string;
  text: string;
  /** The parsed Kubernetes objects (empty documents dropped). */
  objects: Array<Record<string, unknown>>;
}

export interface RenderedChart {
  values: GoMap;
  templates: RenderedTemplate[];
  notes: string;
}

/** Helm parses YAML through sigs.k8s.io/yaml: YAML 1.1 scalars (on/off/yes/no are booleans), numbers as float64. */
export const parseYaml11 = (text: string): unknown => parse(text, { version: '1.1' });

/** Helm's coalesce: maps merge deeply, anything else replaces, and null deletes the key. */
export function mergeValues(base: GoMap, over: GoMap): GoMap {
  const out: GoMap = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = mergeValues(out[k], v);
    else out[k] = v;
  }
  return out;
}

function struct(fields: Record<string, GoValue>): GoMap {
  return Object.assign(Object.create(null) as GoMap, fields, { [STRUCT]: true });
}

function readMap(path: string): GoMap {
  const v = parseYaml11(readFileSync(path, 'utf8')) ?? {};
  if (!isMap(v as GoValue)) throw new TemplateError(`${path}: the top level must be a mapping`);
  return v as GoMap;
}

/** values.schema.json, as Helm checks it before rendering. */
function checkSchema(chartDir: string, values: GoMap): void {
  let schemaText: string;
  try {
    schemaText = readFileSync(join(chartDir, 'values.schema.json'), 'utf8');
  } catch {
    return;
  }
  const schema = z.fromJSONSchema(JSON.parse(schemaText) as Parameters<typeof z.fromJSONSchema>[0]);
  const result = schema.safeParse(values);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new TemplateError(`values don't meet the specifications of the schema(s):\n${issues}`);
  }
}

function templateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? templateFiles(join(dir, e.name)).map((f) => join(e.name, f)) : [e.name]))
    .filter((f) => /\.(ya?ml|tpl|txt)$/.test(f))
    .sort();
}

export function renderChart(chartDir: string, opts: RenderOptions): RenderedChart {
  const meta = readMap(join(chartDir, 'Chart.yaml'));
  const chartName = String(meta.name);
  let values = readMap(join(chartDir, 'values.yaml'));
  for (const f of opts.valuesFiles ?? []) values = mergeValues(values, readMap(f));
  if (opts.values) values = mergeValues(values, opts.values);
  checkSchema(chartDir, values);

  const files = templateFiles(join(chartDir, 'templates'));
  const defines = new Map<string, Node[]>();
  for (const f of files) {
    const name = `${chartName}/templates/${f}`;
    const parsed = parseTemplate(readFileSync(join(chartDir, 'templates', f), 'utf8'), name);
    for (const [k, v] of parsed.defines) {
      if (defines.has(k)) throw new TemplateError(`${name}: "${k}" is defined twice`);
      defines.set(k, v);
    }
    // Every file is also a template of its own name, so `include (print $.Template.BasePath "/x.yaml") .` works.
    defines.set(name, parsed.root);
  }
  const exec = createExecutor(defines, helmFunctions);
  const top = (f: string): GoMap => ({
    Values: values,
    Release: struct({
      Name: opts.releaseName,
      Namespace: opts.namespace ?? 'default',
      Service: opts.service ?? 'Helm',
      IsInstall: !opts.isUpgrade,
      IsUpgrade: !!opts.isUpgrade,
      Revision: 1n,
    }),
    Chart: struct({
      Name: chartName,
      Version: String(meta.version),
      AppVersion: meta.appVersion === undefined ? null : String(meta.appVersion),
      Description: (meta.description as string | undefined) ?? null,
    }),
    Template: struct({ Name: `${chartName}/templates/${f}`, BasePath: `${chartName}/templates` }),
    Capabilities: struct({ KubeVersion: struct({ Version: 'v1.32.0', Major: '1', Minor: '32' }) }),
  });

  const templates: RenderedTemplate[] = [];
  let notes = '';
  for (const f of files) {
    if (basename(f).startsWith('_')) continue;
    const text = exec.include(`${chartName}/templates/${f}`, top(f));
    if (basename(f) === 'NOTES.txt') {
      notes = text;
      continue;
    }
    const objects: Array<Record<string, unknown>> = [];
    for (const doc of parseAllDocuments(text, { version: '1.1' })) {
      if (doc.errors.length) throw new TemplateError(`templates/${f}: rendered YAML is invalid: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as unknown;
      if (obj === null || obj === undefined) continue;
      if (!isMap(obj as GoValue)) throw new TemplateError(`templates/${f}: a rendered document is not a mapping`);
      objects.push(obj as Record<string, unknown>);
    }
    templates.push({ path: `templates/${f}`, text, objects });
  }
  return { values, templates, notes };
}

/** Every object of a rendering, in template order. */
export const allObjects = (r: RenderedChart): Array<Record<string, unknown>> => r.templates.flatMap((t) => t.objects);
