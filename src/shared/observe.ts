/**
 * Observed vs truth. A {@link HostSnapshot} carries two kinds of fields:
 *
 * - **Observed**: what a host source measures on a real machine — per-core busy and idle cycles
 *   (/proc/stat), I/O thread and side-core busy time (/proc/PID/task/TID/stat), per-device
 *   requests and bytes (tap counters, QMP query-blockstats), vCPU run and wait time
 *   (/proc/PID/task/TID/schedstat), and, where the source reports them, finer splits (OVS PMDs
 *   report work vs idle cycles and per-rxq cycles; a research host reports everything).
 * - **Truth**: what only the model knows — the scenario phase, the offered load, the application
 *   work rate and the score, queue waiting time, guest-side latency percentiles. Truth is for
 *   scoring and display, never for deciding.
 *
 * A host declares in {@link Observability} which optional observed fields its source reports
 * (profiles `qemu`, `ovs`, `full`). {@link observe} builds the view a policy gets: a fresh object
 * with the observed fields the profile reports and nothing else, so a policy cannot read truth
 * even by accident (the type {@link ObservedSnapshot} has no truth fields either).
 *
 * docs/observability.md maps every observed field to its real source. Shared layer: pure TS.
 */
import type { HostSnapshot } from './snapshot.ts';

/** Observability profiles: a stock QEMU/KVM host, OVS-DPDK PMDs, or everything (research). */
export type ObservabilityProfile = 'qemu' | 'ovs' | 'full';

/** The optional observed fields, each reported or not by a source. */
export interface ObservedFieldFlags {
  /** Per-core guest-mode cycles (/proc/stat `guest`). */
  coreGuest: boolean;
  /** Per-core split of host cycles into exit handling, I/O work, empty polls and context switches (research hosts). */
  coreSplit: boolean;
  /** Per side core: work vs empty-poll cycles and loop iterations (OVS pmd-stats-show / pmd-perf-show; not QEMU IOThreads). */
  sideWork: boolean;
  /**
   * Per side core: polls of a ring that found it empty (research hosts: the ELVIS-era vhost worker
   * statistics). Not OVS: a PMD counts idle loop iterations (every rx queue empty in one round),
   * a different quantity, so the `ovs` profile leaves this out.
   */
  sideEmptyPolls: boolean;
  /** Per queue: host cycles spent on its requests (OVS pmd-rxq-show usage; research hosts). */
  queueWork: boolean;
  /** Per queue served by a notification-driven I/O thread: that thread's CPU cycles (/proc/PID/task/TID/stat of the vhost thread or IOThread). */
  queueThread: boolean;
  /** Per queue: guest kicks and injected interrupts (research hosts: the ELVIS-era vhost statistics). */
  queueNotify: boolean;
  /** Per queue: host polls of the ring and those that found it empty (research hosts). */
  queuePolls: boolean;
  /** Per queue: requests left in the ring at the end of the interval (research hosts). */
  queuePending: boolean;
  /** Per VM: exits and interrupts per second (research hosts: kvm stat / tracepoints). */
  vmExits: boolean;
}

/** What a host source reports. */
export interface Observability {
  profile: ObservabilityProfile;
  reports: ObservedFieldFlags;
}

const NONE: ObservedFieldFlags = {
  coreGuest: false,
  coreSplit: false,
  sideWork: false,
  sideEmptyPolls: false,
  queueWork: false,
  queueThread: false,
  queueNotify: false,
  queuePolls: false,
  queuePending: false,
  vmExits: false,
};

/** The fields each profile reports (docs/observability.md). */
export const OBSERVABILITY_PROFILES: Readonly<Record<ObservabilityProfile, Readonly<ObservedFieldFlags>>> = Object.freeze({
  qemu: Object.freeze({ ...NONE, coreGuest: true, queueThread: true }),
  ovs: Object.freeze({ ...NONE, coreGuest: true, sideWork: true, queueWork: true }),
  full: Object.freeze({ coreGuest: true, coreSplit: true, sideWork: true, sideEmptyPolls: true, queueWork: true, queueThread: true, queueNotify: true, queuePolls: true, queuePending: true, vmExits: true }),
});

/** The names of the profiles, for CLI and API validation. */
export const OBSERVABILITY_PROFILE_NAMES: readonly ObservabilityProfile[] = ['qemu', 'ovs', 'full'];

/** The default profile of the model: a stock QEMU/KVM host. */
export const DEFAULT_PROFILE: ObservabilityProfile = 'qemu';

/** The {@link Observability} of a profile. */
export function observabilityOf(profile: ObservabilityProfile): Observability {
  return { profile, reports: { ...OBSERVABILITY_PROFILES[profile] } };
}

/** Cycles of one core as observed. `busy + idle` is the interval's cycles. */
export interface ObservedCoreCycles {
  /** Cycles not idle (/proc/stat user+nice+system+irq+softirq+guest). */
  busy: number;
  idle: number;
  /** Guest-mode cycles (coreGuest). */
  guest?: number;
  /** coreSplit: exit handling, host I/O work, empty polls, context switches. */
  exit?: number;
  io?: number;
  emptyPoll?: number;
  ctxSwitch?: number;
}

/** One physical core as observed. */
export interface ObservedCore {
  id: number;
  role: 'vm' | 'side';
  cycles: ObservedCoreCycles;
}

/** One side core as observed: its busy time always; the work/empty split where reported (sideWork). */
export interface ObservedSideCore {
  coreId: number;
  queues: number[];
  /** Cycles the side core's polling thread ran (work + polling). */
  busyCycles: number;
  workCycles?: number;
  emptyPollCycles?: number;
  /** sideEmptyPolls. */
  emptyPolls?: number;
  loops?: number;
}

/** One queue (device ring) as observed. */
export interface ObservedQueue {
  id: number;
  vm: number;
  device: number;
  kind: 'net' | 'blk';
  owner: number | null;
  polling: boolean;
  /** Requests completed (packets or block I/Os). */
  requests: number;
  bytes: number;
  /** queueWork: host cycles spent on this queue's requests. */
  workCycles?: number;
  /** queueThread: CPU cycles of its notification-driven I/O thread (only while `owner` is null). */
  threadCycles?: number;
  /** queueNotify. */
  kicks?: number;
  interrupts?: number;
  /** queuePolls. */
  polls?: number;
  emptyPolls?: number;
  /** queuePending. */
  pending?: number;
}

/** One VM as observed. */
export interface ObservedVm {
  id: number;
  name: string;
  group: string;
  /** Completed requests per second over its devices. */
  requestsPerSec: number;
  /** Bytes per second over its devices. */
  bytesPerSec: number;
  /** Cycles its vCPU threads ran (schedstat). */
  vcpuRunCycles: number;
  /** Cycles its vCPU threads were runnable but waiting for a core (schedstat). */
  vcpuWaitCycles: number;
  /** vmExits. */
  exitsPerSec?: number;
  interruptsPerSec?: number;
}

/** Host totals as observed. */
export interface ObservedTotals {
  requestsPerSec: number;
  bytesPerSec: number;
  /** /proc/stat `ctxt`. */
  ctxSwitchesPerSec: number;
  sideCores: number;
  /** vmExits. */
  exitsPerSec?: number;
  interruptsPerSec?: number;
}

/** The statistics of one interval as a host source measures them: no truth fields. */
export interface ObservedSnapshot {
  seq: number;
  t: number;
  intervalMs: number;
  hz: number;
  cores: ObservedCore[];
  sideCores: ObservedSideCore[];
  queues: ObservedQueue[];
  vms: ObservedVm[];
  totals: ObservedTotals;
}

/**
 * Keys that exist only as truth. A policy view never has them (a test walks views for them).
 * `latencyUs` covers the guest-side percentiles; `guestCyclesPerSec`, `workRate` and `score` the
 * application work rate; `load` and `phase` the scenario; `waitCycles` the queue waiting time.
 */
export const TRUTH_KEYS: readonly string[] = ['phase', 'load', 'score', 'workRate', 'guestCyclesPerSec', 'waitCycles', 'latencyUs', 'groups'];

/**
 * The observed view of a snapshot under `obs`: a fresh object with the observed fields the source
 * reports, and nothing else. Key order is fixed here (byte-identical JSON for the same input).
 */
export function observe(s: HostSnapshot, obs: Observability): ObservedSnapshot {
  const f = obs.reports;
  const cores = new Array<ObservedCore>(s.cores.length);
  for (let i = 0; i < s.cores.length; i++) {
    const c = s.cores[i];
    const y = c.cycles;
    const busy = y.guest + y.exit + y.io + y.emptyPoll + y.ctxSwitch;
    const cycles: ObservedCoreCycles = { busy, idle: y.idle };
    if (f.coreGuest) cycles.guest = y.guest;
    if (f.coreSplit) {
      cycles.exit = y.exit;
      cycles.io = y.io;
      cycles.emptyPoll = y.emptyPoll;
      cycles.ctxSwitch = y.ctxSwitch;
    }
    cores[i] = { id: c.id, role: c.role, cycles };
  }
  const sideCores = new Array<ObservedSideCore>(s.sideCores.length);
  for (let i = 0; i < s.sideCores.length; i++) {
    const sc = s.sideCores[i];
    const o: ObservedSideCore = { coreId: sc.coreId, queues: [...sc.queues], busyCycles: sc.workCycles + sc.emptyPollCycles };
    if (f.sideWork) {
      o.workCycles = sc.workCycles;
      o.emptyPollCycles = sc.emptyPollCycles;
      if (f.sideEmptyPolls) o.emptyPolls = sc.emptyPolls;
      o.loops = sc.loops;
    }
    sideCores[i] = o;
  }
  const queues = new Array<ObservedQueue>(s.queues.length);
  for (let i = 0; i < s.queues.length; i++) {
    const q = s.queues[i];
    const o: ObservedQueue = { id: q.id, vm: q.vm, device: q.device, kind: q.kind, owner: q.owner, polling: q.polling, requests: q.requests, bytes: q.bytes };
    if (f.queueWork) o.workCycles = q.workCycles;
    if (f.queueThread && q.owner === null) o.threadCycles = q.workCycles;
    if (f.queueNotify) {
      o.kicks = q.kicks;
      o.interrupts = q.interrupts;
    }
    if (f.queuePolls) {
      o.polls = q.polls;
      o.emptyPolls = q.emptyPolls;
    }
    if (f.queuePending) o.pending = q.pending;
    queues[i] = o;
  }
  const perSec = 1000 / s.intervalMs;
  const vms = new Array<ObservedVm>(s.vms.length);
  for (let i = 0; i < s.vms.length; i++) {
    const v = s.vms[i];
    const o: ObservedVm = { id: v.id, name: v.name, group: v.group, requestsPerSec: 0, bytesPerSec: 0, vcpuRunCycles: v.vcpuRunCycles, vcpuWaitCycles: v.vcpuWaitCycles };
    if (f.vmExits) {
      o.exitsPerSec = v.exitsPerSec;
      o.interruptsPerSec = v.interruptsPerSec;
    }
    vms[i] = o;
  }
  // A VM's rates are the sums of its devices' counters (what tap and block statistics give).
  // VM ids are array indices on the model; a real host keeps ids stable as VMs come and go, so
  // its ids can have gaps: then look the VM up by id.
  let byId: Map<number, ObservedVm> | null = null;
  let reqs = 0;
  let bytes = 0;
  for (const q of s.queues) {
    reqs += q.requests;
    bytes += q.bytes;
    let v: ObservedVm | undefined = vms[q.vm];
    if (!v || v.id !== q.vm) {
      if (!byId) byId = new Map(vms.map((x) => [x.id, x]));
      v = byId.get(q.vm);
    }
    if (v) {
      v.requestsPerSec += q.requests * perSec;
      v.bytesPerSec += q.bytes * perSec;
    }
  }
  const t = s.totals;
  const totals: ObservedTotals = { requestsPerSec: reqs * perSec, bytesPerSec: bytes * perSec, ctxSwitchesPerSec: t.ctxSwitchesPerSec, sideCores: t.sideCores };
  if (f.vmExits) {
    totals.exitsPerSec = t.exitsPerSec;
    totals.interruptsPerSec = t.interruptsPerSec;
  }
  return { seq: s.seq, t: s.t, intervalMs: s.intervalMs, hz: s.hz, cores, sideCores, queues, vms, totals };
}
