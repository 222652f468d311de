/**
 * HostSnapshot: the statistics of one host over one interval. Produced by the
 * host model every interval (default 100 ms of simulated time) and, later, by
 * the remote agent on a real host. Every consumer (loop, history, console)
 * reads this one type.
 *
 * Counters are per interval (deltas), rates are per second, cycles are CPU
 * cycles of the host's clock (`hz`). Shared layer: no node/electron/DOM.
 */

/** What a physical core currently does. */
export type CoreRole = 'vm' | 'side';

/** Cycles a core spent, by category, during the interval. Their sum is the interval's cycles. */
export interface CoreCycles {
  /** Guest (vCPU) execution, application work. */
  guest: number;
  /** VM exits: direct + indirect cost, charged to the core that took them. */
  exit: number;
  /** Host I/O work: vhost thread or side-core processing of requests. */
  io: number;
  /** Side-core polls that found nothing. */
  emptyPoll: number;
  /** Host scheduler context switches. */
  ctxSwitch: number;
  /** Nothing to run. */
  idle: number;
}

/** One physical core. */
export interface CoreStats {
  id: number;
  role: CoreRole;
  cycles: CoreCycles;
}

/** One side core's polling loop. */
export interface SideCoreStats {
  coreId: number;
  /** Polling-loop iterations (rounds over its queues). */
  loops: number;
  /** Cycles doing request work (excludes empty polls). */
  workCycles: number;
  /** Polls that found an empty ring. */
  emptyPolls: number;
  /** Cycles spent on empty polls. */
  emptyPollCycles: number;
  /** Queue ids this core serves. */
  queues: number[];
}

/** One virtqueue (a request/completion ring pair of a device). */
export interface QueueStats {
  id: number;
  /** Owning VM id. */
  vm: number;
  /** Device index within the VM. */
  device: number;
  kind: 'net' | 'blk';
  /** Side core serving it, or null when served by the device's vhost I/O thread. */
  owner: number | null;
  /** Polling enabled (kicks suppressed while polled). */
  polling: boolean;
  /** Guest notifications (each costs an exit). */
  kicks: number;
  /** Times the host looked at the ring. */
  polls: number;
  /** Looks that found nothing. */
  emptyPolls: number;
  /** Requests completed. */
  requests: number;
  /** Bytes moved (both directions). */
  bytes: number;
  /** Requests waiting in the ring at the end of the interval. */
  pending: number;
  /** Sum over requests of cycles between arrival in the ring and the start of processing. */
  waitCycles: number;
  /** Completion interrupts injected into the guest. */
  interrupts: number;
  /** Host cycles spent processing this queue's requests. */
  workCycles: number;
}

/** Latency percentiles in microseconds (NaN-free: 0 when there were no completions). */
export interface LatencyStats {
  p50: number;
  p99: number;
  p999: number;
}

/** One VM. */
export interface VmStats {
  id: number;
  /** Unique name, e.g. "web-3". */
  name: string;
  /** Scenario group. */
  group: string;
  /** Completed requests per second (messages for streams, I/Os for blk). */
  requestsPerSec: number;
  /** Bytes per second moved by its devices. */
  bytesPerSec: number;
  /** Guest application cycles per second (the work rate of CPU-bound VMs). */
  guestCyclesPerSec: number;
  /** Request latency from issue to completion seen by the guest. */
  latencyUs: LatencyStats;
  exitsPerSec: number;
  interruptsPerSec: number;
  /** Cycles its vCPUs ran during the interval. */
  vcpuRunCycles: number;
  /** Cycles its vCPUs were runnable but waiting for a core. */
  vcpuWaitCycles: number;
  /** Offered intensity multiplier in force (phase load × scenario). */
  load: number;
}

/** Per-group aggregates, with the group's contribution to the score. */
export interface GroupStats {
  group: string;
  requestsPerSec: number;
  bytesPerSec: number;
  guestCyclesPerSec: number;
  latencyUs: LatencyStats;
  /** The group's work rate in score units (see docs/model.md). */
  workRate: number;
  /** weight × workRate. */
  score: number;
}

/** Host totals for the interval. */
export interface HostTotals {
  requestsPerSec: number;
  bytesPerSec: number;
  exitsPerSec: number;
  interruptsPerSec: number;
  /** Context switches per second. */
  ctxSwitchesPerSec: number;
  /** Number of side cores in force. */
  sideCores: number;
  /** Σ groups weight × work rate (docs/model.md). */
  score: number;
  /** Host-wide latency percentiles over all requests completed in the interval. */
  latencyUs: LatencyStats;
  /** Cycles by category summed over all cores. */
  cycles: CoreCycles;
}

/** The statistics of one interval. */
export interface HostSnapshot {
  /** Sequence number from 0. */
  seq: number;
  /** End of the interval, ms since the session's start (simulated time for the model). */
  t: number;
  /** Interval length in ms. */
  intervalMs: number;
  /** Core clock in cycles per second. */
  hz: number;
  /** Current scenario phase name ('' when unknown, e.g. a real host). */
  phase: string;
  cores: CoreStats[];
  sideCores: SideCoreStats[];
  queues: QueueStats[];
  vms: VmStats[];
  groups: GroupStats[];
  totals: HostTotals;
}

/**
 * What the console's time series read from a snapshot: its place in time, the totals, each core's
 * cycles and each VM's request rate. A transport sends the snapshots of a telemetry message
 * before its newest one in this form (see `TelemetryMessage.trend`): the core map, the tables
 * and the queue views show only the newest, so the other per-queue, per-VM and per-group detail
 * would be parsed and dropped (on big-64 at 10× it was ~8 snapshots of ~70 KB each per message).
 * A HostSnapshot is a TrendPoint.
 */
export interface TrendPoint {
  seq: number;
  t: number;
  intervalMs: number;
  hz: number;
  totals: HostTotals;
  cores: { cycles: CoreCycles }[];
  vms: { requestsPerSec: number }[];
}

/**
 * A run of consecutive snapshots as a telemetry message carries them: all but the newest as trend
 * points (the time series need every interval, the detail views only the newest), the newest
 * whole. One snapshot or none: no trend. Used by the live stream's transports and the page-load
 * backfill alike.
 */
export function thinSnapshots(snaps: readonly HostSnapshot[]): { snapshots: HostSnapshot[]; trend?: TrendPoint[] } {
  if (snaps.length <= 1) return { snapshots: [...snaps] };
  const trend = new Array<TrendPoint>(snaps.length - 1);
  for (let i = 0; i < trend.length; i++) trend[i] = toTrendPoint(snaps[i]);
  return { snapshots: [snaps[snaps.length - 1]], trend };
}

/** A snapshot's {@link TrendPoint} (new objects for the cores and VMs; totals shared). */
export function toTrendPoint(s: HostSnapshot): TrendPoint {
  return {
    seq: s.seq,
    t: s.t,
    intervalMs: s.intervalMs,
    hz: s.hz,
    totals: s.totals,
    cores: s.cores.map((c) => ({ cycles: c.cycles })),
    vms: s.vms.map((v) => ({ requestsPerSec: v.requestsPerSec })),
  };
}
