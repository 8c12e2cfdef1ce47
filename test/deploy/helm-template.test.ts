// The chart renderer's Go-template subset: Go's trimming, scoping, typing and printing rules, and errors for what it does not support.
import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../deploy/scripts/helm/go-template-exec.js';
import { parseTemplate } from '../../deploy/scripts/helm/go-template-parse.js';
import { formatFloat, type GoMap } from '../../deploy/scripts/helm/go-values.js';
import { helmFunctions } from '../../deploy/scripts/helm/helm-functions.js';
import { mergeValues } from '../../deploy/scripts/helm/helm-chart.js';

function render(src: string, data: GoMap = {}): string {
  const parsed = parseTemplate(src, 't');
  return createExecutor(new Map([...parsed.defines, ['t', parsed.root]]), helmFunctions).include('t', data);
}

describe('Go template subset', () => {
  it('trims whitespace at {{- and -}} only, and drops comments', () => {
    expect(render('a  {{- "b" -}}  c')).toBe('abc');
    expect(render('a\n{{ "b" }}\nc')).toBe('a\nb\nc');
    expect(render('a\n{{- /* gone */ -}}\nc')).toBe('ac');
    expect(render('x{{/* gone */}}y')).toBe('xy');
    expect(render('{{ "a}}b" }}')).toBe('a}}b');
  });

  it('if / else if / else, with (dot and else), range over lists and sorted map keys', () => {
    const src = '{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}';
    expect(render(src, { a: true })).toBe('A');
    expect(render(src, { a: false, b: 'x' })).toBe('B');
    expect(render(src, { a: 0, b: '' })).toBe('C');
    expect(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 'v' } })).toBe('v');
    expect(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} })).toBe('none');
    expect(render('{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}', { l: ['a', 'b'] })).toBe('0=a;1=b;');
    expect(render('{{ range $k, $v := .m }}{{ $k }}{{ $v }}{{ end }}', { m: { z: 1, a: 2 } })).toBe('a2z1');
    expect(render('{{ range .l }}{{ . }}{{ else }}empty{{ end }}', { l: [] })).toBe('empty');
    expect(render('{{ range .missing }}x{{ end }}', {})).toBe('');
  });

  it('variables: $ is the root, := declares in scope, = assigns', () => {
    expect(render('{{ $x := "a" }}{{ if true }}{{ $x = "b" }}{{ $y := "c" }}{{ end }}{{ $x }}', {})).toBe('b');
    expect(() => render('{{ if true }}{{ $y := "c" }}{{ end }}{{ $y }}', {})).toThrow(/undefined variable \$y/);
    expect(render('{{ with .a }}{{ $.b }}{{ end }}', { a: 1, b: 'root' })).toBe('root');
  });

  it('define / include with nindent, pipelines, and (paren).field', () => {
    const src = '{{- define "l" -}}\na: 1\nb: {{ .x }}\n{{- end -}}\nm:\n  {{- include "l" . | nindent 2 }}\n{{ (dict "k" "v").k }}';
    expect(render(src, { x: 'y' })).toBe('m:\n  a: 1\n  b: y\nv');
  });

  it('and / or short-circuit and return an operand, as in Go', () => {
    expect(render('{{ or .a "fallback" }}', {})).toBe('fallback');
    expect(render('{{ and .a .missing.deeper }}', { a: false })).toBe('false');
    expect(() => render('{{ and true .missing.deeper }}', {})).toThrow(/nil pointer evaluating interface \{\}\.deeper/);
  });

  it('numbers follow Helm: values are float64 (1e+06 when printed), int functions give int64', () => {
    expect(render('{{ .n }} {{ .big }} {{ add .big 1 }} {{ div 25999 1000 }}', { n: 25000, big: 1000000 })).toBe('25000 1e+06 1000001 25');
    expect(formatFloat(0.5)).toBe('0.5');
    expect(formatFloat(0.00001)).toBe('1e-05');
    expect(formatFloat(134217728)).toBe('1.34217728e+08');
    expect(() => render('{{ eq .n 1 }}', { n: 1 })).toThrow(/incompatible types for comparison: float64 and int64/);
    expect(render('{{ eq (int .n) 1 }} {{ eq .missing "x" }}', { n: 1 })).toBe('true false');
  });

  it('Sprig functions the chart uses', () => {
    expect(render('{{ "abcdef-" | trunc 4 }} {{ "ab-" | trimSuffix "-" }} {{ "a+b" | replace "+" "_" }}')).toBe('abcd ab a_b');
    expect(render('{{ .v | default "d" }} {{ .e | default "d" }} {{ quote 5 }} {{ printf "%s-%d" "a" 3 }}', { v: 'x', e: '' })).toBe('x d "5" a-3');
    expect(render('{{ dig "a" "b" 7 .m }} {{ dig "a" "z" 7 .m }} {{ index .m "a" "b" }}', { m: { a: { b: 1 } } })).toBe('1 7 1');
    expect(render('{{ ternary "y" "n" .t }} {{ contains "gate" "gateway" }} {{ hasKey .m "a" }}', { t: true, m: { a: 1 } })).toBe('y true true');
    expect(render('{{ toYaml .m | indent 2 }}', { m: { b: 'on', a: [1, 2] } })).toBe('  a:\n    - 1\n    - 2\n  b: "on"');
    expect(render('{{ "x" | sha256sum | trunc 8 }}')).toBe('2d711642');
  });

  it('required and fail stop the render with their message', () => {
    expect(() => render('{{ required "need it" .x }}', {})).toThrow(/need it/);
    expect(() => render('{{ required "need it" .x }}', { x: '' })).toThrow(/need it/);
    expect(render('{{ required "need it" .x }}', { x: false })).toBe('false');
    expect(() => render('{{ fail "stop" }}')).toThrow(/stop/);
  });

  it('refuses what it does not implement instead of guessing', () => {
    expect(() => render('{{ lookup "v1" "Secret" "ns" "x" }}')).toThrow(/function "lookup" is not supported/);
    expect(() => render('{{ constructor }}')).toThrow(/function "constructor" is not supported/);
    expect(() => render('{{ template "x" . }}')).toThrow(/"template" is not supported/);
    expect(() => render('{{ .m }}', { m: { a: 1 } })).toThrow(/use toYaml/);
    expect(() => render('{{ printf "%x" 1 }}')).toThrow(/verb %x is not supported/);
    expect(() => render('{{ if .a }}x')).toThrow(/not closed/);
    expect(() => render('{{ .a.b }}', { a: 'str' })).toThrow(/can't evaluate field b in type string/);
  });

  it('merges values like Helm: maps deeply, lists replaced, null deletes', () => {
    expect(mergeValues({ a: { x: 1, y: 2 }, l: [1, 2], d: 'keep' }, { a: { y: 3 }, l: [9], d: null })).toEqual({ a: { x: 1, y: 3 }, l: [9] });
  });
});
