/**
 * The score: one scalar per interval or phase, defined once here and in
 * docs/model.md. Each VM group has a work rate in units that fit its kind:
 *   - request workloads (net-rr, kv, web): completed requests per second;
 *   - net-stream and blk: MB/s (10^6 bytes per second) moved by the devices;
 *   - cpu: guest giga-cycles per second of application work.
 * A group's score is weight × workRate; the host's score is the sum over groups.
 * Pure functions; used by the model, the CLI, the loop and the console.
 */
import type { WorkloadKind } from './scenario.ts';

/** The per-group statistics a work rate is computed from. */
export interface WorkRateInput {
  requestsPerSec: number;
  bytesPerSec: number;
  guestCyclesPerSec: number;
}

/** Unit of a workload kind's work rate (for labels). */
export function workRateUnit(kind: WorkloadKind): 'req/s' | 'MB/s' | 'Gcycles/s' {
  if (kind === 'net-stream' || kind === 'blk') return 'MB/s';
  if (kind === 'cpu') return 'Gcycles/s';
  return 'req/s';
}

/** A group's work rate in score units (see the module comment). */
export function workRate(kind: WorkloadKind, s: WorkRateInput): number {
  switch (kind) {
    case 'net-stream':
    case 'blk':
      return s.bytesPerSec / 1e6;
    case 'cpu':
      return s.guestCyclesPerSec / 1e9;
    default:
      return s.requestsPerSec;
  }
}

/** A group's contribution to the score: weight × workRate. */
export function groupScore(kind: WorkloadKind, weight: number, s: WorkRateInput): number {
  return weight * workRate(kind, s);
}

/** The host's score: Σ over groups of their scores. */
export function hostScore(groups: ReadonlyArray<{ score: number }>): number {
  let sum = 0;
  for (const g of groups) sum += g.score;
  return sum;
}
