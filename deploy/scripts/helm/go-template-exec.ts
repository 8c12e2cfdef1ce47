// Executes parsed templates with text/template's rules: dot, $ and variables, if/with/range scopes, pipelines, lazy and/or.
import type { Node, Operand, Pipeline } from './go-template-parse.js';
import { isMap, printValue, STRUCT, TemplateError, truth, typeName, type GoValue } from './go-values.js';

/** A template function: its arguments already evaluated (the piped value last); `exec` for include. */
export type GoFunction = (args: GoValue[], exec: Executor) => GoValue;

export interface Executor {
  /** Runs a `define`d template with `data` as its dot and $ (Helm's include). */
  include(name: string, data: GoValue): string;
}

interface Frame {
  dot: GoValue;
  vars: Array<[string, GoValue]>;
  where: string;
}

function field(value: GoValue, name: string, where: string): GoValue {
  if (value === null) throw new TemplateError(`${where}: nil pointer evaluating interface {}.${name}`);
  if (!isMap(value)) throw new TemplateError(`${where}: can't evaluate field ${name} in type ${typeName(value)}`);
  if (Object.hasOwn(value, name)) return value[name]!;
  if ((value as Record<symbol, unknown>)[STRUCT]) throw new TemplateError(`${where}: can't evaluate field ${name}`);
  return null;
}

const walk = (v: GoValue, path: string[], where: string): GoValue => path.reduce((acc, p) => field(acc, p, where), v);

export function createExecutor(defines: Map<string, Node[]>, funcs: Record<string, GoFunction>): Executor {
  function lookupVar(f: Frame, name: string): GoValue {
    for (let i = f.vars.length - 1; i >= 0; i--) if (f.vars[i]![0] === name) return f.vars[i]![1];
    throw new TemplateError(`${f.where}: undefined variable ${name}`);
  }

  function operand(f: Frame, o: Operand): GoValue {
    switch (o.t) {
      case 'dot':
        return f.dot;
      case 'field':
        return walk(f.dot, o.path, f.where);
      case 'var':
        return walk(lookupVar(f, o.name), o.path, f.where);
      case 'lit':
        return o.value;
      case 'paren':
        return walk(pipeline(f, o.pipe), o.path, f.where);
      case 'ident':
        return call(f, o.name, [], undefined);
    }
  }

  function call(f: Frame, name: string, args: Operand[], piped: GoValue | undefined): GoValue {
    // and/or stop at the first deciding operand, as in Go 1.18+.
    if (name === 'and' || name === 'or') {
      const all = [...args.map((a) => () => operand(f, a)), ...(piped === undefined ? [] : [() => piped])];
      if (all.length === 0) throw new TemplateError(`${f.where}: ${name} needs arguments`);
      let v: GoValue = null;
      for (const get of all) {
        v = get();
        if (truth(v) === (name === 'or')) return v;
      }
      return v;
    }
    const fn = Object.hasOwn(funcs, name) ? funcs[name] : undefined;
    if (!fn) throw new TemplateError(`${f.where}: function "${name}" is not supported by this renderer`);
    const values = args.map((a) => operand(f, a));
    if (piped !== undefined) values.push(piped);
    try {
      return fn(values, executor);
    } catch (err) {
      // Wrapped at each level, so an error inside an include reads as a trace from the outer template inwards.
      throw new TemplateError(`${f.where}: ${name}: ${(err as Error).message}`);
    }
  }

  function pipeline(f: Frame, p: Pipeline): GoValue {
    let value: GoValue | undefined;
    for (const cmd of p.cmds) {
      const head = cmd[0]!;
      if (head.t === 'ident') value = call(f, head.name, cmd.slice(1), value);
      else if (cmd.length > 1 || value !== undefined) throw new TemplateError(`${f.where}: can't give arguments to a non-function`);
      else value = operand(f, head);
    }
    const result = value ?? null;
    if (p.decl) {
      const name = p.decl.names[0]!;
      if (p.decl.op === ':=') f.vars.push([name, result]);
      else {
        let i = f.vars.length - 1;
        while (i >= 0 && f.vars[i]![0] !== name) i--;
        if (i < 0) throw new TemplateError(`${f.where}: undefined variable ${name}`);
        f.vars[i] = [name, result];
      }
    }
    return result;
  }

  function scoped(f: Frame, dot: GoValue, body: Node[], out: string[]): void {
    const mark = f.vars.length;
    run({ dot, vars: f.vars, where: f.where }, body, out);
    f.vars.length = mark;
  }

  function run(f: Frame, nodes: Node[], out: string[]): void {
    for (const n of nodes) {
      if (n.t === 'text') {
        out.push(n.text);
        continue;
      }
      f.where = n.where;
      if (n.t === 'action') {
        const v = pipeline(f, n.pipe);
        if (!n.pipe.decl) out.push(printValue(v));
      } else if (n.t === 'range') {
        rangeNode(f, n, out);
      } else {
        const mark = f.vars.length;
        const hit = n.branches.find((b) => {
          const v = pipeline(f, b.pipe);
          if (!truth(v)) return false;
          scoped(f, n.t === 'with' ? v : f.dot, b.body, out);
          return true;
        });
        if (!hit && n.else) scoped(f, f.dot, n.else, out);
        f.vars.length = mark;
      }
    }
  }

  function rangeNode(f: Frame, n: Extract<Node, { t: 'range' }>, out: string[]): void {
    const decl = n.pipe.decl;
    const v = pipeline(f, { decl: null, cmds: n.pipe.cmds });
    let items: Array<[GoValue, GoValue]>;
    if (v === null) items = [];
    else if (Array.isArray(v)) items = v.map((x, i) => [BigInt(i), x]);
    else if (isMap(v) && !(v as Record<symbol, unknown>)[STRUCT]) items = Object.keys(v).sort().map((k) => [k, v[k]!]);
    else throw new TemplateError(`${n.where}: range can't iterate over ${typeName(v)}`);
    if (items.length === 0) {
      if (n.else) scoped(f, f.dot, n.else, out);
      return;
    }
    for (const [key, item] of items) {
      const mark = f.vars.length;
      if (decl?.names.length === 1) f.vars.push([decl.names[0]!, item]);
      if (decl?.names.length === 2) f.vars.push([decl.names[0]!, key], [decl.names[1]!, item]);
      scoped(f, item, n.body, out);
      f.vars.length = mark;
    }
  }

  const executor: Executor = {
    include(name, data) {
      const body = defines.get(name);
      if (!body) throw new TemplateError(`no template "${name}"`);
      const out: string[] = [];
      run({ dot: data, vars: [['$', data]], where: name }, body, out);
      return out.join('');
    },
  };
  return executor;
}
