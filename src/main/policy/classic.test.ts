import { describe, it, expect } from 'vitest';
import { classicEntry, classicRequests, type ClassicState } from './classic.ts';
import type { EpochMetrics } from './helpers.ts';
import { FakeControl, PolicyHarness, syntheticSnapshot } from './testing.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import type { PolicyDecision } from '../../shared/policy.ts';
import type { Policy } from './types.ts';

const cfg = classicEntry.defaults;

function metrics(p: Partial<EpochMetrics>): EpochMetrics {
  return {
    epochCycles: 2e8, workers: 0, sideBusy: 0, ioWork: 0, workSplit: true, ioIdle: 0, maxSideBusy: 0, vmIdle: 0, vhostIo: 0,
    vmCores: 8, vcpuRun: 0, vcpuWait: 0, bytes: 1e6, requests: 100, objective: 0, ...p,
  };
}

describe('iocm-classic rules (table)', () => {
  const rows: { name: string; k: number; m: Partial<EpochMetrics>; want: Partial<Record<'start' | 'stop' | 'add' | 'remove', boolean>>; startCount?: number }[] = [
    { name: 'enter side-core mode: vhost threads > 0.5 core', k: 0, m: { vhostIo: 0.6 }, want: { start: true }, startCount: 1 },
    { name: 'no entry at 0.5 core exactly', k: 0, m: { vhostIo: 0.5 }, want: { start: false } },
    { name: 'entry count = floor(work/2)', k: 0, m: { vhostIo: 4.4 }, want: { start: true }, startCount: 2 },
    { name: 'add: idle I/O < 0.12 and VM idle > 1.0', k: 1, m: { ioIdle: 0.1, vmIdle: 1.5, maxSideBusy: 0.9 }, want: { add: true, remove: false, stop: false } },
    { name: 'no add when VM idle ≤ 1.0', k: 1, m: { ioIdle: 0.1, vmIdle: 1.0, maxSideBusy: 0.9 }, want: { add: false } },
    { name: 'no add when idle I/O ≥ 0.12', k: 2, m: { ioIdle: 0.12, vmIdle: 3, maxSideBusy: 0.95 }, want: { add: false } },
    { name: 'no add beyond 4 I/O cores', k: 4, m: { ioIdle: 0.05, vmIdle: 3, maxSideBusy: 1 }, want: { add: false } },
    { name: 'remove: VM idle < 0.05 and idle I/O > 0.8', k: 2, m: { ioIdle: 0.9, vmIdle: 0.01, bytes: 1e7, requests: 10 }, want: { remove: true } },
    { name: 'no remove when idle I/O ≤ 0.8', k: 2, m: { ioIdle: 0.8, vmIdle: 0.01, bytes: 1e7, requests: 10 }, want: { remove: false } },
    { name: 'remove: idle I/O > 1.3', k: 3, m: { ioIdle: 1.4, vmIdle: 2, bytes: 1e7, requests: 10 }, want: { remove: true } },
    { name: 'at 4 cores removal needs idle I/O > 1.0', k: 4, m: { ioIdle: 0.9, vmIdle: 0.01, bytes: 1e7, requests: 10 }, want: { remove: false } },
    { name: 'at 4 cores removal with idle I/O 1.1', k: 4, m: { ioIdle: 1.1, vmIdle: 0.01, bytes: 1e7, requests: 10 }, want: { remove: true } },
    { name: 'small packets (< 1600 B) ask for removal', k: 2, m: { ioIdle: 0.85, vmIdle: 2, bytes: 100 * 1000, requests: 100 }, want: { remove: true } },
    { name: 'large packets and busy VMs do not', k: 2, m: { ioIdle: 0.85, vmIdle: 2, bytes: 100 * 9000, requests: 100 }, want: { remove: false } },
    { name: 'never remove the last side core (that is "stop")', k: 1, m: { ioIdle: 0.95, vmIdle: 0.01, maxSideBusy: 0.05 }, want: { remove: false, stop: true } },
    { name: 'leave side-core mode: single core < 20 % busy', k: 1, m: { maxSideBusy: 0.19, ioIdle: 0.81, vmIdle: 2 }, want: { stop: true } },
    { name: 'stay in side-core mode at 20 %', k: 1, m: { maxSideBusy: 0.2, ioIdle: 0.8, vmIdle: 2 }, want: { stop: false } },
    { name: 'stop only applies to a single side core', k: 2, m: { maxSideBusy: 0.1, ioIdle: 1.8, vmIdle: 2 }, want: { stop: false, remove: true } },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const out = classicRequests(metrics({ workers: r.k, ...r.m }), r.k, 4, cfg);
      for (const [mv, v] of Object.entries(r.want)) expect(out.req[mv as 'add'], mv).toBe(v);
      if (r.startCount !== undefined) expect(out.startCount).toBe(r.startCount);
    });
  }
});

/**
 * Drive the classic policy on a fake host with a load function; returns decisions by epoch.
 * Profile 'full' by default: the published rules read idle I/O capacity, which needs side cores'
 * work split from their empty polls (OVS PMDs and research hosts report it; QEMU IOThreads do not).
 */
function drive(epochs: number, load: (e: number, sideCores: number) => { work: number; idle: number; bytesPerReq?: number }, profile: ObservabilityProfile = 'full') {
  const host = new FakeControl(8, 4);
  const h = new PolicyHarness(classicEntry.create(cfg) as Policy<ClassicState>, host, { profile, limits: { minVmCores: 1, maxSideCores: 7, minChangeIntervalMs: 0 } });
  const out: { e: number; d: PolicyDecision; k: number }[] = [];
  for (let e = 0; e < epochs; e++) {
    const l = load(e, host.config().sideCores.length);
    const r = h.step(syntheticSnapshot(host.config(), { queueWork: [l.work / 4, l.work / 4, l.work / 4, l.work / 4], vmIdleFrac: l.idle, bytesPerRequest: l.bytesPerReq ?? 64000 }, e));
    out.push({ e, d: r.decision, k: host.config().sideCores.length });
  }
  return out;
}

describe('iocm-classic gate and regret', () => {
  for (const profile of ['qemu', 'ovs', 'full'] as const) {
    it(`${profile}: needs the request in ≥ 60 % of the last 20 epochs (12 epochs) before entering side-core mode`, () => {
      // The entry rule reads the vhost threads' CPU, which every profile reports: as the threads'
      // CPU (qemu, full) or as those queues' work cycles (ovs).
      const out = drive(15, () => ({ work: 2, idle: 0.5 }), profile);
      const first = out.find((o) => o.d.kind === 'change');
      expect(first?.e).toBe(11);
      expect(first?.d.reason).toMatch(/12\/20/);
      expect(out.slice(0, 11).every((o) => o.k === 0)).toBe(true);
    });
  }

  /** Four queues of 0.04 core each on one side core (core 7) of an 8-core host, VM cores half idle. */
  function onOneSideCore(profile: ObservabilityProfile, epochs: number) {
    const host = new FakeControl(8, 4);
    host.apply({ kind: 'setSideCores', cores: [7] });
    for (let q = 0; q < 4; q++) {
      host.apply({ kind: 'assignQueue', queue: q, core: 7 });
      host.apply({ kind: 'setPolling', queue: q, on: true });
    }
    const h = new PolicyHarness(classicEntry.create(cfg) as Policy<ClassicState>, host, { profile, limits: { minVmCores: 1, maxSideCores: 7, minChangeIntervalMs: 0 } });
    const out: { e: number; d: PolicyDecision; k: number }[] = [];
    for (let e = 0; e < epochs; e++) {
      const r = h.step(syntheticSnapshot(host.config(), { queueWork: [0.04, 0.04, 0.04, 0.04], vmIdleFrac: 0.5 }, e));
      out.push({ e, d: r.decision, k: host.config().sideCores.length });
    }
    return out;
  }

  it('full: a side core 16 % busy asks to leave side-core mode (the stop rule reads its work)', () => {
    const out = onOneSideCore('full', 15);
    expect(out.find((o) => o.d.kind === 'change')?.d.reason).toMatch(/^the single side core is 16 % busy \(< 20 %\): back to vhost/);
  });

  it('qemu: on side cores the add, remove and stop rules are not run (their inputs are not measured); it stays and says why', () => {
    // A polling IOThread's CPU time includes its polling: the side core reads 100 % busy, idle I/O
    // capacity 0 — the add rule would ask for a side core every epoch on an idle-ish host.
    const out = onOneSideCore('qemu', 40);
    expect(out.every((o) => o.k === 1 && o.d.kind === 'stay' && o.d.actions.length === 0)).toBe(true);
    expect(new Set(out.map((o) => o.d.reason))).toEqual(
      new Set(["not measured: the qemu profile reports no side-core work cycles apart from polling (sideWork), which the add, remove and stop rules read (idle I/O capacity, a side core's load): stay at 1 side core"]),
    );
    expect(out.some((o) => 'ioIdle' in o.d.metrics)).toBe(false);
  });

  it('stays at vhost on light I/O: vhost threads at 0.5 core or below never ask to enter', () => {
    const out = drive(60, () => ({ work: 0.5, idle: 0.5 }), 'qemu');
    expect(out.every((o) => o.k === 0 && o.d.kind !== 'change')).toBe(true);
  });

  it('reverts a change that does not raise bytes/cycle, then bars it 20 epochs, doubling', () => {
    // Throughput stays the same whatever the side-core count → every change is regretted.
    const out = drive(200, () => ({ work: 2, idle: 0.5 }));
    const reverts = out.filter((o) => o.d.kind === 'revert');
    expect(reverts.length).toBeGreaterThanOrEqual(2);
    const firstChange = out.find((o) => o.d.kind === 'change')!;
    // grace 5 epochs, then 5 measured: revert on the 11th epoch after the change.
    expect(reverts[0].e - firstChange.e).toBe(10);
    expect(reverts[0].d.reason).toMatch(/bar it 20 epochs/);
    expect(reverts[1].d.reason).toMatch(/bar it 40 epochs/);
    expect(out[reverts[0].e].k).toBe(0);
  });

  it('keeps a change that raises bytes/cycle by ≥ 0.01', () => {
    // More bytes per request once side cores exist → bytes/cycle rises.
    const out = drive(60, (_e, k) => ({ work: 2, idle: 0.5, bytesPerReq: k > 0 ? 200000 : 64000 }));
    expect(out.some((o) => o.d.kind === 'revert' && /'start'/.test(o.d.reason))).toBe(false);
    expect(out.some((o) => /kept 'start'/.test(o.d.reason))).toBe(true);
    // The saturated side core then asks for a second one; that gains nothing here and is regretted.
    expect(out.some((o) => o.d.kind === 'revert' && /'add'/.test(o.d.reason))).toBe(true);
    expect(out[out.length - 1].k).toBeGreaterThan(0);
  });
});
