/**
 * The QEMU driver end to end on real QEMU 7.2 under TCG: two guests with an IOThread each, looping
 * dd on their virtio-blk disk. Discovery, block statistics in snapshots, placement and polling
 * changes verified from /proc and QMP, dry run, the IOcm loop (LiveSession) over the source, a guest
 * killed mid-run, and restore on close. A missing QEMU fails (never skips).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpuList } from '../../src/main/host/qemu/procfs.ts';
import { AgentHostSource } from '../../src/main/host/agent-source.ts';
import { realLinkClock, seededRandom, startAgentProc, tokenDir } from '../agent-helpers.ts';
import { ROOT } from '../cli-helpers.ts';
import { createQemuSource, type QemuDriverEvent, type QemuHostSource } from '../../src/main/host/qemu/index.ts';
import { LiveSession } from '../../src/main/loop/session.ts';
import type { HostSnapshot } from '../../src/shared/snapshot.ts';
import type { HostEvent } from '../../src/shared/policy.ts';
import { affinityOf, buildGuest, checkQmp, cpusOf, guestDir, pollMaxNs, realClock, removeDir, startGuest, waitFor, type Guest, expectRestored as expectRestoredTo } from './harness.ts';

let dir = '';
let g1: Guest;
let g2: Guest;
/** A third, paused guest started mid-test (killed there, and in teardown if a test failed first). */
let g3: Guest | null = null;
/** Each guest's threads' affinity before any test changed it. */
const original = new Map<string, Map<number, number[]>>();

const expectRestored = (g: Guest): void => expectRestoredTo(g, original.get(g.name)!);

async function collect(src: QemuHostSource, ms: number): Promise<HostSnapshot[]> {
  const got: HostSnapshot[] = [];
  const off = src.onSnapshot((s) => got.push(s));
  await new Promise((r) => setTimeout(r, ms));
  off();
  return got;
}

beforeAll(async () => {
  const img = buildGuest();
  dir = guestDir();
  [g1, g2] = await Promise.all([startGuest(dir, 'g1', img), startGuest(dir, 'g2', img)]);
  original.set('g1', affinityOf(g1));
  original.set('g2', affinityOf(g2));
}, 600_000);

afterAll(async () => {
  await Promise.all([g1?.kill(), g2?.kill(), g3?.kill()]);
  if (dir) removeDir(dir);
});

// Generous per-test time: the guests run under TCG on a 2-core machine that the rest of the suite shares.
describe('QEMU driver on real QEMU (TCG)', { timeout: 180_000 }, () => {
  it('discovers both guests, their vCPU, IOThread and disk; block statistics flow into snapshots', async () => {
    const src = await createQemuSource({ qmp: `${dir}/*.qmp`, clock: realClock, intervalMs: 500 });
    try {
      expect(src.kind).toBe('qemu');
      const info = src.info();
      expect(info.source).toBe('agent');
      expect(info.observability?.profile).toBe('qemu');
      expect(info.cores).toBeGreaterThanOrEqual(2);
      expect(info.vms.map((v) => [v.name, v.vcpus]).sort()).toEqual([['g1', 1], ['g2', 1]]);
      expect(info.queues.map((q) => q.kind)).toEqual(['blk', 'blk']);
      const snaps = await collect(src, 3500);
      expect(snaps.length).toBeGreaterThanOrEqual(3);
      const last = snaps[snaps.length - 1];
      expect(last.cores).toHaveLength(info.cores);
      expect(last.phase).toBe('');
      expect(last.totals.score).toBe(0);
      for (const v of info.vms) {
        const reqs = snaps.reduce((s, x) => s + x.queues.filter((q) => q.vm === v.id).reduce((a, q) => a + q.requests, 0), 0);
        const bytes = snaps.reduce((s, x) => s + x.queues.filter((q) => q.vm === v.id).reduce((a, q) => a + q.bytes, 0), 0);
        expect(reqs, `${v.name}: block requests`).toBeGreaterThan(0);
        expect(bytes / reqs, `${v.name}: bytes per request (4 KiB dd blocks)`).toBeGreaterThanOrEqual(512);
        const run = snaps.reduce((s, x) => s + (x.vms.find((y) => y.id === v.id)?.vcpuRunCycles ?? 0), 0);
        expect(run, `${v.name}: vCPU run cycles`).toBeGreaterThan(0);
        const lat = snaps.map((x) => x.vms.find((y) => y.id === v.id)!.latencyUs.p50).filter((l) => l > 0);
        expect(lat.length, `${v.name}: measured block latency`).toBeGreaterThan(0);
        const io = snaps.reduce((s, x) => s + x.queues.filter((q) => q.vm === v.id).reduce((a, q) => a + q.workCycles, 0), 0);
        expect(io, `${v.name}: IOThread cycles`).toBeGreaterThan(0);
      }
      // The counters agree with QEMU's own: the sum over snapshots is at most the growth QMP reports over the span that holds them.
      const opsOf = async (g: Guest) => {
        const [r] = await checkQmp(g, [{ execute: 'query-blockstats' }]);
        const s = (r as { qdev?: string; stats: { rd_operations: number; wr_operations: number } }[]).find((b) => b.qdev)!.stats;
        return s.rd_operations + s.wr_operations;
      };
      const a = await opsOf(g1);
      const more = await collect(src, 2000);
      const b = await opsOf(g1);
      const vm1 = info.vms.find((v) => v.name === 'g1')!.id;
      // The first snapshot's interval began before `a` was read, and so may the second's: the first
      // snapshot's QMP sample can be taken before `a` and emitted after the listener is added (on a
      // busy machine its emit lagged: the second snapshot then held ops from before `a`). Samples
      // follow one another, so the third snapshot's interval begins after that emit: count from it.
      expect(more.length).toBeGreaterThanOrEqual(3);
      const seen = more.slice(2).reduce((s, x) => s + x.queues.filter((q) => q.vm === vm1).reduce((n, q) => n + q.requests, 0), 0);
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThanOrEqual(b - a + 1);
    } finally {
      await src.close();
    }
  });

  it('setSideCores moves IOThreads to the side core (polling high) and vCPUs off it; knobs and queue actions; close() restores from /proc and QMP', async () => {
    const events: QemuDriverEvent[] = [];
    const src = await createQemuSource({ qmp: `${dir}/*.qmp`, clock: realClock, intervalMs: 500, sidePollMaxNs: 1_000_000 });
    src.onEvent((e) => events.push(e));
    const side = src.info().cores - 1;
    try {
      expect(await src.apply({ kind: 'setSideCores', cores: [side] })).toEqual({ ok: true, costCycles: 0 });
      for (const g of [g1, g2]) {
        expect(cpusOf(g, /^IO io0$/)).toEqual([[side]]);
        expect(cpusOf(g, /^CPU 0\/TCG$/)[0]).not.toContain(side);
        expect(cpusOf(g, /^CPU 0\/TCG$/)[0].length).toBeGreaterThan(0);
        expect(await pollMaxNs(g)).toBe(1_000_000);
      }
      const cfg = src.config();
      expect(cfg.sideCores).toEqual([side]);
      expect(src.info().queues.map((q) => cfg.queueOwner[q.id])).toEqual([side, side]);
      expect(events.some((e) => e.kind === 'change' && e.changes!.some((c) => c.kind === 'affinity' && c.thread === 'IO io0'))).toBe(true);
      const snaps = await collect(src, 1500);
      const s = snaps[snaps.length - 1];
      expect(s.cores.find((c) => c.id === side)!.role).toBe('side');
      expect(s.sideCores.map((c) => [c.coreId, c.queues.length])).toEqual([[side, 2]]);

      // The side-core polling window, and one queue's polling off.
      expect(await src.apply({ kind: 'setIoThreadPoll', maxNs: 2_000_000 })).toEqual({ ok: true, costCycles: 0 });
      expect(await pollMaxNs(g1)).toBe(2_000_000);
      expect(await pollMaxNs(g2)).toBe(2_000_000);
      const q1 = src.info().queues.find((q) => src.info().vms.find((v) => v.id === q.vm)!.name === 'g1')!.id;
      expect(await src.apply({ kind: 'setPolling', queue: q1, on: false })).toEqual({ ok: true, costCycles: 0 });
      expect(await pollMaxNs(g1)).toBe(0);
      expect(await pollMaxNs(g2)).toBe(2_000_000);
      expect(src.config().queuePolling[q1]).toBe(false);

      // Refusals in words; nothing changes.
      const r1 = await src.apply({ kind: 'setSideCores', cores: Array.from({ length: src.info().cores }, (_, i) => i) });
      expect(r1.ok).toBe(false);
      expect(!r1.ok && r1.error).toMatch(/no core for the VMs/);
      const r2 = await src.apply({ kind: 'assignQueue', queue: q1, core: 0 === side ? 1 : 0 });
      expect(!r2.ok && r2.error).toMatch(/not a side core/);
      const r3 = await src.apply({ kind: 'setVhostPoll', us: 50 });
      expect(!r3.ok && r3.error).toMatch(/cannot change it at run time/);
      const r4 = await src.apply({ kind: 'assignQueue', queue: 999, core: side });
      expect(!r4.ok && r4.error).toMatch(/queue 999 does not exist/);
      const r5 = await src.apply({ kind: 'setIoThreadPoll', maxNs: -1 });
      expect(!r5.ok && r5.error).toMatch(/maxNs/);
      expect(cpusOf(g1, /^IO io0$/)).toEqual([[side]]);
    } finally {
      await src.close();
    }
    expectRestored(g1);
    expectRestored(g2);
    expect(await pollMaxNs(g1)).toBe(32768);
    expect(await pollMaxNs(g2)).toBe(32768);
    expect(events.some((e) => e.kind === 'restore')).toBe(true);
  });

  it('a --qmp pattern that matches nothing is reported (a typo must not look like a host without VMs)', async () => {
    const events: QemuDriverEvent[] = [];
    const src = await createQemuSource({ qmp: `${dir}-typo/*.qmp`, clock: realClock, onEvent: (e) => events.push(e) });
    try {
      expect(src.info().vms).toEqual([]);
      expect(events.find((e) => e.kind === 'error')?.message).toBe(`no QMP socket matches ${dir}-typo/*.qmp (${dir}-typo does not exist): no VM to manage yet; re-scanned every 2 s`);
    } finally {
      await src.close();
    }
  });

  it('dry run reports what it would change and changes nothing', async () => {
    const events: QemuDriverEvent[] = [];
    const src = await createQemuSource({ qmp: `${dir}/*.qmp`, clock: realClock, dryRun: true });
    src.onEvent((e) => events.push(e));
    try {
      const side = src.info().cores - 1;
      expect(await src.apply({ kind: 'setSideCores', cores: [side] })).toEqual({ ok: true, costCycles: 0 });
      const would = events.filter((e) => e.kind === 'would-change');
      expect(would).toHaveLength(1);
      const ch = would[0].changes!;
      expect(ch.filter((c) => c.kind === 'affinity' && c.thread === 'IO io0').map((c) => c.kind === 'affinity' && c.to)).toEqual([[side], [side]]);
      expect(ch.filter((c) => c.kind === 'poll').map((c) => c.kind === 'poll' && [c.from, c.to])).toEqual([
        [32768, 1_000_000],
        [32768, 1_000_000],
      ]);
      expectRestored(g1);
      expectRestored(g2);
      expect(await pollMaxNs(g1)).toBe(32768);
      expect(events.some((e) => e.kind === 'change')).toBe(false);
    } finally {
      await src.close();
    }
    expectRestored(g1);
    expect(await pollMaxNs(g2)).toBe(32768);
  });

  it('a VM that appears while side cores are in force is discovered (onInfo, ids of the others unchanged) and placed the same way', async () => {
    const src = await createQemuSource({ qmp: `${dir}/*.qmp`, clock: realClock, discoverMs: 500 });
    const side = src.info().cores - 1;
    const ids = new Map(src.info().vms.map((v) => [v.name, v.id]));
    const qids = src.info().queues.map((q) => q.id);
    const infos: string[][] = [];
    src.onInfo!((i) => infos.push(i.vms.map((v) => v.name)));
    // g3 is this test's guest: it is gone when the test ends, passed or failed (the next tests count the VMs).
    try {
      try {
        expect(await src.apply({ kind: 'setSideCores', cores: [side] })).toEqual({ ok: true, costCycles: 0 });
        g3 = await startGuest(dir, 'g3', buildGuest(), 60_000, true);
        original.set('g3', affinityOf(g3));
        await waitFor(() => src.info().vms.some((v) => v.name === 'g3'), 20_000, 'g3 to be discovered');
        expect(infos.some((n) => n.includes('g3'))).toBe(true);
        for (const v of src.info().vms) if (v.name !== 'g3') expect(v.id).toBe(ids.get(v.name));
        expect(src.info().queues.map((q) => q.id).slice(0, qids.length)).toEqual(qids);
        const g = g3;
        await waitFor(() => cpusOf(g, /^IO io0$/)[0]?.join() === `${side}` && !cpusOf(g, /^CPU 0\/TCG$/)[0]?.includes(side), 20_000, "g3's IOThread on the side core and its vCPU off it");
        // poll-max-ns is set after the placement (QMP, one command per IOThread): wait for it too.
        await expect.poll(() => pollMaxNs(g), { timeout: 20_000 }).toBe(1_000_000);
      } finally {
        await src.close();
      }
      expectRestored(g1);
      expectRestored(g2);
      expectRestored(g3!);
      expect(await pollMaxNs(g3!)).toBe(32768);
    } finally {
      await g3?.kill();
      g3 = null;
    }
  });

  it('a vhost worker of a guest (a stand-in process named vhost-<qemu pid>, as Linux < 6.4 names vhost-net workers) runs on a side core and is restored', async () => {
    // No /dev/vhost-net on the test machines: a real process carrying the kernel's name for g1's
    // vhost worker; the driver finds it by name and really changes its affinity.
    const bin = join(dir, `vhost-${g1.pid}`);
    copyFileSync('/bin/sleep', bin);
    chmodSync(bin, 0o755);
    const w = spawn(bin, ['600'], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(`/proc/${w.pid}/comm`) && readFileSync(`/proc/${w.pid}/comm`, 'utf8').trim() === `vhost-${g1.pid}`, 5000, 'the stand-in to start');
      const cpusOfW = () => parseCpuList(/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${w.pid}/status`, 'utf8'))![1]);
      const orig = cpusOfW();
      const src = await createQemuSource({ qmp: `${dir}/*.qmp`, clock: realClock });
      const side = src.info().cores - 1;
      try {
        expect(await src.apply({ kind: 'setSideCores', cores: [side] })).toEqual({ ok: true, costCycles: 0 });
        expect(cpusOfW()).toEqual([side]);
        expect(cpusOf(g1, /^IO io0$/)).toEqual([[side]]);
        const snaps = await collect(src, 1500);
        expect(snaps.length).toBeGreaterThan(0);
      } finally {
        await src.close();
      }
      expect(cpusOfW()).toEqual(orig);
      expectRestored(g1);
    } finally {
      w.kill('SIGKILL');
    }
  });

  it('iocm agent --driver qemu: the console client connects, forcing side cores through the control path changes affinity and polling, SIGTERM restores', async () => {
    const t = tokenDir();
    const agent = await startAgentProc(['--driver', 'qemu', '--qmp', `${dir}/*.qmp`, '--token-file', t.tokenFile, '--listen', '127.0.0.1:0'], 60_000);
    let side = -1;
    try {
      const src = await AgentHostSource.connect({ url: `ws://127.0.0.1:${agent.port}`, token: t.token, clock: realLinkClock, random: seededRandom(1) });
      try {
        expect(src.hello().driver).toBe('qemu');
        const info = src.info();
        expect(info.vms.map((v) => v.name).sort()).toEqual(['g1', 'g2']);
        expect(info.observability?.profile).toBe('qemu');
        const snaps: HostSnapshot[] = [];
        src.onSnapshot((s) => snaps.push(s));
        await expect.poll(() => snaps.filter((s) => s.queues.some((q) => q.requests > 0)).length, { timeout: 15_000 }).toBeGreaterThan(1);
        side = info.cores - 1;
        expect(await src.apply({ kind: 'setSideCores', cores: [side] })).toEqual({ ok: true, costCycles: 0 });
        for (const g of [g1, g2]) {
          expect(cpusOf(g, /^IO io0$/)).toEqual([[side]]);
          expect(cpusOf(g, /^CPU 0\/TCG$/)[0]).not.toContain(side);
          expect(await pollMaxNs(g)).toBe(1_000_000);
        }
        const n = snaps.length;
        await expect.poll(() => snaps.slice(n).some((s) => s.sideCores.length === 1 && s.sideCores[0].coreId === side && s.sideCores[0].queues.length === 2), { timeout: 10_000 }).toBe(true);
        const bad = await src.apply({ kind: 'setSideCores', cores: Array.from({ length: info.cores }, (_, i) => i) });
        expect(bad.ok).toBe(false);
      } finally {
        await src.close();
      }
      // The console is gone: the agent keeps the last good configuration.
      await new Promise((r) => setTimeout(r, 1000));
      expect(cpusOf(g1, /^IO io0$/)).toEqual([[side]]);
      agent.child.kill('SIGTERM');
      const end = await agent.exited;
      expect(end.code).toBe(0);
      expect(agent.stderr()).toMatch(/qemu: restored the original placement and polling/);
    } finally {
      agent.child.kill('SIGKILL');
      rmSync(t.dir, { recursive: true, force: true });
    }
    expectRestored(g1);
    expectRestored(g2);
    expect(await pollMaxNs(g1)).toBe(32768);
    expect(await pollMaxNs(g2)).toBe(32768);
  });

  it('SIGKILL: the agent left its originals in --state-file, and the next agent on that file puts every VM back', async () => {
    const t = tokenDir();
    const stateFile = join(t.dir, 'state', 'qemu-state.json');
    const args = ['--driver', 'qemu', '--qmp', `${dir}/*.qmp`, '--token-file', t.tokenFile, '--listen', '127.0.0.1:0', '--state-file', stateFile];
    const first = await startAgentProc(args, 60_000);
    let second: Awaited<ReturnType<typeof startAgentProc>> | null = null;
    try {
      const src = await AgentHostSource.connect({ url: `ws://127.0.0.1:${first.port}`, token: t.token, clock: realLinkClock, random: seededRandom(1) });
      const side = src.info().cores - 1;
      try {
        expect(await src.apply({ kind: 'setSideCores', cores: [side] })).toEqual({ ok: true, costCycles: 0 });
      } finally {
        await src.close();
      }
      // killed: nothing restores, the changes stay; the state file holds the originals
      first.child.kill('SIGKILL');
      await first.exited;
      for (const g of [g1, g2]) {
        expect(cpusOf(g, /^IO io0$/)).toEqual([[side]]);
        expect(await pollMaxNs(g)).toBe(1_000_000);
      }
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { vms: { pid: number; poll: [string, { maxNs: number }][] }[] };
      expect(saved.vms.map((v) => v.pid).sort()).toEqual([g1.pid, g2.pid].sort());
      expect(saved.vms.every((v) => v.poll.some(([io, p]) => io === 'io0' && p.maxNs === 32768))).toBe(true);
      // the next agent on the same file restores both VMs as it finds them, before any console
      second = await startAgentProc(args, 60_000);
      for (const g of [g1, g2]) {
        expectRestored(g);
        expect(await pollMaxNs(g)).toBe(32768);
      }
      expect(second.stderr()).toMatch(/a previous driver left changes to 2 VM\(s\), 2 of them still running/);
      expect(second.stderr()).toMatch(/restored what a previous driver left/);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
      // a clean exit leaves nothing to restore: the file is gone
      expect(existsSync(stateFile)).toBe(false);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      rmSync(t.dir, { recursive: true, force: true });
    }
  });

  it('iocm agent --driver qemu --dry-run logs what it would change and changes nothing; bad --qmp use is exit 2', async () => {
    const t = tokenDir();
    const agent = await startAgentProc(['--driver', 'qemu', '--qmp', `${dir}/*.qmp`, '--dry-run', '--token-file', t.tokenFile, '--listen', '127.0.0.1:0'], 60_000);
    try {
      const src = await AgentHostSource.connect({ url: `ws://127.0.0.1:${agent.port}`, token: t.token, clock: realLinkClock, random: seededRandom(2) });
      try {
        const side = src.info().cores - 1;
        expect(await src.apply({ kind: 'setSideCores', cores: [side] })).toEqual({ ok: true, costCycles: 0 });
        await expect.poll(() => agent.stderr(), { timeout: 5000 }).toMatch(/qemu: dry run: side cores → \[\d+\]/);
        expect(agent.stderr()).toMatch(/g1 IOThread io0: poll-max-ns 32768 → 1000000/);
        expectRestored(g1);
        expectRestored(g2);
        expect(await pollMaxNs(g1)).toBe(32768);
      } finally {
        await src.close();
      }
      agent.child.kill('SIGTERM');
      expect((await agent.exited).code).toBe(0);
    } finally {
      agent.child.kill('SIGKILL');
      rmSync(t.dir, { recursive: true, force: true });
    }
    const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'agent', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const noQmp = run(['--driver', 'qemu', '--token-file', '/dev/null']);
    expect(noQmp.status).toBe(2);
    const t2 = tokenDir();
    try {
      const r1 = run(['--driver', 'qemu', '--token-file', t2.tokenFile, '--listen', '127.0.0.1:0']);
      expect(r1.status).toBe(2);
      expect(r1.stderr).toMatch(/--driver qemu needs --qmp/);
      const r2 = run(['--driver', 'model', '--qmp', '/x', '--token-file', t2.tokenFile, '--listen', '127.0.0.1:0']);
      expect(r2.status).toBe(2);
      expect(r2.stderr).toMatch(/--qmp is an option of --driver qemu/);
      const r3 = run(['--driver', 'qemu', '--qmp', '/x/*.qmp', '--interval-ms', '1', '--token-file', t2.tokenFile, '--listen', '127.0.0.1:0']);
      expect(r3.status).toBe(2);
    } finally {
      rmSync(t2.dir, { recursive: true, force: true });
    }
  });

  it('the IOcm loop (LiveSession, policy iocm) runs over it; a guest killed mid-run leaves the other measured and managed; close() restores', async () => {
    const src = await createQemuSource({ qmp: `${dir}/*.qmp`, clock: realClock, intervalMs: 500, discoverMs: 1000 });
    const infos: number[] = [];
    src.onInfo!((i) => infos.push(i.vms.length));
    const session = new LiveSession(src, { policy: 'iocm' });
    const snaps: HostSnapshot[] = [];
    const events: HostEvent[] = [];
    const drain = () => {
      const b = session.takeBatch();
      if (b) {
        snaps.push(...b.snapshots);
        events.push(...b.events);
      }
    };
    const pump = setInterval(drain, 200);
    const side = src.info().cores - 1;
    try {
      await new Promise((r) => setTimeout(r, 3000));
      // The operator pins a side core through the loop; the loop applies it through the driver.
      const pin = session.override({ kind: 'pin', core: side });
      expect(pin.ok).toBe(true);
      await waitFor(() => cpusOf(g1, /^IO io0$/)[0]?.join() === `${side}` && cpusOf(g2, /^IO io0$/)[0]?.join() === `${side}`, 20_000, 'the IOThreads on the pinned side core');
      await new Promise((r) => setTimeout(r, 2000));
      drain();
      expect(events.filter((e) => e.kind === 'error').map((e) => e.message)).toEqual([]);
      expect(snaps.length).toBeGreaterThanOrEqual(6);
      expect(session.status().source).toEqual({ kind: 'qemu', name: src.info().name });

      // Kill g2 while the loop runs.
      await g2.kill();
      await waitFor(() => src.info().vms.length === 1, 10_000, 'the driver to drop the killed guest');
      expect(infos).toContain(1);
      const before = snaps.length;
      await new Promise((r) => setTimeout(r, 3000));
      drain();
      const after = snaps.slice(before + 1);
      expect(after.length).toBeGreaterThanOrEqual(3);
      const vm1 = src.info().vms[0];
      expect(vm1.name).toBe('g1');
      expect(after.every((s) => s.vms.length === 1 && s.vms[0].id === vm1.id)).toBe(true);
      expect(after.reduce((n, s) => n + s.queues.reduce((a, q) => a + q.requests, 0), 0)).toBeGreaterThan(0);
      expect(cpusOf(g1, /^IO io0$/)).toEqual([[side]]);
      // The loop's view keeps g2's queue id; placing a queue that is gone is not an error.
      expect(events.filter((e) => e.kind === 'error').map((e) => e.message)).toEqual([]);
    } finally {
      clearInterval(pump);
      await session.close();
    }
    expectRestored(g1);
    expect(await pollMaxNs(g1)).toBe(32768);
  });

  it('a VM killed in the middle of a change does not stop the others being changed (run after g2 was killed)', async () => {
    g3 = await startGuest(dir, 'g4', buildGuest(), 60_000, true);
    const g4 = g3;
    const src = await createQemuSource({ qmp: `${dir}/*.qmp`, clock: realClock });
    try {
      expect(src.info().vms.map((v) => v.name).sort()).toEqual(['g1', 'g4']);
      const side = src.info().cores - 1;
      const pending = src.apply({ kind: 'setSideCores', cores: [side] });
      await g4.kill(); // while the change is being applied
      const r = await pending;
      expect(r).toEqual({ ok: true, costCycles: 0 });
      expect(cpusOf(g1, /^IO io0$/)).toEqual([[side]]);
      expect(await pollMaxNs(g1)).toBe(1_000_000);
      await waitFor(() => src.info().vms.length === 1, 10_000, 'the driver to drop g4');
      // The next change still works for the VM that remains.
      expect(await src.apply({ kind: 'setIoThreadPoll', maxNs: 500_000 })).toEqual({ ok: true, costCycles: 0 });
      expect(await pollMaxNs(g1)).toBe(500_000);
    } finally {
      await src.close();
      await g4.kill();
      g3 = null;
    }
    expectRestored(g1);
    expect(await pollMaxNs(g1)).toBe(32768);
  });
});
