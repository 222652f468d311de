/**
 * Pure functions the views use to turn snapshots into what they show: core
 * roles with operator overrides, cycle shares, headline numbers, side-core
 * busy/empty shares, VM table rows (sort/filter), formatting. No Vue, no DOM.
 */
import type { HostSnapshot, CoreCycles, VmStats } from '../../shared/snapshot.ts';
import type { HostInfo } from '../../shared/control.ts';
import { DEFAULT_PROFILE, observabilityOf, observe } from '../../shared/observe.ts';
import { observedObjective } from '../../shared/objective.ts';
import type { HostEvent, Overrides } from '../../shared/policy.ts';

/** How a core tile is drawn. */
export type TileRole = 'vm' | 'side' | 'pinned' | 'released';

/** Cycle categories in display order. */
export const CYCLE_KEYS = ['guest', 'exit', 'io', 'emptyPoll', 'ctxSwitch', 'idle'] as const satisfies readonly (keyof CoreCycles)[];

/** Labels for cycle categories. */
export const CYCLE_LABELS: Record<keyof CoreCycles, string> = {
  guest: 'Guest',
  exit: 'Exits',
  io: 'I/O work',
  emptyPoll: 'Empty polls',
  ctxSwitch: 'Ctx switch',
  idle: 'Idle',
};

/**
 * Cycle labels on a host that cannot split a core's host time (an agent whose profile lacks
 * coreSplit: QEMU's /proc/stat and OVS's VM cores give busy time only, and under TCG a vCPU's whole
 * run is host time): the driver puts that busy time in `io`, which is not I/O work there.
 */
const UNSPLIT_LABELS: Record<keyof CoreCycles, string> = { ...CYCLE_LABELS, io: 'Host busy (not split)' };

/** The cycle category labels for a host (the model's split is known; see UNSPLIT_LABELS). */
export function cycleLabels(info: Pick<HostInfo, 'source' | 'observability'> | null): Record<keyof CoreCycles, string> {
  if (!info || info.source !== 'agent') return CYCLE_LABELS;
  return (info.observability ?? observabilityOf(DEFAULT_PROFILE)).reports.coreSplit ? CYCLE_LABELS : UNSPLIT_LABELS;
}

/**
 * The cycle categories a host measures: all on the model and where core time is split
 * (coreSplit); else guest, busy (io) and idle, with empty polls where side cores report their
 * polling apart (sideWork: an OVS PMD's idle cycles). A QEMU host sends 0 for exits, empty polls
 * and context switches it cannot see, which read as "none".
 */
export function measuredCycleKeys(info: Pick<HostInfo, 'source' | 'observability'> | null): (typeof CYCLE_KEYS)[number][] {
  if (!info || info.source !== 'agent') return [...CYCLE_KEYS];
  const r = (info.observability ?? observabilityOf(DEFAULT_PROFILE)).reports;
  if (r.coreSplit) return [...CYCLE_KEYS];
  return CYCLE_KEYS.filter((k) => k === 'guest' || k === 'io' || k === 'idle' || (k === 'emptyPoll' && r.sideWork));
}

/**
 * Whether a side core's `io` is measured I/O work: on the model; on a host that splits core time;
 * on an OVS PMD core (sideWork: OVS counts its processing and idle cycles). A QEMU side core's busy
 * time is its IOThreads' and anything else that ran there, not split.
 */
export function sideWorkMeasured(info: Pick<HostInfo, 'source' | 'observability'> | null): boolean {
  if (!info || info.source !== 'agent') return true;
  const r = (info.observability ?? observabilityOf(DEFAULT_PROFILE)).reports;
  return r.coreSplit || r.sideWork;
}

/** Role of a core after operator overrides: pinned/released win over what the model reports. */
export function tileRole(core: number, modelRole: 'vm' | 'side', overrides: Overrides | null | undefined): TileRole {
  if (overrides?.pinned.includes(core)) return 'pinned';
  if (overrides?.released.includes(core)) return 'released';
  return modelRole;
}

/** Cycle shares (0..1, summing to 1 unless all are zero). */
export function cycleShares(c: CoreCycles): Record<keyof CoreCycles, number> {
  let total = 0;
  for (const k of CYCLE_KEYS) total += c[k];
  const out = {} as Record<keyof CoreCycles, number>;
  for (const k of CYCLE_KEYS) out[k] = total > 0 ? c[k] / total : 0;
  return out;
}

/** One core tile's data. */
export interface CoreTileData {
  id: number;
  role: TileRole;
  /** True when the model reports it as a side core. */
  isSide: boolean;
  shares: Record<keyof CoreCycles, number>;
  /** Busy fraction: everything but idle and empty polls. */
  busy: number;
  /** Queues it serves (side cores). */
  queues: number;
}

/** Tiles for every physical core of a snapshot. */
export function coreTiles(s: HostSnapshot, overrides: Overrides | null | undefined): CoreTileData[] {
  const queuesBy = new Map<number, number>();
  for (const sc of s.sideCores) queuesBy.set(sc.coreId, sc.queues.length);
  return s.cores.map((c) => {
    const shares = cycleShares(c.cycles);
    return {
      id: c.id,
      role: tileRole(c.id, c.role, overrides),
      isSide: c.role === 'side',
      shares,
      busy: 1 - shares.idle - shares.emptyPoll,
      queues: queuesBy.get(c.id) ?? 0,
    };
  });
}

/** Headline numbers of the overview. */
export interface Headline {
  /** The model's truth score (model hosts only; a real host has none). */
  score: number;
  /** The observed objective the policies optimise (src/shared/objective.ts), from the fields the host reports. */
  objective: number;
  requestsPerSec: number;
  bytesPerSec: number;
  p99Us: number;
  /** Null when the host does not measure exits ({@link exitsMeasured}): shown as "—", not 0. */
  exitsPerSec: number | null;
  sideCores: number;
}

/**
 * Whether the host's per-VM exit and interrupt rates are measured. A model host knows them (its
 * truth, shown on model hosts); a remote host reports them only under a profile with `vmExits`
 * (the research `full` profile, docs/observability.md). The qemu and ovs sources put 0 in their
 * place, which read as "no exits" on the console.
 */
export function exitsMeasured(info: Pick<HostInfo, 'source' | 'observability'> | null): boolean {
  if (!info || info.source !== 'agent') return true;
  return (info.observability ?? observabilityOf(DEFAULT_PROFILE)).reports.vmExits;
}

/**
 * Whether a host measures a queue's kicks, its pending requests, or a VM's offered load. The model
 * knows all three; an agent's host reports kicks and pending only on the `full` profile
 * (queueNotify, queuePending), and never the load (the model's offered work, for scoring and
 * display). The qemu and ovs sources put 0 in their place, which read as "none".
 */
export function fieldMeasured(info: Pick<HostInfo, 'source' | 'observability'> | null, field: 'kicks' | 'pending' | 'load'): boolean {
  if (!info || info.source !== 'agent') return true;
  if (field === 'load') return false;
  const r = (info.observability ?? observabilityOf(DEFAULT_PROFILE)).reports;
  return field === 'kicks' ? r.queueNotify : r.queuePending;
}

/**
 * Whether the host's latency fields hold a mean, not percentiles: a real QEMU host (an agent on the
 * `qemu` profile) measures QEMU's block-layer time per request over the interval, and puts that
 * mean in every percentile slot (docs/observability.md; the model driver sends 0 there).
 */
export function latencyIsMean(info: Pick<HostInfo, 'source' | 'observability'> | null): boolean {
  return !!info && info.source === 'agent' && (info.observability ?? observabilityOf(DEFAULT_PROFILE)).profile === 'qemu';
}

/** The observed objective of a snapshot under the host's declared observability (qemu when unknown). */
export function objectiveOf(s: HostSnapshot, info: Pick<HostInfo, 'groups' | 'observability'> | null): number {
  const obs = info?.observability ?? observabilityOf(DEFAULT_PROFILE);
  return observedObjective(observe(s, obs), info?.groups ?? []);
}

/** Headline numbers of one snapshot. */
export function headline(s: HostSnapshot, info: Pick<HostInfo, 'source' | 'groups' | 'observability'> | null = null): Headline {
  return {
    score: s.totals.score,
    objective: objectiveOf(s, info),
    requestsPerSec: s.totals.requestsPerSec,
    bytesPerSec: s.totals.bytesPerSec,
    p99Us: s.totals.latencyUs.p99,
    exitsPerSec: exitsMeasured(info) ? s.totals.exitsPerSec : null,
    sideCores: s.totals.sideCores,
  };
}

/** One side core's busy / empty-poll split and the queues it owns with their share of its work. */
export interface SideCoreRow {
  coreId: number;
  /** Share of the interval's cycles doing request work. */
  busy: number;
  /** Share of the interval's cycles on empty polls. */
  emptyPoll: number;
  queues: { id: number; vm: number; kind: 'net' | 'blk'; share: number }[];
}

/** Side-core rows of one snapshot. */
export function sideCoreRows(s: HostSnapshot): SideCoreRow[] {
  const cyclesPerInterval = (s.hz * s.intervalMs) / 1000;
  const queueById = new Map(s.queues.map((q) => [q.id, q]));
  return s.sideCores.map((sc) => {
    const work = sc.queues.reduce((a, q) => a + (queueById.get(q)?.workCycles ?? 0), 0);
    return {
      coreId: sc.coreId,
      busy: cyclesPerInterval > 0 ? Math.min(1, sc.workCycles / cyclesPerInterval) : 0,
      emptyPoll: cyclesPerInterval > 0 ? Math.min(1, sc.emptyPollCycles / cyclesPerInterval) : 0,
      queues: sc.queues.map((id) => {
        const q = queueById.get(id);
        return { id, vm: q?.vm ?? -1, kind: q?.kind ?? 'net', share: work > 0 ? (q?.workCycles ?? 0) / work : 0 };
      }),
    };
  });
}

/** Sortable columns of the VM table. */
export type VmSortKey = 'name' | 'group' | 'requestsPerSec' | 'bytesPerSec' | 'p99' | 'exitsPerSec' | 'load';

/** A VM table row. */
export interface VmRow {
  id: number;
  name: string;
  group: string;
  requestsPerSec: number;
  bytesPerSec: number;
  p99: number;
  exitsPerSec: number;
  load: number;
  queues: number;
}

/** VM rows of a snapshot, filtered by text (name or group, case-insensitive) and sorted. */
export function vmRows(s: HostSnapshot, filter: string, sort: VmSortKey, desc: boolean): VmRow[] {
  const queuesBy = new Map<number, number>();
  for (const q of s.queues) queuesBy.set(q.vm, (queuesBy.get(q.vm) ?? 0) + 1);
  const f = filter.trim().toLowerCase();
  const rows = s.vms
    .filter((v: VmStats) => !f || v.name.toLowerCase().includes(f) || v.group.toLowerCase().includes(f))
    .map((v) => ({
      id: v.id,
      name: v.name,
      group: v.group,
      requestsPerSec: v.requestsPerSec,
      bytesPerSec: v.bytesPerSec,
      p99: v.latencyUs.p99,
      exitsPerSec: v.exitsPerSec,
      load: v.load,
      queues: queuesBy.get(v.id) ?? 0,
    }));
  const dir = desc ? -1 : 1;
  rows.sort((a, b) => {
    const x = a[sort];
    const y = b[sort];
    const c = typeof x === 'string' ? x.localeCompare(y as string, undefined, { numeric: true }) : (x as number) - (y as number);
    return c !== 0 ? c * dir : a.id - b.id;
  });
  return rows;
}

/** Format a number with SI suffix (k, M, G) and about 3 significant digits. */
export function si(x: number, unit = ''): string {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  const [d, p] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = x / d;
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${s}${p ? ' ' + p : unit ? ' ' : ''}${unit}`.replace(/ $/, '');
}

/** Format bytes per second (B/s, kB/s, MB/s, GB/s). */
export function bytesRate(x: number): string {
  return si(x, 'B/s');
}

/** Format microseconds as µs or ms. */
export function latency(us: number): string {
  if (!Number.isFinite(us)) return '—';
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 10_000 ? 0 : 1)} ms` : `${us.toFixed(us >= 100 ? 0 : 1)} µs`;
}

/** Format a value with a comparison unit: latencies as µs/ms, seconds plainly, others with SI prefixes. */
export function withUnit(x: number, unit: string): string {
  if (unit === 'µs' || unit === 'us') return latency(x);
  if (unit === 'ms') return latency(x * 1000);
  if (unit === 's') return Number.isFinite(x) ? `${x.toFixed(x >= 100 ? 0 : 1)} s` : '—';
  if (unit === '%') return Number.isFinite(x) ? `${x.toFixed(1)} %` : '—';
  return si(x, unit);
}

/** Format a 0..1 share as a percentage. */
export function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %` : '—';
}

/** Format session time (ms) as m:ss.t or h:mm:ss. */
export function sessionTime(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, ms) / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${String(Math.floor(sec)).padStart(2, '0')}`;
  return `${m}:${sec.toFixed(1).padStart(4, '0')}`;
}

/** True for events the decisions timeline marks on charts. */
export function isAnnotated(e: HostEvent): boolean {
  if (e.kind === 'override') return true;
  if (e.kind !== 'decision') return false;
  const kind = (e.data as { decision?: { kind?: string } } | undefined)?.decision?.kind;
  return kind !== 'stay' && kind !== 'paused';
}

/** The triggering metric values of a decision event, if any. */
export function eventMetrics(e: HostEvent): Record<string, number> {
  const m = (e.data as { decision?: { metrics?: Record<string, number> } } | undefined)?.decision?.metrics;
  return m && typeof m === 'object' ? m : {};
}

/** Label of an event for lists and chart annotations. */
export function eventLabel(e: HostEvent): string {
  if (e.kind === 'decision') {
    const kind = (e.data as { decision?: { kind?: string } } | undefined)?.decision?.kind ?? 'decision';
    return kind;
  }
  return e.kind;
}

/** Decide whether a policy config field value is valid; returns an error message or null. */
export function checkField(
  f: { label: string; type: 'number' | 'integer' | 'boolean'; min?: number; max?: number },
  raw: string | boolean,
): { value: number | boolean } | { error: string } {
  if (f.type === 'boolean') return { value: raw === true || raw === 'true' };
  const text = String(raw).trim();
  if (text === '') return { error: `${f.label} is required` };
  const v = Number(text);
  if (!Number.isFinite(v)) return { error: `${f.label} must be a number` };
  if (f.type === 'integer' && !Number.isInteger(v)) return { error: `${f.label} must be a whole number` };
  if (f.min !== undefined && v < f.min) return { error: `${f.label} must be at least ${f.min}` };
  if (f.max !== undefined && v > f.max) return { error: `${f.label} must be at most ${f.max}` };
  return { value: v };
}

/** A wall-clock time (unix ms) as local 'YYYY-MM-DD HH:MM:SS'. */
export function wallClock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export { plural } from '../../shared/words.ts';

/** Labels and units of the decision metrics policies report (variable name → words, unit). */
export const METRIC_LABELS: Record<string, { label: string; unit: 'cores' | 'share' | 'µs' | 'score' | 'count' | 'bytes' }> = {
  score: { label: 'score', unit: 'score' },
  bestScore: { label: 'best score so far', unit: 'score' },
  ioWork: { label: 'I/O work on side cores', unit: 'cores' },
  vhostCores: { label: 'vhost thread work', unit: 'cores' },
  maxSideBusy: { label: 'busiest side core', unit: 'share' },
  waitUs: { label: 'queue wait', unit: 'µs' },
  vmIdle: { label: 'idle VM capacity', unit: 'cores' },
  idleIo: { label: 'idle I/O capacity', unit: 'cores' },
  sideCores: { label: 'side cores', unit: 'count' },
  estimatedWork: { label: 'estimated I/O work', unit: 'cores' },
  estimate: { label: 'side cores needed', unit: 'count' },
  avgPacket: { label: 'average packet', unit: 'bytes' },
};

/** One decision metric as "label value unit" ("I/O work on side cores 0.45 cores"). */
export function metricText(key: string, v: number): string {
  const m = METRIC_LABELS[key];
  if (!m) return `${key} ${Number.isInteger(v) ? v : v.toFixed(3)}`;
  switch (m.unit) {
    case 'cores':
      return `${m.label} ${v.toFixed(2)} cores`;
    case 'share':
      return `${m.label} ${pct(v)}`;
    case 'µs':
      return `${m.label} ${latency(v)}`;
    case 'score':
      return `${m.label} ${si(v)}`;
    case 'bytes':
      return `${m.label} ${si(v, 'B')}`;
    default:
      return `${m.label} ${Number.isInteger(v) ? v : v.toFixed(1)}`;
  }
}

/** The first `n` metrics of a decision in words, joined with " · ". */
export function metricsText(metrics: Record<string, number>, n = 4): string {
  return Object.entries(metrics)
    .slice(0, n)
    .map(([k, v]) => metricText(k, v))
    .join(' · ');
}
