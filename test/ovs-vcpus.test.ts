/**
 * The OVS source finds the QEMU guests behind its vhost-user ports and measures their vCPUs, over a
 * fake /proc tree written into a temp folder (`procRoot`) and a fake OVS (`exec`, answering with
 * output recorded from OVS 3.1 in src/main/host/ovs/fixtures). The clock is manual: each step moves
 * it one interval and waits for the snapshot. A real QEMU on a real OVS-DPDK:
 * test/ovs/ovs-vcpus.rel.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OvsHostSource, type OvsClock } from '../src/main/host/ovs/ovs-source.ts';
import { hostInfoSchema, hostSnapshotSchema, shapeProblem, snapshotConsistencyProblem } from '../src/shared/agent-protocol.ts';
import type { HostInfo } from '../src/shared/control.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';

const FX = join(import.meta.dirname, '..', 'src', 'main', 'host', 'ovs', 'fixtures');
const fx = (name: string): string => readFileSync(join(FX, name), 'utf8');

const root = mkdtempSync(join(tmpdir(), 'iocm-ovs-vcpus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A run folder with the two sockets the source looks for (it only checks that they exist). */
const rundir = join(root, 'run');
mkdirSync(rundir);
writeFileSync(join(rundir, 'db.sock'), '');
writeFileSync(join(rundir, 'ovs-vswitchd.ctl'), '');
/** Where the QEMU-served (client) ports' sockets are. */
const SOCK = '/var/lib/vhost';

/** A fake /proc: processes with a command line and threads (name, schedstat). */
class FakeProc {
  readonly dir: string;
  constructor(name: string) {
    this.dir = join(root, name);
    mkdirSync(this.dir);
    writeFileSync(join(this.dir, 'stat'), fx('proc-stat.txt'));
    // Entries a scan must get past: not a pid, a pid without a readable cmdline, a kernel thread.
    mkdirSync(join(this.dir, 'self'));
    mkdirSync(join(this.dir, '7'));
    this.process(2, [], [[2, 'kthreadd']]);
  }
  process(pid: number, args: string[], threads: [number, string][]): void {
    const p = join(this.dir, String(pid));
    mkdirSync(join(p, 'task'), { recursive: true });
    writeFileSync(join(p, 'cmdline'), args.map((a) => `${a}\0`).join(''));
    for (const [tid, comm] of threads) {
      mkdirSync(join(p, 'task', String(tid)), { recursive: true });
      writeFileSync(join(p, 'task', String(tid), 'comm'), `${comm}\n`);
      this.sched(pid, tid, 0, 0);
    }
  }
  sched(pid: number, tid: number, runNs: number, waitNs: number): void {
    writeFileSync(join(this.dir, String(pid), 'task', String(tid), 'schedstat'), `${runNs} ${waitNs} 7\n`);
  }
  kill(pid: number): void {
    rmSync(join(this.dir, String(pid)), { recursive: true, force: true });
  }
}

/** QEMU 7.2 as started by hand (the recorded one's arguments): `-chardev socket,path=P` per port. */
const qemuArgs = (name: string, ...socks: string[]): string[] => [
  '/usr/bin/qemu-system-x86_64', '-name', `${name},debug-threads=on`, '-accel', 'tcg', '-smp', '2',
  ...socks.flatMap((s, i) => ['-chardev', `socket,id=c${i},path=${s},server=on,wait=off`, '-netdev', `vhost-user,id=n${i},chardev=c${i}`, '-device', `virtio-net-pci,netdev=n${i},vectors=0`]),
];

/** A fake OVS 3.1: recorded output, with the Interface table the test sets. */
class FakeOvs {
  ifaces: { name: string; type: string; options: Record<string, string>; externalIds: Record<string, string> }[] = [];
  exec = (bin: string, args: string[]): Promise<string> => {
    const a = args.join(' ');
    if (a.includes('dpif-netdev/pmd-stats-show')) return Promise.resolve(fx('stats-tx1.txt'));
    if (a.includes('dpif-netdev/pmd-perf-show')) return Promise.resolve(fx('perf-tx1.txt'));
    if (a.includes('dpif-netdev/pmd-rxq-show')) return Promise.resolve(fx('rxq-tx1-secs5.txt'));
    if (a.includes('dpctl/show')) return Promise.resolve(fx('dpctl-tx1.txt'));
    if (bin === 'ovs-vsctl' && a.endsWith('list Interface')) {
      expect(a).toContain('options');
      const map = (o: Record<string, string>): unknown => ['map', Object.entries(o)];
      const rows = this.ifaces.map((i) => [i.name, i.type, map({}), map(i.externalIds), map(i.options)]);
      return Promise.resolve(JSON.stringify({ data: rows, headings: ['name', 'type', 'other_config', 'external_ids', 'options'] }));
    }
    if (bin === 'ovs-vsctl' && a.endsWith('list Open_vSwitch')) return Promise.resolve(JSON.stringify({ data: [[['map', [['pmd-cpu-mask', '0x1']]]]], headings: ['other_config'] }));
    return Promise.reject(new Error(`the fake OVS does not know '${bin} ${a}'`));
  };
}

class StepClock implements OvsClock {
  t = 5_000_000;
  private fn: (() => void) | null = null;
  now = (): number => this.t;
  setInterval = (fn: () => void): unknown => {
    this.fn = fn;
    return 1;
  };
  clearInterval = (): void => {
    this.fn = null;
  };
  tick(ms: number): void {
    this.t += ms;
    this.fn?.();
  }
}

describe('OvsHostSource: the vCPUs of the QEMU guests behind the vhost-user ports', () => {
  it('finds each VM\'s QEMU and its vCPU threads, measures run/wait per interval, follows processes that come and go', async () => {
    const proc = new FakeProc('proc');
    const ovs = new FakeOvs();
    ovs.ifaces = [
      { name: 'br0', type: 'internal', options: {}, externalIds: {} },
      { name: 'vhu0', type: 'dpdkvhostuserclient', options: { 'vhost-server-path': `${SOCK}/vhu0.sock` }, externalIds: {} },
      { name: 'vhu1', type: 'dpdkvhostuserclient', options: { 'vhost-server-path': `${SOCK}/vhu1.sock` }, externalIds: {} },
      // Server ports (OVS makes the socket in its run folder), both of libvirt domain 'web'.
      { name: 'web-0', type: 'dpdkvhostuser', options: {}, externalIds: { 'vm-id': 'web' } },
      { name: 'web-1', type: 'dpdkvhostuser', options: {}, externalIds: { 'vm-id': 'web' } },
    ];
    // vhu0: a QEMU with two TCG vCPU threads.
    proc.process(100, qemuArgs('g0', `${SOCK}/vhu0.sock`), [[100, 'qemu-system-x86'], [101, 'call_rcu'], [102, 'CPU 0/TCG'], [103, 'CPU 1/TCG']]);
    // vhu1: testpmd as its virtio-user frontend names a socket too, and has no vCPU thread: not a VM's QEMU.
    proc.process(200, ['/usr/bin/dpdk-testpmd', '-l', '0,1', '--no-huge', `--vdev=net_virtio_user0,path=${SOCK}/vhu1.sock,server=1,queues=1`, '--', '--forward-mode=rxonly'], [[200, 'dpdk-testpmd'], [201, 'eal-intr-thread'], [202, 'rte-worker-1']]);
    // web: one QEMU serves both ports (as libvirt starts it: a JSON -chardev and a dotted one), one KVM vCPU.
    proc.process(
      300,
      [
        '/usr/bin/qemu-system-x86_64', '-name', 'guest=web,debug-threads=on',
        '-chardev', `{"id":"charnet0","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"${rundir}/web-0"}},"server":false}}}`,
        '-netdev', '{"type":"vhost-user","chardev":"charnet0","id":"hostnet0"}',
        '-chardev', `socket,id=charnet1,path=${rundir}/web-1`,
      ],
      [[300, 'qemu-system-x86'], [301, 'CPU 0/KVM']],
    );
    // Another user's QEMU naming none of the sockets.
    proc.process(400, qemuArgs('other', '/elsewhere/vhu0.sock'), [[401, 'CPU 0/KVM']]);

    const clock = new StepClock();
    const log: string[] = [];
    const src = new OvsHostSource({ rundir, clock, intervalMs: 1000, name: 'fake', exec: ovs.exec, procRoot: proc.dir, onLog: (l) => log.push(l) });
    await src.start();
    const snaps: HostSnapshot[] = [];
    const infos: HostInfo[] = [];
    src.onSnapshot((s) => snaps.push(s));
    src.onInfo((i) => infos.push(i));
    const step = async (ms = 1000): Promise<HostSnapshot> => {
      const n = snaps.length;
      clock.tick(ms);
      for (let i = 0; i < 400 && snaps.length === n; i++) await new Promise((r) => setTimeout(r, 5));
      expect(snaps.length, 'a snapshot after the interval').toBe(n + 1);
      return snaps[n];
    };
    const vcpus = (): Record<string, number> => Object.fromEntries(src.info().vms.map((v) => [v.name, v.vcpus]));
    const runWait = (s: HostSnapshot): Record<string, [number, number]> => Object.fromEntries(s.vms.map((v) => [v.name, [v.vcpuRunCycles, v.vcpuWaitCycles]]));

    try {
      expect(vcpus()).toEqual({ vhu0: 2, vhu1: 0, web: 1 });
      expect(log.join('\n')).toMatch(/vhu1 \(\/var\/lib\/vhost\/vhu1\.sock\): no vCPU threads found; pid 200 names the socket but has no vCPU thread/);
      const hz = src.info().hz;
      const cyc = (ns: number): number => Math.round((ns * hz) / 1e9);

      // One interval: the deltas of the vCPU threads' schedstat, in cycles.
      proc.sched(100, 102, 6e8, 1e8);
      proc.sched(100, 103, 3e8, 0);
      proc.sched(300, 301, 4e8, 2e8);
      proc.sched(200, 202, 9e8, 0); // testpmd's busy thread is not a vCPU
      proc.sched(100, 101, 5e8, 0); // nor is QEMU's call_rcu
      let s = await step();
      expect(runWait(s)).toEqual({ vhu0: [cyc(9e8), cyc(1e8)], vhu1: [0, 0], web: [cyc(4e8), cyc(2e8)] });
      // What the agent sends passes the protocol's checks.
      expect(snapshotConsistencyProblem(s)).toBeNull();
      expect(shapeProblem(s, src.info())).toBeNull();
      expect(hostSnapshotSchema.safeParse(s).success).toBe(true);
      expect(hostInfoSchema.safeParse(src.info()).success).toBe(true);
      proc.sched(100, 102, 8e8, 1e8);
      proc.sched(100, 103, 3e8, 5e7);
      s = await step();
      expect(runWait(s)).toEqual({ vhu0: [cyc(2e8), cyc(5e7)], vhu1: [0, 0], web: [0, 0] });

      // A counter that went backwards (a reused thread id) adds 0, never a negative.
      proc.sched(300, 301, 1e8, 1e8);
      s = await step();
      expect(runWait(s).web).toEqual([0, 0]);
      expect(infos).toEqual([]);

      // vhu0's QEMU exits between two samples: at once no vCPU threads for it (an info change), 0 run/wait.
      proc.kill(100);
      s = await step();
      expect(runWait(s).vhu0).toEqual([0, 0]);
      expect(vcpus()).toEqual({ vhu0: 0, vhu1: 0, web: 1 });
      expect(infos.map((i) => i.vms.map((v) => v.vcpus))).toEqual([[0, 0, 1]]);
      // The same host: VMs and queues keep their ids.
      expect(infos[0].vms.map((v) => v.name)).toEqual(['vhu0', 'vhu1', 'web']);

      // A new QEMU for vhu0 is found by the next periodic scan (every 10 s), not at every interval.
      proc.process(500, qemuArgs('g0b', `${SOCK}/vhu0.sock`), [[500, 'qemu-system-x86'], [502, 'CPU 0/TCG']]);
      for (let i = 0; i < 8; i++) await step();
      expect(vcpus().vhu0).toBe(0);
      await step();
      await step();
      expect(vcpus().vhu0).toBe(1);
      expect(infos.map((i) => i.vms.map((v) => v.vcpus))).toEqual([[0, 0, 1], [1, 0, 1]]);
      // New threads have no baseline: 0 for the interval they are found in, then their deltas.
      expect(snaps.at(-1)!.vms[0].vcpuRunCycles).toBe(0);
      proc.sched(500, 502, 7e8, 0);
      expect(runWait(await step()).vhu0).toEqual([cyc(7e8), 0]);

      // A port added (the topology changed): scanned at once.
      proc.process(600, qemuArgs('g2', `${SOCK}/vhu2.sock`), [[600, 'qemu-system-x86'], [601, 'CPU 0/KVM'], [602, 'CPU 1/KVM'], [603, 'CPU 2/KVM']]);
      ovs.ifaces.push({ name: 'vhu2', type: 'dpdkvhostuserclient', options: { 'vhost-server-path': `${SOCK}/vhu2.sock` }, externalIds: {} });
      await step();
      expect(vcpus()).toEqual({ vhu0: 1, vhu1: 0, web: 1, vhu2: 3 });
      expect(infos.at(-1)!.vms.map((v) => [v.name, v.vcpus])).toEqual([['vhu0', 1], ['vhu1', 0], ['web', 1], ['vhu2', 3]]);
    } finally {
      await src.close();
    }
  });

  it("a vCPU thread whose schedstat cannot be read is not counted, and does not make every interval scan /proc again", async () => {
    const proc = new FakeProc('proc2');
    const ovs = new FakeOvs();
    ovs.ifaces = [
      { name: 'vhu0', type: 'dpdkvhostuserclient', options: { 'vhost-server-path': `${SOCK}/vhu0.sock` }, externalIds: {} },
      { name: 'vhu1', type: 'dpdkvhostuserclient', options: { 'vhost-server-path': `${SOCK}/vhu1.sock` }, externalIds: {} },
    ];
    proc.process(100, qemuArgs('g0', `${SOCK}/vhu0.sock`), [[100, 'qemu-system-x86'], [101, 'CPU 0/KVM']]);
    rmSync(join(proc.dir, '100', 'task', '101', 'schedstat'));
    const clock = new StepClock();
    const log: string[] = [];
    const src = new OvsHostSource({ rundir, clock, intervalMs: 1000, exec: ovs.exec, procRoot: proc.dir, onLog: (l) => log.push(l) });
    await src.start();
    let n = 0;
    src.onSnapshot(() => n++);
    const step = async (): Promise<void> => {
      const before = n;
      clock.tick(1000);
      for (let i = 0; i < 400 && n === before; i++) await new Promise((r) => setTimeout(r, 5));
      expect(n).toBe(before + 1);
    };
    try {
      expect(src.info().vms).toEqual([
        { id: 0, name: 'vhu0', group: 'vhost-user', vcpus: 0 },
        { id: 1, name: 'vhu1', group: 'vhost-user', vcpus: 0 },
      ]);
      expect(log.join('\n')).toMatch(/pid 100 names the socket but has no vCPU thread it can measure/);
      // vhu1's QEMU starts: found by the periodic scan, not sooner (no scan at every interval).
      proc.process(200, qemuArgs('g1', `${SOCK}/vhu1.sock`), [[200, 'qemu-system-x86'], [201, 'CPU 0/KVM']]);
      for (let i = 0; i < 5; i++) await step();
      expect(src.info().vms.map((v) => v.vcpus)).toEqual([0, 0]);
      for (let i = 0; i < 5; i++) await step();
      expect(src.info().vms.map((v) => v.vcpus)).toEqual([0, 1]);
    } finally {
      await src.close();
    }
  });

  it('ports no process names: vcpus 0, and nothing logged (onLog carries changes, errors and what serves the ports)', async () => {
    const proc = new FakeProc('proc3');
    proc.process(100, qemuArgs('other', '/elsewhere/vhu0.sock'), [[100, 'qemu-system-x86'], [101, 'CPU 0/KVM']]);
    const ovs = new FakeOvs();
    ovs.ifaces = [{ name: 'vhu0', type: 'dpdkvhostuserclient', options: { 'vhost-server-path': `${SOCK}/vhu0.sock` }, externalIds: {} }];
    const log: string[] = [];
    const src = new OvsHostSource({ rundir, clock: new StepClock(), intervalMs: 1000, exec: ovs.exec, procRoot: proc.dir, onLog: (l) => log.push(l) });
    await src.start();
    try {
      expect(src.info().vms).toEqual([{ id: 0, name: 'vhu0', group: 'vhost-user', vcpus: 0 }]);
      expect(log).toEqual([]);
    } finally {
      await src.close();
    }
  });
});
