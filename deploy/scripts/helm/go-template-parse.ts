// Parses the subset of Go text/template a Helm chart uses into a tree; anything outside the subset is an error, never a guess.
import { scan, tokenize, UNSUPPORTED, type Token } from './go-template-lex.js';
import { TemplateError, type GoValue } from './go-values.js';

export type Operand =
  | { t: 'dot' }
  | { t: 'field'; path: string[] }
  | { t: 'var'; name: string; path: string[] }
  | { t: 'ident'; name: string }
  | { t: 'lit'; value: GoValue }
  | { t: 'paren'; pipe: Pipeline; path: string[] };

export interface Pipeline {
  decl: { names: string[]; op: ':=' | '=' } | null;
  cmds: Operand[][];
}

export interface Branch {
  pipe: Pipeline;
  body: Node[];
}

export type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipeline; where: string }
  | { t: 'if' | 'with'; branches: Branch[]; else: Node[] | null; where: string }
  | { t: 'range'; pipe: Pipeline; body: Node[]; else: Node[] | null; where: string };

export interface ParsedTemplate {
  root: Node[];
  defines: Map<string, Node[]>;
}

function parseOperand(toks: Token[], at: number, where: string): [Operand, number] {
  const t = toks[at]!;
  if (t.k === '(') {
    let depth = 1;
    let j = at + 1;
    for (; j < toks.length && depth > 0; j++) {
      if (toks[j]!.k === '(') depth++;
      else if (toks[j]!.k === ')') depth--;
    }
    if (depth !== 0) throw new TemplateError(`${where}: unclosed "("`);
    const pipe = parsePipeline(toks.slice(at + 1, j - 1), where);
    const next = toks[j];
    if (next?.k === 'field' && next.adj) return [{ t: 'paren', pipe, path: next.path }, j + 1];
    return [{ t: 'paren', pipe, path: [] }, j];
  }
  switch (t.k) {
    case 'dot':
      return [{ t: 'dot' }, at + 1];
    case 'field':
      return [{ t: 'field', path: t.path }, at + 1];
    case 'var':
      return [{ t: 'var', name: t.name, path: t.path }, at + 1];
    case 'ident':
      if (UNSUPPORTED.has(t.name)) throw new TemplateError(`${where}: "${t.name}" is not supported by this renderer`);
      return [{ t: 'ident', name: t.name }, at + 1];
    case 'lit':
      return [{ t: 'lit', value: t.value }, at + 1];
    default:
      throw new TemplateError(`${where}: unexpected "${t.k}"`);
  }
}

function parsePipeline(toks: Token[], where: string): Pipeline {
  let decl: Pipeline['decl'] = null;
  let at = 0;
  const op = toks.findIndex((t) => t.k === ':=' || t.k === '=');
  if (op > 0) {
    const names = toks.slice(0, op).filter((t) => t.k !== ',');
    if (!names.every((t) => t.k === 'var' && t.path.length === 0)) throw new TemplateError(`${where}: bad variable declaration`);
    decl = { names: names.map((t) => (t as { name: string }).name), op: toks[op]!.k as ':=' | '=' };
    at = op + 1;
  }
  const cmds: Operand[][] = [[]];
  while (at < toks.length) {
    if (toks[at]!.k === '|') {
      cmds.push([]);
      at++;
      continue;
    }
    const [operand, next] = parseOperand(toks, at, where);
    cmds[cmds.length - 1]!.push(operand);
    at = next;
  }
  if (cmds.some((c) => c.length === 0)) throw new TemplateError(`${where}: empty command in pipeline`);
  return { decl, cmds };
}

interface Open {
  kind: 'if' | 'with' | 'range' | 'define';
  node: Node | null;
  name?: string;
  body: Node[];
}

export function parseTemplate(src: string, name: string): ParsedTemplate {
  const defines = new Map<string, Node[]>();
  const root: Node[] = [];
  const stack: Open[] = [];
  const body = () => (stack.length ? stack[stack.length - 1]!.body : root);
  for (const a of scan(src, name)) {
    if (a.text !== null) {
      if (a.text) body().push({ t: 'text', text: a.text });
      continue;
    }
    const where = `${name}:${a.line}: {{${a.src!.trim()}}}`;
    const toks = tokenize(a.src!, where);
    const head = toks[0];
    const word = head?.k === 'ident' ? head.name : null;
    const rest = toks.slice(1);
    if (word === 'if' || word === 'with') {
      const node: Node = { t: word, branches: [{ pipe: parsePipeline(rest, where), body: [] }], else: null, where };
      body().push(node);
      stack.push({ kind: word, node, body: node.branches[0]!.body });
    } else if (word === 'range') {
      const node: Node = { t: 'range', pipe: parsePipeline(rest, where), body: [], else: null, where };
      if (node.pipe.decl && (node.pipe.decl.op !== ':=' || node.pipe.decl.names.length > 2)) throw new TemplateError(`${where}: bad range declaration`);
      body().push(node);
      stack.push({ kind: 'range', node, body: node.body });
    } else if (word === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.kind === 'define') throw new TemplateError(`${where}: else outside if/with/range`);
      const n = top.node as Node & { else: Node[] | null };
      if (n.else) throw new TemplateError(`${where}: a second else`);
      const chained = rest[0]?.k === 'ident' ? rest[0].name : null;
      if (chained && chained === top.kind && n.t !== 'range') {
        const branch = { pipe: parsePipeline(rest.slice(1), where), body: [] as Node[] };
        (n as { branches: Branch[] }).branches.push(branch);
        top.body = branch.body;
      } else if (rest.length) {
        throw new TemplateError(`${where}: unsupported else form`);
      } else {
        n.else = [];
        top.body = n.else;
      }
    } else if (word === 'end') {
      const top = stack.pop();
      if (!top) throw new TemplateError(`${where}: end without a block`);
      if (top.kind === 'define') defines.set(top.name!, top.body);
    } else if (word === 'define') {
      if (stack.length) throw new TemplateError(`${where}: define inside a block`);
      const n = rest[0];
      if (n?.k !== 'lit' || typeof n.value !== 'string' || rest.length !== 1) throw new TemplateError(`${where}: define needs one name`);
      if (defines.has(n.value)) throw new TemplateError(`${where}: "${n.value}" is defined twice`);
      stack.push({ kind: 'define', node: null, name: n.value, body: [] });
    } else if (word && UNSUPPORTED.has(word)) {
      throw new TemplateError(`${where}: "${word}" is not supported by this renderer`);
    } else {
      body().push({ t: 'action', pipe: parsePipeline(toks, where), where });
    }
  }
  if (stack.length) throw new TemplateError(`${name}: ${stack.length} block(s) not closed with end`);
  return { root, defines };
}
