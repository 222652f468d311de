/**
 * The simulation driver: steps a host model for N simulated seconds (phases
 * cycle when N is longer than the scenario), runs a controller after each
 * interval, and accumulates a Summary. Synchronous and deterministic: same
 * scenario + seed + policy + seconds + interval → identical snapshots and
 * summary.
 */
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostInfo } from '../../shared/control.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { CreateHostModel, HostModelApi } from '../model/api.ts';
import { createHostModel } from '../model/host-model.ts';
import { reportedDecisions, type Controller, type ControllerFactory, type ControllerReport, type Decision } from './controller.ts';
import { SummaryBuilder, type Summary } from './summary.ts';

/** Options of one simulation run. */
export interface SimulationOptions {
  scenario: Scenario;
  /** Seed of the model's RNG. */
  seed: number;
  /** Simulated seconds to run (> 0); rounded to whole intervals (at least one). */
  seconds: number;
  /** Snapshot interval in ms of simulated time (default 100). */
  intervalMs?: number;
  /** The policy: a controller, or a factory (e.g. `parsePolicy(spec, cores).create`). */
  controller: Controller | ControllerFactory;
  /** Called with every snapshot, before the controller sees it (e.g. to write a trace). */
  onSnapshot?: (snapshot: HostSnapshot) => void;
  /** Called with each decision the controller reports (seq/t filled in). */
  onDecision?: (decision: Decision) => void;
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
  /** Name of the controller (policy spec). */
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

/** Run a simulation to the end. Throws what the model or controller throws. */
export function runSimulation(opts: SimulationOptions): SimulationResult {
  const intervalMs = opts.intervalMs ?? 100;
  if (!(opts.seconds > 0) || !Number.isFinite(opts.seconds)) throw new RangeError(`seconds must be a positive number, got ${opts.seconds}`);
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
  const factory = opts.createModel ?? createHostModel;
  const host: HostModelApi = factory(opts.scenario, { seed: opts.seed, intervalMs });
  const info = host.info();
  const controller =
    typeof opts.controller === 'function'
      ? opts.controller({ cores: info.cores, info, scenario: opts.scenario, seed: opts.seed, intervalMs })
      : opts.controller;
  const builder = new SummaryBuilder(opts.scenario.vms.map((g) => g.name));
  const total = intervalsFor(opts.seconds, intervalMs);

  const record = (report: ControllerReport, seq: number): void => {
    const list = reportedDecisions(report);
    if (list.length === 0) return;
    let changes = 0;
    for (const d of list) {
      d.seq = seq;
      d.t = host.nowMs;
      if (d.actions.length > 0) changes++;
      opts.onDecision?.(d);
    }
    if (changes > 0) builder.addReconfigurations(changes);
  };

  if (controller.start) record(controller.start(host), -1);
  for (let i = 0; i < total; i++) {
    const snap = host.step();
    builder.add(snap, host.intervalHistograms?.());
    opts.onSnapshot?.(snap);
    record(controller.onSnapshot(snap, host), snap.seq);
    opts.onProgress?.(i + 1, total);
  }
  return {
    summary: builder.result(),
    intervals: total,
    intervalMs,
    seconds: (total * intervalMs) / 1000,
    info,
    policy: controller.name,
    eventsProcessed: host.eventsProcessed,
    histogramIntervals: builder.histogramIntervals,
  };
}
