/**
 * Summaries of a run: per phase (by name, repeated occurrences aggregated, in
 * first-seen order) and in total, the metrics `iocm simulate --json` prints.
 * Fed one HostSnapshot at a time; memory does not grow with run length.
 */
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { IntervalHistograms } from '../model/api.ts';
import { LatencyMerge } from './latency.ts';

/** The metrics of a phase, of the whole run, or of one VM group. */
export interface Metrics {
  /** Mean over intervals of the score (Σ groups weight × work rate; docs/model.md). */
  score: number;
  /** Mean completed requests (messages, I/Os) per second. */
  throughputOps: number;
  /** Mean bytes per second moved by the devices. */
  throughputBytes: number;
  /** Median request latency, µs, over all completions of the intervals (merged histograms; see latency.ts). */
  latencyP50Us: number;
  /** 99th percentile request latency, µs, completion-weighted. */
  latencyP99Us: number;
  /**
   * Mean number of side cores in force. For a group: mean number of distinct
   * side cores serving the group's queues.
   */
  sideCoresAvg: number;
  /** Mean VM exits per second (host-wide, or summed over the group's VMs). */
  exitsPerSec: number;
}

/** Metrics plus coverage and the per-group breakdown. */
export interface PhaseSummary extends Metrics {
  /** Phase name ('total' for the whole run). */
  name: string;
  /** Simulated seconds covered. */
  seconds: number;
  /** Snapshot intervals covered. */
  intervals: number;
  /** Reconfigurations: decisions with at least one action reported by the controller (a static policy's setup counts 1). */
  reconfigurations: number;
  /** Group name → the group's metrics (scenario order). */
  byGroup: Record<string, Metrics>;
}

/** A whole run's summary. */
export interface Summary {
  phases: PhaseSummary[];
  total: PhaseSummary;
}

/** Running sums for one metrics record. */
class MetricAcc {
  score = 0;
  ops = 0;
  bytes = 0;
  side = 0;
  exits = 0;
  n = 0;
  readonly lat = new LatencyMerge();

  result(): Metrics {
    const n = this.n || 1;
    return {
      score: this.score / n,
      throughputOps: this.ops / n,
      throughputBytes: this.bytes / n,
      latencyP50Us: this.lat.quantile(0.5),
      latencyP99Us: this.lat.quantile(0.99),
      sideCoresAvg: this.side / n,
      exitsPerSec: this.exits / n,
    };
  }
}

/** Accumulator for one phase (or the total). */
class PhaseAcc {
  readonly all = new MetricAcc();
  readonly groups = new Map<string, MetricAcc>();
  ms = 0;
  reconfigurations = 0;

  constructor(
    readonly name: string,
    groupNames: readonly string[],
  ) {
    for (const g of groupNames) this.groups.set(g, new MetricAcc());
  }

  group(name: string): MetricAcc {
    let acc = this.groups.get(name);
    if (!acc) {
      acc = new MetricAcc();
      this.groups.set(name, acc);
    }
    return acc;
  }

  result(): PhaseSummary {
    const byGroup: Record<string, Metrics> = {};
    for (const [g, acc] of this.groups) byGroup[g] = acc.result();
    return { name: this.name, seconds: this.ms / 1000, intervals: this.all.n, reconfigurations: this.reconfigurations, ...this.all.result(), byGroup };
  }
}

/**
 * Builds a Summary from snapshots. `groupNames` fixes the order of `byGroup`
 * (scenario order); groups seen only in snapshots are appended.
 */
export class SummaryBuilder {
  private readonly phases = new Map<string, PhaseAcc>();
  private readonly total: PhaseAcc;
  private readonly groupNames: readonly string[];
  /** Scratch: VM id → group name (rebuilt when the VM list changes). */
  private vmGroup = new Map<number, string>();
  private vmCount = -1;
  private currentPhase: PhaseAcc | undefined;
  /** Decisions reported before the first interval (counted in the first phase). */
  private pendingReconfigurations = 0;

  constructor(groupNames: readonly string[] = []) {
    this.groupNames = groupNames;
    this.total = new PhaseAcc('total', groupNames);
  }

  /** Intervals whose latency came from histograms (exact) rather than percentiles. */
  histogramIntervals = 0;

  /**
   * Add one interval. `hist` (optional) are the model's latency histograms
   * behind this snapshot; when given they are merged instead of the
   * snapshot's percentiles.
   */
  add(s: HostSnapshot, hist?: IntervalHistograms): void {
    const name = s.phase;
    let phase = this.phases.get(name);
    if (!phase) {
      phase = new PhaseAcc(name, this.groupNames);
      this.phases.set(name, phase);
    }
    this.currentPhase = phase;
    phase.reconfigurations += this.pendingReconfigurations;
    this.pendingReconfigurations = 0;
    if (s.vms.length !== this.vmCount) {
      this.vmGroup = new Map(s.vms.map((v) => [v.id, v.group]));
      this.vmCount = s.vms.length;
    }
    const dt = s.intervalMs / 1000;
    const h = hist !== undefined && hist.groups.length === s.groups.length ? hist : undefined;
    if (h) this.histogramIntervals++;
    const t = s.totals;
    // Per-group exits and distinct side cores serving the group's queues.
    const exits = new Map<string, number>();
    for (const v of s.vms) exits.set(v.group, (exits.get(v.group) ?? 0) + v.exitsPerSec);
    const owners = new Map<string, Set<number>>();
    for (const q of s.queues) {
      if (q.owner === null) continue;
      const g = this.vmGroup.get(q.vm);
      if (g === undefined) continue;
      let set = owners.get(g);
      if (!set) owners.set(g, (set = new Set()));
      set.add(q.owner);
    }
    for (const acc of [phase, this.total]) {
      acc.ms += s.intervalMs;
      const a = acc.all;
      a.n++;
      a.score += t.score;
      a.ops += t.requestsPerSec;
      a.bytes += t.bytesPerSec;
      a.side += t.sideCores;
      a.exits += t.exitsPerSec;
      if (h) a.lat.addHistogram(h.total);
      else a.lat.addPercentiles(t.requestsPerSec * dt, t.latencyUs.p50, t.latencyUs.p99, t.latencyUs.p999);
      for (let gi = 0; gi < s.groups.length; gi++) {
        const g = s.groups[gi];
        const ga = acc.group(g.group);
        ga.n++;
        ga.score += g.score;
        ga.ops += g.requestsPerSec;
        ga.bytes += g.bytesPerSec;
        ga.side += owners.get(g.group)?.size ?? 0;
        ga.exits += exits.get(g.group) ?? 0;
        if (h) ga.lat.addHistogram(h.groups[gi]);
        else ga.lat.addPercentiles(g.requestsPerSec * dt, g.latencyUs.p50, g.latencyUs.p99, g.latencyUs.p999);
      }
    }
  }

  /** Count reconfigurations against the phase of the latest interval (and the total). */
  addReconfigurations(n: number): void {
    if (this.currentPhase) this.currentPhase.reconfigurations += n;
    else this.pendingReconfigurations += n;
    this.total.reconfigurations += n;
  }

  /** The summary so far. */
  result(): Summary {
    return { phases: [...this.phases.values()].map((p) => p.result()), total: this.total.result() };
  }
}
