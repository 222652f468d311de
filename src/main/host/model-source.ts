/**
 * The embedded host model as a {@link HostSource}: a discrete-event model of one host, paced at
 * real time × speed by an injected clock. No timers of its own: the owner calls `tick()`; tests
 * drive it with a fake clock. Pacing, seed, scenario and what-if are its capabilities.
 */
import type { ControlAction, ControlResult, HostConfig, HostInfo, KnobAction } from '../../shared/control.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostModelApi } from '../model/api.ts';
import { createHostModel } from '../model/host-model.ts';
import type { HostSource, HostSourceCapabilities } from './source.ts';

/** Allowed pacing: 0 (as fast as possible) or 0.25 … 64 × real time. */
export function checkSpeed(speed: unknown): string | null {
  if (typeof speed !== 'number' || !Number.isFinite(speed)) return `speed must be a number (0 = as fast as possible, or 0.25 to 64), got ${String(speed)}`;
  if (speed !== 0 && (speed < 0.25 || speed > 64)) return `speed ${speed} is out of range: use 0.25 to 64 (× real time), or 0 for as fast as possible`;
  return null;
}

/** Options of a model source. */
export interface ModelSourceOptions {
  scenario: Scenario;
  seed: number;
  /** 0 = as fast as possible, else 0.25 … 64 × real time. */
  speed: number;
  intervalMs?: number;
  /** The observability profile the model declares (default 'qemu'). */
  observe?: ObservabilityProfile;
  /** Wall clock in ms (injected). */
  now: () => number;
  /** Wall ms of model work per tick at most (default 40). */
  budgetMs?: number;
  /** Most intervals per tick (default 256). */
  maxStepsPerTick?: number;
  /**
   * A real-time source's bound (the agent's model driver): when the model is more than this many
   * simulated ms behind its pacing at a tick, it forgets the backlog before stepping, so it never
   * sends a burst of snapshots later than this (unset: it catches up what it can, then forgets what
   * is more than 10 intervals behind).
   */
  maxLateMs?: number;
}

/** The paced host model. */
export class ModelHostSource implements HostSource {
  readonly kind = 'model' as const;
  readonly model: HostModelApi;
  private readonly opts: ModelSourceOptions;
  private readonly subs: ((s: HostSnapshot) => void)[] = [];
  private anchorWall: number;
  private anchorSim: number;
  private closed = false;
  private skipped = 0;
  speed: number;

  constructor(opts: ModelSourceOptions) {
    const e = checkSpeed(opts.speed);
    if (e) throw new Error(e);
    this.opts = opts;
    this.speed = opts.speed;
    this.model = createHostModel(opts.scenario, { seed: opts.seed, intervalMs: opts.intervalMs ?? 100, observe: opts.observe });
    this.anchorWall = opts.now();
    this.anchorSim = this.model.nowMs;
  }

  info(): HostInfo {
    return this.model.info();
  }

  capabilities(): HostSourceCapabilities {
    return { pacing: true, seed: true, scenario: true, whatIf: true };
  }

  config(): HostConfig {
    return this.model.config();
  }

  /**
   * Simulated ms forgotten so far because the machine could not keep up (the backlog dropped in
   * `tick`): simulated time plus this is where pacing put the model (at speed 1: wall ms since the
   * start). The agent's model driver dates its snapshots with it (src/agent/model-driver.ts).
   */
  get skippedMs(): number {
    return this.skipped;
  }

  /** Simulated ms now. */
  get simMs(): number {
    return this.model.nowMs;
  }

  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    this.subs.push(cb);
    return () => {
      const i = this.subs.indexOf(cb);
      if (i >= 0) this.subs.splice(i, 1);
    };
  }

  applyNow(action: ControlAction | KnobAction): ControlResult {
    return this.model.apply(action);
  }

  apply(action: ControlAction | KnobAction): Promise<ControlResult> {
    return Promise.resolve(this.applyNow(action));
  }

  /** Advance the model as far as pacing allows (bounded by the per-tick budget), handing each snapshot to the subscribers. */
  tick(): void {
    if (this.closed) return;
    const now = this.opts.now;
    const t0 = now();
    const budget = this.opts.budgetMs ?? 40;
    const maxSteps = this.opts.maxStepsPerTick ?? 256;
    let target = this.speed === 0 ? Infinity : this.anchorSim + (t0 - this.anchorWall) * this.speed;
    if (this.opts.maxLateMs !== undefined && this.model.nowMs < target - this.opts.maxLateMs) {
      this.forgetBacklog(t0);
      target = this.model.nowMs;
    }
    let steps = 0;
    while (this.model.nowMs < target && steps < maxSteps) {
      const s = this.model.step();
      for (let i = 0; i < this.subs.length; i++) this.subs[i](s);
      steps++;
      if ((steps & 7) === 0 && now() - t0 >= budget) break;
    }
    if (this.speed !== 0 && this.model.nowMs < target - 10 * (this.opts.intervalMs ?? 100) * Math.max(1, this.speed)) {
      // Cannot keep up: forget the backlog rather than grow it.
      this.forgetBacklog(now());
    }
  }

  /** Re-anchor the pacing at `wall` where the model is, counting the simulated time forgotten. */
  private forgetBacklog(wall: number): void {
    this.skipped += Math.max(0, this.anchorSim + (wall - this.anchorWall) * this.speed - this.model.nowMs);
    this.anchorWall = wall;
    this.anchorSim = this.model.nowMs;
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

  async close(): Promise<void> {
    this.closed = true;
    this.subs.length = 0;
  }
}
