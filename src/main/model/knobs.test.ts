/**
 * The knobs real hosts expose, as model mechanisms: QEMU IOThread adaptive polling, vhost-net busy
 * polling, OVS pmd-maxsleep, and the manager's own CPU.
 */
import { describe, it, expect } from 'vitest';
import { createHostModel } from './host-model.ts';
import type { Scenario, WorkloadSpec, DeviceSpec, HostKnobs } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { KnobAction } from '../../shared/control.ts';

function sc(workload: WorkloadSpec, devices: DeviceSpec[], knobs?: HostKnobs, count = 2): Scenario {
  return {
    name: 'k',
    host: { cores: 4, ghz: 2.5, knobs },
    vms: [{ name: 'g', count, vcpus: 1, devices, workload }],
    phases: [{ name: 'p', seconds: 60, load: {} }],
  };
}

interface Sum { kicks: number; vmEmptyPoll: number; sideIdle: number; sideEmptyPolls: number; p50: number; io: number; sideIo: number; reqs: number }

function run(s: Scenario, side: number[] = [], actions: KnobAction[] = [], steps = 8): Sum {
  const m = createHostModel(s, { seed: 5 });
  if (side.length) expect(m.apply({ kind: 'setSideCores', cores: side }).ok).toBe(true);
  for (const a of actions) {
    const r = m.apply(a);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  }
  const out: Sum = { kicks: 0, vmEmptyPoll: 0, sideIdle: 0, sideEmptyPolls: 0, p50: 0, io: 0, sideIo: 0, reqs: 0 };
  for (let i = 0; i < steps + 2; i++) {
    const snap: HostSnapshot = m.step();
    if (i < 2) continue;
    out.kicks += snap.queues.reduce((a, q) => a + q.kicks, 0);
    out.reqs += snap.totals.requestsPerSec / steps;
    out.p50 += snap.groups[0].latencyUs.p50 / steps;
    for (const c of snap.cores) {
      if (c.role === 'vm') {
        out.vmEmptyPoll += c.cycles.emptyPoll;
        out.io += c.cycles.io;
      } else {
        out.sideIdle += c.cycles.idle;
        out.sideIo += c.cycles.io;
      }
    }
    out.sideEmptyPolls += snap.sideCores.reduce((a, x) => a + x.emptyPolls, 0);
  }
  return out;
}

describe('QEMU IOThread adaptive polling (blk I/O threads in vhost mode)', () => {
  const blk: WorkloadSpec = { kind: 'blk', depth: 1 };
  it('with poll-max-ns the thread polls between I/Os: fewer kicks, lower p50, polling cycles on VM cores', () => {
    const off = run(sc(blk, [{ kind: 'blk' }], { pollMaxNs: 0 }));
    const on = run(sc(blk, [{ kind: 'blk' }], { pollMaxNs: 32768 }));
    expect(off.vmEmptyPoll).toBe(0);
    expect(on.vmEmptyPoll).toBeGreaterThan(0);
    expect(on.kicks).toBeLessThan(off.kicks * 0.5);
    expect(on.p50).toBeLessThan(off.p50);
  });

  it('shrinks the window when the thread blocks longer than poll-max-ns (long think times): little polling', () => {
    const busy = run(sc(blk, [{ kind: 'blk' }]));
    const idle = run(sc({ ...blk, thinkUs: 2000 }, [{ kind: 'blk' }]));
    // Each I/O is 2 ms apart, longer than the 32.8 µs maximum: after one grow to 4 µs the window resets to 0.
    expect(idle.vmEmptyPoll / Math.max(1, idle.reqs)).toBeLessThan((busy.vmEmptyPoll / busy.reqs) * 0.2);
  });

  it('setIoThreadPoll changes it at run time and refuses bad values', () => {
    const on = run(sc(blk, [{ kind: 'blk' }], { pollMaxNs: 0 }), [], [{ kind: 'setIoThreadPoll', maxNs: 32768 }]);
    expect(on.vmEmptyPoll).toBeGreaterThan(0);
    const m = createHostModel(sc(blk, [{ kind: 'blk' }]), { seed: 1 });
    expect(m.apply({ kind: 'setIoThreadPoll', maxNs: -1 })).toEqual({ ok: false, error: expect.stringMatching(/maxNs/) as unknown as string });
    expect(m.apply({ kind: 'setIoThreadPoll', maxNs: 1000, grow: 4, shrink: 2 }).ok).toBe(true);
    expect(m.config().knobs).toMatchObject({ pollMaxNs: 1000, pollGrow: 4, pollShrink: 2 });
  });
});

describe('vhost-net busy polling (tap poll-us)', () => {
  const rr: WorkloadSpec = { kind: 'net-rr', thinkUs: 20 };
  it('off by default; with poll-us the vhost thread catches the next request without a kick', () => {
    const off = run(sc(rr, [{ kind: 'net' }]));
    const on = run(sc(rr, [{ kind: 'net' }]), [], [{ kind: 'setVhostPoll', us: 50 }]);
    expect(off.vmEmptyPoll).toBe(0);
    expect(on.vmEmptyPoll).toBeGreaterThan(0);
    expect(on.kicks).toBeLessThan(off.kicks * 0.5);
    expect(on.p50).toBeLessThan(off.p50);
  });
});

describe('pmd-maxsleep (side cores)', () => {
  const light: WorkloadSpec = { kind: 'net-rr', thinkUs: 200 };
  it('an idle-ish side core sleeps: idle cycles appear, empty polls fall, latency rises', () => {
    const spin = run(sc(light, [{ kind: 'net' }]), [0]);
    const sleepy = run(sc(light, [{ kind: 'net' }], { pmdMaxSleepUs: 500 }), [0]);
    expect(spin.sideIdle).toBe(0);
    expect(sleepy.sideIdle).toBeGreaterThan(0.5 * 8 * 0.1 * 2.5e9);
    expect(sleepy.sideEmptyPolls).toBeLessThan(spin.sideEmptyPolls * 0.5);
    expect(sleepy.p50).toBeGreaterThan(spin.p50);
  });

  it('setPmdMaxSleep at run time, refusing bad values', () => {
    const sleepy = run(sc(light, [{ kind: 'net' }]), [0], [{ kind: 'setPmdMaxSleep', us: 500 }]);
    expect(sleepy.sideIdle).toBeGreaterThan(0);
    const m = createHostModel(sc(light, [{ kind: 'net' }]), { seed: 1 });
    expect(m.apply({ kind: 'setPmdMaxSleep', us: Number.NaN }).ok).toBe(false);
  });
});

describe("the manager's own CPU", () => {
  const cpu: WorkloadSpec = { kind: 'cpu' };
  const perInterval = 2800 * 0.1 * 2500; // µs/s × s × cycles/µs
  it('floating: managerUsPerSecond of io cycles on the VM cores per interval', () => {
    const r = run(sc(cpu, []), [], [{ kind: 'setManager', on: true }]);
    expect(r.io / 8).toBeGreaterThan(perInterval * 0.97);
    expect(r.io / 8).toBeLessThan(perInterval * 1.03);
    expect(run(sc(cpu, []), []).io).toBe(0);
  });

  it('on a side core: charged there; refused on a VM core', () => {
    const s = sc({ kind: 'net-rr', thinkUs: 1000 }, [{ kind: 'net' }]);
    const base = run(s, [0]);
    const r = run(s, [0], [{ kind: 'setManager', on: true, core: 0 }]);
    expect((r.sideIo - base.sideIo) / 8).toBeGreaterThan(perInterval * 0.95);
    expect((r.sideIo - base.sideIo) / 8).toBeLessThan(perInterval * 1.05);
    const m = createHostModel(s, { seed: 1 });
    expect(m.apply({ kind: 'setManager', on: true, core: 2 }).ok).toBe(false);
  });
});

describe('knobs keep the model consistent', () => {
  it('every knob on, through reconfigurations: scheduler invariants after every event, cycles sum per core', async () => {
    const { readFileSync } = await import('node:fs');
    const s = JSON.parse(readFileSync(new URL('../../../resources/scenarios/default.json', import.meta.url), 'utf8')) as Scenario;
    s.host.knobs = { vhostPollUs: 20, pollMaxNs: 32768, pmdMaxSleepUs: 100 };
    const m = createHostModel(s, { seed: 9 });
    m.checking = true;
    m.apply({ kind: 'setManager', on: true });
    const plan: number[][] = [[0], [0, 1, 2], [], [3, 5], [0]];
    for (let i = 0; i < 10; i++) {
      if (i % 2 === 0) expect(m.apply({ kind: 'setSideCores', cores: plan[i / 2] }).ok).toBe(true);
      if (i === 7) expect(m.apply({ kind: 'setManager', on: true, core: 3 }).ok).toBe(true);
      if (i === 5) expect(m.apply({ kind: 'setPmdMaxSleep', us: 0 }).ok).toBe(true);
      if (i === 8) expect(m.apply({ kind: 'setPmdMaxSleep', us: 300 }).ok).toBe(true);
      const snap = m.step();
      const iv = 0.1 * snap.hz;
      for (const c of snap.cores) {
        const { guest, exit, io, emptyPoll, ctxSwitch, idle } = c.cycles;
        for (const v of [guest, exit, io, emptyPoll, ctxSwitch, idle]) expect(v).toBeGreaterThanOrEqual(-1e-6);
        expect(guest + exit + io + emptyPoll + ctxSwitch + idle).toBeCloseTo(iv, -2);
      }
    }
  });
});
