// Runs every enabled detector over a text and resolves overlaps: the longest match wins, then the most specific.
import { emailDetector, e164PhoneDetector, nanpPhoneDetector } from './detector-contact.js';
import { creditCardDetector } from './detector-card.js';
import { ibanDetector, usSsnDetector } from './detector-financial.js';
import { ipv4Detector, ipv6Detector } from './detector-network.js';
import { secretDetectors } from './detector-secrets.js';
import type { Candidate, Detector, Finding, PiiType } from './types.js';

const ALL_DETECTORS: readonly Detector[] = [
  ...secretDetectors,
  creditCardDetector,
  ibanDetector,
  usSsnDetector,
  emailDetector,
  ipv4Detector,
  ipv6Detector,
  e164PhoneDetector,
  nanpPhoneDetector,
];

/** Enabled types; undefined means all. */
export type TypeFilter = ReadonlySet<PiiType> | undefined;

/** Every validated candidate starting at or after `from`, before overlap resolution. */
export function scanCandidates(text: string, from = 0, types?: TypeFilter): Candidate[] {
  const out: Candidate[] = [];
  for (const d of ALL_DETECTORS) if (!types || types.has(d.type)) d.scan(text, from, out);
  return out;
}

/**
 * Greedy pick inside one overlap cluster: longer spans first, then higher priority, then earlier. Taken positions
 * are marked in a bitmap: each detector's candidates are disjoint, so the marks read are at most (detectors x
 * cluster length), where testing each candidate against every kept one was quadratic in a long overlap chain.
 */
function pickCluster(cluster: Candidate[], kept: Candidate[], start: number, end: number): void {
  if (cluster.length === 1) {
    kept.push(cluster[0] as Candidate);
    return;
  }
  cluster.sort((a, b) => b.end - b.start - (a.end - a.start) || b.priority - a.priority || a.start - b.start);
  const taken = new Uint8Array(end - start);
  const picked: Candidate[] = [];
  for (const c of cluster) {
    let free = true;
    for (let p = c.start - start; p < c.end - start && free; p++) free = taken[p] === 0;
    if (!free) continue;
    taken.fill(1, c.start - start, c.end - start);
    picked.push(c);
  }
  kept.push(...picked.sort((a, b) => a.start - b.start));
}

/**
 * Keeps a non-overlapping subset. Candidates are split into clusters of transitively overlapping spans and each
 * cluster is decided alone, so the result is local (streaming equivalence relies on it) and linear in practice.
 */
export function resolveOverlaps(cands: Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Candidate[] = [];
  let cluster: Candidate[] = [];
  let clusterStart = 0;
  let clusterEnd = -1;
  for (const c of sorted) {
    if (cluster.length > 0 && c.start >= clusterEnd) {
      pickCluster(cluster, kept, clusterStart, clusterEnd);
      cluster = [];
    }
    if (cluster.length === 0) clusterStart = c.start;
    cluster.push(c);
    clusterEnd = Math.max(clusterEnd, c.end);
  }
  if (cluster.length > 0) pickCluster(cluster, kept, clusterStart, clusterEnd);
  return kept;
}

function toFinding(c: Candidate): Finding {
  const f: Finding = { type: c.type, start: c.start, end: c.end };
  if (c.kind) f.kind = c.kind;
  return f;
}

/** Where the PII and secrets in `text` are, in order, without their values. */
export function detect(text: string, types?: readonly PiiType[]): Finding[] {
  return resolveOverlaps(scanCandidates(text, 0, types ? new Set(types) : undefined)).map(toFinding);
}
