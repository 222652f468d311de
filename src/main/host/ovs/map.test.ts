import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { observabilityOf, observe } from '../../../shared/observe.ts';
import { buildConfig, buildInfo, buildSnapshot, buildTopology, delta, tscHzFromPerf, vcpuCycles, vhostSocketPath, vmVcpuThreads, type IfaceRow, type OvsSample, type ThreadSched, type VcpuMap } from './map.ts';
import { mapColumn, parseDpctlShow, parsePmdPerfShow, parsePmdRxqShow, parsePmdStatsShow, parseVsctlJson, type ProcStat } from './parse.ts';

/** Output recorded from a private OVS 3.1 instance on this machine (fixtures/README.md). */
const fx = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

const ifacesOf = (file: string): IfaceRow[] =>
  parseVsctlJson(fx(file)).map((r) => ({ name: String(r.name), type: String(r.type), otherConfig: mapColumn(r, 'other_config'), externalIds: mapColumn(r, 'external_ids') }));

const vhost = (names: string[]): IfaceRow[] => names.map((name) => ({ name, type: 'dpdkvhostuserclient', otherConfig: {}, externalIds: {} }));

const proc = (ticks: [number, number][], ctxt: number): ProcStat => ({
  cpus: ticks.map(([busy, idle], id) => ({ id, user: busy, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 })),
  ctxt,
});

function sample(at: number, files: { perf: string; stats: string; rxq: string; dp: string }, ifaces: IfaceRow[], p: ProcStat, ovsConfig: Record<string, string> = { 'pmd-cpu-mask': '0x1' }): OvsSample {
  return { at, perf: parsePmdPerfShow(fx(files.perf)), stats: parsePmdStatsShow(fx(files.stats)), rxq: parsePmdRxqShow(fx(files.rxq)), ports: parseDpctlShow(fx(files.dp)), ifaces, ovsConfig, proc: p };
}

describe('topology: VMs and queues from the Interfaces and pmd-rxq-show', () => {
  it('every vhost-user port is a VM with one queue per rx queue; the bridge port is not', () => {
    const t = buildTopology({ ifaces: ifacesOf('vsctl-interfaces.json'), rxq: parsePmdRxqShow(fx('rxq-pinned.txt')) });
    expect(t.vms.map((v) => v.name)).toEqual(['vhu0', 'vhu1', 'vhu2']);
    expect(t.queues.map((q) => [q.id, q.vm, q.port, q.rxq])).toEqual([
      [0, 0, 'vhu0', 0],
      [1, 1, 'vhu1', 0],
      [2, 2, 'vhu2', 0],
    ]);
  });

  it('a port being added keeps the ids of the others; a port removed renumbers densely', () => {
    const before = buildTopology({ ifaces: vhost(['vhu1', 'vhu0']), rxq: parsePmdRxqShow(fx('rxq-tx1.txt')) });
    const added = buildTopology({ ifaces: vhost(['vhu2', 'vhu0', 'vhu1']), rxq: parsePmdRxqShow(fx('rxq-port-added.txt')) }, undefined, before);
    expect(added.key).not.toBe(before.key);
    expect(added.queues.map((q) => [q.id, q.port])).toEqual([
      [0, 'vhu0'],
      [1, 'vhu1'],
      [2, 'vhu2'],
    ]);
    const removed = buildTopology({ ifaces: vhost(['vhu0', 'vhu2']), rxq: parsePmdRxqShow(fx('rxq-port-added.txt')) }, undefined, added);
    expect(removed.queues.map((q) => [q.id, q.port])).toEqual([
      [0, 'vhu0'],
      [1, 'vhu2'],
    ]);
    expect(buildTopology({ ifaces: vhost(['vhu0', 'vhu1']), rxq: parsePmdRxqShow(fx('rxq-tx1.txt')) }, undefined, before).key).toBe(before.key);
  });

  it('no ports: no VMs, no queues', () => {
    const t = buildTopology({ ifaces: ifacesOf('vsctl-interfaces-noports.json'), rxq: parsePmdRxqShow(fx('rxq-noports.txt')) });
    expect([t.vms, t.queues]).toEqual([[], []]);
  });

  it('VMs from external_ids:vm-id (libvirt), else from a port-name pattern, else one per port', () => {
    const ifaces: IfaceRow[] = [
      { name: 'web-0', type: 'dpdkvhostuser', otherConfig: {}, externalIds: {} },
      { name: 'web-1', type: 'dpdkvhostuser', otherConfig: {}, externalIds: {} },
      { name: 'vhu9', type: 'dpdkvhostuserclient', otherConfig: {}, externalIds: { 'vm-id': '6f1c0b6e-uuid' } },
      { name: 'lonely', type: 'dpdkvhostuser', otherConfig: {}, externalIds: {} },
      { name: 'eth0', type: 'dpdk', otherConfig: {}, externalIds: {} },
    ];
    const rxq = parsePmdRxqShow('');
    const t = buildTopology({ ifaces, rxq }, /^(.*)-\d+$/);
    expect(t.vms.map((v) => [v.name, v.ports])).toEqual([
      ['lonely', ['lonely']],
      ['6f1c0b6e-uuid', ['vhu9']],
      ['web', ['web-0', 'web-1']],
    ]);
    expect(t.queues.map((q) => [q.port, q.vm, q.device])).toEqual([
      ['lonely', 0, 0],
      ['vhu9', 1, 0],
      ['web-0', 2, 0],
      ['web-1', 2, 1],
    ]);
    expect(buildTopology({ ifaces, rxq }).vms.map((v) => v.name)).toEqual(['lonely', '6f1c0b6e-uuid', 'web-0', 'web-1']);
  });
});

describe('snapshots from recorded counters', () => {
  const ifaces = vhost(['vhu0', 'vhu1']);
  const hz = 2.1e9;
  // 1 s apart on the injected clock; /proc/stat: core 0 (the PMD) fully busy, core 1 half.
  const a = sample(0, { perf: 'perf-tx1.txt', stats: 'stats-tx1.txt', rxq: 'rxq-tx1-secs5.txt', dp: 'dpctl-tx1.txt' }, ifaces, proc([[1000, 500], [800, 700]], 5000));
  const b = sample(1000, { perf: 'perf-tx1b.txt', stats: 'stats-tx1b.txt', rxq: 'rxq-tx1b-secs5.txt', dp: 'dpctl-mask3.txt' }, ifaces, proc([[1100, 500], [850, 750]], 6000));
  const topo = buildTopology(b);
  const snap = buildSnapshot(a, b, { seq: 3, t: 1000, hz, userHz: 100, topo });
  const [sA, sB] = [parsePmdStatsShow(fx('stats-tx1.txt'))[0], parsePmdStatsShow(fx('stats-tx1b.txt'))[0]];
  const [pA, pB] = [parsePmdPerfShow(fx('perf-tx1.txt'))[0], parsePmdPerfShow(fx('perf-tx1b.txt'))[0]];

  it('the PMD is the side core: processing vs idle cycles and iterations as deltas', () => {
    expect(snap.sideCores).toHaveLength(1);
    const sc = snap.sideCores[0];
    expect(sc.coreId).toBe(0);
    expect(sc.workCycles).toBe(sB.processingCycles - sA.processingCycles);
    expect(sc.emptyPollCycles).toBe(sB.idleCycles - sA.idleCycles);
    expect(sc.loops).toBe(pB.iterations - pA.iterations);
    expect(sc.emptyPolls).toBe((pB.idleIterations - pA.idleIterations) * 2);
    expect(sc.queues).toEqual([0, 1]);
    expect(snap.totals.sideCores).toBe(1);
  });

  it('queues: live port counters, and usage × the PMD cycles as work', () => {
    const [q0, q1] = snap.queues;
    const dA = parseDpctlShow(fx('dpctl-tx1.txt')).find((p) => p.name === 'vhu0')!;
    const dB = parseDpctlShow(fx('dpctl-mask3.txt')).find((p) => p.name === 'vhu0')!;
    expect(q0.requests).toBe(dB.rxPackets - dA.rxPackets + dB.txPackets - dA.txPackets);
    expect(q0.bytes).toBe(dB.rxBytes - dA.rxBytes);
    expect(q0.owner).toBe(0);
    expect(q0.polling).toBe(true);
    const sc = snap.sideCores[0];
    expect(q0.workCycles).toBeCloseTo(0.41 * (sc.workCycles + sc.emptyPollCycles), 0);
    expect(q1.workCycles).toBe(0);
    // vhu1 had no frontend at first ("could not retrieve stats"): its counters count from 0.
    const d1 = parseDpctlShow(fx('dpctl-mask3.txt')).find((p) => p.name === 'vhu1')!;
    expect(q1.requests).toBe(d1.rxPackets + d1.txPackets);
    expect(snap.vms[0].requestsPerSec).toBe(q0.requests);
    expect(snap.totals.requestsPerSec).toBe(q0.requests + q1.requests);
  });

  it('cores: /proc/stat in cycles; the PMD core is a side core; truth stays neutral', () => {
    expect(snap.cores.map((c) => c.role)).toEqual(['side', 'vm']);
    const c0 = snap.cores[0].cycles;
    expect(c0.io + c0.emptyPoll).toBeCloseTo(100 * (hz / 100), 0);
    expect(c0.io / (c0.io + c0.emptyPoll)).toBeCloseTo(snap.sideCores[0].workCycles / (snap.sideCores[0].workCycles + snap.sideCores[0].emptyPollCycles), 6);
    expect(snap.cores[1].cycles.idle).toBeCloseTo(50 * (hz / 100), 0);
    expect(snap.totals.ctxSwitchesPerSec).toBe(1000);
    expect([snap.phase, snap.totals.score, snap.totals.latencyUs.p99, snap.vms[0].load, snap.queues[0].waitCycles]).toEqual(['', 0, 0, 0, 0]);
    expect([snap.seq, snap.t, snap.intervalMs, snap.hz]).toEqual([3, 1000, 1000, hz]);
  });

  it("a core's cycles are the interval's: /proc/stat read 3 ticks late is scaled, not a core at 103 % (review 6)", () => {
    const late = sample(1000, { perf: 'perf-tx1b.txt', stats: 'stats-tx1b.txt', rxq: 'rxq-tx1b-secs5.txt', dp: 'dpctl-mask3.txt' }, ifaces, proc([[1103, 500], [851, 752]], 6000));
    const s = buildSnapshot(a, late, { seq: 3, t: 1000, hz, userHz: 100, topo });
    for (const c of s.cores) {
      const y = c.cycles;
      expect(y.guest + y.exit + y.io + y.emptyPoll + y.ctxSwitch + y.idle).toBeCloseTo(hz, -1);
    }
    // the shares are the measured ones: core 1 was 51 of 103 ticks busy
    expect(s.cores[1].cycles.io / hz).toBeCloseTo(51 / 103, 9);
  });

  it("queues share the PMD's measured work when OVS's usage (its own window) claims more than the PMD did this interval (review 6)", () => {
    const busy = { ...b, rxq: parsePmdRxqShow(fx('rxq-tx1b-secs5.txt').replace('pmd usage: 41 %', 'pmd usage: 60 %')) };
    const s = buildSnapshot(a, busy, { seq: 3, t: 1000, hz, userHz: 100, topo });
    const sc = s.sideCores[0];
    // 60 % of the PMD's cycles would be more than its processing cycles: the queue gets all of those, no more
    expect(0.6 * (sc.workCycles + sc.emptyPollCycles)).toBeGreaterThan(sc.workCycles);
    expect(s.queues[0].workCycles).toBeCloseTo(sc.workCycles, 0);
    expect(s.queues[0].workCycles + s.queues[1].workCycles).toBeLessThanOrEqual(sc.workCycles + 1e-3);
  });

  it('the ovs profile: every field a policy sees is one of these recorded measurements, and nothing else', () => {
    const view = observe(snap, observabilityOf('ovs'));
    expect(Object.keys(view.cores[0].cycles).sort()).toEqual(['busy', 'guest', 'idle']);
    const sc = view.sideCores[0];
    expect(Object.keys(sc).sort()).toEqual(['busyCycles', 'coreId', 'emptyPollCycles', 'loops', 'queues', 'workCycles']);
    expect(sc.busyCycles).toBe(sB.processingCycles + sB.idleCycles - sA.processingCycles - sA.idleCycles);
    expect(Object.keys(view.queues[0]).sort()).toEqual(['bytes', 'device', 'id', 'kind', 'owner', 'polling', 'requests', 'vm', 'workCycles']);
    expect(view.vms[0].requestsPerSec).toBe(snap.queues[0].requests);
    // Under `full` the per-ring count appears (a research host reports it); under `ovs` it does not.
    expect(observe(snap, observabilityOf('full')).sideCores[0].emptyPolls).toBe(snap.sideCores[0].emptyPolls);
  });

  it('a PMD re-created by a mask change restarts its counters: its delta is what it counted since', () => {
    const c = sample(2000, { perf: 'perf-mask3.txt', stats: 'stats-mask3.txt', rxq: 'rxq-mask3.txt', dp: 'dpctl-mask3.txt' }, ifaces, proc([[1200, 500], [950, 750]], 7000), { 'pmd-cpu-mask': '0x3' });
    const s = buildSnapshot(b, c, { seq: 4, t: 2000, hz, userHz: 100, topo: buildTopology(c) });
    const st = parsePmdStatsShow(fx('stats-mask3.txt'));
    expect(s.sideCores.map((x) => x.coreId)).toEqual([0, 1]);
    expect(s.sideCores[1].emptyPollCycles).toBe(st[1].idleCycles);
    expect(s.sideCores[1].queues).toEqual([1]);
    expect(s.sideCores[0].workCycles).toBe(st[0].processingCycles - sB.processingCycles);
    expect(s.cores.map((x) => x.role)).toEqual(['side', 'side']);
    // usage NOT AVAIL on the new PMD: the PMD's work cycles by packet share (none moved: 0).
    expect(s.queues[1].workCycles).toBe(0);
  });

  it('every port deleted: no PMD thread, no queue; the mask still names the side core in the config', () => {
    const none = sample(3000, { perf: 'perf-noports.txt', stats: 'stats-noports.txt', rxq: 'rxq-noports.txt', dp: 'dpctl-noports.txt' }, [], proc([[1300, 500], [1000, 800]], 8000));
    const t = buildTopology(none);
    const s = buildSnapshot(b, none, { seq: 5, t: 3000, hz, userHz: 100, topo: t });
    expect([s.sideCores, s.queues, s.vms]).toEqual([[], [], []]);
    expect(buildConfig(2, none, [0], t)).toEqual({
      cores: 2,
      sideCores: [0],
      queueOwner: [],
      queuePolling: [],
      knobs: { pollMaxNs: 0, pollGrow: 0, pollShrink: 0, vhostPollUs: 0, pmdMaxSleepUs: 0, manager: { on: false, core: null } },
    });
  });

  it('config and info of a sample', () => {
    const cfg = buildConfig(2, { ...b, ovsConfig: { 'pmd-maxsleep': '500' } }, [0], topo);
    expect(cfg.sideCores).toEqual([0]);
    expect(cfg.queueOwner).toEqual([0, 0]);
    expect(cfg.knobs!.pmdMaxSleepUs).toBe(500);
    const info = buildInfo('ovs@test', 2, hz, 1000, topo);
    expect(info.source).toBe('agent');
    expect(info.observability!.profile).toBe('ovs');
    expect(info.queues).toEqual([
      { id: 0, vm: 0, device: 0, kind: 'net' },
      { id: 1, vm: 1, device: 0, kind: 'net' },
    ]);
  });
});

describe('clock and counters', () => {
  it('the TSC rate from pmd-perf-show matches this machine (2.1 GHz: /proc/cpuinfo said 2095.987 MHz)', () => {
    const hz = tscHzFromPerf(parsePmdPerfShow(fx('perf-noload.txt')))!;
    expect(hz).toBeGreaterThan(2.08e9);
    expect(hz).toBeLessThan(2.12e9);
    // A sleeping PMD's share (0.1 %) is too coarse to tell.
    expect(tscHzFromPerf(parsePmdPerfShow(fx('perf-maxsleep.txt')))).toBeNull();
    expect(tscHzFromPerf([])).toBeNull();
  });

  it('a counter that went down was reset', () => {
    expect(delta(10, 4)).toBe(6);
    expect(delta(3, 4)).toBe(3);
    expect(delta(3, undefined)).toBe(3);
    expect(delta(NaN, 1)).toBe(0);
  });
});

describe('vCPUs of the VMs behind the vhost-user ports', () => {
  it("a port's socket: a client port's vhost-server-path; a server port's file in the run folder (or vhost-sock-dir under it)", () => {
    expect(vhostSocketPath({ name: 'vhu0', type: 'dpdkvhostuserclient', otherConfig: {}, externalIds: {}, options: { 'vhost-server-path': '/tmp/x/vhu0.sock' } }, '/var/run/openvswitch')).toBe('/tmp/x/vhu0.sock');
    expect(vhostSocketPath({ name: 'vhu0', type: 'dpdkvhostuserclient', otherConfig: {}, externalIds: {} }, '/var/run/openvswitch')).toBeNull();
    expect(vhostSocketPath({ name: 'vhost-web0', type: 'dpdkvhostuser', otherConfig: {}, externalIds: {} }, '/var/run/openvswitch/')).toBe('/var/run/openvswitch/vhost-web0');
    expect(vhostSocketPath({ name: 'vhost-web0', type: 'dpdkvhostuser', otherConfig: {}, externalIds: {} }, '/var/run/openvswitch', 'vhost/')).toBe('/var/run/openvswitch/vhost/vhost-web0');
    expect(vhostSocketPath({ name: 'br0', type: 'internal', otherConfig: {}, externalIds: {} }, '/run')).toBeNull();
    // The recorded Interface table's client ports.
    expect(ifacesOf('vsctl-interfaces.json').map((i) => i.name)).toContain('vhu1');
  });

  it("a VM's vCPU threads: the union over its ports' processes, each process once; none for a port no VM serves", () => {
    const ifaces: IfaceRow[] = [
      { name: 'web-0', type: 'dpdkvhostuser', otherConfig: {}, externalIds: { 'vm-id': 'web' } },
      { name: 'web-1', type: 'dpdkvhostuser', otherConfig: {}, externalIds: { 'vm-id': 'web' } },
      { name: 'tp', type: 'dpdkvhostuser', otherConfig: {}, externalIds: {} },
    ];
    const topo = buildTopology({ ifaces, rxq: { windowS: NaN, pmds: [] } });
    expect(topo.vms.map((v) => [v.name, v.ports])).toEqual([
      ['tp', ['tp']],
      ['web', ['web-0', 'web-1']],
    ]);
    const found: VcpuMap = { portPids: new Map([['web-0', [300]], ['web-1', [300]]]), threads: new Map([[300, [301, 302]]]) };
    expect(vmVcpuThreads(topo, found)).toEqual([[], ['300/301', '300/302']]);
    expect(vmVcpuThreads(topo, undefined)).toEqual([[], []]);
    expect(buildInfo('h', 2, 2e9, 1000, topo, vmVcpuThreads(topo, found).map((t) => t.length)).vms.map((v) => [v.name, v.vcpus])).toEqual([
      ['tp', 0],
      ['web', 2],
    ]);
    expect(buildInfo('h', 2, 2e9, 1000, topo).vms.map((v) => v.vcpus)).toEqual([0, 0]);
  });

  it('run and wait: schedstat deltas in cycles; a thread new, vanished or with a counter gone backwards adds 0', () => {
    const m = (x: Record<string, [number, number]>): Map<string, ThreadSched> => new Map(Object.entries(x).map(([k, [runNs, waitNs]]) => [k, { runNs, waitNs }]));
    const prev = m({ '1/2': [1e9, 5e8], '1/3': [2e9, 0], '1/4': [9e9, 9e9], '1/5': [1, 1] });
    const cur = m({ '1/2': [1.6e9, 6e8], '1/3': [2.3e9, 2e8], '1/4': [8e9, 9.1e9], '1/6': [5e8, 5e8] });
    // 2 GHz, 1 s: thread 2 ran 0.6 s and waited 0.1 s, thread 3 0.3 s and 0.2 s; 4 went backwards, 5 vanished, 6 is new.
    const c = vcpuCycles(prev, cur, ['1/2', '1/3', '1/4', '1/5', '1/6'], 2e9, 1000);
    expect(c.run).toBeCloseTo(1.8e9, -3);
    expect(c.wait).toBeCloseTo(0.6e9, -3);
    expect(vcpuCycles(prev, cur, ['1/4', '1/5', '1/6'], 2e9, 1000)).toEqual({ run: 0, wait: 0 });
    expect(vcpuCycles(undefined, cur, ['1/2'], 2e9, 1000)).toEqual({ run: 0, wait: 0 });
    // Read 1.25 s apart for an interval of 1 s: scaled to the interval.
    const s = vcpuCycles(prev, cur, ['1/2'], 2e9, 1000, 1250);
    expect(s.run).toBeCloseTo(0.96e9, -3);
    expect(s.wait).toBeCloseTo(0.16e9, -3);
    // A thread cannot run and wait longer than the interval.
    const over = vcpuCycles(m({ a: [0, 0] }), m({ a: [1.5e9, 0.5e9] }), ['a'], 2e9, 1000);
    expect(over.run + over.wait).toBeCloseTo(2e9, -3);
    expect(over.run / over.wait).toBeCloseTo(3, 6);
  });

  it('the snapshot gives each VM its vCPU threads\' run and wait; 0 for a VM with none found', () => {
    const files = { perf: 'perf-tx1.txt', stats: 'stats-tx1.txt', rxq: 'rxq-tx1.txt', dp: 'dpctl-tx1.txt' };
    const ifaces = vhost(['vhu0', 'vhu1']);
    const vcpus: VcpuMap = { portPids: new Map([['vhu0', [100]]]), threads: new Map([[100, [101, 102]]]) };
    const a: OvsSample = { ...sample(1000, files, ifaces, proc([[10, 90], [50, 50]], 100)), vcpus, sched: new Map([['100/101', { runNs: 1e9, waitNs: 0 }], ['100/102', { runNs: 0, waitNs: 0 }]]), schedAt: 1000 };
    const b: OvsSample = { ...sample(2000, files, ifaces, proc([[20, 180], [100, 100]], 200)), vcpus, sched: new Map([['100/101', { runNs: 1.5e9, waitNs: 2.5e8 }], ['100/102', { runNs: 1e8, waitNs: 0 }]]), schedAt: 2000 };
    const topo = buildTopology(b);
    const snap = buildSnapshot(a, b, { seq: 0, t: 1000, hz: 2e9, userHz: 100, topo });
    expect(snap.vms.map((v) => [v.name, v.vcpuRunCycles, v.vcpuWaitCycles])).toEqual([
      ['vhu0', 1.2e9, 5e8],
      ['vhu1', 0, 0],
    ]);
  });
});
