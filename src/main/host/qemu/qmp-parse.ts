/**
 * Validating parsers of the QMP replies the QEMU driver uses (QEMU 7.2 shapes, recorded under
 * fixtures/qmp-qemu72.json). QMP is a trusted local interface, but a reply of the wrong shape must
 * give a clear error, never a crash or a NaN in a snapshot: each parser throws an Error naming the
 * command and what was wrong.
 */

/** A vCPU from `query-cpus-fast`. */
export interface QmpVcpu {
  cpuIndex: number;
  threadId: number;
}

/** An IOThread from `query-iothreads`. */
export interface QmpIoThread {
  id: string;
  threadId: number;
  pollMaxNs: number;
  pollGrow: number;
  pollShrink: number;
}

/** One block device's counters from `query-blockstats`. */
export interface QmpBlockStats {
  /** The guest device's QOM path (`qdev`), or the drive id for a device without one. */
  key: string;
  /** QOM path of the guest device, when attached to one (its `iothread` property names the IOThread). */
  qdev: string | null;
  ops: number;
  bytes: number;
  /** rd_total_time_ns + wr_total_time_ns + flush_total_time_ns: time the requests took in QEMU's block layer. */
  totalTimeNs: number;
  /** Of which: completed read + write + flush operations counted in totalTimeNs. */
  timedOps: number;
}

const bad = (cmd: string, what: string): Error => new Error(`QMP ${cmd}: unexpected reply: ${what}`);

function list(cmd: string, v: unknown): Record<string, unknown>[] {
  if (!Array.isArray(v)) throw bad(cmd, 'not a list');
  return v.map((x, i) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad(cmd, `item ${i} is not an object`);
    return x as Record<string, unknown>;
  });
}

function int(cmd: string, o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(cmd, `'${k}' is not a non-negative integer (${JSON.stringify(v)})`);
  return v;
}

function num(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** Parses `query-cpus-fast`. */
export function parseCpusFast(v: unknown): QmpVcpu[] {
  return list('query-cpus-fast', v).map((o) => ({ cpuIndex: int('query-cpus-fast', o, 'cpu-index'), threadId: int('query-cpus-fast', o, 'thread-id') }));
}

/** Parses `query-iothreads`. */
export function parseIoThreads(v: unknown): QmpIoThread[] {
  const c = 'query-iothreads';
  return list(c, v).map((o) => {
    if (typeof o.id !== 'string' || o.id === '') throw bad(c, "'id' is not a string");
    return { id: o.id, threadId: int(c, o, 'thread-id'), pollMaxNs: int(c, o, 'poll-max-ns'), pollGrow: int(c, o, 'poll-grow'), pollShrink: int(c, o, 'poll-shrink') };
  });
}

/** Parses `query-blockstats`: one entry per block backend (nodes without a device or drive id are left out). */
export function parseBlockStats(v: unknown): QmpBlockStats[] {
  const c = 'query-blockstats';
  const out: QmpBlockStats[] = [];
  for (const o of list(c, v)) {
    const qdev = typeof o.qdev === 'string' && o.qdev !== '' ? o.qdev : null;
    const dev = typeof o.device === 'string' && o.device !== '' ? o.device : null;
    const key = qdev ?? dev;
    if (key === null) continue;
    const s = o.stats;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad(c, `'stats' of ${key} is not an object`);
    const st = s as Record<string, unknown>;
    const rd = int(c, st, 'rd_operations');
    const wr = int(c, st, 'wr_operations');
    const fl = num(st, 'flush_operations');
    out.push({
      key,
      qdev,
      ops: rd + wr,
      bytes: int(c, st, 'rd_bytes') + int(c, st, 'wr_bytes'),
      totalTimeNs: num(st, 'rd_total_time_ns') + num(st, 'wr_total_time_ns') + num(st, 'flush_total_time_ns'),
      timedOps: rd + wr + fl,
    });
  }
  return out;
}

/** The IOThread id from a device's `iothread` property (`qom-get` → "/objects/io0"); null when it has none. */
export function parseIoThreadLink(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  const m = /^\/objects\/([^/]+)$/.exec(v);
  return m ? m[1] : null;
}

/** The VM name from `query-name` (null when the VM was started without -name). */
export function parseQueryName(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return null;
  const n = (v as { name?: unknown }).name;
  return typeof n === 'string' && n !== '' ? n : null;
}
