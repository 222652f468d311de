/**
 * The live host core that runs inside the live worker: the model as a HostSource
 * (src/main/host/model-source.ts) under the host-agnostic live session
 * (src/main/loop/session.ts), paced at real time × speed by an injected clock, emitting TelemetryBatches.
 * No timers of its own: the caller calls `tick()` (the worker every few tens
 * of ms); tests drive it with a fake clock.
 */
import type { HostConfig, HostInfo } from '../../shared/control.ts';
import type { ConfigError, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig, SafetyLimits, TelemetryBatch } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import { ModelHostSource } from '../host/model-source.ts';
import { LiveSession } from './session.ts';

export { checkSpeed } from '../host/model-source.ts';

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

/** Model source + live session with pacing; see the file comment. */
export class LiveCore {
  private readonly source: ModelHostSource;
  private readonly session: LiveSession;
  private readonly opts: LiveCoreOptions;
  stopped = false;

  constructor(opts: LiveCoreOptions) {
    this.opts = opts;
    this.source = new ModelHostSource({ scenario: opts.scenario, seed: opts.seed, speed: opts.speed, intervalMs: opts.intervalMs, observe: opts.observe, now: opts.now, budgetMs: opts.budgetMs, maxStepsPerTick: opts.maxStepsPerTick });
    this.session = new LiveSession(this.source, { policy: opts.policy, policyConfig: opts.policyConfig, epochMs: opts.epochMs, limits: opts.limits });
  }

  get speed(): number {
    return this.source.speed;
  }

  get info(): HostInfo {
    return this.source.info();
  }

  config(): HostConfig {
    return this.source.config();
  }

  /** Simulated ms now. */
  get simMs(): number {
    return this.source.simMs;
  }

  status(): LoopStatus {
    return { ...this.session.status(), t: this.source.simMs, state: this.stopped ? 'stopped' : 'running', speed: this.source.speed, scenario: this.opts.scenario.name, seed: this.opts.seed };
  }

  /** Advance the model as far as pacing allows (bounded by the per-tick budget); snapshots accumulate for the next batch. */
  tick(): void {
    if (this.stopped) return;
    this.source.tick();
  }

  /** Snapshots and events since the last batch (null when there is nothing). */
  takeBatch(): TelemetryBatch | null {
    const b = this.session.takeBatch();
    if (b) b.status = this.status();
    return b;
  }

  override(cmd: OverrideCommand): OverrideResult {
    return this.session.override(cmd);
  }

  setPolicy(name: string, config: PolicyConfig): ConfigError[] {
    return this.session.setPolicy(name, config);
  }

  /** Change safety limits; returns per-field errors (empty = accepted). */
  setLimits(limits: Partial<SafetyLimits>): ConfigError[] {
    return this.session.setLimits(limits);
  }

  /** Change pacing (re-anchors so the change is smooth). Returns an error message or null. */
  setSpeed(speed: number): string | null {
    return this.source.setSpeed(speed);
  }
}
