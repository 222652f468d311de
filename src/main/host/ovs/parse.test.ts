import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cmdlineNamesPath,
  formatCpuMask,
  isVcpuThreadName,
  normalSocketPath,
  parseCmdline,
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

describe('the processes behind vhost-user sockets: /proc/PID/cmdline and thread names', () => {
  const DIR = '/tmp/iocm-rec-Pe3J';
  const qemu = parseCmdline(fx('qemu-cmdline.bin'));
  const testpmd = parseCmdline(fx('testpmd-cmdline.bin'));

  it('splits a recorded command line at its NULs', () => {
    expect(qemu[0]).toBe('/usr/bin/qemu-system-x86_64');
    expect(qemu).toContain('socket,id=c0,path=/tmp/iocm-rec-Pe3J/vhu0.sock,server=on,wait=off');
    expect(qemu).toContain('console=ttyS0 quiet panic=-1');
    expect(qemu[qemu.length - 1]).toBe('virtio-net-pci,netdev=n0,vectors=0');
    expect(parseCmdline('')).toEqual([]);
    expect(parseCmdline('a\0b c')).toEqual(['a', 'b c']);
  });

  it("QEMU's -chardev socket,path=P names P; testpmd's --vdev …,path=P names its own; neither names the other's", () => {
    expect(cmdlineNamesPath(qemu, `${DIR}/vhu0.sock`)).toBe(true);
    expect(cmdlineNamesPath(qemu, `${DIR}/vhu1.sock`)).toBe(false);
    expect(cmdlineNamesPath(testpmd, `${DIR}/vhu1.sock`)).toBe(true);
    expect(cmdlineNamesPath(testpmd, `${DIR}/vhu0.sock`)).toBe(false);
    // Written another way: the same socket.
    expect(cmdlineNamesPath(qemu, `${DIR}//./vhu0.sock`)).toBe(true);
  });

  it('a path is matched whole: not a prefix, not inside another option, not as another key', () => {
    const args = ['qemu', '-chardev', 'socket,id=c0,path=/run/vhu1.sock2,server=on', '-drive', 'file=/run/vhu1.sock,format=raw', '-object', 'x,logpath=/run/vhu1.sock'];
    expect(cmdlineNamesPath(args, '/run/vhu1.sock')).toBe(false);
    expect(cmdlineNamesPath(['qemu', '-chardev', 'socket,id=c0,path=/run/a,,b.sock,server=on'], '/run/a,b.sock')).toBe(true);
    expect(cmdlineNamesPath(['qemu', '-chardev', 'socket,id=c0,path=/run/a,,b.sock,server=on'], '/run/a')).toBe(false);
    expect(cmdlineNamesPath(['x'], '/')).toBe(false);
  });

  it("libvirt's JSON arguments: a \"path\" member at any depth names the socket", () => {
    // As libvirt 9 writes a vhost-user NIC (-chardev in the dotted form, -netdev as JSON) and a JSON chardev.
    const libvirt = [
      '/usr/bin/qemu-system-x86_64',
      '-name', 'guest=web,debug-threads=on',
      '-chardev', 'socket,id=charnet0,path=/var/run/openvswitch/vhu-web0,server=on',
      '-netdev', '{"type":"vhost-user","chardev":"charnet0","id":"hostnet0"}',
      '-chardev', '{"id":"charnet1","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/var/run/openvswitch/vhu-web1"}},"server":true}}}',
    ];
    expect(cmdlineNamesPath(libvirt, '/var/run/openvswitch/vhu-web0')).toBe(true);
    expect(cmdlineNamesPath(libvirt, '/var/run/openvswitch/vhu-web1')).toBe(true);
    expect(cmdlineNamesPath(libvirt, '/var/run/openvswitch/vhu-web2')).toBe(false);
    // Cut at the read limit: the member is still found as text.
    expect(cmdlineNamesPath(['{"path":"/run/x.sock","server":tr'], '/run/x.sock')).toBe(true);
    expect(cmdlineNamesPath(['{"chardev":"/run/x.sock"}'], '/run/x.sock')).toBe(false);
  });

  it('vCPU threads are named CPU n/ACCEL (debug-threads=on); no thread of testpmd is', () => {
    const q = fx('qemu-comms.txt').split('\n').filter(Boolean);
    const t = fx('testpmd-comms.txt').split('\n').filter(Boolean);
    expect(q.filter(isVcpuThreadName)).toEqual(['CPU 0/TCG', 'CPU 1/TCG']);
    expect(t.filter(isVcpuThreadName)).toEqual([]);
    expect(isVcpuThreadName('CPU 12/KVM\n')).toBe(true);
    expect(isVcpuThreadName('qemu-system-x86')).toBe(false);
    expect(isVcpuThreadName('CPU 0')).toBe(false);
    expect(isVcpuThreadName('CPU x/KVM')).toBe(false);
  });

  it('normalises socket paths', () => {
    expect(normalSocketPath('/var//run/./ovs/../openvswitch/vhu0/')).toBe('/var/run/openvswitch/vhu0');
  });
});
