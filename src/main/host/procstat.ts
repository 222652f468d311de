/**
 * /proc/stat, the per-core time every real-host driver reads (QEMU: src/main/host/qemu; OVS-DPDK:
 * src/main/host/ovs). Pure parsing; the drivers read the file. Core layer.
 */

/** One cpuN line of /proc/stat, in ticks. */
export interface CpuTicks {
  id: number;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

/** /proc/stat: the per-cpu lines (not the aggregate `cpu` line) and the context-switch counter. */
export interface ProcStat {
  cpus: CpuTicks[];
  ctxt: number;
}

/** Parses /proc/stat; null when it has no cpuN line. */
export function parseProcStat(text: string): ProcStat | null {
  const cpus: CpuTicks[] = [];
  let ctxt = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu') && line[3] !== ' ') {
      const f = line.split(/\s+/);
      const id = Number(f[0].slice(3));
      const n = f.slice(1).map(Number);
      if (!Number.isInteger(id) || n.length < 4 || n.some((x) => !Number.isFinite(x))) return null;
      const g = (i: number) => n[i] ?? 0;
      cpus.push({ id, user: g(0), nice: g(1), system: g(2), idle: g(3), iowait: g(4), irq: g(5), softirq: g(6), steal: g(7), guest: g(8), guestNice: g(9) });
    } else if (line.startsWith('ctxt ')) {
      ctxt = Number(line.slice(5));
    }
  }
  if (cpus.length === 0) return null;
  cpus.sort((a, b) => a.id - b.id);
  return { cpus, ctxt: Number.isFinite(ctxt) ? ctxt : 0 };
}
