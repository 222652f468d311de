/**
 * The live session: the IOcm loop over any {@link HostSource}. It feeds every snapshot the source
 * reports to the loop (which hands policies only the observed fields the source declares), applies
 * the loop's actions through the source, and collects snapshots and events into TelemetryBatches
 * for the console and history. Host-agnostic: the paced model and the agent client are sources.
 */
import type { ControlAction, ControlResult, HostConfig, HostControl, KnobAction } from '../../shared/control.ts';
import type { ConfigError, HostEvent, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig, SafetyLimits, TelemetryBatch } from '../../shared/policy.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import { policyConfigForHost } from '../policy/registry.ts';
import { IocmLoop } from './loop.ts';
import type { HostSource } from '../host/source.ts';

/** Loop settings of a session. */
export interface SessionOptions {
  policy?: string;
  policyConfig?: PolicyConfig;
  epochMs?: number;
  limits?: Partial<SafetyLimits>;
}

/**
 * The loop's HostControl over a source: synchronous where the source can apply at once (the
 * model); otherwise the action is sent, taken as applied, and a refusal in the acknowledgement
 * becomes an error event (the next epoch sees the host's real configuration).
 */
class SourceControl implements HostControl {
  constructor(
    private readonly source: HostSource,
    private readonly onRefused: (a: ControlAction | KnobAction, error: string) => void,
  ) {}

  config(): HostConfig {
    return this.source.config();
  }

  apply(a: ControlAction | KnobAction): ControlResult {
    if (this.source.applyNow) return this.source.applyNow(a);
    this.source.apply(a).then(
      (r) => {
        if (!r.ok) this.onRefused(a, r.error);
      },
      (err: unknown) => this.onRefused(a, (err as Error).message),
    );
    return { ok: true, costCycles: 0 };
  }
}

/** The IOcm loop over a host source; see the file comment. */
export class LiveSession {
  readonly source: HostSource;
  private readonly loop: IocmLoop;
  private pending: HostSnapshot[] = [];
  private lateEvents: HostEvent[] = [];
  private readonly unsubscribe: () => void;
  private nowT = 0;

  constructor(source: HostSource, opts: SessionOptions = {}) {
    this.source = source;
    const info = source.info();
    const control = new SourceControl(source, (a, error) => {
      this.lateEvents.push({ t: this.nowT, source: 'system', kind: 'error', message: `${a.kind} refused by the host: ${error}`, data: { action: a, ok: false, error } });
    });
    // Policies resolved for this host: on a real OVS-DPDK host `ovs-auto-lb` is OVS's own behaviour.
    const policy = opts.policy ?? 'iocm';
    this.loop = new IocmLoop({ control, policy, config: policyConfigForHost(policy, opts.policyConfig ?? {}, info), epochMs: opts.epochMs, limits: opts.limits, observability: info.observability, groups: info.groups });
    // The epoch at t = 0: a static policy configures the host before the first interval, as in `iocm simulate`.
    this.loop.start();
    this.unsubscribe = source.onSnapshot((s) => {
      this.nowT = s.t;
      this.loop.onSnapshot(s);
      this.pending.push(s);
    });
  }

  /** The loop's status, naming the source. */
  status(): LoopStatus {
    const info = this.source.info();
    return { ...this.loop.status(), source: { kind: this.source.kind, name: info.name } };
  }

  /** Snapshots and events since the last batch (null when there is nothing). */
  takeBatch(): TelemetryBatch | null {
    const events = this.loop.drainEvents();
    if (this.lateEvents.length > 0) {
      events.push(...this.lateEvents);
      this.lateEvents = [];
    }
    if (this.pending.length === 0 && events.length === 0) return null;
    const b: TelemetryBatch = { snapshots: this.pending, events, status: this.status() };
    this.pending = [];
    return b;
  }

  override(cmd: OverrideCommand): OverrideResult {
    return this.loop.override(cmd, this.nowT);
  }

  setPolicy(name: string, config: PolicyConfig): ConfigError[] {
    let cfg = config;
    try {
      cfg = policyConfigForHost(name, config, this.source.info());
    } catch {
      /* an unknown name: the loop refuses it with its own error */
    }
    return this.loop.setPolicy(name, cfg, this.nowT);
  }

  setLimits(limits: Partial<SafetyLimits>): ConfigError[] {
    return this.loop.setLimits(limits, this.nowT);
  }

  /** Stop feeding the loop and close the source. */
  async close(): Promise<void> {
    this.unsubscribe();
    await this.source.close();
  }
}
