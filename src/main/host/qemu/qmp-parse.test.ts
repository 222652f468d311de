import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBlockStats, parseCpusFast, parseIoThreadLink, parseIoThreads, parseQueryName } from './qmp-parse.ts';

// Replies recorded from QEMU 7.2.22 (Debian 12) running a TCG guest with an IOThread and a virtio-blk-pci on it.
const rec = JSON.parse(readFileSync(new URL('./fixtures/qmp-qemu72.json', import.meta.url), 'utf8')) as Record<string, { return?: unknown; error?: unknown }>;

describe('QMP reply parsers (QEMU 7.2 recordings)', () => {
  it('query-cpus-fast → vCPU thread ids', () => {
    expect(parseCpusFast(rec['query-cpus-fast'].return)).toEqual([{ cpuIndex: 0, threadId: 24261 }]);
  });
  it('query-iothreads → thread id and polling parameters', () => {
    expect(parseIoThreads(rec['query-iothreads'].return)).toEqual([{ id: 'io0', threadId: 24259, pollMaxNs: 32768, pollGrow: 0, pollShrink: 0 }]);
  });
  it('query-blockstats → the device-level counters (not the file node beneath)', () => {
    const b = parseBlockStats(rec['query-blockstats'].return);
    expect(b).toHaveLength(1);
    const raw = (rec['query-blockstats'].return as { stats: Record<string, number> }[])[0].stats;
    expect(b[0]).toEqual({
      key: '/machine/peripheral/vd0/virtio-backend',
      qdev: '/machine/peripheral/vd0/virtio-backend',
      ops: raw.rd_operations + raw.wr_operations,
      bytes: raw.rd_bytes + raw.wr_bytes,
      totalTimeNs: raw.rd_total_time_ns + raw.wr_total_time_ns + raw.flush_total_time_ns,
      timedOps: raw.rd_operations + raw.wr_operations + raw.flush_operations,
    });
    expect(b[0].ops).toBeGreaterThan(0);
    expect(b[0].totalTimeNs / b[0].timedOps).toBeGreaterThan(0);
  });
  it("qom-get of the device's iothread property → the IOThread id", () => {
    expect(parseIoThreadLink(rec['qom-get /machine/peripheral/vd0/virtio-backend iothread'].return)).toBe('io0');
    expect(parseIoThreadLink('')).toBeNull();
    expect(parseIoThreadLink('/machine/x')).toBeNull();
  });
  it('query-name', () => {
    expect(parseQueryName(rec['query-name'].return)).toBe('g1');
    expect(parseQueryName({})).toBeNull();
  });
  it('refuses replies of the wrong shape with the command named', () => {
    expect(() => parseCpusFast({})).toThrow(/query-cpus-fast.*not a list/);
    expect(() => parseCpusFast([{ 'cpu-index': 0, 'thread-id': -1 }])).toThrow(/thread-id/);
    expect(() => parseIoThreads([{ id: 5 }])).toThrow(/query-iothreads/);
    expect(() => parseBlockStats([{ device: 'd0', stats: null }])).toThrow(/stats/);
    expect(() => parseBlockStats([{ device: 'd0', stats: { rd_operations: 'x' } }])).toThrow(/rd_operations/);
    expect(parseBlockStats([{ device: '', stats: {} }])).toEqual([]);
  });
});
