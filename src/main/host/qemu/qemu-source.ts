/**
 * The stock QEMU/KVM host as a {@link HostSource} (kind 'qemu', observability profile `qemu`):
 * VMs are discovered from QMP sockets, measured through QMP and /proc, and placed with
 * sched_setaffinity (docs/qemu-driver.md).
 *
 * - Discovery: every `discoverMs` the socket glob or folder is listed; a new socket is connected
 *   (greeting, qmp_capabilities); a socket that closes drops its VM only. VM and queue ids are
 *   never reused, so ids of VMs that remain are stable; `onInfo` fires when the set changes.
 * - Measurement, every `intervalMs` (default 500 ms: QMP and /proc reads cost a few ms per VM, and
 *   the loop's epochs are longer): `query-blockstats` per VM, /proc/PID/task/TID/{stat,schedstat}
 *   of the vCPU threads and IOThreads, /proc/stat, tap counters. Observed fields are measured;
 *   truth fields stay neutral (phase '', score 0, load 0, queue waits 0) except block latency,
 *   which is measured: QEMU's block-layer time per completed request (`*_total_time_ns` ÷ ops),
 *   reported as the VM's mean in all three latency slots.
 * - Control: `setSideCores` puts the IOThreads (and vhost threads) on the side cores, spread by
 *   measured CPU, and every other QEMU thread on the remaining (VM) cores; IOThreads on side cores
 *   poll with the side-core window (`poll-max-ns`, knob `setIoThreadPoll`); with no side cores
 *   everything returns to its recorded original placement and polling. `assignQueue` moves the
 *   queue's IOThread (with every queue it serves); `setPolling` sets its IOThread's window to the
 *   side-core value or 0. Original affinity and polling are recorded before the first change and
 *   written back by `restore()` and `close()`. `dryRun` computes and reports, changes nothing.
 *
 * Core layer: timers and the clock are injected.
 */
import { hostname } from 'node:os';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ControlAction, ControlResult, HostConfig, HostInfo, HostKnobState, KnobAction } from '../../../shared/control.ts';
import { observabilityOf } from '../../../shared/observe.ts';
import type { CoreStats, GroupStats, HostSnapshot, LatencyStats, QueueStats, SideCoreStats, VmStats } from '../../../shared/snapshot.ts';
import { assembleSnapshot } from '../../../shared/host-snapshot.ts';
import type { HostSource, HostSourceCapabilities } from '../source.ts';
import { QmpClient, QmpError } from './qmp.ts';
import { parseBlockStats, parseCpusFast, parseIoThreadLink, parseIoThreads, parseQueryName, type QmpIoThread } from './qmp-parse.ts';
import { cpuDelta, parseInfoNetworkTaps, parseProcStat, parseSchedStat, parseTaskStat, parseTaskStatus, readNetCounters, readText, type NetCounters, type ProcStat } from './procfs.ts';
import { checkSideCores, spreadSideThreads, tasksetAffinity, vmCoresOf, type SetAffinity } from './placement.ts';
import { readStateFile, writeStateFile, type SavedVm } from './state-file.ts';

/** The clock and timers a QEMU source runs on (injected by its shell). */
export interface QemuClock {
  /** Wall time in ms. */
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(h: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

/** The group every discovered VM belongs to (configuration: the objective's weight and class). */
export interface QemuGroup {
  name: string;
  weight: number;
  workload: string;
}

/** Options of {@link createQemuSource}. */
export interface QemuSourceOptions {
  /** QMP sockets: a folder (every socket in it), a glob whose last part has `*`/`?`, or one socket path. */
  qmp: string;
  clock: QemuClock;
  /** Snapshot interval (default 500 ms; 100 … 60000). */
  intervalMs?: number;
  /** Re-scan of the sockets and of each VM's threads and devices (default 2000 ms). */
  discoverMs?: number;
  /** Host name (default: the machine's hostname). */
  name?: string;
  /** Report what would change (events) without changing anything. */
  dryRun?: boolean;
  /** IOThread polling window on side cores, ns (default 1,000,000; knob setIoThreadPoll). */
  sidePollMaxNs?: number;
  /** The group of the VMs (default { name: 'vms', weight: 1, workload: 'blk' }). */
  group?: QemuGroup;
  /** Core clock in Hz (default: /proc/cpuinfo's first "cpu MHz", else 2 GHz). */
  hz?: number;
  /** QMP command timeout (default 5000 ms). */
  qmpTimeoutMs?: number;
  /** The affinity setter (default `taskset -pc`). */
  setAffinity?: SetAffinity;
  /** Receives the driver's events from the first discovery on (also: onEvent()). */
  onEvent?: (e: QemuDriverEvent) => void;
  /** /proc and /sys roots (tests on recorded trees). */
  procRoot?: string;
  sysRoot?: string;
  /**
   * The state file (see state-file.ts): the placement and polling before the first change, written
   * before that change, so that the next driver on the same file restores what a killed one left.
   * None: a driver that dies without closing leaves its changes in place.
   */
  stateFile?: string;
}

/** Something the driver did or would do (dry run), or a VM that came or went. */
export interface QemuDriverEvent {
  /** ms since the source started. */
  t: number;
  kind: 'discovered' | 'vanished' | 'change' | 'would-change' | 'restore' | 'error';
  message: string;
  /** The thread/IOThread-level changes, where there are some. */
  changes?: QemuChange[];
}

/** One low-level change. */
export type QemuChange =
  | { kind: 'affinity'; vm: string; tid: number; thread: string; from: number[] | null; to: number[] }
  | { kind: 'poll'; vm: string; iothread: string; from: number; to: number; grow?: number; shrink?: number };

const USER_HZ = 100;
const SCAN_LIMIT = 512;

interface DevState {
  queue: number;
  /** Device index within its VM. */
  device: number;
  kind: 'blk' | 'net';
  /** blk: qdev path or drive id; net: tap ifname. */
  key: string;
  /** blk: the IOThread id serving it (null: QEMU's main loop). */
  iothread: string | null;
}

interface ThreadSample {
  ticks: number;
  runNs: number;
  waitNs: number;
}

interface VmState {
  id: number;
  key: string;
  client: QmpClient;
  name: string;
  pid: number;
  vcpus: number[];
  iothreads: QmpIoThread[];
  /** IOThread id → poll settings before any change of ours. */
  origPoll: Map<string, { maxNs: number; grow: number; shrink: number }>;
  devs: DevState[];
  /** Thread id → Cpus_allowed_list before our first change (null until then). */
  origAffinity: Map<number, number[]> | null;
  /** The QEMU process's start time (ticks after boot): with the pid, what the state file matches. */
  startTime: number;
  /** The originals came from the state file a previous driver left. */
  adopted: boolean;
  /** Previous counters: "t:<tid>" threads, "b:<key>" blk, "n:<ifname>" taps. */
  prevThread: Map<number, ThreadSample>;
  prevBlk: Map<string, { ops: number; bytes: number; timeNs: number; timedOps: number }>;
  prevNet: Map<string, NetCounters>;
  /** IOThread id → recent cycles per second. */
  ioCps: Map<string, number>;
  /**
   * vhost worker threads of this QEMU (vhost-net devices), named `vhost-<qemu pid>`: kernel threads
   * (their own pid) before Linux 6.4, threads of the QEMU process since. tid → the pid whose task
   * folder holds it.
   */
  vhost: Map<number, number>;
  /** vhost tid → recent cycles per second. */
  vhostCps: Map<number, number>;
}

const isGlob = (p: string) => /[*?]/.test(p);

function globToRegex(pattern: string): RegExp {
  let r = '^';
  for (const ch of pattern) {
    if (ch === '*') r += '[^/]*';
    else if (ch === '?') r += '[^/]';
    else r += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(r + '$');
}

function fail(message: string): never {
  throw new Error(message);
}

/** The QEMU driver; see the file comment. Create with {@link createQemuSource}. */
export class QemuHostSource implements HostSource {
  readonly kind = 'qemu' as const;
  private readonly o: Required<Omit<QemuSourceOptions, 'hz' | 'name' | 'group' | 'onEvent' | 'stateFile'>> & { group: QemuGroup; name: string; stateFile?: string };
  private readonly hz: number;
  private readonly cores: number;
  private readonly t0: number;
  private readonly vms = new Map<string, VmState>();
  private readonly connecting = new Set<string>();
  private readonly failedPaths = new Set<string>();
  private nextVmId = 0;
  private nextQueueId = 0;
  private readonly queueIds = new Map<string, number>();
  private readonly vmIds = new Map<string, number>();
  private infoV: HostInfo;
  private sideCores: number[] = [];
  /** "<vm key>|<iothread id>" → side core. */
  private ioCore = new Map<string, number>();
  /** assignQueue requests: "<vm key>|<iothread id>" → side core. */
  private ioPinned = new Map<string, number>();
  /** setPolling requests: "<vm key>|<iothread id>" → on. */
  private pollOverride = new Map<string, boolean>();
  /**
   * Queue ids whose VM or device is gone (ids are never reused): what the loop last asked of them.
   * Placing a queue that no longer exists moves nothing and is acknowledged, so the loop's view
   * (which keeps every id it has seen) settles instead of retrying.
   */
  private retired = new Map<number, { owner: number | null; polling: boolean }>();
  private knobs: HostKnobState;
  private readonly snapSubs: ((s: HostSnapshot) => void)[] = [];
  private readonly infoSubs: ((i: HostInfo) => void)[] = [];
  private readonly eventSubs: ((e: QemuDriverEvent) => void)[] = [];
  private timers: unknown[] = [];
  private sampling = false;
  private scanning: Promise<void> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private prevStat: ProcStat | null = null;
  private prevT = 0;
  private seq = 0;
  private closed = false;
  private readonly setAffinity: SetAffinity;
  /** State-file entries of running QEMU processes not discovered yet (a previous driver's). */
  private readonly saved = new Map<string, SavedVm>();
  /** State-file entries of discovered VMs: their originals, until restored. */
  private readonly persisted = new Map<string, SavedVm>();
  /** A write of the state file failed (reported once until one succeeds). */
  private stateError = false;

  /** Use {@link createQemuSource}. */
  constructor(opts: QemuSourceOptions, hz: number, cores: number) {
    this.o = {
      intervalMs: 500,
      discoverMs: 2000,
      dryRun: false,
      sidePollMaxNs: 1_000_000,
      qmpTimeoutMs: 5000,
      setAffinity: opts.setAffinity ?? tasksetAffinity(),
      procRoot: '/proc',
      sysRoot: '/sys',
      ...opts,
      group: opts.group ?? { name: 'vms', weight: 1, workload: 'blk' },
      name: opts.name ?? hostname(),
    };
    this.setAffinity = this.o.setAffinity;
    this.hz = hz;
    this.cores = cores;
    this.t0 = opts.clock.now();
    this.knobs = { pollMaxNs: this.o.sidePollMaxNs, pollGrow: 0, pollShrink: 0, vhostPollUs: 0, pmdMaxSleepUs: 0, manager: { on: false, core: null } };
    this.infoV = this.buildInfo();
    if (opts.onEvent) this.eventSubs.push(opts.onEvent);
  }

  /** Starts discovery and sampling (called by {@link createQemuSource} after the first scan). */
  async start(): Promise<void> {
    await this.loadState();
    await this.scan();
    if (this.vms.size === 0 && this.failedPaths.size === 0) {
      // A typo in the path looks like a host without VMs: say so (VMs that start later are found).
      const dir = isGlob(this.o.qmp) ? dirname(this.o.qmp) : this.o.qmp;
      const missing = !(await stat(dir).catch(() => null));
      this.emit('error', `no QMP socket matches ${this.o.qmp}${missing ? ` (${dir} does not exist)` : ''}: no VM to manage yet; re-scanned every ${this.o.discoverMs / 1000} s`);
    }
    await this.sample(); // the baseline for the first interval
    const c = this.o.clock;
    this.timers.push(c.setInterval(() => void this.sample(), this.o.intervalMs));
    this.timers.push(c.setInterval(() => void this.scan(), this.o.discoverMs));
  }

  info(): HostInfo {
    return this.infoV;
  }

  capabilities(): HostSourceCapabilities {
    return { pacing: false, seed: false, scenario: false, whatIf: false };
  }

  config(): HostConfig {
    const queueOwner: (number | null)[] = new Array(this.nextQueueId).fill(null);
    const queuePolling: boolean[] = new Array(this.nextQueueId).fill(false);
    for (const [q, r] of this.retired) {
      queueOwner[q] = r.owner !== null && this.sideCores.includes(r.owner) ? r.owner : null;
      queuePolling[q] = r.polling;
    }
    for (const vm of this.vms.values()) {
      for (const d of vm.devs) {
        queueOwner[d.queue] = this.ownerOf(vm, d);
        queuePolling[d.queue] = d.iothread ? this.wantPoll(vm, d.iothread).maxNs > 0 : false;
      }
    }
    return { cores: this.cores, sideCores: [...this.sideCores], queueOwner, queuePolling, knobs: { ...this.knobs, manager: { ...this.knobs.manager } } };
  }

  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    this.snapSubs.push(cb);
    return () => {
      const i = this.snapSubs.indexOf(cb);
      if (i >= 0) this.snapSubs.splice(i, 1);
    };
  }

  onInfo(cb: (i: HostInfo) => void): () => void {
    this.infoSubs.push(cb);
    return () => {
      const i = this.infoSubs.indexOf(cb);
      if (i >= 0) this.infoSubs.splice(i, 1);
    };
  }

  /** Subscribe to the driver's events: VMs found and lost, changes made (or, in a dry run, that would be made), restores, errors. */
  onEvent(cb: (e: QemuDriverEvent) => void): () => void {
    this.eventSubs.push(cb);
    return () => {
      const i = this.eventSubs.indexOf(cb);
      if (i >= 0) this.eventSubs.splice(i, 1);
    };
  }

  /**
   * Validates and takes the decision at once (config() shows it from now on, as the loop expects of
   * a source it cannot apply to synchronously), then applies it to the host; changes are applied
   * one at a time, in order. Resolves with the host's result (a refusal or partial failure in words).
   */
  apply(action: ControlAction | KnobAction): Promise<ControlResult> {
    const d = this.decide(action);
    if (!d.ok) return Promise.resolve(d);
    if (d.what === null) return Promise.resolve({ ok: true, costCycles: 0 });
    const what = d.what;
    const p = this.chain.then(() => this.enforce(what));
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Puts every thread and IOThread poll setting back as recorded before the first change. */
  restore(): Promise<ControlResult> {
    const p = this.chain.then(() => this.restoreAll('asked'));
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Stops, restores what it changed, and closes the QMP sessions. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.timers) this.o.clock.clearInterval(h);
    this.timers = [];
    this.snapSubs.length = 0;
    this.infoSubs.length = 0;
    await this.chain.catch(() => undefined);
    if (this.scanning) await this.scanning.catch(() => undefined);
    await this.restoreAll('close').catch(() => undefined);
    const all = [...this.vms.values()];
    this.vms.clear(); // closing a session below is not a VM vanishing
    for (const vm of all) vm.client.close();
    this.eventSubs.length = 0;
  }

  // ---- discovery ----

  private emit(kind: QemuDriverEvent['kind'], message: string, changes?: QemuChange[]): void {
    const e: QemuDriverEvent = { t: this.o.clock.now() - this.t0, kind, message };
    if (changes) e.changes = changes;
    for (const cb of [...this.eventSubs]) cb(e);
  }

  private async listSockets(): Promise<string[]> {
    const p = this.o.qmp;
    let dir: string;
    let re: RegExp | null = null;
    if (isGlob(p)) {
      dir = dirname(p);
      re = globToRegex(basename(p));
    } else {
      const st = await stat(p).catch(() => null);
      if (!st) return [];
      if (!st.isDirectory()) return st.isSocket() ? [p] : [];
      dir = p;
    }
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: string[] = [];
    for (const n of names.sort()) {
      if (re && !re.test(n)) continue;
      const full = join(dir, n);
      const st = await lstat(full).catch(() => null);
      if (st?.isSocket()) out.push(full);
      if (out.length >= SCAN_LIMIT) break;
    }
    return out;
  }

  /** One discovery pass (never two at once). */
  private scan(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.scanning) {
      this.scanning = this.scanOnce().finally(() => {
        this.scanning = null;
      });
    }
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const paths = await this.listSockets();
    let changed = false;
    const fresh = paths.filter((p) => !this.vms.has(p) && !this.connecting.has(p));
    // One socket at a time, in path order: a probe allocates the VM's id and its queues' ids, so
    // probing in parallel numbered them in the order the probes happened to finish, and an agent
    // restarted on the same host could number g2 before g1 — which reads as another host (review 9's
    // full run: the console-qemu reliability test's restart rolled the session).
    for (const p of fresh) {
      await (async () => {
        this.connecting.add(p);
        let client: QmpClient | null = null;
        try {
          client = await QmpClient.connect(p, { timers: this.o.clock, timeoutMs: this.o.qmpTimeoutMs });
          const vm = this.closed ? null : await this.probe(p, client);
          if (!vm || this.closed) {
            client.close();
            return;
          }
          this.failedPaths.delete(p);
          this.vms.set(p, vm);
          client.onClose((e) => this.dropVm(vm, e.message));
          changed = true;
          this.emit('discovered', `found VM ${vm.name} (pid ${vm.pid}) at ${p}: ${vm.vcpus.length} vCPU(s), ${vm.iothreads.length} IOThread(s), ${vm.devs.length} device(s)`);
        } catch (err) {
          client?.close(); // a QMP socket serves one client: never hold one we do not use
          if (!this.failedPaths.has(p)) {
            this.failedPaths.add(p);
            this.emit('error', `cannot use QMP socket ${p}: ${(err as Error).message}`);
          }
        } finally {
          this.connecting.delete(p);
        }
      })();
    }
    // Known VMs: refresh threads and devices (IOThreads and disks can be hot-plugged).
    for (const vm of [...this.vms.values()]) {
      if (fresh.includes(vm.key)) continue;
      try {
        if (await this.refresh(vm)) changed = true;
      } catch (err) {
        if (vm.client.dead) this.dropVm(vm, (err as Error).message);
      }
    }
    if (changed) this.infoChanged();
    // A VM a killed driver left changed gets its originals back (no side cores are in force yet);
    // with side cores in force, the placement below applies and the originals wait for a restore.
    const left = fresh.map((p) => this.vms.get(p)).filter((vm): vm is VmState => !!vm && vm.adopted);
    if (left.length > 0 && this.sideCores.length === 0) {
      const p = this.chain.then(() => this.enforce(`restored what a previous driver left (${left.map((v) => v.name).join(', ')}; state file)`));
      this.chain = p.catch(() => undefined);
      await p.catch(() => undefined);
    }
    // A VM found while side cores are in force gets the same placement.
    if (this.sideCores.length > 0 && fresh.some((p) => this.vms.has(p))) {
      this.plan();
      const p = this.chain.then(() => this.enforce('a new VM joined'));
      this.chain = p.catch(() => undefined);
    }
  }

  private async probe(key: string, client: QmpClient): Promise<VmState> {
    const name = parseQueryName(await client.execute('query-name'));
    const vcpus = parseCpusFast(await client.execute('query-cpus-fast')).map((v) => v.threadId);
    if (vcpus.length === 0) throw new Error('query-cpus-fast lists no vCPU');
    const st = await readText(`${this.o.procRoot}/${vcpus[0]}/status`);
    const pid = st ? parseTaskStatus(st)?.tgid : undefined;
    if (!pid) throw new Error(`cannot find the QEMU process of vCPU thread ${vcpus[0]} (/proc/${vcpus[0]}/status)`);
    let id = this.vmIds.get(key);
    if (id === undefined) {
      id = this.nextVmId++;
      this.vmIds.set(key, id);
    }
    const vm: VmState = {
      id,
      key,
      client,
      name: name ?? basename(key).replace(/\.(sock|qmp)$/, ''),
      pid,
      vcpus,
      iothreads: [],
      origPoll: new Map(),
      devs: [],
      origAffinity: null,
      startTime: (await this.startTimeOf(pid)) ?? fail(`cannot read /proc/${pid}/stat of the QEMU process`),
      adopted: false,
      prevThread: new Map(),
      prevBlk: new Map(),
      prevNet: new Map(),
      ioCps: new Map(),
      vhost: new Map(),
      vhostCps: new Map(),
    };
    await this.refresh(vm);
    this.adopt(vm);
    return vm;
  }

  /** When process `pid` started (ticks after boot), or null when it does not run. */
  private async startTimeOf(pid: number): Promise<number | null> {
    const st = await readText(`${this.o.procRoot}/${pid}/stat`);
    return (st ? parseTaskStat(st) : null)?.startTime ?? null;
  }

  // ---- the state file ----

  /** Reads the state file a previous driver left: entries of QEMU processes still running wait for their VM. */
  private async loadState(): Promise<void> {
    const f = this.o.stateFile;
    if (!f) return;
    let saved: SavedVm[];
    try {
      saved = await readStateFile(f);
    } catch (err) {
      this.emit('error', `${(err as Error).message}; ignored (nothing is restored from it, and it is replaced at the first change)`);
      return;
    }
    for (const e of saved) if ((await this.startTimeOf(e.pid)) === e.startTime) this.saved.set(e.key, e);
    if (saved.length > 0) this.emit('restore', `state file ${f}: a previous driver left changes to ${saved.length} VM(s), ${this.saved.size} of them still running`);
    if (this.saved.size !== saved.length) await this.writeState();
  }

  /** A VM the state file lists (same socket, pid and start time): its originals are the file's. */
  private adopt(vm: VmState): void {
    const e = this.saved.get(vm.key);
    if (!e || e.pid !== vm.pid || e.startTime !== vm.startTime) return;
    this.saved.delete(vm.key);
    if (e.affinity) vm.origAffinity = new Map(e.affinity);
    for (const [io, p] of e.poll) vm.origPoll.set(io, p);
    vm.adopted = true;
    this.persisted.set(vm.key, e);
  }

  /** Records a VM's originals in the state file before its first change (no-op without a file, or in a dry run). */
  private async persist(vm: VmState): Promise<void> {
    if (!this.o.stateFile || this.o.dryRun) return;
    const e: SavedVm = {
      key: vm.key,
      pid: vm.pid,
      startTime: vm.startTime,
      affinity: vm.origAffinity ? [...vm.origAffinity] : null,
      poll: [...vm.origPoll],
    };
    const old = this.persisted.get(vm.key);
    if (old && JSON.stringify(old) === JSON.stringify(e)) return;
    this.persisted.set(vm.key, e);
    await this.writeState();
  }

  private async writeState(): Promise<void> {
    const f = this.o.stateFile;
    if (!f || this.o.dryRun) return;
    try {
      await writeStateFile(f, [...this.persisted.values(), ...this.saved.values()]);
      this.stateError = false;
    } catch (err) {
      // Changes go on (refusing them would leave the host worse off); the operator is told once.
      if (!this.stateError) this.emit('error', `cannot write the state file ${f}: ${(err as Error).message}; if this driver dies now, its changes stay in place`);
      this.stateError = true;
    }
  }

  /** Re-reads a VM's vCPUs, IOThreads and devices; true when its queues changed. */
  private async refresh(vm: VmState): Promise<boolean> {
    const c = vm.client;
    vm.vcpus = parseCpusFast(await c.execute('query-cpus-fast')).map((v) => v.threadId);
    vm.iothreads = parseIoThreads(await c.execute('query-iothreads'));
    for (const io of vm.iothreads) if (!vm.origPoll.has(io.id)) vm.origPoll.set(io.id, { maxNs: io.pollMaxNs, grow: io.pollGrow, shrink: io.pollShrink });
    const blks = parseBlockStats(await c.execute('query-blockstats')).filter((b) => b.qdev !== null);
    const found: { kind: 'blk' | 'net'; key: string; iothread: string | null }[] = [];
    for (const b of blks) {
      const old = vm.devs.find((d) => d.kind === 'blk' && d.key === b.key);
      let io: string | null = old ? old.iothread : null;
      if (!old) {
        try {
          io = parseIoThreadLink(await c.execute('qom-get', { path: b.qdev!, property: 'iothread' }));
        } catch (err) {
          if (!(err instanceof QmpError)) throw err;
          io = null; // a device type without an iothread property
        }
      }
      found.push({ kind: 'blk', key: b.key, iothread: io });
    }
    try {
      const hmp = await c.execute('human-monitor-command', { 'command-line': 'info network' });
      if (typeof hmp === 'string') for (const t of parseInfoNetworkTaps(hmp)) found.push({ kind: 'net', key: t.ifname, iothread: null });
    } catch (err) {
      if (!(err instanceof QmpError)) throw err;
    }
    vm.vhost = await findVhostThreads(this.o.procRoot, vm.pid);
    const before = vm.devs.map((d) => `${d.kind}:${d.key}:${d.iothread}`).join(',');
    const prevDevs = vm.devs;
    vm.devs = found.map((f, i) => {
      const qk = `${vm.key}|${f.kind}:${f.key}`;
      let q = this.queueIds.get(qk);
      if (q === undefined) {
        q = this.nextQueueId++;
        this.queueIds.set(qk, q);
      }
      return { queue: q, device: i, kind: f.kind, key: f.key, iothread: f.iothread };
    });
    for (const d of prevDevs) if (!vm.devs.some((x) => x.queue === d.queue)) this.retired.set(d.queue, { owner: null, polling: false });
    for (const d of vm.devs) this.retired.delete(d.queue);
    return before !== vm.devs.map((d) => `${d.kind}:${d.key}:${d.iothread}`).join(',');
  }

  private dropVm(vm: VmState, why: string): void {
    if (this.vms.get(vm.key) !== vm) return;
    for (const d of vm.devs) this.retired.set(d.queue, { owner: this.ownerOf(vm, d), polling: false });
    this.vms.delete(vm.key);
    vm.client.close();
    // A VM that is gone has nothing left to restore.
    if (this.persisted.delete(vm.key)) void this.writeState();
    for (const io of vm.iothreads) {
      const k = `${vm.key}|${io.id}`;
      this.ioCore.delete(k);
      this.ioPinned.delete(k);
      this.pollOverride.delete(k);
    }
    for (const tid of vm.vhost.keys()) {
      this.ioCore.delete(`${vm.key}|vhost:${tid}`);
      this.ioPinned.delete(`${vm.key}|vhost:${tid}`);
    }
    this.emit('vanished', `VM ${vm.name} (pid ${vm.pid}) is gone: ${why}`);
    if (!this.closed) this.infoChanged();
  }

  private buildInfo(): HostInfo {
    const vms = [...this.vms.values()].sort((a, b) => a.id - b.id);
    const g = this.o.group;
    return {
      name: this.o.name,
      source: 'agent',
      cores: this.cores,
      hz: this.hz,
      intervalMs: this.o.intervalMs,
      vms: vms.map((v) => ({ id: v.id, name: v.name, group: g.name, vcpus: v.vcpus.length })),
      queues: vms.flatMap((v) => v.devs.map((d) => ({ id: d.queue, vm: v.id, device: d.device, kind: d.kind }))).sort((a, b) => a.id - b.id),
      groups: [{ name: g.name, weight: g.weight, workload: g.workload }],
      observability: observabilityOf('qemu'),
    };
  }

  private infoChanged(): void {
    this.infoV = this.buildInfo();
    for (const cb of [...this.infoSubs]) cb(this.infoV);
  }

  // ---- measurement ----

  private async readThread(vm: VmState, tid: number): Promise<ThreadSample | null> {
    const base = `${this.o.procRoot}/${vm.vhost.get(tid) ?? vm.pid}/task/${tid}`;
    const [st, ss] = await Promise.all([readText(`${base}/stat`), readText(`${base}/schedstat`)]);
    const a = st ? parseTaskStat(st) : null;
    const b = ss ? parseSchedStat(ss) : null;
    if (!a) return null;
    return { ticks: a.utime + a.stime, runNs: b?.runNs ?? 0, waitNs: b?.waitNs ?? 0 };
  }

  /** One measurement; emits a snapshot from the second call on. Never two at once. */
  private async sample(): Promise<void> {
    if (this.sampling || this.closed) return;
    this.sampling = true;
    try {
      await this.sampleOnce();
    } catch (err) {
      this.emit('error', `sampling failed: ${(err as Error).message}`);
    } finally {
      this.sampling = false;
    }
  }

  private async sampleOnce(): Promise<void> {
    const now = this.o.clock.now();
    const statText = await readText(`${this.o.procRoot}/stat`);
    const ps = statText ? parseProcStat(statText) : null;
    if (!ps) throw new Error(`cannot read ${this.o.procRoot}/stat`);
    const first = this.prevStat === null;
    const dtMs = now - this.prevT;
    const cpt = this.hz / USER_HZ; // cycles per tick
    const cpn = this.hz / 1e9; // cycles per ns
    const dtS = dtMs / 1000;

    const vmStats: VmStats[] = [];
    const queues: QueueStats[] = [];
    const sideCyc = new Map<number, number>();
    for (const c of this.sideCores) sideCyc.set(c, 0);
    const vmsNow = [...this.vms.values()].sort((a, b) => a.id - b.id);
    const perVm = await Promise.all(vmsNow.map((vm) => this.sampleVm(vm).catch((err: Error) => ({ err }))));
    for (let i = 0; i < vmsNow.length; i++) {
      const vm = vmsNow[i];
      const r = perVm[i];
      if ('err' in r) {
        if (vm.client.dead) this.dropVm(vm, r.err.message);
        continue; // the VM is skipped this interval; the others go on
      }
      if (first || dtMs <= 0) continue;
      // IOThread cycles this interval, shared among its queues by their completed requests.
      const ioCyc = new Map<string, number>();
      for (const io of vm.iothreads) {
        const d = r.threads.get(io.threadId);
        const cyc = d ? d.ticks * cpt : 0;
        ioCyc.set(io.id, cyc);
        vm.ioCps.set(io.id, cyc / dtS);
        const core = this.ioCore.get(`${vm.key}|${io.id}`);
        if (core !== undefined && sideCyc.has(core)) sideCyc.set(core, sideCyc.get(core)! + cyc);
      }
      // vhost workers: their CPU goes to the side core running them and to the VM's net queues.
      let vhostCyc = 0;
      for (const tid of vm.vhost.keys()) {
        const d = r.threads.get(tid);
        const cyc = d ? d.ticks * cpt : 0;
        vm.vhostCps.set(tid, cyc / dtS);
        vhostCyc += cyc;
        const core = this.ioCore.get(`${vm.key}|vhost:${tid}`);
        if (core !== undefined && sideCyc.has(core)) sideCyc.set(core, sideCyc.get(core)! + cyc);
      }
      const nets = vm.devs.filter((d) => d.kind === 'net');
      const netReqs = nets.reduce((n, d) => n + (r.devs.get(d.queue)?.requests ?? 0), 0);
      const reqOnIo = new Map<string, { reqs: number; n: number }>();
      for (const d of vm.devs) {
        if (!d.iothread) continue;
        const e = reqOnIo.get(d.iothread) ?? { reqs: 0, n: 0 };
        e.reqs += r.devs.get(d.queue)?.requests ?? 0;
        e.n++;
        reqOnIo.set(d.iothread, e);
      }
      let vReq = 0;
      let vBytes = 0;
      let latNs = 0;
      let latOps = 0;
      for (const d of vm.devs) {
        const m = r.devs.get(d.queue) ?? { requests: 0, bytes: 0, timeNs: 0, timedOps: 0 };
        vReq += m.requests;
        vBytes += m.bytes;
        latNs += m.timeNs;
        latOps += m.timedOps;
        let work = 0;
        if (d.kind === 'net' && vm.vhost.size > 0) work = netReqs > 0 ? (vhostCyc * m.requests) / netReqs : vhostCyc / nets.length;
        if (d.iothread) {
          const share = reqOnIo.get(d.iothread)!;
          const cyc = ioCyc.get(d.iothread) ?? 0;
          work = share.reqs > 0 ? (cyc * m.requests) / share.reqs : cyc / share.n;
        }
        const owner = this.ownerOf(vm, d);
        queues.push({
          id: d.queue,
          vm: vm.id,
          device: d.device,
          kind: d.kind,
          owner,
          polling: d.iothread ? this.currentPoll(vm, d.iothread) > 0 : false,
          kicks: 0,
          polls: 0,
          emptyPolls: 0,
          requests: m.requests,
          bytes: m.bytes,
          pending: 0,
          waitCycles: 0,
          interrupts: 0,
          workCycles: Math.round(work),
        });
      }
      let run = 0;
      let wait = 0;
      for (const tid of vm.vcpus) {
        const d = r.threads.get(tid);
        if (d) {
          run += d.runNs * cpn;
          wait += d.waitNs * cpn;
        }
      }
      const mean = latOps > 0 ? latNs / latOps / 1000 : 0;
      vmStats.push({
        id: vm.id,
        name: vm.name,
        group: this.o.group.name,
        requestsPerSec: vReq / dtS,
        bytesPerSec: vBytes / dtS,
        guestCyclesPerSec: 0,
        latencyUs: { p50: mean, p99: mean, p999: mean },
        exitsPerSec: 0,
        interruptsPerSec: 0,
        vcpuRunCycles: Math.round(run),
        vcpuWaitCycles: Math.round(wait),
        load: 0,
      });
    }
    const prev = this.prevStat;
    this.prevStat = ps;
    this.prevT = now;
    if (first || !prev || dtMs <= 0 || this.closed) return;

    const side = new Set(this.sideCores);
    const cores: CoreStats[] = ps.cpus.slice(0, this.cores).map((c) => {
      const p = prev.cpus.find((x) => x.id === c.id);
      const d = p ? cpuDelta(p, c) : { busy: 0, guest: 0, idle: 0 };
      const guest = Math.min(d.guest, d.busy);
      return { id: c.id, role: side.has(c.id) ? 'side' : 'vm', cycles: { guest: Math.round(guest * cpt), exit: 0, io: Math.round((d.busy - guest) * cpt), emptyPoll: 0, ctxSwitch: 0, idle: Math.round(d.idle * cpt) } };
    });
    const sideCores: SideCoreStats[] = this.sideCores.map((c) => ({
      coreId: c,
      loops: 0,
      workCycles: Math.round(sideCyc.get(c) ?? 0),
      emptyPolls: 0,
      emptyPollCycles: 0,
      queues: queues.filter((q) => q.owner === c).map((q) => q.id),
    }));
    queues.sort((a, b) => a.id - b.id);
    const totReq = queues.reduce((s, q) => s + q.requests, 0);
    const totBytes = queues.reduce((s, q) => s + q.bytes, 0);
    const latW = vmStats.reduce((s, v) => s + v.requestsPerSec, 0);
    const latMean = latW > 0 ? vmStats.reduce((s, v) => s + v.latencyUs.p50 * v.requestsPerSec, 0) / latW : 0;
    const lat: LatencyStats = { p50: latMean, p99: latMean, p999: latMean };
    const groups: GroupStats[] = vmStats.length
      ? [{ group: this.o.group.name, requestsPerSec: totReq / dtS, bytesPerSec: totBytes / dtS, guestCyclesPerSec: 0, latencyUs: lat, workRate: 0, score: 0 }]
      : [];
    const snap = assembleSnapshot(
      { seq: this.seq++, t: now - this.t0, intervalMs: dtMs, hz: this.hz, phase: '', cores, sideCores, queues, vms: vmStats, groups },
      { requestsPerSec: totReq / dtS, bytesPerSec: totBytes / dtS, exitsPerSec: 0, interruptsPerSec: 0, ctxSwitchesPerSec: Math.max(0, ps.ctxt - prev.ctxt) / dtS, sideCores: this.sideCores.length, latencyUs: lat },
    );
    for (const cb of [...this.snapSubs]) cb(snap);
  }

  /** Deltas of one VM's threads and devices since its previous sample (zeros on its first). */
  private async sampleVm(vm: VmState): Promise<{ threads: Map<number, ThreadSample>; devs: Map<number, { requests: number; bytes: number; timeNs: number; timedOps: number }> }> {
    const blk = parseBlockStats(await vm.client.execute('query-blockstats'));
    const threads = new Map<number, ThreadSample>();
    const tids = [...vm.vcpus, ...vm.iothreads.map((i) => i.threadId), ...vm.vhost.keys()];
    const samples = await Promise.all(tids.map((t) => this.readThread(vm, t)));
    // Forget threads that are no longer the VM's (bounded state when vhost workers come and go).
    for (const t of vm.prevThread.keys()) if (!tids.includes(t)) vm.prevThread.delete(t);
    for (const t of vm.vhostCps.keys()) if (!vm.vhost.has(t)) vm.vhostCps.delete(t);
    for (let i = 0; i < tids.length; i++) {
      const s = samples[i];
      if (!s) continue;
      const p = vm.prevThread.get(tids[i]);
      vm.prevThread.set(tids[i], s);
      threads.set(tids[i], p ? { ticks: Math.max(0, s.ticks - p.ticks), runNs: Math.max(0, s.runNs - p.runNs), waitNs: Math.max(0, s.waitNs - p.waitNs) } : { ticks: 0, runNs: 0, waitNs: 0 });
    }
    const devs = new Map<number, { requests: number; bytes: number; timeNs: number; timedOps: number }>();
    for (const d of vm.devs) {
      if (d.kind === 'blk') {
        const b = blk.find((x) => x.key === d.key);
        if (!b) continue;
        const p = vm.prevBlk.get(d.key);
        vm.prevBlk.set(d.key, { ops: b.ops, bytes: b.bytes, timeNs: b.totalTimeNs, timedOps: b.timedOps });
        if (p) devs.set(d.queue, { requests: Math.max(0, b.ops - p.ops), bytes: Math.max(0, b.bytes - p.bytes), timeNs: Math.max(0, b.totalTimeNs - p.timeNs), timedOps: Math.max(0, b.timedOps - p.timedOps) });
      } else {
        const n = await readNetCounters(d.key, this.o.sysRoot);
        if (!n) continue;
        const p = vm.prevNet.get(d.key);
        vm.prevNet.set(d.key, n);
        if (p) devs.set(d.queue, { requests: Math.max(0, n.rxPackets + n.txPackets - p.rxPackets - p.txPackets), bytes: Math.max(0, n.rxBytes + n.txBytes - p.rxBytes - p.txBytes), timeNs: 0, timedOps: 0 });
      }
    }
    return { threads, devs };
  }

  // ---- control ----

  private currentPoll(vm: VmState, io: string): number {
    return vm.iothreads.find((x) => x.id === io)?.pollMaxNs ?? 0;
  }

  /** The poll settings an IOThread should have under the decisions in force. */
  private wantPoll(vm: VmState, io: string): { maxNs: number; grow: number; shrink: number } {
    const key = `${vm.key}|${io}`;
    const orig = vm.origPoll.get(io) ?? { maxNs: this.currentPoll(vm, io), grow: 0, shrink: 0 };
    const side = { maxNs: this.knobs.pollMaxNs, grow: this.knobs.pollGrow, shrink: this.knobs.pollShrink };
    const ov = this.pollOverride.get(key);
    if (ov !== undefined) return ov ? side : { maxNs: 0, grow: orig.grow, shrink: orig.shrink };
    return this.ioCore.has(key) ? side : orig;
  }

  /** Recomputes which side core runs which IOThread (pins first, the rest spread by measured CPU). */
  private plan(): void {
    const threads = [...this.vms.values()].flatMap((vm) => [
      ...vm.iothreads.map((io) => {
        const key = `${vm.key}|${io.id}`;
        return { key, cyclesPerSec: vm.ioCps.get(io.id) ?? 0, pinned: this.ioPinned.get(key) };
      }),
      ...[...vm.vhost.keys()].map((tid) => ({ key: `${vm.key}|vhost:${tid}`, cyclesPerSec: vm.vhostCps.get(tid) ?? 0 })),
    ]);
    this.ioCore = spreadSideThreads(threads, this.sideCores, this.ioCore);
  }

  /** Validates an action and records the decision (synchronously); `what` null: nothing to apply. */
  private decide(a: ControlAction | KnobAction): { ok: false; error: string } | { ok: true; what: string | null } {
    if (this.closed) return { ok: false, error: 'the QEMU driver is closed' };
    const refuse = (error: string): { ok: false; error: string } => ({ ok: false, error });
    switch (a?.kind) {
      case 'setSideCores': {
        const e = checkSideCores(this.cores, a.cores);
        if (e) return refuse(e);
        const next = [...a.cores].sort((x, y) => x - y);
        const same = next.length === this.sideCores.length && next.every((c, i) => c === this.sideCores[i]);
        if (!same) {
          this.ioPinned.clear();
          this.pollOverride.clear();
        }
        this.sideCores = next;
        this.plan();
        return { ok: true, what: `side cores → [${next.join(', ')}]` };
      }
      case 'assignQueue': {
        const f = this.findQueue(a.queue);
        if (!f) {
          const r = this.retired.get(a.queue);
          if (!r) return refuse(`queue ${String(a.queue)} does not exist`);
          if (!this.sideCores.includes(a.core)) return refuse(`core ${String(a.core)} is not a side core (side cores: [${this.sideCores.join(', ')}])`);
          r.owner = a.core;
          return { ok: true, what: null };
        }
        if (f.dev.kind === 'net' && f.vm.vhost.size > 0) {
          if (!this.sideCores.includes(a.core)) return refuse(`core ${String(a.core)} is not a side core (side cores: [${this.sideCores.join(', ')}])`);
          for (const tid of f.vm.vhost.keys()) this.ioPinned.set(`${f.vm.key}|vhost:${tid}`, a.core);
          this.plan();
          return { ok: true, what: `queue ${a.queue} (vhost threads of ${f.vm.name}) → core ${a.core}` };
        }
        if (!f.dev.iothread) return refuse(`queue ${a.queue} (${f.dev.kind} ${f.dev.key} of ${f.vm.name}) has no IOThread to move: stock QEMU serves it from the main loop${f.dev.kind === 'net' ? ' or a vhost-net thread' : ''}`);
        if (!this.sideCores.includes(a.core)) return refuse(`core ${String(a.core)} is not a side core (side cores: [${this.sideCores.join(', ')}])`);
        this.ioPinned.set(`${f.vm.key}|${f.dev.iothread}`, a.core);
        this.plan();
        return { ok: true, what: `queue ${a.queue} (IOThread ${f.dev.iothread} of ${f.vm.name}) → core ${a.core}` };
      }
      case 'setPolling': {
        const f = this.findQueue(a.queue);
        if (!f) {
          const r = this.retired.get(a.queue);
          if (!r) return refuse(`queue ${String(a.queue)} does not exist`);
          r.polling = a.on === true;
          return { ok: true, what: null };
        }
        if (!f.dev.iothread) return refuse(`queue ${a.queue} (${f.dev.kind} ${f.dev.key} of ${f.vm.name}) has no IOThread whose polling could change`);
        if (typeof a.on !== 'boolean') return refuse('setPolling needs on: true or false');
        this.pollOverride.set(`${f.vm.key}|${f.dev.iothread}`, a.on);
        return { ok: true, what: `polling of queue ${a.queue} (IOThread ${f.dev.iothread} of ${f.vm.name}) ${a.on ? 'on' : 'off'}` };
      }
      case 'setIoThreadPoll': {
        const okNs = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1_000_000_000;
        if (!okNs(a.maxNs)) return refuse(`maxNs must be an integer from 0 to 1,000,000,000 ns, got ${String(a.maxNs)}`);
        if (a.grow !== undefined && !okNs(a.grow)) return refuse(`grow must be a non-negative integer, got ${String(a.grow)}`);
        if (a.shrink !== undefined && !okNs(a.shrink)) return refuse(`shrink must be a non-negative integer, got ${String(a.shrink)}`);
        this.knobs = { ...this.knobs, pollMaxNs: a.maxNs, pollGrow: a.grow ?? this.knobs.pollGrow, pollShrink: a.shrink ?? this.knobs.pollShrink };
        return { ok: true, what: `side-core IOThread polling → poll-max-ns ${a.maxNs}` };
      }
      case 'setVhostPoll':
        return refuse('vhost-net busy polling (poll-us) is fixed when the tap netdev is created; stock QEMU cannot change it at run time');
      case 'setPmdMaxSleep':
        return refuse('pmd-maxsleep is an Open vSwitch knob; a QEMU host has no PMD threads');
      case 'setManager':
        // An accounting action: on the model it charges the manager's modelled CPU. On a real host
        // the manager is this process and its CPU is real, already in /proc/stat; nothing to charge.
        if (typeof a.on !== 'boolean') return refuse('setManager needs on: true or false');
        this.knobs = { ...this.knobs, manager: { on: a.on, core: a.core ?? null } };
        return { ok: true, what: null };
      default:
        return refuse(`unknown action ${JSON.stringify((a as { kind?: unknown })?.kind)}`);
    }
  }

  /** The side core serving a device under the decisions in force (null: not on a side core). */
  private ownerOf(vm: VmState, d: DevState): number | null {
    if (d.iothread) return this.ioCore.get(`${vm.key}|${d.iothread}`) ?? null;
    if (d.kind === 'net' && vm.vhost.size > 0) {
      const cores = new Set([...vm.vhost.keys()].map((tid) => this.ioCore.get(`${vm.key}|vhost:${tid}`) ?? null));
      return cores.size === 1 ? [...cores][0] : null;
    }
    return null;
  }

  private findQueue(q: unknown): { vm: VmState; dev: DevState } | null {
    for (const vm of this.vms.values()) for (const d of vm.devs) if (d.queue === q) return { vm, dev: d };
    return null;
  }

  /** Threads of a QEMU process with their names and current affinity (empty when it is gone). */
  private async listTasks(vm: VmState): Promise<{ tid: number; name: string; cpus: number[] }[]> {
    const dir = `${this.o.procRoot}/${vm.pid}/task`;
    const tids = await readdir(dir).catch(() => [] as string[]);
    const out: { tid: number; name: string; cpus: number[] }[] = [];
    for (const t of tids) {
      const txt = await readText(`${dir}/${t}/status`).catch(() => null);
      const s = txt ? parseTaskStatus(txt) : null;
      if (s) out.push({ tid: Number(t), name: s.name, cpus: s.cpusAllowed });
    }
    if (out.length === 0) return out; // the VM is gone
    for (const [tid, owner] of vm.vhost) {
      if (owner === vm.pid) continue; // listed above
      const txt = await readText(`${this.o.procRoot}/${owner}/task/${tid}/status`).catch(() => null);
      const s = txt ? parseTaskStatus(txt) : null;
      if (s) out.push({ tid, name: s.name, cpus: s.cpusAllowed });
    }
    return out;
  }

  /**
   * Brings every VM to the configuration in force (side cores, pins, polling). Records originals
   * before the first change of each VM. A VM that vanishes is skipped; other failures are reported.
   */
  private async enforce(what: string): Promise<ControlResult> {
    if (this.closed) return { ok: false, error: 'the QEMU driver is closed' };
    const side = this.sideCores;
    const place = this.ioCore;
    const vmCores = vmCoresOf(this.cores, side);
    const changes: QemuChange[] = [];
    const errors: string[] = [];
    for (const vm of [...this.vms.values()]) {
      try {
        const tasks = await this.listTasks(vm);
        if (tasks.length === 0) continue; // gone; the socket close drops it
        const ioByTid = new Map(vm.iothreads.map((io) => [io.threadId, io.id]));
        if (side.length > 0 && !vm.origAffinity && !this.o.dryRun) vm.origAffinity = new Map(tasks.map((t) => [t.tid, t.cpus]));
        const mainOrig = vm.origAffinity?.get(vm.pid);
        let recorded = false;
        for (const t of tasks) {
          let to: number[] | null;
          if (side.length === 0) to = vm.origAffinity ? (vm.origAffinity.get(t.tid) ?? (vm.vhost.get(t.tid) === t.tid ? null : (mainOrig ?? null))) : null;
          else {
            const io = ioByTid.get(t.tid);
            const c = io !== undefined ? place.get(`${vm.key}|${io}`) : vm.vhost.has(t.tid) ? place.get(`${vm.key}|vhost:${t.tid}`) : undefined;
            to = c !== undefined ? [c] : vmCores;
          }
          if (!to || (to.length === t.cpus.length && to.every((c, i) => c === t.cpus[i]))) continue;
          changes.push({ kind: 'affinity', vm: vm.name, tid: t.tid, thread: t.name, from: t.cpus, to });
          // the originals reach the state file before the first change of this VM
          if (!recorded) await this.persist(vm);
          recorded = true;
          if (!this.o.dryRun) await this.setAffinity(t.tid, to);
        }
        for (const io of vm.iothreads) {
          const want = this.wantPoll(vm, io.id);
          if (want.maxNs === io.pollMaxNs && want.grow === io.pollGrow && want.shrink === io.pollShrink) continue;
          changes.push({ kind: 'poll', vm: vm.name, iothread: io.id, from: io.pollMaxNs, to: want.maxNs, grow: want.grow, shrink: want.shrink });
          if (!recorded) await this.persist(vm);
          recorded = true;
          if (!this.o.dryRun) await this.setPoll(vm, io, want);
        }
      } catch (err) {
        if (vm.client.dead || !(await stat(`${this.o.procRoot}/${vm.pid}`).catch(() => null))) continue; // vanished mid-change
        errors.push(`${vm.name}: ${(err as Error).message}`);
      }
    }
    if (this.o.dryRun) this.emit('would-change', `dry run: ${what}: ${changes.length} change(s) not made`, changes);
    else if (changes.length > 0) this.emit('change', `${what}: ${changes.length} change(s)`, changes);
    if (errors.length > 0) {
      this.emit('error', `${what}: ${errors.join('; ')}`);
      return { ok: false, error: `${what}: partly applied: ${errors.join('; ')}` };
    }
    return { ok: true, costCycles: 0 };
  }

  private async setPoll(vm: VmState, io: QmpIoThread, want: { maxNs: number; grow: number; shrink: number }): Promise<void> {
    const path = `/objects/${io.id}`;
    // poll-max-ns last when growing, first when shrinking (QEMU checks nothing across them, but the thread sees the final window either way).
    if (want.grow !== io.pollGrow) await vm.client.execute('qom-set', { path, property: 'poll-grow', value: want.grow });
    if (want.shrink !== io.pollShrink) await vm.client.execute('qom-set', { path, property: 'poll-shrink', value: want.shrink });
    if (want.maxNs !== io.pollMaxNs) await vm.client.execute('qom-set', { path, property: 'poll-max-ns', value: want.maxNs });
    io.pollMaxNs = want.maxNs;
    io.pollGrow = want.grow;
    io.pollShrink = want.shrink;
  }

  private async restoreAll(why: string): Promise<ControlResult> {
    const changes: QemuChange[] = [];
    const errors: string[] = [];
    for (const vm of [...this.vms.values()]) {
      try {
        if (vm.origAffinity) {
          const mainOrig = vm.origAffinity.get(vm.pid);
          for (const t of await this.listTasks(vm)) {
            const to = vm.origAffinity.get(t.tid) ?? (vm.vhost.get(t.tid) === t.tid ? undefined : mainOrig);
            if (!to || (to.length === t.cpus.length && to.every((c, i) => c === t.cpus[i]))) continue;
            changes.push({ kind: 'affinity', vm: vm.name, tid: t.tid, thread: t.name, from: t.cpus, to });
            await this.setAffinity(t.tid, to);
          }
        }
        for (const io of vm.iothreads) {
          const orig = vm.origPoll.get(io.id);
          if (!orig || (orig.maxNs === io.pollMaxNs && orig.grow === io.pollGrow && orig.shrink === io.pollShrink)) continue;
          changes.push({ kind: 'poll', vm: vm.name, iothread: io.id, from: io.pollMaxNs, to: orig.maxNs, grow: orig.grow, shrink: orig.shrink });
          if (!vm.client.dead) await this.setPoll(vm, io, orig);
        }
        vm.origAffinity = null;
        vm.adopted = false;
        this.persisted.delete(vm.key);
      } catch (err) {
        if (vm.client.dead || !(await stat(`${this.o.procRoot}/${vm.pid}`).catch(() => null))) {
          this.persisted.delete(vm.key);
          continue;
        }
        errors.push(`${vm.name}: ${(err as Error).message}`);
      }
    }
    // Restored VMs leave the state file (it goes when nothing is left to restore).
    await this.writeState();
    this.sideCores = [];
    this.ioCore = new Map();
    this.ioPinned.clear();
    this.pollOverride.clear();
    this.emit('restore', `restored the original placement and polling (${why}): ${changes.length} change(s)`, changes);
    if (errors.length > 0) return { ok: false, error: `restore incomplete: ${errors.join('; ')}` };
    return { ok: true, costCycles: 0 };
  }
}

/**
 * The vhost worker threads of QEMU process `pid`: threads of the process named `vhost-<pid>`
 * (Linux ≥ 6.4 runs vhost workers as threads of their owner) and kernel threads named
 * `vhost-<pid>` (before 6.4). Returns tid → the pid whose task folder holds it.
 */
export async function findVhostThreads(procRoot: string, pid: number): Promise<Map<number, number>> {
  const want = `vhost-${pid}`;
  const out = new Map<number, number>();
  for (const t of await readdir(`${procRoot}/${pid}/task`).catch(() => [] as string[])) {
    const c = await readText(`${procRoot}/${pid}/task/${t}/comm`).catch(() => null);
    if (c !== null && c.trim() === want) out.set(Number(t), pid);
  }
  for (const e of await readdir(procRoot).catch(() => [] as string[])) {
    if (!/^\d+$/.test(e) || Number(e) === pid) continue;
    const c = await readText(`${procRoot}/${e}/comm`).catch(() => null);
    if (c !== null && c.trim() === want) out.set(Number(e), Number(e));
  }
  return out;
}

/** The core clock: /proc/cpuinfo's first "cpu MHz", else 2 GHz. */
async function readHz(procRoot: string): Promise<number> {
  const t = await readText(`${procRoot}/cpuinfo`).catch(() => null);
  const m = t ? /^cpu MHz\s*:\s*([\d.]+)/m.exec(t) : null;
  const mhz = m ? Number(m[1]) : NaN;
  return Number.isFinite(mhz) && mhz > 0 ? Math.round(mhz * 1e6) : 2e9;
}

/**
 * Creates the QEMU driver: validates the options, counts the cores (/proc/stat), runs the first
 * discovery and the baseline measurement, then discovers and samples on the injected clock.
 * Throws an Error naming the bad option.
 */
export async function createQemuSource(opts: QemuSourceOptions): Promise<QemuHostSource> {
  if (typeof opts?.qmp !== 'string' || opts.qmp.trim() === '') throw new Error('qmp must name a folder, a glob or a socket path of QEMU QMP sockets');
  const iv = opts.intervalMs ?? 500;
  if (!Number.isFinite(iv) || iv < 100 || iv > 60_000) throw new Error(`intervalMs must be 100 … 60000, got ${String(opts.intervalMs)}`);
  const dm = opts.discoverMs ?? 2000;
  if (!Number.isFinite(dm) || dm < 100 || dm > 600_000) throw new Error(`discoverMs must be 100 … 600000, got ${String(opts.discoverMs)}`);
  const sp = opts.sidePollMaxNs ?? 1_000_000;
  if (!Number.isInteger(sp) || sp < 0 || sp > 1_000_000_000) throw new Error(`sidePollMaxNs must be an integer 0 … 1e9, got ${String(opts.sidePollMaxNs)}`);
  const procRoot = opts.procRoot ?? '/proc';
  const st = await readText(`${procRoot}/stat`);
  const ps = st ? parseProcStat(st) : null;
  if (!ps) throw new Error(`cannot read the cores from ${procRoot}/stat`);
  const cores = ps.cpus.length;
  if (ps.cpus.some((c, i) => c.id !== i)) throw new Error(`${procRoot}/stat lists CPUs ${ps.cpus.map((c) => c.id).join(',')}: only hosts with every CPU 0…N-1 online are supported`);
  const hz = opts.hz ?? (await readHz(procRoot));
  if (!Number.isFinite(hz) || hz <= 0) throw new Error(`hz must be positive, got ${String(opts.hz)}`);
  const src = new QemuHostSource(opts, hz, cores);
  try {
    await src.start();
  } catch (err) {
    await src.close();
    throw err;
  }
  return src;
}
