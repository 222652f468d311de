/**
 * Pure parsers of what Open vSwitch 3.1 (with DPDK 22.11) prints: `ovs-appctl dpif-netdev/pmd-perf-show`,
 * `pmd-stats-show`, `pmd-rxq-show`, `dpctl/show -s`, `ovs-vsctl --format=json list …`, and the
 * kernel's /proc/stat. Each is tested on output recorded from a real private instance on this
 * machine (./fixtures, recorded by scripts/ovs-private.sh; see fixtures/README.md), odd cases
 * included: no ports (no PMD threads at all), a PMD with no queues, a port just added (usage
 * "NOT AVAIL"), a pinned rxq (isolated PMD), a port whose statistics cannot be read.
 *
 * Parsers never throw on odd text: they return what they could read and skip the rest, since OVS's
 * human-readable output changes between releases. Counters are JS numbers (exact below 2^53: TSC
 * cycles at 3 GHz stay exact for ~35 days of a PMD's life; beyond that a delta is off by a few
 * cycles out of billions). Core layer: no I/O here.
 */

/** One PMD thread in `pmd-perf-show` (counters since the PMD started or its stats were cleared). */
export interface PmdPerf {
  core: number;
  numa: number;
  /** "Measurement duration" of the block, in seconds (time since the counters started). */
  durationS: number;
  iterations: number;
  /** TSC cycles the PMD used (busy + idle polling; sleep excluded). */
  usedCycles: number;
  /** Used cycles as a percentage of the TSC cycles of the duration. */
  usedPct: number;
  idleIterations: number;
  busyIterations: number;
  sleepIterations: number;
  /** Microseconds the PMD slept (pmd-maxsleep). */
  sleepUs: number;
  rxPackets: number;
  txPackets: number;
}

const num = (s: string | undefined): number => {
  if (s === undefined) return NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : NaN;
};

/** The PMD header line, "pmd thread numa_id 0 core_id 1:". */
const PMD_HEAD = /^pmd thread numa_id (\d+) core_id (\d+):\s*$/;

/** Parse `ovs-appctl dpif-netdev/pmd-perf-show`: one entry per PMD thread (none when there are no ports). */
export function parsePmdPerfShow(text: string): PmdPerf[] {
  const out: PmdPerf[] = [];
  let duration = NaN;
  let cur: PmdPerf | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^Measurement duration:\s*([\d.]+)\s*s/.exec(line))) {
      duration = num(m[1]);
      continue;
    }
    if ((m = PMD_HEAD.exec(line))) {
      cur = { core: num(m[2]), numa: num(m[1]), durationS: duration, iterations: 0, usedCycles: 0, usedPct: 0, idleIterations: 0, busyIterations: 0, sleepIterations: 0, sleepUs: 0, rxPackets: 0, txPackets: 0 };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if ((m = /^Iterations:\s*(\d+)/.exec(line))) cur.iterations = num(m[1]);
    else if ((m = /^- Used TSC cycles:\s*(\d+)\s*\(\s*([\d.]+)\s*%/.exec(line))) {
      cur.usedCycles = num(m[1]);
      cur.usedPct = num(m[2]);
    } else if ((m = /^- idle iterations:\s*(\d+)/.exec(line))) cur.idleIterations = num(m[1]);
    else if ((m = /^- busy iterations:\s*(\d+)/.exec(line))) cur.busyIterations = num(m[1]);
    else if ((m = /^- sleep iterations:\s*(\d+)/.exec(line))) cur.sleepIterations = num(m[1]);
    else if ((m = /^Sleep time \(us\):\s*(\d+)/.exec(line))) cur.sleepUs = num(m[1]);
    else if ((m = /^Rx packets:\s*(\d+)/.exec(line))) cur.rxPackets = num(m[1]);
    else if ((m = /^Tx packets:\s*(\d+)/.exec(line))) cur.txPackets = num(m[1]);
  }
  return out.filter((p) => Number.isInteger(p.core));
}

/** One PMD thread in `pmd-stats-show` (cumulative). */
export interface PmdStats {
  core: number;
  numa: number;
  packetsReceived: number;
  /** Cycles polling that found nothing. */
  idleCycles: number;
  /** Cycles processing packets. */
  processingCycles: number;
}

/** Parse `ovs-appctl dpif-netdev/pmd-stats-show`: the PMD threads (the "main thread" block is left out). */
export function parsePmdStatsShow(text: string): PmdStats[] {
  const out: PmdStats[] = [];
  let cur: PmdStats | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = PMD_HEAD.exec(line))) {
      cur = { core: num(m[2]), numa: num(m[1]), packetsReceived: 0, idleCycles: 0, processingCycles: 0 };
      out.push(cur);
      continue;
    }
    if (/^main thread:/.test(line)) {
      cur = null;
      continue;
    }
    if (!cur) continue;
    if ((m = /^packets received:\s*(\d+)/.exec(line))) cur.packetsReceived = num(m[1]);
    else if ((m = /^idle cycles:\s*(\d+)/.exec(line))) cur.idleCycles = num(m[1]);
    else if ((m = /^processing cycles:\s*(\d+)/.exec(line))) cur.processingCycles = num(m[1]);
  }
  return out.filter((p) => Number.isInteger(p.core));
}

/** One rx queue in `pmd-rxq-show`. */
export interface Rxq {
  port: string;
  queue: number;
  enabled: boolean;
  /** Share of the PMD's cycles this rxq used over the display window, %; null when "NOT AVAIL" (too new). */
  usagePct: number | null;
}

/** One PMD in `pmd-rxq-show`. */
export interface RxqPmd {
  core: number;
  numa: number;
  /** True when an rxq is pinned here by `pmd-rxq-affinity` (OVS then assigns no other rxq to it). */
  isolated: boolean;
  rxqs: Rxq[];
  /** PMD overhead %, null when "NOT AVAIL" or absent (a PMD with no queues). */
  overheadPct: number | null;
}

/** `pmd-rxq-show` as a whole. */
export interface RxqShow {
  /** The usage window OVS displays ("Displaying last N seconds pmd usage %"), s; NaN when absent. */
  windowS: number;
  pmds: RxqPmd[];
}

/** Parse `ovs-appctl dpif-netdev/pmd-rxq-show [-secs N]`. */
export function parsePmdRxqShow(text: string): RxqShow {
  const res: RxqShow = { windowS: NaN, pmds: [] };
  let cur: RxqPmd | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^Displaying last (\d+) seconds pmd usage/.exec(line))) {
      res.windowS = num(m[1]);
      continue;
    }
    if ((m = PMD_HEAD.exec(line))) {
      cur = { core: num(m[2]), numa: num(m[1]), isolated: false, rxqs: [], overheadPct: null };
      res.pmds.push(cur);
      continue;
    }
    if (!cur) continue;
    if ((m = /^isolated\s*:\s*(true|false)/.exec(line))) cur.isolated = m[1] === 'true';
    else if ((m = /^port:\s*(\S+)\s+queue-id:\s*(\d+)\s*\((enabled|disabled)\)\s*pmd usage:\s*(?:(\d+)\s*%|NOT AVAIL)/.exec(line))) {
      cur.rxqs.push({ port: m[1], queue: num(m[2]), enabled: m[3] === 'enabled', usagePct: m[4] === undefined ? null : num(m[4]) });
    } else if ((m = /^overhead:\s*(?:(\d+)\s*%|NOT AVAIL)/.exec(line))) cur.overheadPct = m[1] === undefined ? null : num(m[1]);
  }
  return res;
}

/** One datapath port in `dpctl/show -s`. */
export interface DpPort {
  portNo: number;
  name: string;
  type: string;
  /** Packets and bytes OVS received from the port (for a vhost-user port: sent by the guest). */
  rxPackets: number;
  rxBytes: number;
  /** Packets and bytes OVS sent to the port (received by the guest). */
  txPackets: number;
  txBytes: number;
  /** Why its statistics are missing ("could not retrieve stats (Protocol error)" for an unconnected vhost-user port), or null. */
  statsError: string | null;
}

/**
 * Parse `ovs-appctl dpctl/show -s`: per-port counters read live from the netdevs (OVSDB's Interface
 * statistics are refreshed only every ~5 s). A vhost-user port with no frontend prints
 * ", could not retrieve stats (…)" glued to the next port's line; both are read.
 */
export function parseDpctlShow(text: string): DpPort[] {
  const out: DpPort[] = [];
  // Unglue "…(Protocol error)  port 3: …" into two lines.
  const lines = text.replace(/\)\s+(port \d+: )/g, ')\n$1').split('\n');
  let cur: DpPort | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^port (\d+): (\S+)(?: \(([^):,]+)[^)]*\))?/.exec(line))) {
      cur = { portNo: num(m[1]), name: m[2], type: m[3] ?? '', rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, statsError: null };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if ((m = /^,?\s*could not retrieve stats \(([^)]*)\)/.exec(line))) cur.statsError = `could not retrieve stats (${m[1]})`;
    else if ((m = /^RX packets:(\d+)/.exec(line))) cur.rxPackets = num(m[1]);
    else if ((m = /^TX packets:(\d+)/.exec(line))) cur.txPackets = num(m[1]);
    else if ((m = /^RX bytes:(\d+).*TX bytes:(\d+)/.exec(line))) {
      cur.rxBytes = num(m[1]);
      cur.txBytes = num(m[2]);
    }
  }
  return out;
}

/** An OVSDB datum decoded: atoms as JS values, ["map", …] as an object of strings, ["set", …] as an array. */
export type OvsdbValue = string | number | boolean | null | OvsdbValue[] | { [k: string]: string | number | boolean };

function decodeDatum(d: unknown): OvsdbValue {
  if (Array.isArray(d) && d.length === 2 && typeof d[0] === 'string') {
    if (d[0] === 'map' && Array.isArray(d[1])) {
      const o: Record<string, string | number | boolean> = {};
      for (const kv of d[1] as unknown[]) {
        if (Array.isArray(kv) && kv.length === 2 && (typeof kv[0] === 'string' || typeof kv[0] === 'number')) {
          const v = kv[1];
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') o[String(kv[0])] = v;
        }
      }
      return o;
    }
    if (d[0] === 'set' && Array.isArray(d[1])) return (d[1] as unknown[]).map(decodeDatum);
    if (d[0] === 'uuid' || d[0] === 'named-uuid') return String(d[1]);
  }
  if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return d;
  return null;
}

/**
 * Parse `ovs-vsctl --format=json [--columns=…] list TABLE`: one object per row, keyed by column
 * name. Throws on text that is not that JSON (a clear error naming what was wrong).
 */
export function parseVsctlJson(text: string): Record<string, OvsdbValue>[] {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error(`ovs-vsctl printed something that is not JSON (${(e as Error).message}): ${text.slice(0, 120)}`, { cause: e });
  }
  const o = j as { data?: unknown; headings?: unknown };
  if (!o || !Array.isArray(o.data) || !Array.isArray(o.headings) || !o.headings.every((h) => typeof h === 'string')) {
    throw new Error(`ovs-vsctl JSON has no 'data'/'headings' table: ${text.slice(0, 120)}`);
  }
  const heads = o.headings as string[];
  return (o.data as unknown[]).filter(Array.isArray).map((row) => {
    const r: Record<string, OvsdbValue> = {};
    heads.forEach((h, i) => (r[h] = decodeDatum((row as unknown[])[i])));
    return r;
  });
}

/** A string→string map column of a parsed row (other_config, options, external_ids); {} when absent. */
export function mapColumn(row: Record<string, OvsdbValue>, col: string): Record<string, string> {
  const v = row[col];
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

/**
 * The cores of a `pmd-cpu-mask` (hex, with or without 0x, as OVS accepts it); null when it is not a
 * hex mask. Bit i = core i.
 */
export function parseCpuMask(mask: string): number[] | null {
  const s = mask.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,256}$/.test(s)) return null;
  const cores: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const nib = parseInt(s[s.length - 1 - i], 16);
    for (let b = 0; b < 4; b++) if (nib & (1 << b)) cores.push(i * 4 + b);
  }
  return cores;
}

/** A `pmd-cpu-mask` for these cores ("0x…", lowercase hex). */
export function formatCpuMask(cores: readonly number[]): string {
  if (cores.length === 0) return '0x0';
  const max = Math.max(...cores);
  const nibs = new Array<number>(Math.floor(max / 4) + 1).fill(0);
  for (const c of cores) {
    if (!Number.isInteger(c) || c < 0) throw new Error(`bad core id ${c}`);
    nibs[Math.floor(c / 4)] |= 1 << (c % 4);
  }
  return '0x' + nibs.reverse().map((n) => n.toString(16)).join('');
}

/**
 * An Interface's `other_config:pmd-rxq-affinity` ("0:3,1:7" = rx queue 0 on core 3, queue 1 on
 * core 7): queue → core, or null when malformed (OVS then ignores it too).
 */
export function parseRxqAffinity(s: string): Map<number, number> | null {
  const m = new Map<number, number>();
  const t = s.trim();
  if (t === '') return m;
  for (const part of t.split(',')) {
    const x = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!x) return null;
    m.set(Number(x[1]), Number(x[2]));
  }
  return m;
}

/** An rx-queue affinity string for OVS ("q:core,…", queues ascending). */
export function formatRxqAffinity(m: ReadonlyMap<number, number>): string {
  return [...m.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([q, c]) => `${q}:${c}`)
    .join(',');
}

/**
 * /proc/PID/cmdline: the arguments, NUL-separated (the last one NUL-terminated). A process that
 * rewrote its arguments into one space-separated string gives one argument; a kernel thread none.
 */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  const args = text.split('\0');
  if (args[args.length - 1] === '') args.pop();
  return args;
}

/** A socket path normalised for comparison: `//` and `/./` collapsed, no trailing `/`. */
export function normalSocketPath(p: string): string {
  const parts: string[] = [];
  for (const x of p.split('/')) {
    if (x === '' || x === '.') continue;
    if (x === '..') parts.pop();
    else parts.push(x);
  }
  return (p.startsWith('/') ? '/' : '') + parts.join('/');
}

/** QEMU's `key=value,key=value` option string split at single commas (`,,` is a literal comma). */
export function splitQemuOpts(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ',') cur += s[i];
    else if (s[i + 1] === ',') {
      cur += ',';
      i++;
    } else {
      out.push(cur);
      cur = '';
    }
  }
  out.push(cur);
  return out;
}

/** Whether a parsed JSON value holds a `"path"` string equal (normalised) to `want`, at any depth. */
function jsonNamesPath(v: unknown, want: string, depth = 0): boolean {
  if (depth > 16 || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => jsonNamesPath(x, want, depth + 1));
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'path' && typeof x === 'string' && normalSocketPath(x) === want) return true;
    if (typeof x === 'object' && jsonNamesPath(x, want, depth + 1)) return true;
  }
  return false;
}

/**
 * A piece of text every argument naming socket `path` holds, to skip the others cheaply: the
 * longest comma-free piece of its file name (QEMU doubles commas in option values).
 */
export function socketNameHint(path: string): string {
  const base = normalSocketPath(path);
  return base
    .slice(base.lastIndexOf('/') + 1)
    .split(',')
    .reduce((a, b) => (b.length > a.length ? b : a), '');
}

/**
 * Whether a command line (from {@link parseCmdline}) names the socket `path`: as a `path=P` option
 * of a comma-separated option string (QEMU's `-chardev socket,id=c0,path=P,server=on`, and as well
 * DPDK's `--vdev net_virtio_user0,path=P`), or as a `"path":"P"` member of a JSON argument
 * (libvirt's `-chardev`/`-netdev {…}`). Paths are compared normalised ({@link normalSocketPath}).
 * Naming the path does not make a process a VM: the caller also asks for vCPU threads.
 */
export function cmdlineNamesPath(args: readonly string[], path: string): boolean {
  const want = normalSocketPath(path);
  if (want === '' || want === '/') return false;
  const hint = socketNameHint(want);
  for (const a of args) {
    // Cheap first: an argument without (a piece of) the socket's file name cannot name it.
    if (!a.includes(hint)) continue;
    const t = a.trimStart();
    if (t.startsWith('{')) {
      try {
        if (jsonNamesPath(JSON.parse(t), want)) return true;
        continue;
      } catch {
        // Not JSON after all (or cut at the read limit): look for the member as text.
        const esc = JSON.stringify(want).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        if (new RegExp(`"path"\\s*:\\s*"${esc}/?"`).test(t)) return true;
        continue;
      }
    }
    for (const o of splitQemuOpts(a)) {
      const m = /^(?:[\w-]+\.)*path=(.*)$/.exec(o);
      if (m && normalSocketPath(m[1]) === want) return true;
    }
  }
  return false;
}

/**
 * Whether a thread name (/proc/PID/task/TID/comm) is a QEMU vCPU thread: `CPU <n>/<accelerator>`
 * (`CPU 0/KVM`, `CPU 1/TCG`), the names QEMU gives them with `-name NAME,debug-threads=on` (libvirt
 * always sets it). Without it every QEMU thread is called `qemu-system-x86` (or the like).
 */
export function isVcpuThreadName(comm: string): boolean {
  return /^CPU \d{1,5}\/[A-Z][A-Za-z]{1,7}$/.test(comm.replace(/\n$/, ''));
}

export { parseProcStat, type CpuTicks, type ProcStat } from '../procstat.ts';
