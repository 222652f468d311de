/**
 * The IOcm loop: every epoch it runs the selected policy on the recent
 * snapshots, enforces operator overrides and safety limits, and applies the
 * resulting actions through HostControl only. Every decision that is not a
 * quiet 'stay', every override and every control change becomes a HostEvent.
 *
 * Deterministic: time comes only from the snapshots (`t`), never a clock.
 */
import type { ControlAction, ControlSource, HostConfig, HostControl, KnobAction } from '../../shared/control.ts';
import type {
  AuditEventData,
  ConfigError,
  DecisionEventData,
  HostEvent,
  LoopStatus,
  OverrideCommand,
  OverrideResult,
  Overrides,
  PolicyConfig,
  PolicyDecision,
  SafetyLimits,
} from '../../shared/policy.ts';
import type { ObjectiveGroup } from '../../shared/objective.ts';
import { DEFAULT_PROFILE, observabilityOf, observe, type Observability, type ObservedSnapshot } from '../../shared/observe.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import { chooseSideCores, countBounds, sameSet } from '../policy/helpers.ts';
import { PolicyConfigError, resolvePolicyForHost } from '../policy/registry.ts';
import type { Policy } from '../policy/types.ts';
import { plural } from '../../shared/words.ts';

/** Default safety limits for a host with `cores` cores. */
export function defaultLimits(cores: number): SafetyLimits {
  return { minVmCores: 1, maxSideCores: Math.max(0, cores - 1), minChangeIntervalMs: 100 };
}

/** Options of an {@link IocmLoop}. */
export interface LoopOptions {
  control: HostControl;
  /** Policy spec, e.g. 'iocm' or 'static:2'. */
  policy: string;
  config?: PolicyConfig;
  /** Epoch length in ms (default 100). Snapshots arriving faster are windowed; the policy runs once per epoch. */
  epochMs?: number;
  limits?: Partial<SafetyLimits>;
  overrides?: Partial<Overrides>;
  /** Snapshots kept for the policy's window (default 64). */
  windowSize?: number;
  /**
   * Near-miss 'stay' decisions become events at most once per this many ms (default 1000), except
   * a stay that says something new ({@link stayGist} differs from the last emitted stay's, the first
   * stay after another decision included): up to {@link STAY_NEWS_MAX} of those more per window.
   */
  stayEventMinMs?: number;
  /** Called with each event as it happens (besides {@link IocmLoop.drainEvents}). */
  onEvent?: (e: HostEvent) => void;
  /** What the host's source reports (default: the `qemu` profile). Policies see only these fields. */
  observability?: Observability;
  /** VM groups with weights and workload classes, for the observed objective (HostInfo.groups). */
  groups?: readonly ObjectiveGroup[];
}

/** A decision as reported in `iocm simulate --json` (`decisions`). */
export interface DecisionRecord {
  t: number;
  kind: PolicyDecision['kind'];
  actions: ControlAction[];
  reason: string;
}

function describeAction(a: ControlAction): string {
  switch (a.kind) {
    case 'setSideCores':
      return a.cores.length === 0 ? 'side cores → none (vhost)' : `side cores → [${a.cores.join(',')}]`;
    case 'assignQueue':
      return `queue ${a.queue} → core ${a.core}`;
    case 'setPolling':
      return `queue ${a.queue} polling ${a.on ? 'on' : 'off'}`;
  }
}

/** The IOcm loop. See the file comment. */
export class IocmLoop {
  private readonly control: HostControl;
  private readonly cores: number;
  private policy: Policy;
  private policyState: unknown;
  private readonly epochMs: number;
  private readonly windowSize: number;
  private readonly stayEventMinMs: number;
  private readonly onEvent?: (e: HostEvent) => void;
  private limitsV: SafetyLimits;
  private ov: Overrides;
  private readonly window: ObservedSnapshot[] = [];
  private readonly obs: Observability;
  private readonly groups: readonly ObjectiveGroup[];
  private started = false;
  /** The manager's own CPU is charged to the host (adaptive policies; src/shared/control.ts setManager). */
  private managerOn = false;
  private events: HostEvent[] = [];
  private readonly decisionLog: DecisionRecord[] = [];
  private epoch = 0;
  private lastEpochT = -Infinity;
  private lastSetChangeT = -Infinity;
  private lastStayEventT = -Infinity;
  /** The last emitted stay's gist (null: no stay emitted since the last other decision). */
  private lastStayGist: string | null = null;
  /** Stays emitted inside the current rate window because they said something new. */
  private stayNews = 0;
  /** The latest stay that said something, emitted or not (null once another decision follows). */
  private lastStay: (PolicyDecision & { t: number }) | null = null;
  private lastDecision: (PolicyDecision & { t: number }) | null = null;
  private changes = 0;
  private nowT = 0;
  private lastPhase: string | null = null;

  constructor(opts: LoopOptions) {
    this.control = opts.control;
    this.cores = opts.control.config().cores;
    this.policy = policyForHost(opts.policy, this.cores, opts.config ?? {});
    this.policyState = this.policy.init(this.control.config());
    this.epochMs = opts.epochMs ?? 100;
    if (!(this.epochMs > 0)) throw new PolicyConfigError(`epochMs must be > 0 (got ${opts.epochMs})`, [{ field: 'epochMs', message: 'must be > 0' }]);
    this.windowSize = Math.max(2, opts.windowSize ?? 64);
    this.stayEventMinMs = opts.stayEventMinMs ?? 1000;
    this.onEvent = opts.onEvent;
    const lim = { ...defaultLimits(this.cores), ...(opts.limits ?? {}) };
    const limErr = validateLimits(lim, this.cores);
    if (limErr.length > 0) throw new PolicyConfigError(`invalid safety limits: ${limErr.map((e) => `${e.field}: ${e.message}`).join('; ')}`, limErr);
    this.limitsV = lim;
    this.ov = { pinned: [], released: [], countLock: null, paused: false, ...(opts.overrides ?? {}) };
    this.obs = opts.observability ?? observabilityOf(DEFAULT_PROFILE);
    this.groups = opts.groups ?? [];
  }

  /** What the policies see of the host (a copy). */
  get observability(): Observability {
    return { profile: this.obs.profile, reports: { ...this.obs.reports } };
  }

  /**
   * The epoch at t = 0, before the first interval, with an empty window: a static policy
   * configures the host here. Runs once; `onSnapshot` runs it first if nobody did.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.syncManager();
    this.lastEpochT = 0;
    this.runEpoch(0);
  }

  /**
   * An adaptive policy is a manager that runs on the host: its CPU (the host's managerUsPerSecond,
   * SidecoreM's 2.8 ms/s) is charged while it runs; a static configuration needs no manager. A host
   * that refuses the accounting action (a real one: its CPU is real) is left as it is.
   */
  private syncManager(): void {
    const want = !isStaticPolicy(this.policy.name);
    if (want === this.managerOn) return;
    if (this.control.apply({ kind: 'setManager', on: want }).ok) this.managerOn = want;
  }

  /** Policy name in force, e.g. 'static:2'. */
  get policyName(): string {
    return this.policy.name;
  }

  /** Current overrides (a copy). */
  get overrides(): Overrides {
    return { pinned: [...this.ov.pinned], released: [...this.ov.released], countLock: this.ov.countLock ? [this.ov.countLock[0], this.ov.countLock[1]] : null, paused: this.ov.paused };
  }

  /** Current safety limits (a copy). */
  get limits(): SafetyLimits {
    return { ...this.limitsV };
  }

  /** Non-quiet decisions so far (for `simulate --json`). */
  get decisions(): readonly DecisionRecord[] {
    return this.decisionLog;
  }

  /** Take the events produced since the last call. */
  drainEvents(): HostEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  private emit(e: HostEvent): void {
    this.events.push(e);
    this.onEvent?.(e);
  }

  /** Feed one snapshot; runs an epoch when `epochMs` has elapsed since the last one. */
  onSnapshot(s: HostSnapshot): void {
    if (!this.started) this.start();
    this.nowT = s.t;
    // The policy's view: observed fields the source reports, nothing the model alone knows.
    this.window.push(observe(s, this.obs));
    if (this.window.length > this.windowSize) this.window.shift();
    if (this.lastPhase !== null && s.phase !== this.lastPhase) {
      this.emit({ t: s.t, source: 'system', kind: 'phase', message: `phase '${this.lastPhase}' → '${s.phase}'`, data: { from: this.lastPhase, to: s.phase } });
    }
    this.lastPhase = s.phase;
    if (s.t - this.lastEpochT + 1e-9 < this.epochMs) return;
    this.lastEpochT = s.t;
    this.runEpoch(s.t);
  }

  private runEpoch(t: number): void {
    // Overrides first: whatever the policy does, pins, releases and locks hold.
    this.enforceOverrides(t);
    if (this.ov.paused) {
      this.epoch++;
      return;
    }
    const host = this.control.config();
    const out = this.policy.decide(this.policyState, {
      t,
      epoch: this.epoch++,
      window: this.window,
      observability: this.obs,
      groups: this.groups,
      host,
      overrides: this.ov,
      limits: this.limitsV,
    });
    this.policyState = out.state;
    const d = out.decision;
    if (d.knobs) for (const k of d.knobs) this.applyKnob(k, t);
    if (d.actions.length === 0) {
      if (d.kind !== 'stay' || d.reason) this.recordDecision(t, d, [], undefined);
      return;
    }
    const { actions, limited } = this.limit(d.actions, host, t, 'policy');
    const applied = this.applyAll(actions, 'policy', t);
    const kind = applied.length === 0 && d.actions.length > 0 ? 'blocked' : d.kind;
    this.recordDecision(t, { ...d, kind }, applied, limited);
  }

  private recordDecision(t: number, d: PolicyDecision, applied: ControlAction[], limited: string | undefined): void {
    const quietStay = d.kind === 'stay';
    if (quietStay) {
      this.lastStay = { ...d, t };
      const gist = stayGist(d.reason);
      if (t - this.lastStayEventT >= this.stayEventMinMs) {
        this.lastStayEventT = t;
        this.stayNews = 0;
      } else if (gist !== this.lastStayGist && this.stayNews < STAY_NEWS_MAX) {
        // Something new inside the window ("settled on 3" right after "measuring"): it is the
        // policy's latest word, so it is not dropped; repeats of the same words are.
        this.stayNews++;
      } else return;
      this.lastStayGist = gist;
    } else {
      this.lastStayGist = null;
      this.lastStay = null;
      this.lastDecision = { ...d, t };
      this.decisionLog.push({ t, kind: d.kind, actions: applied, reason: limited ? `${d.reason} [${limited}]` : d.reason });
    }
    const data: DecisionEventData = { policy: this.policy.name, decision: d, applied, ...(limited ? { limited } : {}) };
    this.emit({ t, source: 'policy', kind: 'decision', message: `${d.kind}: ${d.reason}${limited ? ` [${limited}]` : ''}`, data: data as unknown as Record<string, unknown> });
  }

  /** The side-core set `cores` made to respect overrides and limits. */
  private legalSet(cores: readonly number[], host: HostConfig): number[] {
    const b = countBounds(this.cores, this.ov, this.limitsV);
    const released = new Set(this.ov.released);
    const set = new Set<number>();
    for (const c of this.ov.pinned) set.add(c);
    for (const c of cores) if (Number.isInteger(c) && c >= 0 && c < this.cores && !released.has(c)) set.add(c);
    let list = [...set];
    if (list.length > b.max) {
      // Drop non-pinned cores: those not currently side cores first, then the lowest ids.
      const pinned = new Set(this.ov.pinned);
      const cur = new Set(host.sideCores);
      const drop = list.filter((c) => !pinned.has(c)).sort((a, b2) => Number(cur.has(a)) - Number(cur.has(b2)) || a - b2);
      const remove = new Set(drop.slice(0, list.length - b.max));
      list = list.filter((c) => !remove.has(c));
    }
    if (list.length < b.min) list = chooseSideCores(b.min, { ...host, sideCores: list }, this.ov);
    return list.sort((a, b2) => a - b2);
  }

  /** Apply overrides and limits to a list of actions. */
  private limit(actions: ControlAction[], host: HostConfig, t: number, source: ControlSource): { actions: ControlAction[]; limited?: string } {
    const out: ControlAction[] = [];
    const notes: string[] = [];
    let side = new Set(host.sideCores);
    for (const a of actions) {
      if (a.kind === 'setSideCores') {
        const legal = this.legalSet(a.cores, host);
        if (!sameSet(legal, a.cores)) notes.push(`side cores [${a.cores.join(',')}] → [${legal.join(',')}] by overrides/limits`);
        if (sameSet(legal, [...side])) continue;
        if (source === 'policy' && t - this.lastSetChangeT < this.limitsV.minChangeIntervalMs) {
          notes.push(`rate limit: last side-core change ${t - this.lastSetChangeT} ms ago (< ${this.limitsV.minChangeIntervalMs} ms)`);
          return { actions: [], limited: notes.join('; ') };
        }
        out.push({ kind: 'setSideCores', cores: legal });
        side = new Set(legal);
      } else if (a.kind === 'assignQueue') {
        if (!side.has(a.core)) {
          notes.push(`queue ${a.queue} not moved to core ${a.core} (not a side core)`);
          continue;
        }
        out.push(a);
      } else {
        out.push(a);
      }
    }
    return { actions: out, limited: notes.length > 0 ? notes.join('; ') : undefined };
  }

  /** Apply actions through HostControl, auditing each; then re-home orphaned queues. */
  private applyAll(actions: ControlAction[], source: ControlSource, t: number): ControlAction[] {
    const applied: ControlAction[] = [];
    let setChanged = false;
    // Track the host's queue state so assignments and polling switches that change nothing are skipped.
    let cfg: HostConfig | null = null;
    for (const a of actions) {
      if (a.kind !== 'setSideCores') {
        cfg ??= this.control.config();
        if (a.kind === 'assignQueue' && cfg.queueOwner[a.queue] === a.core) continue;
        if (a.kind === 'setPolling' && cfg.queuePolling[a.queue] === a.on) continue;
      }
      if (this.applyOne(a, source, t)) {
        applied.push(a);
        if (a.kind === 'setSideCores') {
          setChanged = true;
          cfg = null;
        } else if (cfg) {
          if (a.kind === 'assignQueue') cfg.queueOwner[a.queue] = a.core;
          else cfg.queuePolling[a.queue] = a.on;
        }
      }
    }
    if (setChanged) this.lastSetChangeT = t;
    this.rehomeOrphans(t);
    return applied;
  }

  private applyOne(a: ControlAction, source: ControlSource, t: number): boolean {
    const r = this.control.apply(a);
    const data: AuditEventData = r.ok ? { action: a, ok: true, costCycles: r.costCycles } : { action: a, ok: false, error: r.error };
    if (r.ok) this.changes++;
    this.emit({ t, source, kind: r.ok ? 'audit' : 'error', message: r.ok ? describeAction(a) : `${describeAction(a)} refused: ${r.error}`, data: data as unknown as Record<string, unknown> });
    return r.ok;
  }

  /** Apply a policy's knob change (e.g. pmd-maxsleep) through HostControl, audited like an action. */
  private applyKnob(k: KnobAction, t: number): void {
    const r = this.control.apply(k);
    const data: AuditEventData = r.ok ? { action: k, ok: true, costCycles: r.costCycles } : { action: k, ok: false, error: r.error };
    if (r.ok) this.changes++;
    const what = k.kind === 'setPmdMaxSleep' ? `pmd-maxsleep → ${k.us} µs` : k.kind;
    this.emit({ t, source: 'policy', kind: r.ok ? 'audit' : 'error', message: r.ok ? what : `${what} refused: ${r.error}`, data: data as unknown as Record<string, unknown> });
  }

  /** Queues left on a core that is no longer a side core (or on none while side cores exist) go to the side core with the fewest queues. */
  private rehomeOrphans(t: number): void {
    const cfg = this.control.config();
    if (cfg.sideCores.length === 0) return;
    const count = new Map<number, number>();
    for (const c of cfg.sideCores) count.set(c, 0);
    const orphans: number[] = [];
    cfg.queueOwner.forEach((o, q) => {
      if (o !== null && count.has(o)) count.set(o, count.get(o)! + 1);
      else orphans.push(q);
    });
    for (const q of orphans) {
      let best = cfg.sideCores[0];
      for (const c of cfg.sideCores) if (count.get(c)! < count.get(best)!) best = c;
      if (this.applyOne({ kind: 'assignQueue', queue: q, core: best }, 'system', t)) count.set(best, count.get(best)! + 1);
      if (!cfg.queuePolling[q]) this.applyOne({ kind: 'setPolling', queue: q, on: true }, 'system', t);
    }
  }

  /** Make the host's side-core set respect pins, releases, the count lock and limits. */
  private enforceOverrides(t: number): void {
    const host = this.control.config();
    const legal = this.legalSet(host.sideCores, host);
    if (sameSet(legal, host.sideCores)) return;
    this.applyAll([{ kind: 'setSideCores', cores: legal }], 'operator', t);
  }

  /**
   * Apply an operator command. Valid commands are recorded and enforced at
   * once; refusals explain the limit in words. Both produce an 'override' event.
   */
  override(cmd: OverrideCommand, t: number = this.nowT): OverrideResult {
    const r = this.checkOverride(cmd);
    if (r.ok) {
      this.enforceOverrides(t);
    }
    this.emit({ t, source: 'operator', kind: 'override', message: r.ok ? r.message : `refused: ${r.error}`, data: { command: cmd, ok: r.ok, ...(r.ok ? {} : { error: r.error }) } });
    return r;
  }

  private maxCount(): number {
    return Math.min(this.limitsV.maxSideCores, this.cores - Math.max(1, this.limitsV.minVmCores));
  }

  private checkOverride(cmd: OverrideCommand): OverrideResult {
    const ov = this.ov;
    const inRange = (c: number): string | null => (Number.isInteger(c) && c >= 0 && c < this.cores ? null : `core ${c} does not exist (this host has cores 0–${this.cores - 1})`);
    const floor = Math.max(1, this.limitsV.minVmCores);
    switch (cmd.kind) {
      case 'pin': {
        const e = inRange(cmd.core);
        if (e) return { ok: false, error: e };
        if (ov.pinned.includes(cmd.core)) return { ok: true, message: `core ${cmd.core} is already pinned as a side core` };
        const n = ov.pinned.length + 1;
        if (n > this.cores - floor) return { ok: false, error: `cannot pin core ${cmd.core}: ${plural(n, 'pinned side core')} would leave ${plural(this.cores - n, 'VM core')}; at least ${floor} must remain (safety floor)` };
        if (n > this.limitsV.maxSideCores) return { ok: false, error: `cannot pin core ${cmd.core}: ${n} side cores exceed the maximum of ${this.limitsV.maxSideCores} (safety limit)` };
        if (ov.countLock && n > ov.countLock[1]) return { ok: false, error: `cannot pin core ${cmd.core}: the side-core count is locked to at most ${ov.countLock[1]}; widen or remove the lock first` };
        ov.released = ov.released.filter((c) => c !== cmd.core);
        ov.pinned = [...ov.pinned, cmd.core].sort((a, b) => a - b);
        return { ok: true, message: `pinned core ${cmd.core} as a side core` };
      }
      case 'release': {
        const e = inRange(cmd.core);
        if (e) return { ok: false, error: e };
        if (ov.released.includes(cmd.core)) return { ok: true, message: `core ${cmd.core} is already released to the VMs` };
        const eligible = this.cores - ov.released.length - 1;
        const min = ov.countLock ? ov.countLock[0] : 0;
        if (eligible < min) return { ok: false, error: `cannot release core ${cmd.core}: the side-core count is locked to at least ${min} and only ${plural(eligible, 'core')} would remain eligible` };
        ov.pinned = ov.pinned.filter((c) => c !== cmd.core);
        ov.released = [...ov.released, cmd.core].sort((a, b) => a - b);
        return { ok: true, message: `released core ${cmd.core} to the VMs` };
      }
      case 'clear': {
        const e = inRange(cmd.core);
        if (e) return { ok: false, error: e };
        const had = ov.pinned.includes(cmd.core) || ov.released.includes(cmd.core);
        ov.pinned = ov.pinned.filter((c) => c !== cmd.core);
        ov.released = ov.released.filter((c) => c !== cmd.core);
        return { ok: true, message: had ? `core ${cmd.core} is back under the policy's control` : `core ${cmd.core} had no override` };
      }
      case 'lockCount': {
        const { min, max } = cmd;
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0) return { ok: false, error: `the side-core count lock needs whole numbers min ≥ 0 and max (got ${min}..${max})` };
        if (min > max) return { ok: false, error: `the lock's minimum ${min} is above its maximum ${max}` };
        if (max > this.maxCount()) return { ok: false, error: `cannot lock up to ${plural(max, 'side core')}: at most ${plural(this.maxCount(), 'is', 'are')} allowed (at least ${plural(floor, 'VM core')} must remain; maximum ${plural(this.limitsV.maxSideCores, 'side core')})` };
        if (ov.pinned.length > max) return { ok: false, error: `${plural(ov.pinned.length, 'core is', 'cores are')} pinned as side cores, more than the lock's maximum ${max}; unpin some first` };
        if (min > this.cores - ov.released.length) return { ok: false, error: `${plural(ov.released.length, 'core is', 'cores are')} released to the VMs, so at most ${this.cores - ov.released.length} can be side cores (lock minimum ${min})` };
        ov.countLock = [min, max];
        return { ok: true, message: `side-core count locked to ${min === max ? `${min}` : `${min}–${max}`}` };
      }
      case 'unlockCount':
        ov.countLock = null;
        return { ok: true, message: 'side-core count unlocked' };
      case 'pause':
        ov.paused = true;
        return { ok: true, message: 'loop paused: the policy makes no changes until resumed (overrides still apply)' };
      case 'resume':
        ov.paused = false;
        return { ok: true, message: 'loop resumed' };
      default:
        return { ok: false, error: `unknown override '${(cmd as { kind: string }).kind}'` };
    }
  }

  /**
   * Switch policy (fresh state). Returns config errors naming the fields and
   * changes nothing when invalid.
   */
  setPolicy(spec: string, config: PolicyConfig = {}, t: number = this.nowT): ConfigError[] {
    let p: Policy;
    try {
      p = policyForHost(spec, this.cores, config);
    } catch (err) {
      const errors = err instanceof PolicyConfigError ? err.errors : [{ field: 'policy', message: (err as Error).message }];
      this.emit({ t, source: 'operator', kind: 'override', message: `refused policy '${spec}': ${(err as Error).message}`, data: { policy: spec, config, ok: false } });
      return errors;
    }
    this.policy = p;
    this.policyState = p.init(this.control.config());
    if (this.started) this.syncManager();
    this.emit({ t, source: 'operator', kind: 'override', message: `policy → ${p.name}`, data: { policy: p.name, config: p.config, ok: true } });
    return [];
  }

  /** Change safety limits (validated; errors name the field). */
  setLimits(limits: Partial<SafetyLimits>, t: number = this.nowT): ConfigError[] {
    const next = { ...this.limitsV, ...limits };
    const errors = validateLimits(next, this.cores);
    if (errors.length > 0) return errors;
    this.limitsV = next;
    this.emit({ t, source: 'operator', kind: 'override', message: `safety limits: ≥ ${next.minVmCores} VM cores, ≤ ${next.maxSideCores} side cores, ≥ ${next.minChangeIntervalMs} ms between changes`, data: { limits: next } });
    this.enforceOverrides(t);
    return [];
  }

  /** The loop's state for the console. */
  status(): LoopStatus {
    return {
      t: this.nowT,
      policy: this.policy.name,
      config: { ...this.policy.config },
      epochMs: this.epochMs,
      overrides: this.overrides,
      limits: this.limits,
      sideCores: [...this.control.config().sideCores],
      lastDecision: this.lastDecision,
      lastStay: this.lastStay,
      changes: this.changes,
    };
  }
}

/**
 * The policy a spec names, for a host of `cores` cores: the checks `iocm simulate` makes
 * ({@link resolvePolicyForHost}: a fixed count must leave a VM core), so every way a spec reaches a
 * loop (simulate, the serve flag, the console's setPolicy, an agent's --policy) accepts the same specs.
 */
function policyForHost(spec: string, cores: number, config: PolicyConfig): Policy {
  const r = resolvePolicyForHost(spec, cores, config);
  return r.entry.create(r.config);
}

/** Stays emitted inside one rate window beyond the first, because each said something new. */
export const STAY_NEWS_MAX = 3;

/**
 * What a stay's reason says, its numbers left out: "measuring 3 of 5" and "measuring 4 of 5" say the
 * same, so a policy that writes a new number into its reason every epoch stays rate-limited.
 */
export function stayGist(reason: string): string {
  return reason.replace(/\d+(?:[.,]\d+)*/g, '#');
}

/** True for the static policies (vhost, static:K): they configure once and need no manager. */
export function isStaticPolicy(name: string): boolean {
  return name === 'vhost' || /^static:\d+$/.test(name);
}

/** Validate safety limits for a host of `cores` cores. */
export function validateLimits(l: SafetyLimits, cores: number): ConfigError[] {
  const e: ConfigError[] = [];
  if (!Number.isInteger(l.minVmCores) || l.minVmCores < 1) e.push({ field: 'minVmCores', message: `at least 1 VM core must remain (got ${l.minVmCores})` });
  else if (l.minVmCores > cores) e.push({ field: 'minVmCores', message: `the host has only ${cores} cores (got ${l.minVmCores})` });
  if (!Number.isInteger(l.maxSideCores) || l.maxSideCores < 0) e.push({ field: 'maxSideCores', message: `must be a whole number ≥ 0 (got ${l.maxSideCores})` });
  if (!Number.isFinite(l.minChangeIntervalMs) || l.minChangeIntervalMs < 0) e.push({ field: 'minChangeIntervalMs', message: `must be ≥ 0 ms (got ${l.minChangeIntervalMs})` });
  return e;
}
