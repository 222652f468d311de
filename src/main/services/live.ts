/**
 * The live host as the services see it: the host model and the IOcm loop, paced at
 * real time × speed, producing TelemetryBatches and taking operator commands.
 *
 * {@link startInProcessLive} runs model + loop on the calling thread with a wall-clock
 * timer (one batch per tick). The loop engineer's worker-thread LiveRunner
 * (src/main/loop) is the intended implementation of {@link LiveHost}; the services only
 * depend on this interface.
 */
import type { HostConfig, HostInfo } from '../../shared/control.ts';
import type { ConfigError, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig, TelemetryBatch } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { Unsubscribe } from '../../shared/api.ts';
import { createHostModel } from '../model/index.ts';
import { IocmLoop } from '../loop/loop.ts';

/** A running live host. */
export interface LiveHost {
  readonly info: HostInfo;
  readonly scenario: Scenario;
  readonly seed: number;
  /** Pacing factor (simulated ms per wall ms). */
  readonly speed: number;
  config(): HostConfig;
  status(): LoopStatus;
  /** Apply an operator override now; the change shows in the next snapshot. */
  override(cmd: OverrideCommand): Promise<OverrideResult>;
  /** Switch policy; returns per-field errors (empty = accepted). */
  setPolicy(name: string, config: PolicyConfig): Promise<ConfigError[]>;
  setSpeed(speed: number): void;
  onBatch(cb: (b: TelemetryBatch) => void): Unsubscribe;
  stop(): Promise<void>;
}

/** Options of {@link startInProcessLive}. */
export interface LiveOptions {
  scenario: Scenario;
  seed: number;
  speed: number;
  policy?: string;
  policyConfig?: PolicyConfig;
  intervalMs?: number;
  /** Wall ms between batches (default 100: 10 batches/s). */
  tickMs?: number;
  /** Most intervals simulated per tick, so one tick never blocks for long (default 64). */
  maxStepsPerTick?: number;
  /** Wall clock (ms). */
  now: () => number;
}

/** Run the model and the loop on this thread, paced by a wall-clock timer. */
export function startInProcessLive(o: LiveOptions): LiveHost {
  const model = createHostModel(o.scenario, { seed: o.seed, intervalMs: o.intervalMs ?? 100 });
  const loop = new IocmLoop({ control: model, policy: o.policy ?? 'iocm', config: o.policyConfig ?? {} });
  const subs = new Set<(b: TelemetryBatch) => void>();
  const tickMs = o.tickMs ?? 100;
  const maxSteps = o.maxStepsPerTick ?? 64;
  let speed = o.speed;
  // Simulated time we owe: grows with wall time × speed, paid by model steps.
  let anchorWall = o.now();
  let anchorSim = model.nowMs;
  let stopped = false;

  const tick = (): void => {
    if (stopped) return;
    const target = anchorSim + (o.now() - anchorWall) * speed;
    const snapshots: HostSnapshot[] = [];
    let steps = 0;
    while (model.nowMs < target && steps < maxSteps) {
      const s = model.step();
      loop.onSnapshot(s);
      snapshots.push(s);
      steps++;
    }
    if (steps === maxSteps && model.nowMs < target) {
      // Cannot keep up: drop the backlog instead of growing it (the UI shows fewer, fresher snapshots).
      anchorWall = o.now();
      anchorSim = model.nowMs;
    }
    const events = loop.drainEvents();
    if (!snapshots.length && !events.length) return;
    const batch: TelemetryBatch = { snapshots, events, status: status() };
    for (const cb of [...subs]) cb(batch);
  };
  const timer = setInterval(tick, tickMs);

  function status(): LoopStatus {
    return { ...loop.status(), state: stopped ? 'stopped' : 'running', speed, scenario: o.scenario.name, seed: o.seed };
  }

  /** Hand events produced by a command to subscribers at once (they are audited). */
  function flushEvents(): void {
    const events = loop.drainEvents();
    if (!events.length) return;
    const batch: TelemetryBatch = { snapshots: [], events, status: status() };
    for (const cb of [...subs]) cb(batch);
  }

  return {
    info: model.info(),
    scenario: o.scenario,
    seed: o.seed,
    get speed() {
      return speed;
    },
    config: () => model.config(),
    status,
    async override(cmd) {
      const r = loop.override(cmd, model.nowMs);
      flushEvents();
      return r;
    },
    async setPolicy(name, config) {
      const errs = loop.setPolicy(name, config, model.nowMs);
      flushEvents();
      return errs;
    },
    setSpeed(s) {
      anchorWall = o.now();
      anchorSim = model.nowMs;
      speed = s;
    },
    onBatch(cb) {
      subs.add(cb);
      return () => subs.delete(cb);
    },
    async stop() {
      if (stopped) return;
      tick();
      stopped = true;
      clearInterval(timer);
    },
  };
}
