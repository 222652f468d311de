import { readFileSync } from 'node:fs';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuDelta, formatCpuList, parseCpuList, parseInfoNetworkTaps, parseProcStat, parseSchedStat, parseTaskStat, parseTaskStatus, readNetCounters } from './procfs.ts';

// Samples recorded on a Debian 12 host (kernel 6.x) from a QEMU 7.2 TCG guest started with
// -name g1,debug-threads=on, and from a process whose name holds ')' and spaces.
const fx = (n: string) => readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8');

describe('parseTaskStat', () => {
  it('reads a vCPU thread whose name has a space and a slash', () => {
    const s = parseTaskStat(fx('task-vcpu.stat'))!;
    expect(s).toEqual({ tid: 24261, comm: 'CPU 0/TCG', state: 'S', utime: 1114, stime: 173, processor: 0, startTime: 1117209 });
  });
  it('reads an IOThread', () => {
    const s = parseTaskStat(fx('task-iothread.stat'))!;
    expect(s.comm).toBe('IO io0');
    expect(s.utime).toBe(155);
    expect(s.stime).toBe(347);
  });
  it("splits after the LAST ')' when the name holds ')' and '('", () => {
    const s = parseTaskStat(fx('task-paren.stat'))!;
    expect(s.comm).toBe('a) b (c');
    expect(s.state).toBe('S');
    expect(s.utime).toBe(0);
    expect(s.processor).toBe(1);
  });
  it('refuses what is not a stat line', () => {
    expect(parseTaskStat('')).toBeNull();
    expect(parseTaskStat('12 (x) S 1 2')).toBeNull();
    expect(parseTaskStat('no parens here')).toBeNull();
  });
});

describe('parseSchedStat', () => {
  it('reads run time, wait time and slices (ns)', () => {
    expect(parseSchedStat(fx('task-vcpu.schedstat'))).toEqual({ runNs: 12876145458, waitNs: 12495759481, slices: 64456 });
    expect(parseSchedStat(fx('task-iothread.schedstat'))!.waitNs).toBe(1916255208);
  });
  it('refuses malformed text', () => {
    expect(parseSchedStat('1 2')).toBeNull();
    expect(parseSchedStat('a b c')).toBeNull();
    expect(parseSchedStat('1 -2 3')).toBeNull();
  });
});

describe('parseTaskStatus', () => {
  it('reads name, Tgid and Cpus_allowed_list', () => {
    expect(parseTaskStatus(fx('task-vcpu.status'))).toEqual({ name: 'CPU 0/TCG', tgid: 24257, cpusAllowed: [0, 1] });
    expect(parseTaskStatus(fx('task-iothread.status'))!.name).toBe('IO io0');
  });
  it('is null without Tgid', () => {
    expect(parseTaskStatus('Name:\tx\nCpus_allowed_list:\t0\n')).toBeNull();
  });
});

describe('CPU lists', () => {
  it('parses ranges and singles', () => {
    expect(parseCpuList('0-2,5,7-8')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(parseCpuList('3')).toEqual([3]);
    expect(parseCpuList('')).toEqual([]);
  });
  it('refuses malformed lists', () => {
    expect(parseCpuList('2-1')).toBeNull();
    expect(parseCpuList('a')).toBeNull();
    expect(parseCpuList('0-99999')).toBeNull();
  });
  it('formats what it parses', () => {
    for (const s of ['0-2,5,7-8', '1', '0,2,4', '0-63']) expect(formatCpuList(parseCpuList(s)!)).toBe(s);
    expect(formatCpuList([3, 1, 2, 2])).toBe('1-3');
  });
});

describe('parseProcStat', () => {
  it('reads the per-cpu lines (not the aggregate) and ctxt', () => {
    const a = parseProcStat(fx('proc-stat-1.txt'))!;
    expect(a.cpus.map((c) => c.id)).toEqual([0, 1]);
    expect(a.cpus[0]).toMatchObject({ user: 821113, nice: 1571, system: 135312, idle: 158064, iowait: 384, irq: 0, softirq: 2174, steal: 0, guest: 0, guestNice: 0 });
    expect(a.ctxt).toBe(23578787);
  });
  it('gives busy and idle ticks between two samples one second apart (USER_HZ 100, 2 cores)', () => {
    const a = parseProcStat(fx('proc-stat-1.txt'))!;
    const b = parseProcStat(fx('proc-stat-2.txt'))!;
    let total = 0;
    for (let i = 0; i < 2; i++) {
      const d = cpuDelta(a.cpus[i], b.cpus[i]);
      expect(d.guest).toBe(0); // TCG: guest code runs as QEMU user time, not guest mode
      total += d.busy + d.idle;
    }
    // ~1 s × 2 cores × 100 ticks; the recording took a little longer than `sleep 1`.
    expect(total).toBeGreaterThanOrEqual(180);
    expect(total).toBeLessThanOrEqual(260);
    expect(b.ctxt - a.ctxt).toBe(23602367 - 23578787);
  });
  it('takes guest ticks from the guest columns', () => {
    const a = parseProcStat('cpu0 10 0 5 100 0 0 0 0 4 1\nctxt 5\n')!;
    const b = parseProcStat('cpu0 30 0 5 150 0 0 0 0 14 2\nctxt 9\n')!;
    expect(cpuDelta(a.cpus[0], b.cpus[0])).toEqual({ busy: 20, guest: 11, idle: 50 });
  });
  it('is null without cpu lines or with garbage', () => {
    expect(parseProcStat('intr 1 2\n')).toBeNull();
    expect(parseProcStat('cpu0 a b c d\n')).toBeNull();
  });
});

describe('tap counters', () => {
  it("parses HMP 'info network' as recorded from QEMU 7.2 (tap netdev behind a virtio-net, a user netdev)", () => {
    expect(parseInfoNetworkTaps(fx('hmp-info-network.txt'))).toEqual([{ netdev: 'n0', ifname: 'iocmtap0' }]);
    expect(parseInfoNetworkTaps('')).toEqual([]);
  });
  it('reads /sys/class/net/IF/statistics and gives null for a vanished or hostile name', async () => {
    const root = mkdtempSync(join(tmpdir(), 'iocm-sys-'));
    try {
      const d = join(root, 'class/net/tap0/statistics');
      mkdirSync(d, { recursive: true });
      for (const [k, v] of [['rx_packets', 10], ['tx_packets', 20], ['rx_bytes', 1000], ['tx_bytes', 3000]] as const) writeFileSync(join(d, k), `${v}\n`);
      expect(await readNetCounters('tap0', root)).toEqual({ rxPackets: 10, txPackets: 20, rxBytes: 1000, txBytes: 3000 });
      expect(await readNetCounters('tap1', root)).toBeNull();
      expect(await readNetCounters('../../etc', root)).toBeNull();
      // The real loopback device of this machine.
      const lo = await readNetCounters('lo');
      expect(lo === null || lo.rxPackets >= 0).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
