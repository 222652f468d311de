/**
 * Placement of a QEMU host's threads: the pure plan (which side core runs which IOThread or vhost
 * thread, which cores run the rest) and the one mechanism the driver uses to apply it,
 * sched_setaffinity through `taskset -pc LIST TID`.
 *
 * Why sched_setaffinity and not cgroup cpusets: Node has no call to set one thread's affinity, so
 * either way a helper or a cgroup file write is needed; affinity works the same on cgroup v1 and v2
 * hosts (a cgroup v2 host may not enable the cpuset controller), needs no cgroup of our own to create and
 * remove, and undoing it is exact (each thread's own Cpus_allowed_list is recorded and written
 * back). Only one method is used per run: on this kernel a mask set by sched_setaffinity survives a
 * cpuset move (the thread gets the intersection), so mixing the two leaves threads on fewer cores
 * than intended (checked on Debian 12 with cgroup v1 cpusets; docs/qemu-driver.md).
 */
import { execFile } from 'node:child_process';
import { formatCpuList } from './procfs.ts';

/** A thread that belongs on a side core (an IOThread or a vhost thread), with its measured CPU. */
export interface SideThread {
  /** Stable key ("<vm key>|io0"). */
  key: string;
  /** Measured CPU cycles per second (recent), used to spread the threads. */
  cyclesPerSec: number;
  /** Side core it was asked to run on (assignQueue), if that is still a side core. */
  pinned?: number;
}

/** Why a side-core set cannot be used, or null when it can (at least one VM core must remain). */
export function checkSideCores(cores: number, side: readonly number[]): string | null {
  if (!Array.isArray(side)) return 'cores must be a list of core ids';
  const seen = new Set<number>();
  for (const c of side) {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= cores) return `core ${String(c)} does not exist: this host has cores 0–${cores - 1}`;
    if (seen.has(c)) return `core ${c} is listed twice`;
    seen.add(c);
  }
  if (seen.size >= cores) return `${seen.size} side cores would leave no core for the VMs' vCPUs (the host has ${cores}); at least one VM core must remain`;
  return null;
}

/** The VM cores: every core that is not a side core, ascending. */
export function vmCoresOf(cores: number, side: readonly number[]): number[] {
  const s = new Set(side);
  const out: number[] = [];
  for (let c = 0; c < cores; c++) if (!s.has(c)) out.push(c);
  return out;
}

/**
 * Spreads side threads over the side cores by measured CPU: pinned threads stay where they were
 * asked to run; the others, busiest first, each go to the side core with the least CPU so far
 * (ties: the core the thread already runs on, then the lowest core id). Returns key → core.
 */
export function spreadSideThreads(threads: readonly SideThread[], side: readonly number[], current: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const out = new Map<string, number>();
  if (side.length === 0) return out;
  const sorted = [...side].sort((a, b) => a - b);
  const load = new Map<number, number>(sorted.map((c) => [c, 0]));
  const free: SideThread[] = [];
  for (const t of threads) {
    if (t.pinned !== undefined && load.has(t.pinned)) {
      out.set(t.key, t.pinned);
      load.set(t.pinned, load.get(t.pinned)! + Math.max(0, t.cyclesPerSec));
    } else free.push(t);
  }
  free.sort((a, b) => b.cyclesPerSec - a.cyclesPerSec || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const t of free) {
    let best = sorted[0];
    for (const c of sorted) {
      const d = load.get(c)! - load.get(best)!;
      if (d < -1e-9 || (Math.abs(d) <= 1e-9 && c === current.get(t.key) && best !== current.get(t.key))) best = c;
    }
    out.set(t.key, best);
    load.set(best, load.get(best)! + Math.max(0, t.cyclesPerSec));
  }
  return out;
}

/** Sets one thread's CPU affinity. Resolves false when the thread no longer exists. */
export type SetAffinity = (tid: number, cpus: readonly number[]) => Promise<boolean>;

/**
 * sched_setaffinity through `taskset -pc LIST TID` (util-linux). Resolves false when the thread has
 * exited (taskset reports "No such process"); rejects with taskset's own words otherwise.
 */
export function tasksetAffinity(bin = 'taskset', timeoutMs = 5000): SetAffinity {
  return (tid, cpus) =>
    new Promise((resolve, reject) => {
      if (!Number.isInteger(tid) || tid <= 0) {
        reject(new Error(`not a thread id: ${tid}`));
        return;
      }
      if (cpus.length === 0) {
        reject(new Error(`refusing to leave thread ${tid} without a core`));
        return;
      }
      execFile(bin, ['-pc', formatCpuList(cpus), String(tid)], { timeout: timeoutMs }, (err, _stdout, stderr) => {
        if (!err) resolve(true);
        else if (/No such process/i.test(stderr)) resolve(false);
        else if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error(`${bin} is not installed (util-linux): cannot set thread affinity`));
        else reject(new Error(`taskset -pc ${formatCpuList(cpus)} ${tid} failed: ${(stderr || err.message).trim()}`));
      });
    });
}
