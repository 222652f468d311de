/**
 * From what OVS and the kernel report to IOcm's model of a host: pure functions, no I/O.
 *
 * - Topology ({@link buildTopology}): every vhost-user Interface (type `dpdkvhostuser` or
 *   `dpdkvhostuserclient`) is a device of a VM; each of its rx queues in `pmd-rxq-show` is a queue.
 *   The VM is the Interface's `external_ids:vm-id` when set (libvirt sets it to the domain UUID),
 *   else the capture of the `vmOfPort` pattern when it matches (e.g. /^(.*)-\d+$/ groups
 *   `web-0`, `web-1` into VM `web`), else the port itself (one VM per port).
 * - Counters ({@link buildSnapshot}): deltas between two samples. PMD cores are the side cores
 *   (sideWork: processing vs idle cycles from pmd-stats-show, iterations from pmd-perf-show;
 *   `emptyPolls` is a lower bound from idle iterations, not observed under `ovs`); queues get their port's packets and bytes (dpctl/show -s, RX + TX) and
 *   work cycles = rxq usage % × the PMD's cycles over the interval (queueWork); cores get
 *   /proc/stat. Truth fields stay neutral (phase '', latency 0, score 0, queue wait 0, load 0).
 * - vCPUs ({@link vmVcpuThreads}, {@link vcpuCycles}): the source finds the QEMU process behind
 *   each vhost-user socket ({@link vhostSocketPath}) and its vCPU threads (../ovs-source.ts); a
 *   VM's vCPUs are the union over its ports' processes, its run/wait the deltas of their
 *   /proc/PID/task/TID/schedstat in cycles.
 */
import type { HostConfig, HostInfo } from '../../../shared/control.ts';
import { observabilityOf } from '../../../shared/observe.ts';
import { assembleSnapshot } from '../../../shared/host-snapshot.ts';
import type { CoreStats, GroupStats, HostSnapshot, QueueStats, SideCoreStats, VmStats } from '../../../shared/snapshot.ts';
import type { DpPort, PmdPerf, PmdStats, ProcStat, RxqShow } from './parse.ts';

/** vhost-user Interface types: the VMs' ports. */
export const VHOST_TYPES: readonly string[] = ['dpdkvhostuser', 'dpdkvhostuserclient'];

/** An Interface row as the source reads it from OVSDB. */
export interface IfaceRow {
  name: string;
  type: string;
  otherConfig: Record<string, string>;
  externalIds: Record<string, string>;
  /** The Interface's `options` (`vhost-server-path` of a vhost-user client port); absent: none read. */
  options?: Record<string, string>;
}

/** A thread's /proc/PID/task/TID/schedstat: ns on a CPU, ns runnable but waiting for one. */
export interface ThreadSched {
  runNs: number;
  waitNs: number;
}

/** The vCPU threads found behind the vhost-user ports (the source's discovery, ../ovs-source.ts). */
export interface VcpuMap {
  /** Port → the pids of the processes with vCPU threads whose command line names its socket. */
  portPids: Map<string, number[]>;
  /** Pid → its vCPU threads' ids, ascending. */
  threads: Map<number, number[]>;
}

/** One sample of everything the source reads, at wall time `at` (ms, injected clock). */
export interface OvsSample {
  at: number;
  perf: PmdPerf[];
  stats: PmdStats[];
  rxq: RxqShow;
  ports: DpPort[];
  ifaces: IfaceRow[];
  /** Open_vSwitch other_config. */
  ovsConfig: Record<string, string>;
  proc: ProcStat;
  /** The vCPU threads found behind the ports at this sample (absent: none looked for). */
  vcpus?: VcpuMap;
  /** Their schedstat, by `pid/tid` ({@link threadKey}); a thread missing here had vanished. */
  sched?: Map<string, ThreadSched>;
  /** When the schedstat files were read (injected clock, ms): their span scales to the interval. */
  schedAt?: number;
}

/** A queue of the topology: port `port`, rx queue `rxq`. */
export interface TopoQueue {
  id: number;
  vm: number;
  device: number;
  port: string;
  rxq: number;
}

/** The VMs and queues derived from a sample. */
export interface Topology {
  vms: { id: number; name: string; ports: string[] }[];
  queues: TopoQueue[];
  /** A stable text key: equal keys mean the same VMs and queues with the same ids. */
  key: string;
}

/** The VM a vhost-user port belongs to (see the file comment). */
export function vmNameOf(iface: IfaceRow, vmOfPort?: RegExp): string {
  const id = iface.externalIds['vm-id'];
  if (id) return id;
  if (vmOfPort) {
    const m = vmOfPort.exec(iface.name);
    if (m && m[1]) return m[1];
  }
  return iface.name;
}

/**
 * VMs and queues from the Interfaces and pmd-rxq-show. Ids are kept for VMs and queues that were in
 * `prev` (new ones are appended); when one goes away the rest are renumbered densely (ids index
 * arrays), and the key changes either way.
 */
export function buildTopology(s: Pick<OvsSample, 'ifaces' | 'rxq'>, vmOfPort?: RegExp, prev?: Topology): Topology {
  const vhost = s.ifaces.filter((i) => VHOST_TYPES.includes(i.type)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rxqsOf = new Map<string, number[]>();
  for (const p of s.rxq.pmds) for (const q of p.rxqs) (rxqsOf.get(q.port) ?? rxqsOf.set(q.port, []).get(q.port)!).push(q.queue);
  type Entry = { vm: string; port: string; rxq: number };
  const entries: Entry[] = [];
  for (const i of vhost) {
    const qs = [...new Set(rxqsOf.get(i.name) ?? [0])].sort((a, b) => a - b);
    for (const q of qs) entries.push({ vm: vmNameOf(i, vmOfPort), port: i.name, rxq: q });
  }
  // Previous order first (ids kept), new entries after, in name order.
  const qKey = (e: { port: string; rxq: number }): string => `${e.port}#${e.rxq}`;
  const prevOrder = new Map<string, number>();
  prev?.queues.forEach((q) => prevOrder.set(qKey(q), q.id));
  const prevVmOrder = new Map<string, number>();
  prev?.vms.forEach((v) => prevVmOrder.set(v.name, v.id));
  const rank = (m: Map<string, number>, k: string, i: number): number => m.get(k) ?? 1e9 + i;
  const vmNames = [...new Set(entries.map((e) => e.vm))];
  vmNames.sort((a, b) => rank(prevVmOrder, a, vmNames.indexOf(a)) - rank(prevVmOrder, b, vmNames.indexOf(b)));
  const vmId = new Map(vmNames.map((n, i) => [n, i]));
  const ordered = entries.map((e, i) => ({ e, r: rank(prevOrder, qKey(e), i) })).sort((a, b) => a.r - b.r);
  const vms = vmNames.map((name, id) => ({ id, name, ports: [] as string[] }));
  const queues: TopoQueue[] = [];
  const deviceOf = new Map<string, number>();
  for (const { e } of ordered) {
    const v = vms[vmId.get(e.vm)!];
    if (!v.ports.includes(e.port)) v.ports.push(e.port);
    let dev = deviceOf.get(e.port);
    if (dev === undefined) {
      dev = v.ports.indexOf(e.port);
      deviceOf.set(e.port, dev);
    }
    queues.push({ id: queues.length, vm: v.id, device: dev, port: e.port, rxq: e.rxq });
  }
  const key = JSON.stringify([vms.map((v) => v.name), queues.map((q) => [q.vm, q.port, q.rxq])]);
  return { vms, queues, key };
}

/**
 * The vhost-user socket of a port, as its frontend names it: a `dpdkvhostuserclient` port's
 * `options:vhost-server-path` (the frontend, QEMU, is the server there); a `dpdkvhostuser` port's
 * `<rundir>/<vhost-sock-dir>/<port name>` (OVS is the server and makes the socket in its run
 * folder, or the `other_config:vhost-sock-dir` under it). Null for any other port, or a client
 * port with no server path.
 */
export function vhostSocketPath(iface: IfaceRow, rundir: string, sockDir = ''): string | null {
  if (iface.type === 'dpdkvhostuserclient') return iface.options?.['vhost-server-path'] || null;
  if (iface.type !== 'dpdkvhostuser' || iface.name === '') return null;
  return [rundir.replace(/\/+$/, ''), sockDir.replace(/^\/+|\/+$/g, ''), iface.name].filter((x) => x !== '').join('/');
}

/** The key of a thread in {@link OvsSample.sched}. */
export function threadKey(pid: number, tid: number): string {
  return `${pid}/${tid}`;
}

/**
 * Each VM's vCPU threads ({@link threadKey}s, by VM id): the union over its ports of the vCPU
 * threads of the processes serving them, each process once (a QEMU serves every port of its VM).
 * Empty for a VM whose ports no process with vCPU threads serves (a DPDK application such as
 * testpmd, or a QEMU without `debug-threads=on`).
 */
export function vmVcpuThreads(topo: Pick<Topology, 'vms'>, found: VcpuMap | undefined): string[][] {
  return topo.vms.map((v) => {
    const pids = new Set<number>();
    for (const p of v.ports) for (const pid of found?.portPids.get(p) ?? []) pids.add(pid);
    const out: string[] = [];
    for (const pid of [...pids].sort((a, b) => a - b)) for (const tid of found?.threads.get(pid) ?? []) out.push(threadKey(pid, tid));
    return out;
  });
}

/**
 * A VM's vCPU run and wait cycles over an interval of `intervalMs`: per thread the deltas of its
 * schedstat run and wait ns between `prev` and `cur`, in cycles at `hz`. The files are read at
 * their own moment of each sample, so their deltas span `schedSpanMs` (the reads' times apart),
 * not quite the interval: they are scaled to the interval (as /proc/stat's ticks are), and a
 * thread's run + wait is at most the interval's cycles (a thread is on one CPU or waiting, not
 * both). A thread not in both samples (new, or vanished) or whose counter went backwards (its id
 * reused) adds 0: never a negative.
 */
export function vcpuCycles(prev: ReadonlyMap<string, ThreadSched> | undefined, cur: ReadonlyMap<string, ThreadSched> | undefined, threads: readonly string[], hz: number, intervalMs: number, schedSpanMs?: number): { run: number; wait: number } {
  const k = schedSpanMs !== undefined && Number.isFinite(schedSpanMs) && schedSpanMs > 0 ? intervalMs / schedSpanMs : 1;
  const perNs = hz / 1e9;
  const cap = (hz * intervalMs) / 1000;
  let run = 0;
  let wait = 0;
  for (const t of threads) {
    const a = prev?.get(t);
    const b = cur?.get(t);
    if (!a || !b) continue;
    const dr = b.runNs - a.runNs;
    const dw = b.waitNs - a.waitNs;
    if (!(dr >= 0) || !(dw >= 0)) continue;
    let r = dr * k * perNs;
    let w = dw * k * perNs;
    if (r + w > cap) {
      const f = cap / (r + w);
      r *= f;
      w *= f;
    }
    run += r;
    wait += w;
  }
  return { run, wait };
}

/** The one VM group of an OVS host: its vhost-user traffic, a byte-moving workload. */
export const OVS_GROUP = { name: 'vhost-user', weight: 1, workload: 'net-stream' } as const;

/**
 * HostInfo of an OVS host. `source` is 'agent': a real host measured by the agent's driver. A VM's
 * `vcpus` is how many vCPU threads were found behind its ports (`vcpus[id]`, see
 * {@link vmVcpuThreads}); 0: none found (a vhost-user frontend need not be a QEMU guest).
 */
export function buildInfo(name: string, cores: number, hz: number, intervalMs: number, topo: Topology, vcpus: readonly number[] = []): HostInfo {
  return {
    name,
    source: 'agent',
    cores,
    hz,
    intervalMs,
    vms: topo.vms.map((v) => ({ id: v.id, name: v.name, group: OVS_GROUP.name, vcpus: vcpus[v.id] ?? 0 })),
    queues: topo.queues.map((q) => ({ id: q.id, vm: q.vm, device: q.device, kind: 'net' as const })),
    groups: [{ ...OVS_GROUP }],
    observability: observabilityOf('ovs'),
  };
}

/** The PMD cores in force: those OVS runs PMD threads on; with no PMD thread (no ports), the mask's cores. */
export function pmdCores(s: Pick<OvsSample, 'perf' | 'stats' | 'rxq'>, maskCores: readonly number[]): number[] {
  const set = new Set<number>();
  for (const p of s.stats) set.add(p.core);
  for (const p of s.perf) set.add(p.core);
  for (const p of s.rxq.pmds) set.add(p.core);
  if (set.size === 0) for (const c of maskCores) set.add(c);
  return [...set].sort((a, b) => a - b);
}

/** The PMD polling each queue (null: none, e.g. no PMD thread yet). */
export function queueOwners(s: Pick<OvsSample, 'rxq'>, topo: Topology): (number | null)[] {
  const owner = new Map<string, number>();
  for (const p of s.rxq.pmds) for (const q of p.rxqs) owner.set(`${q.port}#${q.queue}`, p.core);
  return topo.queues.map((q) => owner.get(`${q.port}#${q.rxq}`) ?? null);
}

/** The HostConfig of a sample. */
export function buildConfig(cores: number, s: Pick<OvsSample, 'perf' | 'stats' | 'rxq' | 'ovsConfig'>, maskCores: readonly number[], topo: Topology): HostConfig {
  const owners = queueOwners(s, topo);
  const sleep = Number(s.ovsConfig['pmd-maxsleep'] ?? 0);
  return {
    cores,
    sideCores: pmdCores(s, maskCores),
    queueOwner: owners,
    queuePolling: owners.map((o) => o !== null),
    knobs: { pollMaxNs: 0, pollGrow: 0, pollShrink: 0, vhostPollUs: 0, pmdMaxSleepUs: Number.isFinite(sleep) ? sleep : 0, manager: { on: false, core: null } },
  };
}

/** A counter's delta; a counter that went down was reset (PMD re-created, stats cleared, port re-added): count from 0. */
export function delta(cur: number, prev: number | undefined): number {
  if (!Number.isFinite(cur)) return 0;
  if (prev === undefined || !Number.isFinite(prev) || cur < prev) return cur;
  return cur - prev;
}

/** Options of {@link buildSnapshot}. */
export interface SnapshotContext {
  seq: number;
  /** ms since the source started. */
  t: number;
  hz: number;
  /** Kernel ticks per second of /proc/stat (USER_HZ, 100 on Linux). */
  userHz: number;
  topo: Topology;
}

/** The HostSnapshot of the interval between two samples (see the file comment). */
export function buildSnapshot(prev: OvsSample, cur: OvsSample, ctx: SnapshotContext): HostSnapshot {
  const intervalMs = Math.max(1, cur.at - prev.at);
  const hz = ctx.hz;
  const tick = hz / ctx.userHz;
  const perSec = 1000 / intervalMs;

  // PMDs: deltas with reset detection (a shorter measurement duration means the counters restarted).
  const prevPerf = new Map(prev.perf.map((p) => [p.core, p]));
  const prevStats = new Map(prev.stats.map((p) => [p.core, p]));
  const curPerf = new Map(cur.perf.map((p) => [p.core, p]));
  const cores = pmdCores(cur, []);
  const side = new Map<number, SideCoreStats>();
  for (const c of cores) {
    const st = cur.stats.find((p) => p.core === c);
    const pf = curPerf.get(c);
    const ps = prevStats.get(c);
    const pp = prevPerf.get(c);
    const reset = !!(pf && pp && pf.durationS < pp.durationS);
    const d = (a: number | undefined, b: number | undefined): number => (a === undefined ? 0 : delta(a, reset ? undefined : b));
    side.set(c, {
      coreId: c,
      loops: d(pf?.iterations, pp?.iterations),
      workCycles: d(st?.processingCycles, ps?.processingCycles),
      emptyPolls: d(pf?.idleIterations, pp?.idleIterations),
      emptyPollCycles: d(st?.idleCycles, ps?.idleCycles),
      queues: [],
    });
  }

  // Queues: the port's live counters, split over its rx queues by their usage (equally when OVS has none yet).
  const owners = queueOwners(cur, ctx.topo);
  const usage = new Map<string, number | null>();
  for (const p of cur.rxq.pmds) for (const q of p.rxqs) usage.set(`${q.port}#${q.queue}`, q.usagePct);
  const portNow = new Map(cur.ports.map((p) => [p.name, p]));
  const portPrev = new Map(prev.ports.map((p) => [p.name, p]));
  const qsOfPort = new Map<string, number[]>();
  for (const q of ctx.topo.queues) (qsOfPort.get(q.port) ?? qsOfPort.set(q.port, []).get(q.port)!).push(q.id);
  const queues: QueueStats[] = ctx.topo.queues.map((tq) => {
    const owner = owners[tq.id];
    const sc = owner === null ? undefined : side.get(owner);
    if (sc) sc.queues.push(tq.id);
    const u = usage.get(`${tq.port}#${tq.rxq}`);
    const pmdCycles = sc ? sc.workCycles + sc.emptyPollCycles : 0;
    const siblings = qsOfPort.get(tq.port)!;
    let share = 1 / siblings.length;
    if (siblings.length > 1) {
      const us = siblings.map((id) => usage.get(`${tq.port}#${ctx.topo.queues[id].rxq}`) ?? null);
      const total = us.reduce<number>((a, x) => a + (x ?? 0), 0);
      if (us.every((x) => x !== null) && total > 0) share = (u ?? 0) / total;
    }
    const pn = portNow.get(tq.port);
    const pp = portPrev.get(tq.port);
    const pkts = pn ? delta(pn.rxPackets, pp?.rxPackets) + delta(pn.txPackets, pp?.txPackets) : 0;
    const bytes = pn ? delta(pn.rxBytes, pp?.rxBytes) + delta(pn.txBytes, pp?.txBytes) : 0;
    return {
      id: tq.id,
      vm: tq.vm,
      device: tq.device,
      kind: 'net',
      owner,
      polling: owner !== null,
      kicks: 0,
      polls: 0,
      emptyPolls: 0,
      requests: Math.round(pkts * share),
      bytes: Math.round(bytes * share),
      pending: 0,
      waitCycles: 0,
      interrupts: 0,
      workCycles: u === null || u === undefined ? NaN : (u / 100) * pmdCycles,
    };
  });
  // Usage not yet available (a new port or a reassignment): the PMD's work cycles by packet share.
  for (const sc of side.values()) {
    const mine = sc.queues.map((id) => queues[id]);
    const missing = mine.filter((q) => Number.isNaN(q.workCycles));
    if (missing.length === 0) continue;
    const known = mine.reduce((a, q) => a + (Number.isNaN(q.workCycles) ? 0 : q.workCycles), 0);
    const left = Math.max(0, sc.workCycles - known);
    const pk = missing.reduce((a, q) => a + q.requests, 0);
    for (const q of missing) q.workCycles = pk > 0 ? (left * q.requests) / pk : left / missing.length;
  }
  for (const q of queues) if (Number.isNaN(q.workCycles)) q.workCycles = 0;
  // OVS's rx queue usage is a share over its own window (the last several seconds), the PMD's
  // processing cycles this interval's: where the usage claims more work than the PMD did in this
  // interval, the queues share the PMD's measured work in proportion instead (review 6: a queue with
  // 1.976 G work cycles on a PMD that did 1.892 G).
  for (const sc of side.values()) {
    const mine = sc.queues.map((id) => queues[id]);
    const sum = mine.reduce((a, q) => a + q.workCycles, 0);
    if (sum > sc.workCycles && sum > 0) for (const q of mine) q.workCycles = (q.workCycles * sc.workCycles) / sum;
  }
  // OVS counts idle iterations (rounds in which every rx queue was empty); each polled every queue
  // of the PMD once, so idle iterations × queues is a lower bound of the empty ring polls (busy
  // rounds may have found some rings empty too). Observed only under `full` (sideEmptyPolls).
  for (const sc of side.values()) sc.emptyPolls *= sc.queues.length;

  // Cores: /proc/stat deltas in cycles. Side cores' host time is split into I/O work and empty polls
  // in the ratio OVS reports; VM cores' host time counts as `io` (no finer split is measured).
  const prevCpu = new Map(prev.proc.cpus.map((c) => [c.id, c]));
  const coreStats: CoreStats[] = cur.proc.cpus.map((c) => {
    const p = prevCpu.get(c.id);
    const dd = (k: keyof typeof c): number => delta(c[k], p?.[k]);
    const guest = (dd('guest') + dd('guestNice')) * tick;
    const all = (dd('user') + dd('nice') + dd('system') + dd('irq') + dd('softirq') + dd('steal')) * tick;
    const host = Math.max(0, all - guest);
    const idle = (dd('idle') + dd('iowait')) * tick;
    const sc = side.get(c.id);
    let io = host;
    let emptyPoll = 0;
    if (sc && sc.workCycles + sc.emptyPollCycles > 0) {
      io = (host * sc.workCycles) / (sc.workCycles + sc.emptyPollCycles);
      emptyPoll = host - io;
    }
    // /proc/stat is read at its own moment of each sample, not at the sample's time: its ticks can
    // span a little more or less than the interval (review 6: a core at 103 %). A core's cycles are
    // the interval's: the measured shares, scaled to hz × interval.
    const total = guest + host + idle;
    const k = total > 0 ? (hz * intervalMs) / 1000 / total : 1;
    return { id: c.id, role: sc ? 'side' : 'vm', cycles: { guest: guest * k, exit: 0, io: io * k, emptyPoll: emptyPoll * k, ctxSwitch: 0, idle: idle * k } };
  });

  const zero = { p50: 0, p99: 0, p999: 0 };
  // vCPUs: the threads found at this sample; their schedstat deltas scaled to the interval.
  const vcpuThreads = vmVcpuThreads(ctx.topo, cur.vcpus);
  const schedSpan = cur.schedAt !== undefined && prev.schedAt !== undefined ? cur.schedAt - prev.schedAt : undefined;
  const vms: VmStats[] = ctx.topo.vms.map((v) => {
    const vcpu = vcpuCycles(prev.sched, cur.sched, vcpuThreads[v.id], hz, intervalMs, schedSpan);
    return {
      id: v.id,
      name: v.name,
      group: OVS_GROUP.name,
      requestsPerSec: 0,
      bytesPerSec: 0,
      guestCyclesPerSec: 0,
      latencyUs: { ...zero },
      exitsPerSec: 0,
      interruptsPerSec: 0,
      vcpuRunCycles: Math.round(vcpu.run),
      vcpuWaitCycles: Math.round(vcpu.wait),
      load: 0,
    };
  });
  let reqs = 0;
  let bytes = 0;
  for (const q of queues) {
    vms[q.vm].requestsPerSec += q.requests * perSec;
    vms[q.vm].bytesPerSec += q.bytes * perSec;
    reqs += q.requests;
    bytes += q.bytes;
  }
  const groups: GroupStats[] = [{ group: OVS_GROUP.name, requestsPerSec: reqs * perSec, bytesPerSec: bytes * perSec, guestCyclesPerSec: 0, latencyUs: { ...zero }, workRate: 0, score: 0 }];
  const ctxt = delta(cur.proc.ctxt, prev.proc.ctxt);
  return assembleSnapshot(
    { seq: ctx.seq, t: ctx.t, intervalMs, hz, phase: '', cores: coreStats, sideCores: [...side.values()], queues, vms, groups },
    { requestsPerSec: reqs * perSec, bytesPerSec: bytes * perSec, exitsPerSec: 0, interruptsPerSec: 0, ctxSwitchesPerSec: ctxt * perSec, sideCores: side.size, latencyUs: { ...zero } },
  );
}

/**
 * The TSC clock OVS counts cycles in, from pmd-perf-show: used cycles ÷ their share of the TSC
 * cycles ÷ the measurement duration. Null when no PMD block is long and busy enough to tell
 * (≥ 1 s, ≥ 50 % used: the share is printed to 0.1 %).
 */
export function tscHzFromPerf(perf: readonly PmdPerf[]): number | null {
  let best: PmdPerf | null = null;
  for (const p of perf) if (p.durationS >= 1 && p.usedPct >= 50 && (!best || p.durationS > best.durationS)) best = p;
  if (!best) return null;
  return best.usedCycles / (best.usedPct / 100) / best.durationS;
}
