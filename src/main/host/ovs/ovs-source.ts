/**
 * The Open vSwitch with DPDK driver: a {@link HostSource} over an existing ovs-vswitchd and
 * ovsdb-server whose sockets live in `rundir`. PMD cores are the side cores, vhost-user ports'
 * rx queues are the queues, the ports' owners are the VMs (./map.ts); it declares the `ovs`
 * observability profile. docs/ovs-driver.md says what it changes on a host and how to undo it.
 *
 * It talks to OVS through OVS's own command-line clients, `ovs-vsctl` and `ovs-appctl`, run with
 * execFile (no shell), a timeout and a bounded output: they speak every OVSDB/unixctl protocol
 * detail for us (ovs-vsctl waits until ovs-vswitchd has applied a change — a real
 * acknowledgement), and an operator can run each command the driver runs by hand. Six short
 * processes per interval (1 s by default) cost little next to a PMD's busy-polling core.
 *
 * Controls: `setSideCores` → `other_config:pmd-cpu-mask` (never empty: OVS keeps ≥ 1 PMD);
 * `assignQueue` → the port's `other_config:pmd-rxq-affinity` (with `pmd-rxq-isolate=false`, so
 * OVS keeps spreading unpinned rx queues, e.g. of new ports, over every PMD); `setPmdMaxSleep` →
 * `other_config:pmd-maxsleep`. An affinity the driver did not write is the operator's: it is never
 * overwritten, its queues are never moved, and a mask that drops a core it names is refused.
 * `close()` restores the mask, maxsleep, isolate setting and every affinity the driver wrote (one
 * the operator changed since is left alone).
 *
 * `dryRun` (`iocm agent --driver ovs --dry-run`): each action is checked as without it (the same
 * refusals), the command it would run is logged and listed in `changes`, and nothing is sent to
 * ovs-vsctl. As the qemu and model drivers' dry runs (../dry-run.ts), config() shows the decided
 * configuration — samples of OVS, which keeps its own, do not undo it — so a loop sees its decision
 * as in force and settles instead of deciding it again every epoch; snapshots measure OVS as it
 * runs, laid out as decided. Where OVS would poll each queue under the decided PMD cores is the
 * driver's estimate ({@link OvsHostSource.placeDecided}); `close()` restores nothing.
 *
 * vCPUs: OVS does not know which process is behind a vhost-user socket, so the driver looks
 * ({@link scanVhostFrontends}): the process whose command line names the port's socket and that has
 * QEMU vCPU threads (`CPU n/KVM`, named so with `-name …,debug-threads=on`) is the VM's QEMU; every
 * interval it reads those threads' schedstat (run and wait ns). It scans /proc again when the ports
 * or their sockets change, when a thread it measures is gone, and otherwise every `vcpuScanMs`.
 *
 * Core layer: plain Node (child_process, fs); time only from the injected clock.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { copyConfig, type ControlAction, type ControlResult, type HostConfig, type HostInfo, type KnobAction } from '../../../shared/control.ts';
import type { HostSnapshot } from '../../../shared/snapshot.ts';
import type { HostSource, HostSourceCapabilities } from '../source.ts';
import { dryRunSnapshot } from '../dry-run.ts';
import { parseSchedStat, readText } from '../qemu/procfs.ts';
import { buildConfig, buildInfo, buildSnapshot, buildTopology, threadKey, tscHzFromPerf, vhostSocketPath, VHOST_TYPES, vmVcpuThreads, type IfaceRow, type OvsSample, type ThreadSched, type Topology, type VcpuMap } from './map.ts';
import {
  cmdlineNamesPath,
  formatCpuMask,
  formatRxqAffinity,
  isVcpuThreadName,
  mapColumn,
  parseCmdline,
  parseCpuMask,
  parseDpctlShow,
  parsePmdPerfShow,
  parsePmdRxqShow,
  parsePmdStatsShow,
  parseProcStat,
  parseRxqAffinity,
  parseVsctlJson,
  socketNameHint,
} from './parse.ts';

/** The clock and timer a shell injects. */
export interface OvsClock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Options of {@link createOvsSource}. */
export interface OvsSourceOptions {
  /** Where db.sock and the ovs-vswitchd control socket live (default: OVS_RUNDIR from `env`, else /var/run/openvswitch). */
  rundir?: string;
  /** Environment to read OVS_RUNDIR from (default process.env). */
  env?: Record<string, string | undefined>;
  clock: OvsClock;
  /** Snapshot interval, ms (default 1000, at least 200). */
  intervalMs?: number;
  /**
   * Decide and log the changes instead of making them (statistics are still read): config() and the
   * snapshots' layout follow the decisions, OVS keeps its configuration (see the file comment).
   */
  dryRun?: boolean;
  /** Display name (default `ovs@<hostname>`). */
  name?: string;
  /** Group ports into VMs: the first capture group names the VM (see ./map.ts). */
  vmOfPort?: RegExp;
  /** Binaries (default from PATH). */
  vsctl?: string;
  appctl?: string;
  /** Per-command timeout, ms (default 5000). */
  timeoutMs?: number;
  /** Most bytes a command may print (default 4 MiB). */
  maxOutputBytes?: number;
  /** /proc/stat ticks per second (default 100, Linux's USER_HZ). */
  userHz?: number;
  /** The usage window asked of pmd-rxq-show, s (multiple of 5, 5–60; default 5). */
  rxqWindowS?: number;
  /**
   * Called with each change made (or, in dry-run, planned), each sampling error, and when it
   * changes, which processes serve the vhost-user ports (the VMs' vCPU threads found).
   */
  onLog?: (line: string) => void;
  /**
   * Runs one OVS client command and resolves with its stdout (default: execFile, no shell, with
   * `timeoutMs` and `maxOutputBytes`; rejects naming the command). Tests inject a fake OVS here.
   */
  exec?: (bin: string, args: string[], timeoutMs: number, maxOutputBytes: number) => Promise<string>;
  /** Reads /proc/stat (default: the file under `procRoot`). Tests inject one. */
  readProcStat?: () => Promise<string>;
  /**
   * Where the kernel's process files are (default /proc): scanned for the QEMU processes behind
   * the vhost-user sockets and their vCPU threads' schedstat. Tests give a fake tree.
   */
  procRoot?: string;
  /** How often, ms, the processes are scanned again when nothing else asks for it (default 10000). */
  vcpuScanMs?: number;
}

const DEFAULT_RUNDIR = '/var/run/openvswitch';
const MAX_SLEEP_US = 10_000;
/** Changes kept in `changes` (memory stays bounded on a long run; each is also logged). */
export const MAX_CHANGES = 1000;

/** The run folder OVS's tools would use: the option, else OVS_RUNDIR, else /var/run/openvswitch. */
export function resolveRundir(rundir: string | undefined, env: Record<string, string | undefined>): string {
  return rundir && rundir.length > 0 ? rundir : env.OVS_RUNDIR && env.OVS_RUNDIR.length > 0 ? env.OVS_RUNDIR : DEFAULT_RUNDIR;
}

/**
 * The ovs-vswitchd control socket in `rundir`: `ovs-vswitchd.ctl` (a fixed --unixctl name), else
 * `<program>.<pid>.ctl` from the pid file (the packaged service), else the only `ovs-vswitchd*.ctl`.
 */
export function findControlSocket(rundir: string): string | null {
  const fixed = join(rundir, 'ovs-vswitchd.ctl');
  if (existsSync(fixed)) return fixed;
  let pid = '';
  try {
    pid = readFileSync(join(rundir, 'ovs-vswitchd.pid'), 'utf8').trim();
  } catch {
    /* no pid file */
  }
  if (/^\d+$/.test(pid)) {
    for (const prog of ['ovs-vswitchd', 'ovs-vswitchd-dpdk']) {
      const p = join(rundir, `${prog}.${pid}.ctl`);
      if (existsSync(p)) return p;
    }
  }
  try {
    const c = readdirSync(rundir).filter((f) => /^ovs-vswitchd.*\.ctl$/.test(f));
    if (c.length === 1) return join(rundir, c[0]);
  } catch {
    /* unreadable */
  }
  return null;
}

/** Most bytes of a /proc/PID/cmdline read (libvirt's QEMU command lines are tens of KiB). */
export const MAX_CMDLINE_BYTES = 256 << 10;
/** Most processes scanned, and most threads of one process read. */
const MAX_SCAN_PROCS = 65_536;
const MAX_TASKS = 4096;
/** Files read at once during a scan. */
const SCAN_BATCH = 32;

/** A process whose command line names vhost-user sockets, and its vCPU threads (maybe none). */
export interface SocketProcess {
  pid: number;
  /** The socket paths (as asked) its command line names. */
  paths: string[];
  /** Its QEMU vCPU threads' ids, ascending; empty: not a QEMU guest (a DPDK application, say). */
  vcpus: number[];
}

/** Up to `max` bytes of a file (as UTF-8), or null when it cannot be read (gone, not ours, …). */
async function readBounded(path: string, max: number): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(Math.min(max, 8 << 10));
    const parts: Buffer[] = [];
    let total = 0;
    while (total < max) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, max - total), null);
      if (bytesRead === 0) break;
      parts.push(Buffer.from(buf.subarray(0, bytesRead)));
      total += bytesRead;
    }
    return Buffer.concat(parts).toString('utf8');
  } catch {
    return null;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

async function inBatches<T>(items: readonly T[], fn: (x: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += SCAN_BATCH) await Promise.all(items.slice(i, i + SCAN_BATCH).map(fn));
}

/** The QEMU vCPU threads of process `pid` ({@link isVcpuThreadName} on each task's comm), ascending. */
export async function vcpuThreadsOf(procRoot: string, pid: number): Promise<number[]> {
  const tasks = (await readdir(`${procRoot}/${pid}/task`).catch(() => [] as string[])).filter((t) => /^\d+$/.test(t)).slice(0, MAX_TASKS);
  const out: number[] = [];
  await inBatches(tasks, async (t) => {
    const comm = await readBounded(`${procRoot}/${pid}/task/${t}/comm`, 64);
    if (comm !== null && isVcpuThreadName(comm)) out.push(Number(t));
  });
  return out.sort((a, b) => a - b);
}

/**
 * The processes under `procRoot` whose command line (/proc/PID/cmdline, at most
 * {@link MAX_CMDLINE_BYTES}) names one of the socket `paths` ({@link cmdlineNamesPath}), each with
 * its vCPU threads. Unreadable entries (gone, another user's under hidepid) are skipped; files are
 * read a few at a time, no shell. Costs one small read per process and, for the few that name a
 * socket, one per thread.
 */
export async function scanVhostFrontends(procRoot: string, paths: readonly string[]): Promise<SocketProcess[]> {
  if (paths.length === 0) return [];
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number).slice(0, MAX_SCAN_PROCS);
  const hints = paths.map(socketNameHint);
  const out: SocketProcess[] = [];
  await inBatches(pids, async (pid) => {
    const text = await readBounded(`${procRoot}/${pid}/cmdline`, MAX_CMDLINE_BYTES);
    if (!text || !hints.some((h) => text.includes(h))) return;
    const args = parseCmdline(text);
    const named = paths.filter((p) => cmdlineNamesPath(args, p));
    if (named.length > 0) out.push({ pid, paths: named, vcpus: await vcpuThreadsOf(procRoot, pid) });
  });
  return out.sort((a, b) => a.pid - b.pid);
}

/** Run a binary without a shell; resolves with stdout, rejects naming the command and its stderr. */
function run(bin: string, args: string[], timeoutMs: number, maxBuffer: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer, encoding: 'utf8', killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${bin} is not installed` : ((stderr || '').trim() || err.message).slice(0, 400);
        reject(new Error(`${bin} ${args.join(' ')}: ${why}`));
      } else resolve(stdout);
    });
  });
}

function cpuinfoHz(): number | null {
  try {
    const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Number(m[1]) * 1e6 : null;
  } catch {
    return null;
  }
}

/** What the driver found when it started, and restores on close. */
interface Originals {
  /** undefined: the key was absent. */
  mask: string | undefined;
  maxSleep: string | undefined;
  isolate: string | undefined;
}

/** The OVS-DPDK host source. Create it with {@link createOvsSource}. */
export class OvsHostSource implements HostSource {
  readonly kind = 'ovs' as const;
  readonly rundir: string;
  readonly dryRun: boolean;
  /** Commands a dry run would have made (and, outside dry-run, those made), in order; the last {@link MAX_CHANGES}. */
  readonly changes: string[] = [];
  private readonly o: OvsSourceOptions;
  private readonly db: string;
  private readonly ctl: string;
  private readonly vsctlBin: string;
  private readonly appctlBin: string;
  private readonly timeoutMs: number;
  private readonly maxOut: number;
  private readonly intervalMs: number;
  private readonly rxqWindowS: number;
  private readonly subs: ((s: HostSnapshot) => void)[] = [];
  private readonly infoSubs: ((i: HostInfo) => void)[] = [];
  private t0 = 0;
  private seq = 0;
  private hz = 2e9;
  private cores = 1;
  private prev: OvsSample | null = null;
  private topo: Topology = { vms: [], queues: [], key: '' };
  private infoV!: HostInfo;
  private readonly procRoot: string;
  private readonly vcpuScanMs: number;
  /** The vCPU threads found behind the ports by the last scan. */
  private vcpuMap: VcpuMap = { portPids: new Map(), threads: new Map() };
  /** The ports and sockets the last scan looked for, and when it ran (injected clock). */
  private scanKey = '';
  private scannedAt = -Infinity;
  /** What the last scan found, in words (logged when it changes). */
  private scanText = '';
  /** The VMs' vCPU counts in infoV. */
  private vcpuKey = '';
  /** The configuration OVS has (from the samples, and our changes once made). */
  private configV!: HostConfig;
  /** Dry run: the configuration decided so far, which config() shows (OVS keeps its own); null otherwise. */
  private decided: HostConfig | null = null;
  /** Dry run: each queue's (`port#rxq`) measured work in the last snapshot, to place queues as OVS would. */
  private lastWork = new Map<string, number>();
  private originals: Originals = { mask: undefined, maxSleep: undefined, isolate: undefined };
  /** Affinities this driver wrote: port → (its original value or undefined, what it wrote). */
  private readonly ourAffinity = new Map<string, { original: string | undefined; written: string; pins: Map<number, number> }>();
  private isolateChanged = false;
  private maskChanged = false;
  private maxSleepChanged = false;
  /** Changes asked for so far, and those not finished: a sample that overlapped one keeps our configuration (tick). */
  private changesStarted = 0;
  private changesRunning = 0;
  private timer: unknown = null;
  private sampling = false;
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();
  /** Wall ms the last sample took (all commands run in parallel), from the injected clock. */
  lastSampleMs = 0;
  /** Consecutive failed samples (the last error is logged). */
  failures = 0;
  lastError: string | null = null;

  constructor(o: OvsSourceOptions) {
    this.o = o;
    this.rundir = resolveRundir(o.rundir, o.env ?? process.env);
    this.dryRun = !!o.dryRun;
    this.db = `unix:${join(this.rundir, 'db.sock')}`;
    this.vsctlBin = o.vsctl ?? 'ovs-vsctl';
    this.appctlBin = o.appctl ?? 'ovs-appctl';
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.maxOut = o.maxOutputBytes ?? 4 << 20;
    this.intervalMs = Math.max(200, o.intervalMs ?? 1000);
    const w = o.rxqWindowS ?? 5;
    if (!Number.isInteger(w) || w < 5 || w > 60 || w % 5 !== 0) throw new Error(`rxqWindowS must be a multiple of 5 from 5 to 60, got ${w}`);
    this.rxqWindowS = w;
    this.procRoot = o.procRoot ?? '/proc';
    const scan = o.vcpuScanMs ?? 10_000;
    if (!Number.isFinite(scan) || scan < 0) throw new Error(`vcpuScanMs must be ≥ 0, got ${scan}`);
    this.vcpuScanMs = scan;
    if (!existsSync(join(this.rundir, 'db.sock'))) throw new Error(`no OVSDB socket at ${join(this.rundir, 'db.sock')}: is ovsdb-server running with its run folder there? (set --ovs-rundir DIR or OVS_RUNDIR)`);
    const ctl = findControlSocket(this.rundir);
    if (!ctl) throw new Error(`no ovs-vswitchd control socket in ${this.rundir} (looked for ovs-vswitchd.ctl and ovs-vswitchd.<pid>.ctl): is ovs-vswitchd running?`);
    this.ctl = ctl;
  }

  private log(line: string): void {
    this.o.onLog?.(line);
  }

  private vsctl(args: string[]): Promise<string> {
    return (this.o.exec ?? run)(this.vsctlBin, [`--db=${this.db}`, `--timeout=${Math.ceil(this.timeoutMs / 1000)}`, ...args], this.timeoutMs + 1000, this.maxOut);
  }

  private appctl(args: string[]): Promise<string> {
    return (this.o.exec ?? run)(this.appctlBin, ['-t', this.ctl, `--timeout=${Math.ceil(this.timeoutMs / 1000)}`, ...args], this.timeoutMs + 1000, this.maxOut);
  }

  /** Read everything once; with `vcpus`, also the VMs' vCPU threads (scanning for them when due). */
  async sample(vcpus = true): Promise<OvsSample> {
    const at = this.o.clock.now();
    const [perf, stats, rxq, dp, ifs, ovs, proc] = await Promise.all([
      this.appctl(['dpif-netdev/pmd-perf-show']),
      this.appctl(['dpif-netdev/pmd-stats-show']),
      this.appctl(['dpif-netdev/pmd-rxq-show', '-secs', String(this.rxqWindowS)]),
      this.appctl(['dpctl/show', '-s']),
      this.vsctl(['--format=json', '--columns=name,type,other_config,external_ids,options', 'list', 'Interface']),
      this.vsctl(['--format=json', '--columns=other_config', 'list', 'Open_vSwitch']),
      this.o.readProcStat ? this.o.readProcStat() : readFile(`${this.procRoot}/stat`, 'utf8'),
    ]);
    const ifaces: IfaceRow[] = parseVsctlJson(ifs).map((r) => ({ name: String(r.name ?? ''), type: String(r.type ?? ''), otherConfig: mapColumn(r, 'other_config'), externalIds: mapColumn(r, 'external_ids'), options: mapColumn(r, 'options') }));
    const [ovsRow] = parseVsctlJson(ovs);
    const ovsConfig = ovsRow ? mapColumn(ovsRow, 'other_config') : {};
    const out: OvsSample = {
      at,
      perf: parsePmdPerfShow(perf),
      stats: parsePmdStatsShow(stats),
      rxq: parsePmdRxqShow(rxq),
      ports: parseDpctlShow(dp),
      ifaces,
      ovsConfig,
      // An unreadable /proc/stat counts as no cores measured this interval (as before).
      proc: parseProcStat(proc) ?? { cpus: [], ctxt: Number.NaN },
    };
    if (vcpus) await this.sampleVcpus(out);
    this.lastSampleMs = this.o.clock.now() - at;
    return out;
  }

  /**
   * The vCPU threads behind the sample's vhost-user ports and their schedstat: scans /proc when the
   * ports or their sockets changed, when a measured thread is gone (then at once, in this sample),
   * or `vcpuScanMs` after the last scan; otherwise reads only the known threads' schedstat. A thread
   * found whose schedstat cannot be read right after a scan is left out (it is not measured, and
   * does not make every later sample scan again).
   */
  private async sampleVcpus(s: OvsSample): Promise<void> {
    const sockDir = s.ovsConfig['vhost-sock-dir'] ?? '';
    const sockets: [string, string][] = [];
    for (const i of s.ifaces) {
      const p = vhostSocketPath(i, this.rundir, sockDir);
      if (p) sockets.push([i.name, p]);
    }
    sockets.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const key = JSON.stringify(sockets);
    let found: SocketProcess[] | null = null;
    if (key !== this.scanKey || s.at - this.scannedAt >= this.vcpuScanMs) found = await this.scan(sockets, key, s.at);
    const t0 = this.o.clock.now();
    let read = await this.readSched();
    if (read.gone && !found) {
      // A process (or a vCPU) went away: find who serves its sockets now.
      found = await this.scan(sockets, key, s.at);
      read = await this.readSched();
    }
    s.schedAt = (t0 + this.o.clock.now()) / 2;
    if (found) {
      if (read.gone) this.keepMeasured(read.sched);
      this.logFound(sockets, found);
    }
    s.vcpus = this.vcpuMap;
    s.sched = read.sched;
  }

  /** Scan /proc for the processes naming the sockets; the vCPU map from what was found. */
  private async scan(sockets: [string, string][], key: string, at: number): Promise<SocketProcess[]> {
    this.scanKey = key;
    this.scannedAt = at;
    const found = await scanVhostFrontends(this.procRoot, sockets.map(([, p]) => p)).catch((e: unknown) => {
      this.log(`scanning ${this.procRoot} for the vhost-user frontends failed: ${(e as Error).message}`);
      return [] as SocketProcess[];
    });
    const portPids = new Map<string, number[]>();
    const threads = new Map<number, number[]>();
    for (const [port, path] of sockets) {
      const vms = found.filter((f) => f.vcpus.length > 0 && f.paths.includes(path));
      if (vms.length > 0) portPids.set(port, vms.map((f) => f.pid));
      for (const f of vms) threads.set(f.pid, f.vcpus);
    }
    this.vcpuMap = { portPids, threads };
    return found;
  }

  /** Drop from the vCPU map the threads `sched` has no reading of (and processes left with none). */
  private keepMeasured(sched: ReadonlyMap<string, ThreadSched>): void {
    const threads = new Map<number, number[]>();
    for (const [pid, tids] of this.vcpuMap.threads) {
      const ok = tids.filter((t) => sched.has(threadKey(pid, t)));
      if (ok.length > 0) threads.set(pid, ok);
    }
    const portPids = new Map<string, number[]>();
    for (const [port, pids] of this.vcpuMap.portPids) {
      const ok = pids.filter((p) => threads.has(p));
      if (ok.length > 0) portPids.set(port, ok);
    }
    this.vcpuMap = { portPids, threads };
  }

  /** Log what a scan found, in words, when it differs from the last (not while nothing names a socket). */
  private logFound(sockets: [string, string][], found: SocketProcess[]): void {
    const words = sockets.map(([port, path]) => {
      const pids = this.vcpuMap.portPids.get(port) ?? [];
      const vms = pids.map((p) => `pid ${p} with ${this.vcpuMap.threads.get(p)?.length ?? 0} vCPU thread(s)`);
      const other = found.filter((f) => f.paths.includes(path) && !pids.includes(f.pid));
      return (
        `${port} (${path}): ${vms.length > 0 ? vms.join(', ') : 'no vCPU threads found'}` +
        (other.length > 0 ? `; pid ${other.map((f) => f.pid).join(', ')} names the socket but has no vCPU thread it can measure (not a QEMU guest, or QEMU without -name …,debug-threads=on)` : '')
      );
    });
    // Nothing naming any socket (no frontend yet, or none any more) is said once it was otherwise.
    const text = found.length > 0 ? words.join('; ') : '';
    if (text !== this.scanText) this.log(`vCPU threads behind the vhost-user ports: ${text || 'none found (no process names their sockets)'}`);
    this.scanText = text;
  }

  /** The schedstat of every vCPU thread found; `gone` when one could not be read. */
  private async readSched(): Promise<{ sched: Map<string, ThreadSched>; gone: boolean }> {
    const sched = new Map<string, ThreadSched>();
    let gone = false;
    const all: [number, number][] = [];
    for (const [pid, tids] of this.vcpuMap.threads) for (const tid of tids) all.push([pid, tid]);
    await inBatches(all, async ([pid, tid]) => {
      const text = await readText(`${this.procRoot}/${pid}/task/${tid}/schedstat`).catch(() => null);
      const st = text ? parseSchedStat(text) : null;
      if (st) sched.set(threadKey(pid, tid), { runNs: st.runNs, waitNs: st.waitNs });
      else gone = true;
    });
    return { sched, gone };
  }

  /** First sample, originals, clock rate, topology; then the timer. */
  async start(): Promise<void> {
    const s = await this.sample();
    this.t0 = s.at;
    this.originals = { mask: s.ovsConfig['pmd-cpu-mask'], maxSleep: s.ovsConfig['pmd-maxsleep'], isolate: s.ovsConfig['pmd-rxq-isolate'] };
    this.cores = Math.max(1, s.proc.cpus.length);
    this.hz = tscHzFromPerf(s.perf) ?? cpuinfoHz() ?? 2e9;
    this.adopt(s);
    this.prev = s;
    this.timer = this.o.clock.setInterval(() => this.tick(), this.intervalMs);
  }

  private maskCores(s: OvsSample): number[] {
    return parseCpuMask(s.ovsConfig['pmd-cpu-mask'] ?? '') ?? [];
  }

  /**
   * Take a sample's topology and configuration; true when the HostInfo changed (the topology, or a
   * VM's count of vCPU threads found). A sample that
   * overlapped one of our changes (`stale`) may have read OVSDB before it: its configuration is
   * not taken unless the topology changed, so the loop does not see a change it made undone and
   * make it again (seen on a real OVS: pmd-maxsleep set twice).
   */
  private adopt(s: OvsSample, stale = false): boolean {
    const before = this.topo;
    const topo = buildTopology(s, this.o.vmOfPort, this.topo.key ? this.topo : undefined);
    const changed = topo.key !== this.topo.key;
    this.topo = topo;
    const vcpus = vmVcpuThreads(topo, s.vcpus).map((t) => t.length);
    const vcpuChanged = vcpus.join(',') !== this.vcpuKey;
    this.vcpuKey = vcpus.join(',');
    if (changed || vcpuChanged || !this.infoV) this.infoV = buildInfo(this.o.name ?? `ovs@${hostname()}`, this.cores, this.hz, this.intervalMs, topo, vcpus);
    if (!stale || changed || !this.configV) this.configV = buildConfig(this.cores, s, this.maskCores(s), topo);
    // Dry run: the decision stands (OVS's own configuration does not undo it); new queues get a decided PMD.
    if (this.dryRun && !this.decided) this.decided = copyConfig(this.configV);
    else if (this.decided && changed) this.decided = this.decidedOnTopology(this.decided, before);
    return changed || vcpuChanged;
  }

  /** The decided configuration `cfg` (over topology `before`) carried to the current topology: queues keep their decided PMD, new ones are placed. */
  private decidedOnTopology(cfg: HostConfig, before: Topology): HostConfig {
    const was = new Map(before.queues.map((q) => [`${q.port}#${q.rxq}`, cfg.queueOwner[q.id] ?? null]));
    const next = copyConfig(cfg);
    next.queueOwner = this.topo.queues.map((q) => was.get(`${q.port}#${q.rxq}`) ?? null);
    this.placeDecided(next, false);
    return next;
  }

  /**
   * Dry run: where OVS would poll each queue under the decided PMD cores of `cfg` (set in place). A
   * queue whose port's rx-queue affinity (the operator's, or one this driver decided) names a
   * decided PMD core is polled there; OVS places the others itself, by load: with `all` (the PMD
   * set changed, OVS re-assigns every unpinned queue) each in turn, busiest first by its last
   * measured work, to the decided PMD with the least work so far (then the fewest queues, the lowest
   * id); without it, only queues with no decided PMD are placed so. An estimate of OVS's
   * `pmd-rxq-assign`: the real placement shows once the change is made.
   */
  private placeDecided(cfg: HostConfig, all: boolean): void {
    const side = cfg.sideCores;
    const pins = this.operatorPins();
    for (const [port, a] of this.ourAffinity) if (a.pins.size > 0) pins.set(port, a.pins);
    const key = (q: { port: string; rxq: number }): string => `${q.port}#${q.rxq}`;
    const work = new Map(side.map((c) => [c, 0]));
    const count = new Map(side.map((c) => [c, 0]));
    const put = (c: number, w: number): number => {
      work.set(c, work.get(c)! + w);
      count.set(c, count.get(c)! + 1);
      return c;
    };
    const owner: (number | null)[] = this.topo.queues.map((q) => {
      const pin = pins.get(q.port)?.get(q.rxq);
      if (pin !== undefined && work.has(pin)) return put(pin, this.lastWork.get(key(q)) ?? 0);
      const o = all ? null : (cfg.queueOwner[q.id] ?? null);
      return o !== null && work.has(o) ? put(o, this.lastWork.get(key(q)) ?? 0) : null;
    });
    const open = this.topo.queues.filter((q) => owner[q.id] === null);
    open.sort((a, b) => (this.lastWork.get(key(b)) ?? 0) - (this.lastWork.get(key(a)) ?? 0) || a.id - b.id);
    for (const q of open) {
      if (side.length === 0) break;
      let best = side[0];
      for (const c of side) if (work.get(c)! < work.get(best)! || (work.get(c) === work.get(best) && count.get(c)! < count.get(best)!)) best = c;
      owner[q.id] = put(best, this.lastWork.get(key(q)) ?? 0);
    }
    cfg.queueOwner = owner;
    cfg.queuePolling = owner.map((o) => o !== null);
  }

  private tick(): void {
    if (this.sampling || this.closed) return;
    this.sampling = true;
    const startedBefore = this.changesStarted;
    const runningAtStart = this.changesRunning;
    this.sample()
      .then((s) => {
        if (this.closed || !this.prev) return;
        const changed = this.adopt(s, runningAtStart > 0 || this.changesStarted !== startedBefore);
        if (changed) for (const cb of [...this.infoSubs]) cb(this.infoV);
        const measured = buildSnapshot(this.prev, s, { seq: this.seq++, t: s.at - this.t0, hz: this.hz, userHz: this.o.userHz ?? 100, topo: this.topo });
        this.prev = s;
        this.failures = 0;
        let snap = measured;
        if (this.decided) {
          this.lastWork = new Map(this.topo.queues.map((q) => [`${q.port}#${q.rxq}`, measured.queues[q.id]?.workCycles ?? 0]));
          snap = dryRunSnapshot(measured, this.decided);
        }
        for (const cb of [...this.subs]) cb(snap);
      })
      .catch((e: unknown) => {
        this.failures++;
        this.lastError = (e as Error).message;
        // The first failure, then one line a minute's worth of intervals: a vanished OVS must not flood the log.
        if (this.failures === 1 || this.failures % Math.max(1, Math.round(60_000 / this.intervalMs)) === 0) this.log(`sample failed (${this.failures} in a row): ${this.lastError}`);
      })
      .finally(() => {
        this.sampling = false;
      });
  }

  info(): HostInfo {
    return this.infoV;
  }

  capabilities(): HostSourceCapabilities {
    return { pacing: false, seed: false, scenario: false, whatIf: false };
  }

  /** The configuration in force; in a dry run, the one decided (see the file comment). A copy. */
  config(): HostConfig {
    return copyConfig(this.decided ?? this.configV);
  }

  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    this.subs.push(cb);
    return () => {
      const i = this.subs.indexOf(cb);
      if (i >= 0) this.subs.splice(i, 1);
    };
  }

  onInfo(cb: (i: HostInfo) => void): () => void {
    this.infoSubs.push(cb);
    return () => {
      const i = this.infoSubs.indexOf(cb);
      if (i >= 0) this.infoSubs.splice(i, 1);
    };
  }

  /** The operator's rx-queue pins: port → (rx queue → core), every affinity this driver did not write. */
  operatorPins(): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>();
    for (const i of this.prev?.ifaces ?? []) {
      const a = i.otherConfig['pmd-rxq-affinity'];
      if (a === undefined) continue;
      const ours = this.ourAffinity.get(i.name);
      if (ours && ours.written === a) continue;
      out.set(i.name, parseRxqAffinity(a) ?? new Map());
    }
    return out;
  }

  /** Run one change through ovs-vsctl (or log it in dry-run); changes are serialised. */
  private change(args: string[], what: string): Promise<void> {
    const line = `ovs-vsctl ${args.join(' ')}`;
    // A sample taken while this change runs may read OVSDB before it (see tick).
    this.changesStarted++;
    this.changesRunning++;
    const p = this.chain.then(async () => {
      this.remember(line);
      if (this.dryRun) {
        this.log(`dry-run: would ${what}: ${line}`);
        return;
      }
      this.log(`${what}: ${line}`);
      await this.vsctl(args);
    });
    this.chain = p.catch(() => undefined);
    void this.chain.then(() => this.changesRunning--);
    return p;
  }

  apply(action: ControlAction | KnobAction): Promise<ControlResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'the OVS source is closed' });
    const fail = (error: string): Promise<ControlResult> => Promise.resolve({ ok: false, error });
    // The configuration actions are checked against and take effect on: OVS's, or in a dry run the decided one.
    const cfg = (): HostConfig => this.decided ?? this.configV;
    const done = (p: Promise<void>, after: () => void): Promise<ControlResult> => {
      // A dry run decides at once (nothing is sent to OVS): the next action and config() see the decision.
      if (this.dryRun) after();
      return p.then(
        () => {
          if (!this.dryRun) after();
          return { ok: true as const, costCycles: 0 };
        },
        (e: unknown) => ({ ok: false as const, error: (e as Error).message }),
      );
    };
    switch (action.kind) {
      case 'setSideCores': {
        const cores = [...new Set(action.cores)].sort((a, b) => a - b);
        const bad = cores.find((c) => !Number.isInteger(c) || c < 0 || c >= this.cores);
        if (bad !== undefined) return fail(`core ${bad} does not exist (this host has cores 0–${this.cores - 1})`);
        if (cores.length === 0) return fail('OVS keeps at least one PMD core (an empty pmd-cpu-mask means its default of one PMD per NUMA node); the PMD set stays as it is');
        for (const [port, pins] of this.operatorPins()) {
          for (const [q, c] of pins) if (!cores.includes(c) && cfg().sideCores.includes(c)) return fail(`core ${c} polls rx queue ${q} of port ${port}, pinned by the operator (other_config:pmd-rxq-affinity); unpin it in OVS or keep core ${c}`);
        }
        const args = ['set', 'Open_vSwitch', '.', `other_config:pmd-cpu-mask=${formatCpuMask(cores)}`];
        // Our own pins to cores leaving the set are dropped in the same transaction (OVS then places those queues by cycles).
        const keep = new Set(cores);
        const updates: [string, Map<number, number>][] = [];
        for (const [port, a] of this.ourAffinity) {
          const pins = new Map([...a.pins].filter(([, c]) => keep.has(c)));
          if (pins.size !== a.pins.size) {
            updates.push([port, pins]);
            args.push('--', ...this.affinityArgs(port, pins));
          }
        }
        return done(this.change(args, `set the PMD cores to [${cores.join(',')}]`), () => {
          this.maskChanged = true;
          for (const [port, pins] of updates) this.recordAffinity(port, pins);
          const c = cfg();
          const same = c.sideCores.length === cores.length && c.sideCores.every((x, i) => x === cores[i]);
          c.sideCores = cores;
          c.queueOwner = c.queueOwner.map((o) => (o !== null && keep.has(o) ? o : null));
          c.queuePolling = c.queueOwner.map((o) => o !== null);
          // Dry run: the queues as OVS would place them (a sample shows it once a change is made).
          if (c === this.decided) this.placeDecided(c, !same);
        });
      }
      case 'assignQueue': {
        const q = this.topo.queues[action.queue];
        if (!q) return fail(`queue ${action.queue} does not exist (this host has ${this.topo.queues.length})`);
        if (!cfg().sideCores.includes(action.core)) return fail(`core ${action.core} is not a PMD core (PMD cores: ${cfg().sideCores.join(',') || 'none'})`);
        if (this.operatorPins().has(q.port)) return fail(`port ${q.port} has an rx-queue affinity set by the operator; the driver does not change it`);
        if (cfg().queueOwner[action.queue] === action.core) return Promise.resolve({ ok: true, costCycles: 0 });
        const pins = new Map(this.ourAffinity.get(q.port)?.pins ?? []);
        pins.set(q.rxq, action.core);
        const args = [...this.affinityArgs(q.port, pins)];
        const setIsolate = !this.isolateChanged && this.originals.isolate !== 'false';
        if (setIsolate) args.push('--', 'set', 'Open_vSwitch', '.', 'other_config:pmd-rxq-isolate=false');
        return done(this.change(args, `pin rx queue ${q.rxq} of ${q.port} to core ${action.core}`), () => {
          if (setIsolate) this.isolateChanged = true;
          this.recordAffinity(q.port, pins);
          cfg().queueOwner[action.queue] = action.core;
          cfg().queuePolling[action.queue] = true;
        });
      }
      case 'setPolling': {
        if (!this.topo.queues[action.queue]) return fail(`queue ${action.queue} does not exist (this host has ${this.topo.queues.length})`);
        if (action.on) return Promise.resolve({ ok: true, costCycles: 0 });
        return fail('OVS PMDs always poll their rx queues; let idle PMDs sleep with pmd-maxsleep (setPmdMaxSleep) instead');
      }
      case 'setPmdMaxSleep': {
        const us = action.us;
        if (!Number.isInteger(us) || us < 0 || us > MAX_SLEEP_US) return fail(`pmd-maxsleep must be a whole number of µs from 0 to ${MAX_SLEEP_US}, got ${String(us)}`);
        // Shown at once (the policy must not ask again while ovs-vsctl runs); put back if it fails.
        const knobs = this.dryRun ? undefined : this.configV.knobs;
        const was = knobs?.pmdMaxSleepUs;
        if (knobs) knobs.pmdMaxSleepUs = us;
        return done(this.change(['set', 'Open_vSwitch', '.', `other_config:pmd-maxsleep=${us}`], `set pmd-maxsleep to ${us} µs`), () => {
          this.maxSleepChanged = true;
          const k = cfg().knobs;
          if (k) k.pmdMaxSleepUs = us;
        }).then((r) => {
          if (!r.ok && knobs && was !== undefined && knobs.pmdMaxSleepUs === us) knobs.pmdMaxSleepUs = was;
          return r;
        });
      }
      case 'setManager':
        // The loop asks a host to charge the manager's CPU: on a real host it is charged already (the
        // agent is a real process), so there is nothing to change.
        return Promise.resolve({ ok: true, costCycles: 0 });
      case 'setIoThreadPoll':
      case 'setVhostPoll':
        return fail(`${action.kind} is not an OVS knob (QEMU/vhost-net); this host's knob is pmd-maxsleep`);
      default:
        return fail(`unknown action ${(action as { kind: string }).kind}`);
    }
  }

  private affinityArgs(port: string, pins: Map<number, number>): string[] {
    return pins.size === 0 ? ['remove', 'Interface', port, 'other_config', 'pmd-rxq-affinity'] : ['set', 'Interface', port, `other_config:pmd-rxq-affinity="${formatRxqAffinity(pins)}"`];
  }

  private recordAffinity(port: string, pins: Map<number, number>): void {
    const had = this.ourAffinity.get(port);
    const original = had ? had.original : this.prev?.ifaces.find((i) => i.name === port)?.otherConfig['pmd-rxq-affinity'];
    this.ourAffinity.set(port, { original, written: formatRxqAffinity(pins), pins });
    // Keep the cached view current so operatorPins() does not mistake our write for the operator's.
    const row = this.prev?.ifaces.find((i) => i.name === port);
    if (row) {
      if (pins.size === 0) delete row.otherConfig['pmd-rxq-affinity'];
      else row.otherConfig['pmd-rxq-affinity'] = formatRxqAffinity(pins);
    }
  }

  /** The ovs-vsctl arguments that undo this driver's changes (empty when it changed nothing). */
  restoreArgs(current: OvsSample | null): string[] {
    const parts: string[][] = [];
    const ovsKey = (key: string, original: string | undefined): string[] => (original === undefined ? ['remove', 'Open_vSwitch', '.', 'other_config', key] : ['set', 'Open_vSwitch', '.', `other_config:${key}=${original}`]);
    if (this.maskChanged) parts.push(ovsKey('pmd-cpu-mask', this.originals.mask));
    if (this.maxSleepChanged) parts.push(ovsKey('pmd-maxsleep', this.originals.maxSleep));
    if (this.isolateChanged) parts.push(ovsKey('pmd-rxq-isolate', this.originals.isolate));
    for (const [port, a] of this.ourAffinity) {
      const row = current?.ifaces.find((i) => i.name === port);
      if (current && !row) continue; // the port is gone
      const now = row?.otherConfig['pmd-rxq-affinity'];
      if (current && (now ?? '') !== a.written) continue; // changed by the operator since: theirs now
      parts.push(a.original === undefined ? ['remove', 'Interface', port, 'other_config', 'pmd-rxq-affinity'] : ['set', 'Interface', port, `other_config:pmd-rxq-affinity="${a.original}"`]);
    }
    return parts.flatMap((p, i) => (i === 0 ? p : ['--', ...p]));
  }

  /** Stop sampling and restore what the driver changed (mask, maxsleep, isolate, its own affinities). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) this.o.clock.clearInterval(this.timer);
    this.timer = null;
    this.subs.length = 0;
    this.infoSubs.length = 0;
    await this.chain.catch(() => undefined);
    if (this.dryRun) return;
    let current: OvsSample | null = null;
    try {
      current = await this.sample(false);
    } catch {
      /* restore blind */
    }
    const args = this.restoreArgs(current);
    if (args.length === 0) return;
    const line = `ovs-vsctl ${args.join(' ')}`;
    this.remember(line);
    this.log(`restore: ${line}`);
    try {
      await this.vsctl(args);
    } catch (e) {
      throw new Error(`could not restore OVS's settings (${(e as Error).message}); run by hand: ${line}`, { cause: e });
    }
  }

  private remember(line: string): void {
    this.changes.push(line);
    if (this.changes.length > MAX_CHANGES) this.changes.splice(0, this.changes.length - MAX_CHANGES);
  }
}

/**
 * Connect to the OVS-DPDK host whose sockets are in `opts.rundir` (see {@link OvsSourceOptions}),
 * take the first sample (throws with a clear message when OVS is not there), and start sampling
 * every `intervalMs` on the injected clock.
 */
export async function createOvsSource(opts: OvsSourceOptions): Promise<OvsHostSource> {
  const s = new OvsHostSource(opts);
  await s.start();
  return s;
}

/** True for a vhost-user Interface type. */
export function isVhostUser(type: string): boolean {
  return VHOST_TYPES.includes(type);
}
