// How the console writes numbers, money, times and durations: one place, so every page reads the same.

const int = new Intl.NumberFormat('en-US');

export const num = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : int.format(n));

/** Micro-dollars (the audit trail's unit) as dollars. */
export const usdMicros = (m: number | null | undefined): string => (m === null || m === undefined ? '–' : usd(m / 1e6));

export function usd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const digits = v !== 0 && Math.abs(v) < 0.01 ? 6 : 2;
  return `$${v.toFixed(digits)}`;
}

/** ISO time as `2025-01-31 14:03:07 UTC`: reviewers compare times across systems, so UTC and no locale. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

export const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)}%`);

export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${(v / 1024 / 1024).toFixed(1)} MiB`;
}

/** A `datetime-local` field's value (no zone) read as UTC, as its label says; '' or invalid → undefined. */
export function utcField(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** An ISO time as a `datetime-local` field shows it (UTC, minutes). */
export const toField = (iso: string | undefined): string => (iso ? iso.slice(0, 16) : '');
