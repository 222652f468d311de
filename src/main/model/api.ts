/**
 * The public face of the host model (implemented in ./host-model.ts).
 * Other core modules (scenario loader, sim driver, loop, history what-if,
 * services) code against this interface.
 */
import type { HostControl, HostInfo } from '../../shared/control.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { LatencyHistogram } from './histogram.ts';

/** The latency histograms behind one snapshot (values in ns; see ./histogram.ts). */
export interface IntervalHistograms {
  /** All requests completed in the interval. */
  total: LatencyHistogram;
  /** Per VM group, in the order of `snapshot.groups`. */
  groups: readonly LatencyHistogram[];
}

/** Options of a model run. */
export interface ModelOptions {
  /** Seed of the model's RNG; same scenario + seed + actions → identical snapshots. */
  seed: number;
  /** Snapshot interval in ms of simulated time (default 100). */
  intervalMs?: number;
  /**
   * The observability profile the model declares in `info().observability` (default 'qemu'): what
   * a loop on this host may see. The snapshots themselves always carry everything (truth
   * included, for scoring and display); src/shared/observe.ts builds the policies' view.
   */
  observe?: ObservabilityProfile;
}

/** A discrete-event model of one virtualized host. Also its HostControl. */
export interface HostModelApi extends HostControl {
  /** Static description (cores, VMs, queues, groups). */
  info(): HostInfo;
  /** Advance one interval of simulated time and return its statistics. */
  step(): HostSnapshot;
  /** Simulated time now, in ms since start. */
  readonly nowMs: number;
  /** Name of the phase in force (phases cycle when the run is longer than the scenario). */
  readonly phase: string;
  /**
   * Override the offered load per group (intensity multipliers) until cleared
   * with null; used to re-run a recorded session's offered workload (what-if).
   */
  setLoads(loads: Record<string, number> | null): void;
  /** Events processed so far (for benchmarks). */
  readonly eventsProcessed: number;
  /**
   * Optional: the latency histograms behind the snapshot last returned by
   * step(), valid until the next step(). The simulation driver merges them for
   * exact summary percentiles (it falls back to the snapshot's percentiles).
   */
  intervalHistograms?(): IntervalHistograms;
}

/** Factory signature implemented by ./host-model.ts. */
export type CreateHostModel = (scenario: Scenario, options: ModelOptions) => HostModelApi;
