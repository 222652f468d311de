/**
 * Assembles a HostSnapshot from its parts: the one place that fixes the snapshot's key order (the
 * byte order of every trace and JSON output) and the host totals that follow from the parts —
 * cycles summed over the cores in core order, score summed over the groups (`hostScore`). The
 * host model's snapshots and the synthetic snapshots of src/main/history/testing.ts use it.
 */
import type { CoreCycles, CoreStats, HostSnapshot, HostTotals } from './snapshot.ts';
import { hostScore } from './score.ts';

/** Everything of a HostSnapshot but the totals. */
export type SnapshotParts = Omit<HostSnapshot, 'totals'>;

/** The totals that do not follow from the parts. */
export type SnapshotTotalsIn = Omit<HostTotals, 'score' | 'cycles'>;

/** Cycles by category summed over `cores` (in their order, from 0). */
export function sumCoreCycles(cores: CoreStats[]): CoreCycles {
  const tot: CoreCycles = { guest: 0, exit: 0, io: 0, emptyPoll: 0, ctxSwitch: 0, idle: 0 };
  for (const c of cores) {
    const y = c.cycles;
    tot.guest += y.guest;
    tot.exit += y.exit;
    tot.io += y.io;
    tot.emptyPoll += y.emptyPoll;
    tot.ctxSwitch += y.ctxSwitch;
    tot.idle += y.idle;
  }
  return tot;
}

/** A HostSnapshot from its parts and totals; `totals.score` and `totals.cycles` are computed here. */
export function assembleSnapshot(p: SnapshotParts, totals: SnapshotTotalsIn): HostSnapshot {
  return {
    seq: p.seq,
    t: p.t,
    intervalMs: p.intervalMs,
    hz: p.hz,
    phase: p.phase,
    cores: p.cores,
    sideCores: p.sideCores,
    queues: p.queues,
    vms: p.vms,
    groups: p.groups,
    totals: {
      requestsPerSec: totals.requestsPerSec,
      bytesPerSec: totals.bytesPerSec,
      exitsPerSec: totals.exitsPerSec,
      interruptsPerSec: totals.interruptsPerSec,
      ctxSwitchesPerSec: totals.ctxSwitchesPerSec,
      sideCores: totals.sideCores,
      score: hostScore(p.groups),
      latencyUs: totals.latencyUs,
      cycles: sumCoreCycles(p.cores),
    },
  };
}
