import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatCpuMask,
  formatRxqAffinity,
  mapColumn,
  parseCpuMask,
  parseDpctlShow,
  parsePmdPerfShow,
  parsePmdRxqShow,
  parsePmdStatsShow,
  parseProcStat,
  parseRxqAffinity,
  parseVsctlJson,
} from './parse.ts';

/** Output recorded from a private OVS 3.1 / DPDK 22.11 instance on this machine (fixtures/README.md). */
const fx = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('pmd-perf-show (OVS 3.1)', () => {
  it('reads an idle PMD', () => {
    const p = parsePmdPerfShow(fx('perf-noload.txt'));
    expect(p).toEqual([
      { core: 0, numa: 0, durationS: 8.635, iterations: 44686241, usedCycles: 17722842984, usedPct: 97.7, idleIterations: 44686241, busyIterations: 0, sleepIterations: 0, sleepUs: 0, rxPackets: 0, txPackets: 0 },
    ]);
  });

  it('reads a PMD forwarding traffic (the rate in parentheses is not a counter)', () => {
    const [p] = parsePmdPerfShow(fx('perf-tx1.txt'));
    expect(p.core).toBe(0);
    expect(p.iterations).toBe(93734419);
    expect(p.busyIterations).toBe(2577);
    expect(p.idleIterations).toBe(93731842);
    expect(p.rxPackets).toBe(82464);
    expect(p.txPackets).toBe(164928);
    expect(p.usedCycles).toBe(41293870884);
  });

  it('reads two PMDs, each with its own measurement duration (the second was re-created by a mask change)', () => {
    const p = parsePmdPerfShow(fx('perf-mask3.txt'));
    expect(p.map((x) => [x.core, x.durationS])).toEqual([
      [0, 46.092],
      [1, 8.848],
    ]);
    expect(p[1].rxPackets).toBe(0);
    expect(p[1].usedPct).toBe(78.8);
  });

  it('reads sleep iterations and sleep time under pmd-maxsleep', () => {
    const [p] = parsePmdPerfShow(fx('perf-maxsleep.txt'));
    expect(p.sleepIterations).toBe(4424);
    expect(p.sleepUs).toBe(3106580);
    expect(p.usedPct).toBe(0.1);
  });

  it('no ports: OVS runs no PMD thread and prints nothing', () => {
    expect(fx('perf-noports.txt')).toBe('');
    expect(parsePmdPerfShow(fx('perf-noports.txt'))).toEqual([]);
  });

  it('skips text it does not know', () => {
    expect(parsePmdPerfShow('garbage\n  Iterations: 5\npmd thread numa_id x core_id y:\n')).toEqual([]);
  });
});

describe('pmd-stats-show (OVS 3.1)', () => {
  it('reads idle vs processing cycles per PMD and leaves the main thread out', () => {
    expect(parsePmdStatsShow(fx('stats-mask3.txt'))).toEqual([
      { core: 0, numa: 0, packetsReceived: 9947552, idleCycles: 72676166913, processingCycles: 23744956452 },
      { core: 1, numa: 0, packetsReceived: 0, idleCycles: 14910132804, processingCycles: 0 },
    ]);
  });

  it('idle PMD and no ports', () => {
    expect(parsePmdStatsShow(fx('stats-noload.txt'))).toEqual([{ core: 0, numa: 0, packetsReceived: 0, idleCycles: 18027658467, processingCycles: 0 }]);
    expect(parsePmdStatsShow(fx('stats-noports.txt'))).toEqual([]);
  });
});

describe('pmd-rxq-show (OVS 3.1)', () => {
  it('usage NOT AVAIL right after start or a reassignment', () => {
    const r = parsePmdRxqShow(fx('rxq-tx1.txt'));
    expect(r.windowS).toBe(60);
    expect(r.pmds).toEqual([
      {
        core: 0,
        numa: 0,
        isolated: false,
        rxqs: [
          { port: 'vhu0', queue: 0, enabled: true, usagePct: null },
          { port: 'vhu1', queue: 0, enabled: true, usagePct: null },
        ],
        overheadPct: null,
      },
    ]);
  });

  it('usage over a 5-s window (-secs 5)', () => {
    const r = parsePmdRxqShow(fx('rxq-tx1b-secs5.txt'));
    expect(r.windowS).toBe(5);
    expect(r.pmds[0].rxqs.map((q) => [q.port, q.usagePct])).toEqual([
      ['vhu0', 41],
      ['vhu1', 0],
    ]);
    expect(r.pmds[0].overheadPct).toBe(5);
  });

  it('a pinned rxq isolates its PMD', () => {
    const r = parsePmdRxqShow(fx('rxq-pinned.txt'));
    expect(r.pmds.map((p) => [p.core, p.isolated, p.rxqs.map((q) => q.port)])).toEqual([
      [0, false, ['vhu0']],
      [1, true, ['vhu1']],
    ]);
  });

  it('a port just added appears at once, usage not yet available', () => {
    const r = parsePmdRxqShow(fx('rxq-port-added.txt'));
    expect(r.pmds[0].rxqs.map((q) => q.port)).toEqual(['vhu0', 'vhu2']);
    expect(r.pmds[0].rxqs.every((q) => q.usagePct === null)).toBe(true);
  });

  it('a PMD with no queues has only its isolated line', () => {
    const r = parsePmdRxqShow(fx('rxq-empty-pmd.txt'));
    expect(r.pmds).toEqual([
      { core: 0, numa: 0, isolated: false, rxqs: [{ port: 'vhu0', queue: 0, enabled: true, usagePct: null }], overheadPct: null },
      { core: 1, numa: 0, isolated: false, rxqs: [], overheadPct: null },
    ]);
  });

  it('a pin to a core outside the mask: OVS polls the rxq from a PMD in the mask', () => {
    const r = parsePmdRxqShow(fx('rxq-pinned-offmask.txt'));
    expect(r.pmds.map((p) => p.core)).toEqual([0]);
    expect(r.pmds[0].rxqs.map((q) => q.port)).toEqual(['vhu0', 'vhu1', 'vhu2']);
  });

  it('no ports: the header only', () => {
    expect(parsePmdRxqShow(fx('rxq-noports.txt'))).toEqual({ windowS: 60, pmds: [] });
  });
});

describe('dpctl/show -s (OVS 3.1)', () => {
  it('reads live per-port counters', () => {
    const p = parseDpctlShow(fx('dpctl-mask3.txt'));
    expect(p.map((x) => x.name)).toEqual(['ovs-netdev', 'br0', 'vhu0', 'vhu1']);
    const vhu0 = p.find((x) => x.name === 'vhu0')!;
    expect(vhu0).toEqual({ portNo: 2, name: 'vhu0', type: 'dpdkvhostuserclient', rxPackets: 9974752, rxBytes: 638384128, txPackets: 0, txBytes: 0, statsError: null });
    const vhu1 = p.find((x) => x.name === 'vhu1')!;
    expect([vhu1.txPackets, vhu1.txBytes]).toEqual([724640, 46376960]);
  });

  it('an unconnected vhost-user port: "could not retrieve stats" glued to the next port', () => {
    const p = parseDpctlShow(fx('dpctl-noload.txt'));
    expect(p.map((x) => [x.name, x.type, x.statsError])).toEqual([
      ['ovs-netdev', 'tap', null],
      ['br0', 'tap', null],
      ['vhu0', 'dpdkvhostuserclient', 'could not retrieve stats (Protocol error)'],
      ['vhu1', 'dpdkvhostuserclient', 'could not retrieve stats (Protocol error)'],
    ]);
    const tx1 = parseDpctlShow(fx('dpctl-tx1.txt'));
    expect(tx1.find((x) => x.name === 'vhu0')!.rxPackets).toBe(127456);
    expect(tx1.find((x) => x.name === 'vhu1')!.statsError).toMatch(/could not retrieve/);
  });

  it('no ports: only the datapath and the bridge', () => {
    expect(parseDpctlShow(fx('dpctl-noports.txt')).map((x) => x.name)).toEqual(['ovs-netdev', 'br0']);
  });
});

describe('ovs-vsctl --format=json', () => {
  it('decodes maps, numbers and strings of the Interface table', () => {
    const rows = parseVsctlJson(fx('vsctl-interfaces.json'));
    expect(rows.map((r) => [r.name, r.type, r.ofport])).toEqual([
      ['br0', 'internal', 65534],
      ['vhu1', 'dpdkvhostuserclient', 2],
      ['vhu0', 'dpdkvhostuserclient', 1],
      ['vhu2', 'dpdkvhostuserclient', 3],
    ]);
    const vhu1 = rows[1];
    expect(mapColumn(vhu1, 'other_config')).toEqual({ 'pmd-rxq-affinity': '0:1' });
    expect(mapColumn(vhu1, 'options')).toEqual({ 'vhost-server-path': '/tmp/ovsrec/vhu1.sock' });
    expect(mapColumn(vhu1, 'statistics').tx_packets).toBe('932672');
    expect(mapColumn(vhu1, 'status').status).toBe('connected');
  });

  it('reads Open_vSwitch other_config', () => {
    const [o] = parseVsctlJson(fx('vsctl-ovs.json'));
    expect(mapColumn(o, 'other_config')['pmd-cpu-mask']).toBe('0x3');
    expect(o.cur_cfg).toBe(6);
  });

  it('no ports: only the bridge interface', () => {
    expect(parseVsctlJson(fx('vsctl-interfaces-noports.json')).map((r) => r.name)).toEqual(['br0']);
  });

  it('refuses text that is not its JSON, naming it', () => {
    expect(() => parseVsctlJson('ovs-vsctl: unix:/x/db.sock: database connection failed')).toThrow(/not JSON/);
    expect(() => parseVsctlJson('{"rows":[]}')).toThrow(/headings/);
  });
});

describe('masks and affinities', () => {
  it('pmd-cpu-mask both ways', () => {
    expect(parseCpuMask('0x3')).toEqual([0, 1]);
    expect(parseCpuMask('6')).toEqual([1, 2]);
    expect(parseCpuMask('0x100')).toEqual([8]);
    expect(parseCpuMask('0X0')).toEqual([]);
    expect(parseCpuMask('zz')).toBeNull();
    expect(parseCpuMask('')).toBeNull();
    expect(formatCpuMask([0])).toBe('0x1');
    expect(formatCpuMask([1])).toBe('0x2');
    expect(formatCpuMask([0, 1])).toBe('0x3');
    expect(formatCpuMask([4, 9])).toBe('0x210');
    for (const cores of [[0], [3, 5], [0, 1, 2, 3, 4, 63]]) expect(parseCpuMask(formatCpuMask(cores))).toEqual(cores);
    expect(() => formatCpuMask([-1])).toThrow();
  });

  it('pmd-rxq-affinity both ways', () => {
    expect([...parseRxqAffinity('0:1')!]).toEqual([[0, 1]]);
    expect([...parseRxqAffinity('0:3, 1:7')!]).toEqual([
      [0, 3],
      [1, 7],
    ]);
    expect(parseRxqAffinity('')!.size).toBe(0);
    expect(parseRxqAffinity('0-1')).toBeNull();
    expect(formatRxqAffinity(new Map([[1, 7], [0, 3]]))).toBe('0:3,1:7');
  });
});

describe('/proc/stat', () => {
  it('per-CPU ticks and ctxt from this machine', () => {
    const s = parseProcStat(fx('proc-stat.txt'))!;
    expect(s.cpus.map((c) => c.id)).toEqual([0, 1]);
    expect(s.cpus[0].user).toBeGreaterThan(0);
    expect(s.ctxt).toBeGreaterThan(0);
  });
});
