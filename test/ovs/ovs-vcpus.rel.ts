/**
 * The OVS driver finds the QEMU guest behind its vhost-user ports and measures its vCPUs, on a real
 * private OVS-DPDK (scripts/ovs-private.sh) with a real QEMU 7.2 guest under TCG as the vhost-user
 * server of two `dpdkvhostuserclient` ports (one VM: `external_ids:vm-id`), and dpdk-testpmd as the
 * virtio-user frontend of a third port (it names its socket but is no VM's QEMU). Missing OVS-DPDK,
 * testpmd or QEMU fails, never skips. Every process started here is killed in afterAll, and checked
 * gone with `ps`.
 *
 * QEMU is the vhost-user server here (`-chardev socket,…,server=on,wait=off -netdev vhost-user`): it
 * waits for OVS to connect before it creates its vCPUs; the guest kernel (the QEMU driver's test
 * guest, .cache/test-guest) has no virtio-net driver, so the device is never started (a TCG guest
 * that starts a vhost-user virtio-net needs `vectors=0`, given anyway: ../../../shared/reference).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOvsSource, type OvsHostSource } from '../../src/main/host/ovs/ovs-source.ts';
import type { HostInfo } from '../../src/shared/control.ts';
import type { HostSnapshot } from '../../src/shared/snapshot.ts';
import { figure } from '../reliability/figures.ts';
import { buildGuest, QEMU } from '../qemu/harness.ts';
import { ovsPrivate, realClock, requireOvsTools, vsctl, waitFor } from './harness.ts';

/** The guest's vCPUs (and so the count the driver must find). */
const SMP = 2;

/** Every live process (not a zombie) whose command line holds `text`, as `ps` lists them. */
function processesWith(text: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(text) && !/^\s*\d+\s+Z/.test(l))
    .filter((l) => !l.includes('ps -eo'));
}

describe('OVS driver: vCPUs of a real QEMU guest behind vhost-user ports (private OVS-DPDK)', () => {
  let dir = '';
  let qemu: ChildProcess | null = null;
  let qemuErr = '';
  let source: OvsHostSource | null = null;
  const log: string[] = [];
  const snaps: HostSnapshot[] = [];
  const infos: HostInfo[] = [];

  beforeAll(async () => {
    requireOvsTools();
    const img = buildGuest(); // throws when QEMU is missing
    dir = mkdtempSync(join(tmpdir(), 'iocm-ovs-vcpu-'));
    await ovsPrivate(['start', dir, '3']);
    // vhu0 and vhu2 are the guest's two NICs: one VM, as libvirt marks a domain's ports.
    await vsctl(dir, ['set', 'Interface', 'vhu0', 'external_ids:vm-id=guest-g', '--', 'set', 'Interface', 'vhu2', 'external_ids:vm-id=guest-g']);
    const disk = join(dir, 'g.img');
    writeFileSync(disk, '');
    truncateSync(disk, 32 << 20);
    const nic = (i: number, port: string): string[] => [
      '-chardev', `socket,id=c${i},path=${join(dir, `${port}.sock`)},server=on,wait=off`,
      '-netdev', `vhost-user,id=n${i},chardev=c${i}`,
      '-device', `virtio-net-pci,netdev=n${i},vectors=0`,
    ];
    qemu = spawn(
      QEMU,
      [
        '-name', 'g,debug-threads=on',
        '-machine', 'pc,memory-backend=mem', '-accel', 'tcg', '-m', '192', '-smp', String(SMP),
        '-object', 'memory-backend-memfd,id=mem,size=192M,share=on',
        '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
        '-serial', `file:${join(dir, 'g.log')}`,
        '-kernel', img.kernel, '-initrd', img.initrd, '-append', 'console=ttyS0 quiet panic=-1',
        '-drive', `file=${disk},format=raw,if=none,id=d0`, '-device', 'virtio-blk-pci,drive=d0',
        ...nic(0, 'vhu0'),
        ...nic(1, 'vhu2'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    qemu.stderr!.on('data', (b: Buffer) => (qemuErr += b.toString()));
    // testpmd as vhu1's frontend: names DIR/vhu1.sock on its command line, has no vCPU thread.
    await ovsPrivate(['traffic', dir, 'vhu1', 'rxonly']);
    source = await createOvsSource({ rundir: dir, clock: realClock, intervalMs: 1000, name: 'private-ovs', onLog: (l) => log.push(l) });
    source.onSnapshot((s) => snaps.push(s));
    source.onInfo((i) => infos.push(i));
  }, 300_000);

  afterAll(async () => {
    try {
      await source?.close();
    } finally {
      if (qemu && qemu.exitCode === null && qemu.signalCode === null) {
        const gone = new Promise((r) => qemu!.once('exit', r));
        qemu.kill('SIGKILL');
        await gone;
      }
      if (dir) await ovsPrivate(['stop', dir]).catch((e: unknown) => console.error(e));
    }
    // Nothing started here is left running (QEMU, ovsdb-server, ovs-vswitchd, testpmd all name DIR).
    if (dir) {
      const left = await waitFor('every process of the test to be gone', () => {
        const l = processesWith(dir);
        return l.length === 0 ? l : undefined;
      }, 15_000).catch(() => processesWith(dir));
      rmSync(dir, { recursive: true, force: true });
      expect(left).toEqual([]);
    }
  }, 120_000);

  it(`the guest's VM reports vcpus ${SMP} (one QEMU behind two ports), testpmd's port vcpus 0; the guest's vCPUs run`, async () => {
    const byName = (): Record<string, number> => Object.fromEntries(source!.info().vms.map((v) => [v.name, v.vcpus]));
    // QEMU makes its vCPU threads once OVS has connected to both sockets; the driver finds them at
    // its next scan (at most 10 s later).
    await waitFor(`vcpus ${SMP} for guest-g`, () => (byName()['guest-g'] === SMP ? true : undefined), 45_000, 250).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; driver: ${JSON.stringify(byName())}; log: ${log.join(' | ')}; QEMU: ${qemuErr}`);
    });
    expect(byName()).toEqual({ 'guest-g': SMP, vhu1: 0 });
    const tp = Number(readFileSync(join(dir, 'tp-vhu1.pid'), 'utf8').trim());
    expect(log.join('\n')).toContain(`pid ${tp} names the socket but has no vCPU thread`);
    expect(log.join('\n')).toMatch(new RegExp(`vhu0 \\(${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/vhu0\\.sock\\): pid ${qemu!.pid} with ${SMP} vCPU thread\\(s\\)`));

    // Within a few intervals the guest's vCPUs have run (TCG: the BIOS, then the kernel and its dd loop).
    const from = snaps.length;
    const got = await waitFor('three snapshots with the guest\'s vCPUs found', () => {
      const s = snaps.slice(from).filter((x) => x.vms.length === 2);
      return s.length >= 3 ? s : undefined;
    }, 20_000);
    const g = got.map((s) => s.vms.find((v) => v.name === 'guest-g')!);
    const t = got.map((s) => s.vms.find((v) => v.name === 'vhu1')!);
    expect(g.some((v) => v.vcpuRunCycles > 0)).toBe(true);
    expect(t.every((v) => v.vcpuRunCycles === 0 && v.vcpuWaitCycles === 0)).toBe(true);
    for (const s of got) {
      const v = s.vms.find((x) => x.name === 'guest-g')!;
      // At most the interval's cycles per vCPU thread, never negative.
      expect(v.vcpuRunCycles + v.vcpuWaitCycles).toBeLessThanOrEqual(Math.ceil((SMP * s.hz * s.intervalMs) / 1000) + SMP);
      expect(v.vcpuRunCycles).toBeGreaterThanOrEqual(0);
      expect(v.vcpuWaitCycles).toBeGreaterThanOrEqual(0);
    }
    const perCore = g.map((v, i) => v.vcpuRunCycles / ((got[i].hz * got[i].intervalMs) / 1000));
    const waitPerCore = g.map((v, i) => v.vcpuWaitCycles / ((got[i].hz * got[i].intervalMs) / 1000));
    console.log(`[ovs vcpus] guest-g vCPU run ${perCore.map((x) => x.toFixed(2)).join(' ')} cores, wait ${waitPerCore.map((x) => x.toFixed(2)).join(' ')} cores; sample took ${source!.lastSampleMs} ms`);
    figure('ovs: vCPUs of a QEMU guest behind vhost-user', { vcpus: SMP, runCores: Number((perCore.reduce((a, x) => a + x, 0) / perCore.length).toFixed(2)), waitCores: Number((waitPerCore.reduce((a, x) => a + x, 0) / waitPerCore.length).toFixed(2)), sampleMs: source!.lastSampleMs });
  }, 120_000);

  it('the guest exits: its VM has no vCPU threads found at the next interval (onInfo), and run/wait 0', async () => {
    const gone = new Promise((r) => qemu!.once('exit', r));
    qemu!.kill('SIGKILL');
    await gone;
    const n = infos.length;
    await waitFor('onInfo with guest-g at vcpus 0', () => (infos.slice(n).some((i) => i.vms.find((v) => v.name === 'guest-g')?.vcpus === 0) ? true : undefined), 10_000);
    expect(source!.info().vms.map((v) => [v.name, v.vcpus])).toEqual([
      ['guest-g', 0],
      ['vhu1', 0],
    ]);
    const from = snaps.length;
    const s = await waitFor('a snapshot after', () => snaps[from + 1], 10_000);
    expect(s.vms.map((v) => [v.name, v.vcpuRunCycles, v.vcpuWaitCycles])).toEqual([
      ['guest-g', 0, 0],
      ['vhu1', 0, 0],
    ]);
  }, 60_000);
});
