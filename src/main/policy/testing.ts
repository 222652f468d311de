/**
 * Synthetic hosts for policy/loop tests and the loop benchmark: a snapshot
 * builder with controllable side-core load, VM idle and per-queue work, and a
 * minimal in-memory HostControl that validates like the model does. Not a
 * host model: it produces the numbers it is told to.
 *
 * Snapshots are full {@link HostSnapshot}s (truth fields included, as the model
 * produces them); a policy is handed their observed view only, built with
 * {@link observe} under a profile ({@link PolicyHarness}), as the loop does.
 */
import type { ControlAction, ControlResult, HostConfig, HostControl, KnobAction } from '../../shared/control.ts';
import { OBSERVABILITY_PROFILES, TRUTH_KEYS, observabilityOf, observe, type Observability, type ObservabilityProfile, type ObservedFieldFlags, type ObservedSnapshot } from '../../shared/observe.ts';
import type { ObjectiveGroup } from '../../shared/objective.ts';
import type { Overrides, SafetyLimits } from '../../shared/policy.ts';
import type { CoreCycles, HostSnapshot } from '../../shared/snapshot.ts';
import type { Policy, PolicyInput, PolicyStep } from './types.ts';

/** What a synthetic snapshot should show. */
export interface SyntheticLoad {
  /** Per-queue work in cores (fraction of one core's epoch cycles). Length = queue count. */
  queueWork: number[];
  /** Idle fraction of each VM core (default 0.5). */
  vmIdleFrac?: number;
  /** Bytes per request (default 1500). */
  bytesPerRequest?: number;
  /** Score to report (default 1000). */
  score?: number;
  /** Work cycles per request (default 5000). */
  cyclesPerRequest?: number;
  /** Phase name (default 'p'). */
  phase?: string;
  /** Number of VMs to report (default 0), in groups of 8 named g0, g1, …; queue i belongs to VM i mod vms. */
  vms?: number;
  /** Offered load multiplier reported for every VM (default 1). */
  load?: number;
  /** Requests each queue completes in the interval (default: its work cycles / cyclesPerRequest). */
  requests?: number;
  /** vCPU run time of each VM as a fraction of one core (default 0.5). */
  vcpuRun?: number;
  /** vCPU wait time of each VM as a fraction of one core (default 0). */
  vcpuWait?: number;
}

const zeroCycles = (): CoreCycles => ({ guest: 0, exit: 0, io: 0, emptyPoll: 0, ctxSwitch: 0, idle: 0 });

/**
 * Build a snapshot of `config` carrying `load`: queue work lands on the
 * queue's side core (capped at a full core, excess pending) or, in vhost mode,
 * on VM cores as vhost I/O.
 */
export function syntheticSnapshot(config: HostConfig, load: SyntheticLoad, seq: number, intervalMs = 100, hz = 2e9): HostSnapshot {
  const ec = (hz * intervalMs) / 1000;
  const side = new Set(config.sideCores);
  const sideWork = new Map<number, number>();
  for (const c of config.sideCores) sideWork.set(c, 0);
  const bpr = load.bytesPerRequest ?? 1500;
  const cpr = load.cyclesPerRequest ?? 5000;
  const queues = load.queueWork.map((w, id) => {
    const owner = config.queueOwner[id] ?? null;
    const cyc = w * ec;
    if (owner !== null && side.has(owner)) sideWork.set(owner, sideWork.get(owner)! + cyc);
    const requests = load.requests ?? Math.floor(cyc / cpr);
    return {
      id,
      vm: id,
      device: 0,
      kind: 'net' as const,
      owner,
      polling: config.queuePolling[id] ?? false,
      kicks: owner === null ? requests : 0,
      polls: requests,
      emptyPolls: 0,
      requests,
      bytes: requests * bpr,
      pending: 0,
      waitCycles: requests * 1000,
      interrupts: requests,
      workCycles: cyc,
    };
  });
  let vhostIo = 0;
  for (const q of queues) if (q.owner === null || !side.has(q.owner)) vhostIo += q.workCycles;
  const vmCoreIds: number[] = [];
  for (let c = 0; c < config.cores; c++) if (!side.has(c)) vmCoreIds.push(c);
  const idleFrac = load.vmIdleFrac ?? 0.5;
  const cores = [];
  for (let c = 0; c < config.cores; c++) {
    const cy = zeroCycles();
    if (side.has(c)) {
      const w = Math.min(ec, sideWork.get(c)!);
      sideWork.set(c, w);
      cy.io = w;
      cy.emptyPoll = ec - w;
    } else {
      const io = Math.min(vhostIo / Math.max(1, vmCoreIds.length), ec * (1 - idleFrac));
      cy.io = io;
      cy.idle = ec * idleFrac;
      cy.guest = ec - cy.idle - io;
    }
    cores.push({ id: c, role: side.has(c) ? ('side' as const) : ('vm' as const), cycles: cy });
  }
  const sideCores = config.sideCores.map((c) => ({
    coreId: c,
    loops: 1000,
    workCycles: sideWork.get(c)!,
    emptyPolls: 10,
    emptyPollCycles: ec - sideWork.get(c)!,
    queues: queues.filter((q) => q.owner === c).map((q) => q.id),
  }));
  const total = zeroCycles();
  for (const c of cores) for (const k of Object.keys(total) as (keyof CoreCycles)[]) total[k] += c.cycles[k];
  const lat = { p50: 50, p99: 200, p999: 400 };
  return {
    seq,
    t: (seq + 1) * intervalMs,
    intervalMs,
    hz,
    phase: load.phase ?? 'p',
    cores,
    sideCores,
    queues,
    vms: Array.from({ length: load.vms ?? 0 }, (_, id) => ({
      id,
      name: `vm-${id}`,
      group: `g${id >> 3}`,
      requestsPerSec: 1000,
      bytesPerSec: 1e6,
      guestCyclesPerSec: 1e9,
      latencyUs: lat,
      exitsPerSec: 100,
      interruptsPerSec: 100,
      vcpuRunCycles: ec * (load.vcpuRun ?? 0.5),
      vcpuWaitCycles: ec * (load.vcpuWait ?? 0),
      load: load.load ?? 1,
    })),
    groups: [],
    totals: {
      requestsPerSec: 0,
      bytesPerSec: 0,
      exitsPerSec: 0,
      interruptsPerSec: 0,
      ctxSwitchesPerSec: 0,
      sideCores: config.sideCores.length,
      score: load.score ?? 1000,
      latencyUs: lat,
      cycles: total,
    },
  };
}

/** An in-memory HostControl with model-like validation; records every applied action. */
export class FakeControl implements HostControl {
  private cfg: HostConfig;
  readonly applied: ControlAction[] = [];
  constructor(cores: number, queues: number) {
    this.cfg = { cores, sideCores: [], queueOwner: new Array(queues).fill(null), queuePolling: new Array(queues).fill(false) };
  }
  config(): HostConfig {
    return { cores: this.cfg.cores, sideCores: [...this.cfg.sideCores], queueOwner: [...this.cfg.queueOwner], queuePolling: [...this.cfg.queuePolling] };
  }
  apply(a: ControlAction | KnobAction): ControlResult {
    // Knobs (polling windows, sleep, the manager's CPU) have no effect on this synthetic host.
    if (a.kind !== 'setSideCores' && a.kind !== 'assignQueue' && a.kind !== 'setPolling') return { ok: true, costCycles: 0 };
    if (a.kind === 'setSideCores') {
      const set = [...new Set(a.cores)].sort((x, y) => x - y);
      if (set.some((c) => !Number.isInteger(c) || c < 0 || c >= this.cfg.cores)) return { ok: false, error: 'no such core' };
      if (set.length >= this.cfg.cores) return { ok: false, error: 'at least one VM core must remain' };
      this.cfg.sideCores = set;
      const s = new Set(set);
      this.cfg.queueOwner = this.cfg.queueOwner.map((o) => (o !== null && s.has(o) ? o : null));
      if (set.length === 0) this.cfg.queuePolling = this.cfg.queuePolling.map(() => false);
    } else if (a.kind === 'assignQueue') {
      if (!this.cfg.sideCores.includes(a.core)) return { ok: false, error: `core ${a.core} is not a side core` };
      if (a.queue < 0 || a.queue >= this.cfg.queueOwner.length) return { ok: false, error: 'no such queue' };
      this.cfg.queueOwner[a.queue] = a.core;
    } else {
      if (a.queue < 0 || a.queue >= this.cfg.queueOwner.length) return { ok: false, error: 'no such queue' };
      this.cfg.queuePolling[a.queue] = a.on;
    }
    this.applied.push(a);
    return { ok: true, costCycles: 0 };
  }
}

/** The observed views of `window` under `profile`: what the loop hands a policy. */
export function observedWindow(window: readonly HostSnapshot[], profile: ObservabilityProfile): ObservedSnapshot[] {
  const obs = observabilityOf(profile);
  return window.map((s) => observe(s, obs));
}

/** Options of a {@link PolicyHarness}. */
export interface HarnessOptions {
  /** What the policy sees (default 'qemu', the model's default). */
  profile?: ObservabilityProfile;
  /** VM groups for the observed objective (default none: every VM counts its requests, weight 1). */
  groups?: readonly ObjectiveGroup[];
  /** Snapshots kept in the window (default 64, as the loop). */
  windowSize?: number;
  limits?: SafetyLimits;
  overrides?: Overrides;
}

/**
 * Drives one policy on a {@link FakeControl} like the loop does, without the loop's overrides
 * logic: each epoch takes a full HostSnapshot of the current config, appends its observed view
 * (under the profile) to the window, runs `decide` and applies the actions.
 */
export class PolicyHarness<S> {
  readonly profile: ObservabilityProfile;
  readonly window: ObservedSnapshot[] = [];
  state: S;
  epoch = 0;
  private readonly obs: Observability;
  private readonly size: number;
  constructor(
    readonly policy: Policy<S>,
    readonly host: FakeControl,
    private readonly opts: HarnessOptions = {},
  ) {
    this.profile = opts.profile ?? 'qemu';
    this.obs = observabilityOf(this.profile);
    this.size = opts.windowSize ?? 64;
    this.state = policy.init(host.config());
  }

  /** One epoch on `snapshot` (built from {@link FakeControl.config}); returns the step after applying its actions. */
  step(snapshot: HostSnapshot, overrides?: Overrides): PolicyStep<S> {
    this.window.push(observe(snapshot, this.obs));
    if (this.window.length > this.size) this.window.shift();
    const r = this.policy.decide(this.state, this.input(snapshot.t, overrides));
    this.state = r.state;
    for (const a of r.decision.actions) {
      const res = this.host.apply(a);
      if (!res.ok) throw new Error(`policy ${this.policy.name} asked for an invalid action ${JSON.stringify(a)}: ${res.error}`);
    }
    return r;
  }

  /** The input of the next epoch at time `t` (the loop's view). */
  input(t: number, overrides?: Overrides): PolicyInput {
    return {
      t,
      epoch: this.epoch++,
      window: this.window,
      observability: this.obs,
      groups: this.opts.groups ?? [],
      host: this.host.config(),
      overrides: overrides ?? this.opts.overrides ?? { pinned: [], released: [], countLock: null, paused: false },
      limits: this.opts.limits ?? { minVmCores: 1, maxSideCores: this.host.config().cores - 1, minChangeIntervalMs: 0 },
    };
  }
}

// ---------------------------------------------------------------- truth checks (tests of issue 8)

const TRUTH = new Set(TRUTH_KEYS);

type View = ObservedSnapshot;

/** The keys an observed view may have, per level (src/shared/observe.ts). */
const ALLOWED: Record<'snapshot' | 'core' | 'cycles' | 'sideCore' | 'queue' | 'vm' | 'totals', string[]> = {
  snapshot: ['seq', 't', 'intervalMs', 'hz', 'cores', 'sideCores', 'queues', 'vms', 'totals'],
  core: ['id', 'role', 'cycles'],
  cycles: ['busy', 'idle', 'guest', 'exit', 'io', 'emptyPoll', 'ctxSwitch'],
  sideCore: ['coreId', 'queues', 'busyCycles', 'workCycles', 'emptyPollCycles', 'emptyPolls', 'loops'],
  queue: ['id', 'vm', 'device', 'kind', 'owner', 'polling', 'requests', 'bytes', 'workCycles', 'threadCycles', 'kicks', 'interrupts', 'polls', 'emptyPolls', 'pending'],
  vm: ['id', 'name', 'group', 'requestsPerSec', 'bytesPerSec', 'vcpuRunCycles', 'vcpuWaitCycles', 'exitsPerSec', 'interruptsPerSec'],
  totals: ['requestsPerSec', 'bytesPerSec', 'ctxSwitchesPerSec', 'sideCores', 'exitsPerSec', 'interruptsPerSec'],
};

/** Optional observed fields by flag: where they live and their keys. */
const OPTIONAL: Record<keyof ObservedFieldFlags, { at: 'cycles' | 'sideCore' | 'queue' | 'vm' | 'totals'; keys: string[] }[]> = {
  coreGuest: [{ at: 'cycles', keys: ['guest'] }],
  coreSplit: [{ at: 'cycles', keys: ['exit', 'io', 'emptyPoll', 'ctxSwitch'] }],
  sideWork: [{ at: 'sideCore', keys: ['workCycles', 'emptyPollCycles', 'loops'] }],
  sideEmptyPolls: [{ at: 'sideCore', keys: ['emptyPolls'] }],
  queueWork: [{ at: 'queue', keys: ['workCycles'] }],
  queueThread: [{ at: 'queue', keys: ['threadCycles'] }],
  queueNotify: [{ at: 'queue', keys: ['kicks', 'interrupts'] }],
  queuePolls: [{ at: 'queue', keys: ['polls', 'emptyPolls'] }],
  queuePending: [{ at: 'queue', keys: ['pending'] }],
  vmExits: [
    { at: 'vm', keys: ['exitsPerSec', 'interruptsPerSec'] },
    { at: 'totals', keys: ['exitsPerSec', 'interruptsPerSec'] },
  ],
};

/** Every key path (a.b.c) of a value holding a truth key ({@link TRUTH_KEYS}), at any depth. */
export function truthPaths(v: unknown, path = '', out: string[] = []): string[] {
  if (v === null || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    if (TRUTH.has(k)) out.push(p);
    truthPaths(x, p, out);
  }
  return out;
}

/**
 * Problems of one policy view under a profile, in words: keys outside {@link ObservedSnapshot},
 * optional fields present that the profile does not report or missing where it does.
 */
export function viewProblems(v: View, profile: ObservabilityProfile): string[] {
  const f = OBSERVABILITY_PROFILES[profile];
  const bad: string[] = [];
  const only = (o: object, allowed: string[], where: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) bad.push(`${where}.${k} is not an observed field`);
  };
  const expectKeys = (o: object, at: keyof typeof ALLOWED, where: string, applies: (flag: keyof ObservedFieldFlags) => boolean) => {
    for (const [flag, places] of Object.entries(OPTIONAL) as [keyof ObservedFieldFlags, (typeof OPTIONAL)[keyof ObservedFieldFlags]][]) {
      for (const pl of places) {
        if (pl.at !== at) continue;
        for (const k of pl.keys) {
          const has = Object.prototype.hasOwnProperty.call(o, k);
          // emptyPolls is both a queuePolls and (on side cores) a sideEmptyPolls key: judged where it lives.
          const want = f[flag] && applies(flag);
          if (has && !f[flag] && !(at === 'queue' && k === 'emptyPolls' && f.queuePolls)) bad.push(`${where}.${k} present but ${profile} does not report ${flag}`);
          if (!has && want) bad.push(`${where}.${k} missing although ${profile} reports ${flag}`);
        }
      }
    }
  };
  only(v, ALLOWED.snapshot, 'snapshot');
  v.cores.forEach((c, i) => {
    only(c, ALLOWED.core, `cores[${i}]`);
    only(c.cycles, ALLOWED.cycles, `cores[${i}].cycles`);
    expectKeys(c.cycles, 'cycles', `cores[${i}].cycles`, () => true);
  });
  v.sideCores.forEach((s, i) => {
    only(s, ALLOWED.sideCore, `sideCores[${i}]`);
    expectKeys(s, 'sideCore', `sideCores[${i}]`, () => true);
  });
  v.queues.forEach((q, i) => {
    only(q, ALLOWED.queue, `queues[${i}]`);
    // An I/O thread's cycles exist only while the queue is notification-driven (no side-core owner).
    expectKeys(q, 'queue', `queues[${i}]`, (flag) => flag !== 'queueThread' || q.owner === null);
    if (q.owner !== null && 'threadCycles' in q) bad.push(`queues[${i}].threadCycles present while served by side core ${q.owner}`);
  });
  v.vms.forEach((m, i) => {
    only(m, ALLOWED.vm, `vms[${i}]`);
    expectKeys(m, 'vm', `vms[${i}]`, () => true);
  });
  only(v.totals, ALLOWED.totals, 'totals');
  expectKeys(v.totals, 'totals', 'totals', () => true);
  return bad;
}

/** A deep read-guard: any read or `in` test of a truth key anywhere below `value` throws. */
export function guard<T>(value: T, path: string, cache: WeakMap<object, unknown>): T {
  if (value === null || typeof value !== 'object') return value;
  const o = value as object;
  const hit = cache.get(o);
  if (hit) return hit as T;
  const p = new Proxy(o, {
    get(t, k, r) {
      if (typeof k === 'string' && TRUTH.has(k)) throw new Error(`policy read truth field '${k}' at ${path}`);
      return guard(Reflect.get(t, k, r), typeof k === 'string' ? `${path}.${k}` : path, cache);
    },
    has(t, k) {
      if (typeof k === 'string' && TRUTH.has(k)) throw new Error(`policy tested for truth field '${k}' at ${path}`);
      return Reflect.has(t, k);
    },
  });
  cache.set(o, p);
  return p as T;
}

/**
 * The input a policy gets, guarded: its window deeply; the input itself against truth keys other
 * than `groups` (there: the operator's objective weights, configuration rather than truth).
 */
export function guardInput(input: PolicyInput): PolicyInput {
  const window = guard(input.window, 'input.window', new WeakMap());
  return new Proxy(input, {
    get(t, k, r) {
      if (k === 'window') return window;
      if (typeof k === 'string' && k !== 'groups' && TRUTH.has(k)) throw new Error(`policy read truth field '${k}' at input`);
      return Reflect.get(t, k, r);
    },
  });
}

