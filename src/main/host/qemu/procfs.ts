/**
 * Host measurements of the QEMU driver: pure parsers of /proc and /sys text (unit-tested on samples
 * recorded from a real Debian 12 host under test fixtures) and small readers that return null when a
 * file has vanished (a thread or VM that exited is normal, not an error).
 *
 * - /proc/PID/task/TID/stat: the thread name (field 2) may hold spaces and ')' ("CPU 0/TCG",
 *   "a) b (c"), so fields are split after the LAST ')'. utime and stime are fields 14 and 15, in
 *   clock ticks (USER_HZ, 100 on Linux), processor (field 39) is the CPU it last ran on.
 * - /proc/PID/task/TID/schedstat: ns on CPU, ns runnable but waiting (run-queue wait), timeslices.
 * - /proc/PID/task/TID/status: Tgid (the process a thread belongs to), Cpus_allowed_list.
 * - /proc/stat: per-cpu ticks (user nice system idle iowait irq softirq steal guest guest_nice;
 *   guest is already counted in user) and `ctxt`.
 * - /sys/class/net/IF/statistics/{rx,tx}_{packets,bytes}.
 */
import { readFile } from 'node:fs/promises';

/** One thread's /proc/PID/task/TID/stat, the fields the driver uses. */
export interface TaskStat {
  tid: number;
  /** Thread name (comm), may contain spaces and parentheses. */
  comm: string;
  state: string;
  /** User-mode ticks (USER_HZ). */
  utime: number;
  /** Kernel-mode ticks (USER_HZ). */
  stime: number;
  /** CPU the thread last ran on. */
  processor: number;
  /** When the thread started, ticks after boot (field 22): a pid reused later has another. */
  startTime: number;
}

/** Parses /proc/PID/task/TID/stat; null when it is not one. */
export function parseTaskStat(text: string): TaskStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const tid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields from 3 (state) on; index 0 here is field 3.
  const f = text.slice(close + 1).trim().split(/\s+/);
  if (!Number.isInteger(tid) || f.length < 37) return null;
  const utime = Number(f[14 - 3]);
  const stime = Number(f[15 - 3]);
  const processor = Number(f[39 - 3]);
  const startTime = Number(f[22 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isInteger(processor) || !Number.isFinite(startTime)) return null;
  return { tid, comm, state: f[0], utime, stime, processor, startTime };
}

/** /proc/PID/task/TID/schedstat: time on CPU and time runnable but waiting for one, in ns. */
export interface SchedStat {
  runNs: number;
  waitNs: number;
  slices: number;
}

/** Parses /proc/PID/task/TID/schedstat; null when it is not one. */
export function parseSchedStat(text: string): SchedStat | null {
  const f = text.trim().split(/\s+/).map(Number);
  if (f.length !== 3 || f.some((x) => !Number.isFinite(x) || x < 0)) return null;
  return { runNs: f[0], waitNs: f[1], slices: f[2] };
}

/** The fields of /proc/PID/task/TID/status the driver uses. */
export interface TaskStatus {
  name: string;
  tgid: number;
  cpusAllowed: number[];
}

/** Parses /proc/PID/task/TID/status; null when Tgid or Cpus_allowed_list is missing. */
export function parseTaskStatus(text: string): TaskStatus | null {
  let name = '';
  let tgid = NaN;
  let cpus: number[] | null = null;
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1).trim();
    if (k === 'Name') name = line.slice(i + 1).replace(/^\t/, '');
    else if (k === 'Tgid') tgid = Number(v);
    else if (k === 'Cpus_allowed_list') cpus = parseCpuList(v);
  }
  if (!Number.isInteger(tgid) || !cpus) return null;
  return { name, tgid, cpusAllowed: cpus };
}

/** Parses a kernel CPU list ("0-2,5") into ascending ids; null when malformed. */
export function parseCpuList(text: string): number[] | null {
  const t = text.trim();
  if (t === '') return [];
  const out = new Set<number>();
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 4096) return null;
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** Formats ascending CPU ids as a kernel CPU list ("0-2,5"). */
export function formatCpuList(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export { parseProcStat, type CpuTicks, type ProcStat } from '../procstat.ts';
import type { CpuTicks } from '../procstat.ts';

/** Busy, guest and idle ticks of one core between two /proc/stat samples (guest is inside busy). */
export function cpuDelta(a: CpuTicks, b: CpuTicks): { busy: number; guest: number; idle: number } {
  const busyOf = (c: CpuTicks) => c.user + c.nice + c.system + c.irq + c.softirq + c.steal;
  const idleOf = (c: CpuTicks) => c.idle + c.iowait;
  const d = (x: number) => Math.max(0, x);
  return { busy: d(busyOf(b) - busyOf(a)), guest: d(b.guest + b.guestNice - a.guest - a.guestNice), idle: d(idleOf(b) - idleOf(a)) };
}

/** Counters of a network interface (/sys/class/net/IF/statistics). */
export interface NetCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

/** Reads a file as text, or null when it does not exist (any more). Other errors are thrown. */
export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    throw err;
  }
}

/** Reads /sys/class/net/IF/statistics (or the same under `sysRoot`); null when the interface is gone. */
export async function readNetCounters(ifname: string, sysRoot = '/sys'): Promise<NetCounters | null> {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(ifname)) return null;
  const dir = `${sysRoot}/class/net/${ifname}/statistics`;
  const names = ['rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes'] as const;
  const v: number[] = [];
  for (const n of names) {
    const t = await readText(`${dir}/${n}`);
    if (t === null) return null;
    const x = Number(t.trim());
    if (!Number.isFinite(x)) return null;
    v.push(x);
  }
  return { rxPackets: v[0], txPackets: v[1], rxBytes: v[2], txBytes: v[3] };
}

/**
 * The tap interfaces of a QEMU's netdevs, from HMP `info network` (via QMP human-monitor-command):
 * lines like ` \ n0: index=0,type=tap,ifname=tap0,script=no,downscript=no`. Returns netdev id →
 * ifname for every tap netdev.
 */
export function parseInfoNetworkTaps(text: string): { netdev: string; ifname: string }[] {
  const out: { netdev: string; ifname: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^[\s\\]*([^\s:]+): index=\d+,type=tap,(.*)$/.exec(line);
    if (!m) continue;
    const ifm = /(?:^|,)ifname=([^,\s]+)/.exec(m[2]);
    if (ifm) out.push({ netdev: m[1], ifname: ifm[1] });
  }
  return out;
}
