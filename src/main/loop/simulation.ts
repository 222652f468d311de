/**
 * The simulation driver: steps a host model for N simulated seconds (phases cycle when N is
 * longer than the scenario), runs the IOcm loop with one policy from the one policy registry
 * (src/main/policy/registry.ts) — vhost and static:K included — with an epoch at t = 0 before the
 * first interval, and accumulates a Summary. The console's live runner runs the same loop, so
 * `simulate --policy static:2` and the console's static:2 give the same snapshots. Synchronous
 * and deterministic: same scenario + seed + policy + profile + seconds + interval → identical
 * snapshots and summary.
 */
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostInfo } from '../../shared/control.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import type { HostEvent, Overrides, PolicyConfig, SafetyLimits } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { CreateHostModel, HostModelApi } from '../model/api.ts';
import { createHostModel } from '../model/host-model.ts';
import { IocmLoop, type DecisionRecord } from './loop.ts';
import { SummaryBuilder, type Summary } from '../sim/summary.ts';

/** Options of one simulation run. */
export interface SimulationOptions {
  scenario: Scenario;
  /** Seed of the model's RNG. */
  seed: number;
  /** Simulated seconds to run (> 0); rounded to whole intervals (at least one). */
  seconds: number;
  /** Snapshot interval in ms of simulated time (default 100). */
  intervalMs?: number;
  /** Policy spec from the registry: 'vhost', 'static:K', 'iocm', … */
  policy: string;
  policyConfig?: PolicyConfig;
  /** What the policies see of the host (default 'qemu'). */
  observe?: ObservabilityProfile;
  epochMs?: number;
  limits?: Partial<SafetyLimits>;
  overrides?: Partial<Overrides>;
  /** Called with every snapshot, before the loop sees it (e.g. to write a trace). */
  onSnapshot?: (snapshot: HostSnapshot) => void;
  /** Called with each non-quiet decision (applied actions, reason). */
  onDecision?: (decision: DecisionRecord) => void;
  /** Called with every loop event (decisions, audits, phases). */
  onEvent?: (e: HostEvent) => void;
  /** Called after each interval with (intervals done, intervals total). */
  onProgress?: (done: number, total: number) => void;
  /** Model factory (default: the host model, src/main/model/host-model.ts). */
  createModel?: CreateHostModel;
}

/** What a run returns. */
export interface SimulationResult {
  summary: Summary;
  /** Intervals simulated. */
  intervals: number;
  intervalMs: number;
  /** Simulated seconds actually run (intervals × interval). */
  seconds: number;
  /** The host's static description. */
  info: HostInfo;
  /** Name of the policy, e.g. 'static:2'. */
  policy: string;
  /** Model events processed (for benchmarks). */
  eventsProcessed: number;
  /** Intervals whose latency was merged from the model's histograms (exact) rather than reconstructed from percentiles. */
  histogramIntervals: number;
}

/** Number of intervals for `seconds` at `intervalMs` (rounded, at least 1). */
export function intervalsFor(seconds: number, intervalMs: number): number {
  return Math.max(1, Math.round((seconds * 1000) / intervalMs));
}

/** Run a simulation to the end. Throws what the model or loop throws (PolicyConfigError for a bad policy). */
export function runSimulation(opts: SimulationOptions): SimulationResult {
  const intervalMs = opts.intervalMs ?? 100;
  if (!(opts.seconds > 0) || !Number.isFinite(opts.seconds)) throw new RangeError(`seconds must be a positive number, got ${opts.seconds}`);
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
  const factory = opts.createModel ?? createHostModel;
  const host: HostModelApi = factory(opts.scenario, { seed: opts.seed, intervalMs, observe: opts.observe });
  const info = host.info();
  const loop = new IocmLoop({
    control: host,
    policy: opts.policy,
    config: opts.policyConfig,
    epochMs: opts.epochMs,
    limits: opts.limits,
    overrides: opts.overrides,
    observability: info.observability,
    groups: info.groups,
    onEvent: opts.onEvent,
  });
  const builder = new SummaryBuilder(opts.scenario.vms.map((g) => g.name));
  const total = intervalsFor(opts.seconds, intervalMs);
  let reported = 0;
  const report = (): void => {
    const ds = loop.decisions;
    let changes = 0;
    for (; reported < ds.length; reported++) {
      if (ds[reported].actions.length > 0) changes++;
      opts.onDecision?.(ds[reported]);
    }
    if (changes > 0) builder.addReconfigurations(changes);
  };

  loop.start();
  loop.drainEvents();
  report();
  for (let i = 0; i < total; i++) {
    const snap = host.step();
    builder.add(snap, host.intervalHistograms?.());
    opts.onSnapshot?.(snap);
    loop.onSnapshot(snap);
    loop.drainEvents();
    report();
    opts.onProgress?.(i + 1, total);
  }
  return {
    summary: builder.result(),
    intervals: total,
    intervalMs,
    seconds: (total * intervalMs) / 1000,
    info,
    policy: loop.policyName,
    eventsProcessed: host.eventsProcessed,
    histogramIntervals: builder.histogramIntervals,
  };
}
