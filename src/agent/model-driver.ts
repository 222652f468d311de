/**
 * The `model` driver: a scenario on the host model served as if it were a real host. It runs a
 * {@link ModelHostSource} under the `qemu` observability profile, paced at real time by the clock
 * the shell injects, and hands out snapshots as a real host of that profile reports them
 * (src/main/host/as-reported.ts): truth neutral (phase '', latencies 0, score and work rate 0,
 * queue waiting time 0, VM load 0), and only what a stock QEMU host measures, shaped as the qemu
 * driver sends it — a core's non-guest busy time as `io` (no exit, empty-poll or context-switch
 * cycles), a side core's busy time as its work (no loops, no empty polls), no kicks, polls,
 * pending or exits. The console then sees exactly what it would see of a real host.
 *
 * Time: a snapshot's t is ms of wall time since the driver started, as a real driver's. The model
 * is paced at real time, but when the machine cannot keep up it forgets the backlog (model-source.ts)
 * and its simulated time falls behind; the time it forgot is added to t, so t stays the wall time
 * (review 8: a loaded agent's 140.6 s recorded as 132.2 s), its snapshots at most about a second
 * late. The interval stays the simulated one.
 *
 * --dry-run: each action is checked and decided as the model would take it (modelConfigAfter),
 * logged, and not applied: the model runs on as it is. As the qemu driver's dry run
 * (src/main/host/dry-run.ts), config() shows the decided configuration, so the loop settles, and
 * snapshots measure the model as it runs, laid out as decided.
 */
import { copyConfig, type ControlAction, type ControlResult, type HostConfig, type HostInfo, type KnobAction } from '../shared/control.ts';
import type { HostSnapshot } from '../shared/snapshot.ts';
import { observabilityOf } from '../shared/observe.ts';
import type { HostSource, HostSourceCapabilities } from '../main/host/source.ts';
import { ModelHostSource } from '../main/host/model-source.ts';
import { dryRunSnapshot } from '../main/host/dry-run.ts';
import { asReported } from '../main/host/as-reported.ts';
import { modelConfigAfter } from '../main/model/model-control.ts';
import { loadScenario } from '../main/scenario/index.ts';
import type { DriverOptions } from './drivers.ts';

/**
 * How late the model's snapshots may be before it forgets the backlog instead of sending it in a
 * burst (whatever the interval): a real host does not catch up either, and a console takes a
 * session that stays 2 s behind its clock for a sign of a slow agent clock (src/main/services/agent-host.ts).
 */
const MAX_LATE_MS = 1000;

/** The model as an agent's host: see the file comment. */
export class ModelDriverSource implements HostSource {
  readonly kind = 'model' as const;
  private readonly model: ModelHostSource;
  private readonly timer: unknown;
  private readonly subs = new Set<(s: HostSnapshot) => void>();
  private closed = false;
  /** --dry-run: the configuration decided so far (the model keeps its own); null otherwise. */
  private decided: HostConfig | null = null;

  constructor(private readonly o: DriverOptions & { scenarioName: string }) {
    const scenario = loadScenario(o.scenarioName);
    this.model = new ModelHostSource({ scenario, seed: o.seed ?? 1, speed: 1, intervalMs: o.intervalMs ?? 100, observe: 'qemu', now: () => o.clock.now(), maxLateMs: MAX_LATE_MS });
    if (o.dryRun) this.decided = this.model.config();
    const reports = this.model.info().observability ?? observabilityOf('qemu');
    this.model.onSnapshot((s) => {
      const shaped = asReported(this.decided ? dryRunSnapshot(s, this.decided) : s, reports);
      const skipped = this.model.skippedMs;
      const n = skipped > 0 ? { ...shaped, t: shaped.t + skipped } : shaped;
      for (const cb of [...this.subs]) cb(n);
    });
    this.timer = o.clock.setInterval(() => this.model.tick(), 25);
  }

  info(): HostInfo {
    return this.model.info();
  }

  capabilities(): HostSourceCapabilities {
    // Through the agent the model is a host like any other: no pacing, seed or scenario control.
    return { pacing: false, seed: false, scenario: false, whatIf: true };
  }

  /** The configuration in force; in a dry run, the one decided (see the file comment). */
  config(): HostConfig {
    return this.decided ? copyConfig(this.decided) : this.model.config();
  }

  /** The model's own configuration: config() but in a dry run, where the model keeps it. */
  modelConfig(): HostConfig {
    return this.model.config();
  }

  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    this.subs.add(cb);
    return () => this.subs.delete(cb);
  }

  applyNow(action: ControlAction | KnobAction): ControlResult {
    if (this.closed) return { ok: false, error: 'the host is closed' };
    if (this.decided) {
      const r = modelConfigAfter(this.decided, action);
      if (!r.ok) return r;
      this.decided = r.config;
      this.o.log(`dry run: would apply ${JSON.stringify(action)}`);
      return { ok: true, costCycles: 0 };
    }
    return this.model.applyNow(action);
  }

  apply(action: ControlAction | KnobAction): Promise<ControlResult> {
    return Promise.resolve(this.applyNow(action));
  }

  /** Drive the model by hand (tests with a manual clock). */
  tick(): void {
    this.model.tick();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.o.clock.clearInterval(this.timer);
    this.subs.clear();
    await this.model.close();
  }
}

/** Factory of the `model` driver. A bad scenario is a UsageError naming it. */
export async function createModelDriver(o: DriverOptions): Promise<HostSource> {
  return new ModelDriverSource({ ...o, scenarioName: o.scenario ?? 'default' });
}
