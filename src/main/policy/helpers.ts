/**
 * Pure helpers shared by the policies: per-epoch metrics derived from a
 * snapshot, the side-core count range allowed by overrides and safety limits,
 * choosing which cores become side cores, and queue placement (round-robin and
 * longest-processing-time-first by work cycles).
 */
import type { ControlAction, HostConfig } from '../../shared/control.ts';
import type { Overrides, SafetyLimits } from '../../shared/policy.ts';
import { observedObjective, type ObjectiveGroup } from '../../shared/objective.ts';
import type { Observability, ObservedFieldFlags, ObservedSnapshot } from '../../shared/observe.ts';

/** Metrics of one observed snapshot, in cores (1 = one core's cycles over the interval) unless noted. */
export interface EpochMetrics {
  /** Cycles of one core over the interval. */
  epochCycles: number;
  /** Side cores in force. */
  workers: number;
  /** Σ side-core busy time (work + polling) / epochCycles: what every source reports. */
  sideBusy: number;
  /**
   * Σ side-core work cycles / epochCycles where the source splits work from polling (sideWork);
   * otherwise the busy time (a polling thread's CPU time includes its empty polls).
   */
  ioWork: number;
  /** True when `ioWork` is real work (the source reports the split). */
  workSplit: boolean;
  /** Idle I/O capacity (IOcm): (epochCycles × workers − work cycles) / epochCycles. */
  ioIdle: number;
  /** Busiest side core's work fraction (0..1), busy fraction where work is not reported. */
  maxSideBusy: number;
  /** Σ over VM cores of idle fraction (IOcm's VM idle). */
  vmIdle: number;
  /**
   * CPU of the notification-driven I/O threads (vhost / IOThreads on the VM cores), in cores: their
   * threads' CPU where the source reports it (queueThread), else those queues' work cycles
   * (queueWork: the same cycles, e.g. the model under the `ovs` profile). Every profile reports one.
   */
  vhostIo: number;
  /** VM cores. */
  vmCores: number;
  /** Σ vCPU run cycles / epochCycles. */
  vcpuRun: number;
  /** Σ vCPU wait cycles / epochCycles: runnable vCPUs waiting for a core, in cores. */
  vcpuWait: number;
  /** Bytes moved by all queues in the interval. */
  bytes: number;
  /** Requests completed in the interval. */
  requests: number;
  /** The observed objective (src/shared/objective.ts). */
  objective: number;
}

/** Compute {@link EpochMetrics} of one observed snapshot. */
export function epochMetrics(s: ObservedSnapshot, groups: readonly ObjectiveGroup[]): EpochMetrics {
  const epochCycles = (s.hz * s.intervalMs) / 1000;
  let busy = 0;
  let work = 0;
  let split = s.sideCores.length > 0;
  let maxBusy = 0;
  for (const sc of s.sideCores) {
    busy += sc.busyCycles;
    const w = sc.workCycles ?? sc.busyCycles;
    if (sc.workCycles === undefined) split = false;
    work += w;
    const b = w / epochCycles;
    if (b > maxBusy) maxBusy = b;
  }
  let vmIdle = 0;
  let vmCores = 0;
  for (const c of s.cores) {
    if (c.role === 'vm') {
      vmCores++;
      vmIdle += c.cycles.idle;
    }
  }
  let vhostIo = 0;
  let bytes = 0;
  let requests = 0;
  for (const q of s.queues) {
    bytes += q.bytes;
    requests += q.requests;
    if (q.owner === null) vhostIo += q.threadCycles ?? q.workCycles ?? 0;
  }
  let vcpuRun = 0;
  let vcpuWait = 0;
  for (const v of s.vms) {
    vcpuRun += v.vcpuRunCycles;
    vcpuWait += v.vcpuWaitCycles;
  }
  const workers = s.sideCores.length;
  return {
    epochCycles,
    workers,
    sideBusy: busy / epochCycles,
    ioWork: work / epochCycles,
    workSplit: split,
    ioIdle: (epochCycles * workers - work) / epochCycles,
    maxSideBusy: maxBusy,
    vmIdle: vmIdle / epochCycles,
    vhostIo: vhostIo / epochCycles,
    vmCores,
    vcpuRun: vcpuRun / epochCycles,
    vcpuWait: vcpuWait / epochCycles,
    bytes,
    requests,
    objective: observedObjective(s, groups),
  };
}

/** Words for the optional observed fields a policy's rule can need (docs/observability.md). */
const FIELD_WORDS: Record<keyof ObservedFieldFlags, string> = {
  coreGuest: 'guest-mode cycles per core',
  coreSplit: 'split of each core\'s host cycles',
  sideWork: 'side-core work cycles apart from polling',
  sideEmptyPolls: 'empty polls per side core',
  queueWork: 'work cycles per queue',
  queueThread: 'I/O-thread CPU per queue',
  queueNotify: 'kicks and interrupts per queue',
  queuePolls: 'polls per queue',
  queuePending: 'pending requests per queue',
  vmExits: 'exits per VM',
};

/** Of the observed fields `needs`, those the host's source does not report (in the order given). */
export function unreported(obs: Observability, needs: readonly (keyof ObservedFieldFlags)[]): (keyof ObservedFieldFlags)[] {
  return needs.filter((f) => !obs.reports[f]);
}

/**
 * A reason's words for fields the host does not measure, naming them and the profile:
 * "not measured: the qemu profile reports no work cycles per queue (queueWork)". A policy whose
 * rule reads such a field does not decide on it: it stays and says this.
 */
export function notMeasured(obs: Observability, missing: readonly (keyof ObservedFieldFlags)[]): string {
  return `not measured: the ${obs.profile} profile reports no ${missing.map((f) => `${FIELD_WORDS[f]} (${f})`).join(' and no ')}`;
}

/** The side-core counts allowed by overrides and safety limits, inclusive. `min > max` never happens for validated overrides. */
export function countBounds(cores: number, overrides: Overrides, limits: SafetyLimits): { min: number; max: number } {
  let max = Math.min(limits.maxSideCores, cores - Math.max(1, limits.minVmCores), cores - overrides.released.length);
  let min = overrides.pinned.length;
  if (overrides.countLock) {
    min = Math.max(min, overrides.countLock[0]);
    max = Math.min(max, overrides.countLock[1]);
  }
  if (max < 0) max = 0;
  if (min > max) min = max;
  return { min, max };
}

/** Clamp a wanted side-core count into the allowed range. */
export function clampCount(k: number, cores: number, overrides: Overrides, limits: SafetyLimits): number {
  const b = countBounds(cores, overrides, limits);
  return Math.max(b.min, Math.min(b.max, Math.round(k)));
}

/**
 * Choose `k` side cores: pinned cores first, then current side cores (highest
 * id first), then free cores from the top id down; released cores never.
 * Growing adds the highest free core; shrinking drops the lowest current
 * non-pinned side core (the last added), as the published manager does.
 * Returns ascending ids; may return fewer than k when not enough cores are eligible.
 */
export function chooseSideCores(k: number, host: HostConfig, overrides: Overrides): number[] {
  const released = new Set(overrides.released);
  const chosen: number[] = [];
  const used = new Set<number>();
  const take = (c: number): void => {
    if (chosen.length >= k || used.has(c) || released.has(c) || c < 0 || c >= host.cores) return;
    used.add(c);
    chosen.push(c);
  };
  for (const c of overrides.pinned) take(c);
  const cur = [...host.sideCores].sort((a, b) => b - a);
  for (const c of cur) take(c);
  for (let c = host.cores - 1; c >= 0 && chosen.length < k; c--) take(c);
  return chosen.sort((a, b) => a - b);
}

/**
 * The `k` side cores of a fixed count (static:K, a fixed PMD set): pinned cores first, then the
 * highest eligible ids, whatever is in force now ({@link chooseSideCores} without its preference
 * for the current side cores). So a fixed count always means the same cores: static:2 chosen after
 * a release was cleared, or after another policy, is the static:2 of a fresh run (`iocm simulate`).
 */
export function fixedSideCores(k: number, host: HostConfig, overrides: Overrides): number[] {
  return chooseSideCores(k, { ...host, sideCores: [] }, overrides);
}

/** True when two ascending id lists are equal. */
export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return false;
  return true;
}

/** Round-robin placement of all queues over `cores` (queue i → cores[i mod n]). */
export function roundRobin(queueCount: number, cores: readonly number[]): number[] {
  const owner = new Array<number>(queueCount);
  for (let q = 0; q < queueCount; q++) owner[q] = cores[q % cores.length];
  return owner;
}

/**
 * Longest-processing-time-first placement: queues sorted by load (descending),
 * each to the least-loaded core; ties keep the queue's current owner when it
 * is a candidate, then the lowest core id. Returns queue → core.
 */
export function lptPlacement(load: ArrayLike<number>, cores: readonly number[], current: readonly (number | null)[]): number[] {
  const n = load.length;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => load[b] - load[a] || a - b);
  const coreLoad = new Float64Array(cores.length);
  const owner = new Array<number>(n);
  for (const q of order) {
    let best = 0;
    for (let i = 1; i < cores.length; i++) {
      const d = coreLoad[i] - coreLoad[best];
      if (d < -1e-9 || (Math.abs(d) <= 1e-9 && cores[i] === current[q] && cores[best] !== current[q])) best = i;
    }
    coreLoad[best] += load[q];
    owner[q] = cores[best];
  }
  return owner;
}

/** Per-core load of a placement. */
export function placementLoads(load: ArrayLike<number>, owner: readonly (number | null)[], cores: readonly number[]): number[] {
  const idx = new Map<number, number>();
  cores.forEach((c, i) => idx.set(c, i));
  const out = new Array<number>(cores.length).fill(0);
  for (let q = 0; q < owner.length; q++) {
    const o = owner[q];
    if (o === null) continue;
    const i = idx.get(o);
    if (i !== undefined) out[i] += load[q];
  }
  return out;
}

/** Population variance of a list. */
export function variance(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let m = 0;
  for (const x of xs) m += x;
  m /= xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) * (x - m);
  return v / xs.length;
}

/**
 * Actions that move the host to side cores `cores` with queue placement
 * `owner` (queue → core) and polling on for every placed queue. Only changes
 * are emitted; an empty `cores` returns to vhost mode.
 */
export function placementActions(host: HostConfig, cores: readonly number[], owner: readonly number[] | null): ControlAction[] {
  const actions: ControlAction[] = [];
  if (!sameSet(host.sideCores, cores)) actions.push({ kind: 'setSideCores', cores: [...cores].sort((a, b) => a - b) });
  if (cores.length === 0 || !owner) return actions;
  for (let q = 0; q < owner.length; q++) {
    if (host.queueOwner[q] !== owner[q]) actions.push({ kind: 'assignQueue', queue: q, core: owner[q] });
    if (!host.queuePolling[q]) actions.push({ kind: 'setPolling', queue: q, on: true });
  }
  return actions;
}

/** Per-queue load ({@link queueLoad}) summed over the last `n` snapshots of a window (Float64Array indexed by queue id). */
export function queueLoads(window: readonly ObservedSnapshot[], n: number, queueCount: number): Float64Array {
  const out = new Float64Array(queueCount);
  const from = Math.max(0, window.length - n);
  for (let i = from; i < window.length; i++) {
    for (const q of window[i].queues) if (q.id < queueCount) out[q.id] += queueLoad(q);
  }
  return out;
}

/**
 * A queue's load for placement: its work cycles where the source reports them (OVS rxq cycles),
 * else its I/O thread's cycles while notification-driven, else a cycle-free proxy from its
 * counters (requests plus bytes / 1,500: one unit per request or per MTU-sized packet of data).
 */
export function queueLoad(q: ObservedSnapshot['queues'][number]): number {
  if (q.workCycles !== undefined) return q.workCycles;
  if (q.threadCycles !== undefined) return q.threadCycles;
  return q.requests + q.bytes / 1500;
}
