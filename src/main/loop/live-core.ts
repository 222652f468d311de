/**
 * The live host core that runs inside the live worker: host model + IOcm loop,
 * paced at real time × speed by an injected clock, emitting TelemetryBatches.
 * No timers of its own: the caller calls `tick()` (the worker every few tens
 * of ms); tests drive it with a fake clock.
 */
import type { HostConfig, HostInfo } from '../../shared/control.ts';
import type { ConfigError, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig, SafetyLimits, TelemetryBatch } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import { createHostModel } from '../model/host-model.ts';
import type { HostModelApi } from '../model/api.ts';
import { IocmLoop } from './loop.ts';

/** Allowed pacing: 0 (as fast as possible) or 0.25 … 64 × real time. */
export function checkSpeed(speed: unknown): string | null {
  if (typeof speed !== 'number' || !Number.isFinite(speed)) return `speed must be a number (0 = as fast as possible, or 0.25 to 64), got ${String(speed)}`;
  if (speed !== 0 && (speed < 0.25 || speed > 64)) return `speed ${speed} is out of range: use 0.25 to 64 (× real time), or 0 for as fast as possible`;
  return null;
}

/** What a live host runs: scenario, seed, pacing, policy and loop settings (shared by LiveCore and the worker's start message). */
export interface LiveHostOptions {
  scenario: Scenario;
  seed: number;
  /** 0 = as fast as possible, else 0.25 … 64 × real time. */
  speed: number;
  policy?: string;
  policyConfig?: PolicyConfig;
  intervalMs?: number;
  epochMs?: number;
  limits?: Partial<SafetyLimits>;
  /** What the policies see of the host (default 'qemu'). */
  observe?: ObservabilityProfile;
}

/** Options of a live core. */
export interface LiveCoreOptions extends LiveHostOptions {
  /** Wall clock in ms (injected; the worker passes performance.now). */
  now: () => number;
  /** Wall ms of model work per tick at most (keeps the worker responsive; default 40). */
  budgetMs?: number;
  /** Most intervals per tick (default 256). */
  maxStepsPerTick?: number;
}

/** Model + loop with pacing; see the file comment. */
export class LiveCore {
  private model: HostModelApi;
  private loop: IocmLoop;
  private opts: LiveCoreOptions;
  private anchorWall: number;
  private anchorSim: number;
  private pending: HostSnapshot[] = [];
  speed: number;
  stopped = false;

  constructor(opts: LiveCoreOptions) {
    this.opts = opts;
    this.speed = opts.speed;
    const e = checkSpeed(opts.speed);
    if (e) throw new Error(e);
    this.model = createHostModel(opts.scenario, { seed: opts.seed, intervalMs: opts.intervalMs ?? 100, observe: opts.observe });
    const info = this.model.info();
    this.loop = new IocmLoop({ control: this.model, policy: opts.policy ?? 'iocm', config: opts.policyConfig ?? {}, epochMs: opts.epochMs, limits: opts.limits, observability: info.observability, groups: info.groups });
    // The epoch at t = 0: a static policy configures the host before the first interval, as in `iocm simulate`.
    this.loop.start();
    this.anchorWall = opts.now();
    this.anchorSim = this.model.nowMs;
  }

  get info(): HostInfo {
    return this.model.info();
  }

  config(): HostConfig {
    return this.model.config();
  }

  /** Simulated ms now. */
  get simMs(): number {
    return this.model.nowMs;
  }

  status(): LoopStatus {
    return { ...this.loop.status(), t: this.model.nowMs, state: this.stopped ? 'stopped' : 'running', speed: this.speed, scenario: this.opts.scenario.name, seed: this.opts.seed };
  }

  /** Advance the model as far as pacing allows (bounded by the per-tick budget); snapshots accumulate for the next batch. */
  tick(): void {
    if (this.stopped) return;
    const now = this.opts.now;
    const t0 = now();
    const budget = this.opts.budgetMs ?? 40;
    const maxSteps = this.opts.maxStepsPerTick ?? 256;
    const target = this.speed === 0 ? Infinity : this.anchorSim + (t0 - this.anchorWall) * this.speed;
    let steps = 0;
    while (this.model.nowMs < target && steps < maxSteps) {
      const s = this.model.step();
      this.loop.onSnapshot(s);
      this.pending.push(s);
      steps++;
      if ((steps & 7) === 0 && now() - t0 >= budget) break;
    }
    if (this.speed !== 0 && this.model.nowMs < target - 10 * (this.opts.intervalMs ?? 100) * Math.max(1, this.speed)) {
      // Cannot keep up: forget the backlog rather than grow it.
      this.anchorWall = now();
      this.anchorSim = this.model.nowMs;
    }
  }

  /** Snapshots and events since the last batch (null when there is nothing). */
  takeBatch(): TelemetryBatch | null {
    const events = this.loop.drainEvents();
    if (this.pending.length === 0 && events.length === 0) return null;
    const b: TelemetryBatch = { snapshots: this.pending, events, status: this.status() };
    this.pending = [];
    return b;
  }

  override(cmd: OverrideCommand): OverrideResult {
    return this.loop.override(cmd, this.model.nowMs);
  }

  setPolicy(name: string, config: PolicyConfig): ConfigError[] {
    return this.loop.setPolicy(name, config, this.model.nowMs);
  }

  /** Change safety limits; returns per-field errors (empty = accepted). */
  setLimits(limits: Partial<SafetyLimits>): ConfigError[] {
    return this.loop.setLimits(limits, this.model.nowMs);
  }

  /** Change pacing (re-anchors so the change is smooth). Returns an error message or null. */
  setSpeed(speed: number): string | null {
    const e = checkSpeed(speed);
    if (e) return e;
    this.anchorWall = this.opts.now();
    this.anchorSim = this.model.nowMs;
    this.speed = speed;
    return null;
  }
}
