import { describe, it, expect } from 'vitest';
import { activityOf, estimateCount, iocmEntry, solveFit, type IocmState } from './iocm.ts';
import type { EpochMetrics } from './helpers.ts';
import { FakeControl, PolicyHarness, observedWindow, syntheticSnapshot, type SyntheticLoad } from './testing.ts';
import type { Overrides, PolicyDecision } from '../../shared/policy.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import type { Policy } from './types.ts';

const est = { targetBusy: 0.75, saturatedBusy: 0.92, vhostToPoll: 1.3 };
const m = (p: Partial<EpochMetrics>): EpochMetrics => ({
  epochCycles: 2e8, workers: 0, sideBusy: 0, ioWork: 0, workSplit: false, ioIdle: 0, maxSideBusy: 0, vmIdle: 0, vhostIo: 0,
  vmCores: 8, vcpuRun: 0, vcpuWait: 0, bytes: 0, requests: 0, objective: 0, ...p,
});

describe('iocm jump estimate (table)', () => {
  const rows: [string, Partial<EpochMetrics>, { perReq: number; perByte: number } | null, number][] = [
    ['no I/O → no side cores', { vhostIo: 0.01 }, null, 0],
    ['vhost threads 0.5 core → 0.65 / 0.75 → 1', { vhostIo: 0.5 }, null, 1],
    ['vhost threads 1.2 cores → 1.56 / 0.75 → 3', { vhostIo: 1.2 }, null, 3],
    ['side cores with work split: 1.4 busy of 2 → 2', { workers: 2, ioWork: 1.4, workSplit: true, maxSideBusy: 0.7 }, null, 2],
    ['saturated side core (work split) is scaled up: 1 × 1.3 + 0.25 → 3', { workers: 1, ioWork: 1, workSplit: true, maxSideBusy: 1 }, null, 3],
    ['idle VM capacity buys no side cores (no spinning cores for idle work)', { vhostIo: 0.3, vmIdle: 9 }, null, 1],
    ['busy time only, nothing fitted yet: keep the count', { workers: 3, ioWork: 3, sideBusy: 3, maxSideBusy: 1 }, null, 3],
    // (20,000 × 5,000 + 3e7 × 2) / 2e8 = 0.8 core in notification-thread cycles → × 1.3 = 1.04 → 2.
    ['busy time only: traffic × fitted cost per request and byte', { workers: 3, ioWork: 3, sideBusy: 3, maxSideBusy: 1, requests: 20000, bytes: 3e7 }, { perReq: 5000, perByte: 2 }, 2],
    ['… plus what queues still on I/O threads cost', { workers: 3, ioWork: 3, sideBusy: 3, maxSideBusy: 1, requests: 20000, bytes: 3e7, vhostIo: 0.5 }, { perReq: 5000, perByte: 2 }, 3],
  ];
  for (const [name, metrics, cost, k] of rows) it(name, () => expect(estimateCount(m(metrics), est, cost).k).toBe(k));

  it('says which cycles it used', () => {
    expect(estimateCount(m({ vhostIo: 0.5 }), est).basis).toMatch(/I\/O-thread cycles/);
    expect(estimateCount(m({ workers: 2, ioWork: 1, workSplit: true }), est).basis).toMatch(/side-core work cycles/);
    const none = estimateCount(m({ workers: 2, ioWork: 2 }), est);
    expect(none.work).toBeNaN();
    expect(none.basis).toMatch(/no work estimate/);
  });
});

/** Fit statistics as iocm keeps them (kilo-requests, MB, Mcycles) for samples (requests, bytes, cycles). */
function fitStats(samples: [number, number, number][]): number[] {
  const f = [0, 0, 0, 0, 0];
  for (const [req, by, cyc] of samples) {
    const r = req / 1e3;
    const b = by / 1e6;
    const c = cyc / 1e6;
    f[0] += r * r;
    f[1] += r * b;
    f[2] += b * b;
    f[3] += r * c;
    f[4] += b * c;
  }
  return f;
}

describe('solveFit: I/O-thread cycles per request and per byte', () => {
  it('recovers both coefficients from requests of two sizes', () => {
    const cyc = (r: number, b: number): number => 3000 * r + 2 * b;
    const samples: [number, number, number][] = [];
    for (let i = 1; i <= 5; i++) {
      samples.push([1000 * i, 64 * 1000 * i, cyc(1000 * i, 64 * 1000 * i)]);
      samples.push([200 * i, 64000 * 200 * i, cyc(200 * i, 64000 * 200 * i)]);
    }
    const f = solveFit(fitStats(samples))!;
    expect(f.perReq).toBeCloseTo(3000, 3);
    expect(f.perByte).toBeCloseTo(2, 6);
  });
  it('one request size (bytes ∝ requests): charges everything per request', () => {
    const samples: [number, number, number][] = [1, 2, 3].map((i) => [1000 * i, 1500 * 1000 * i, 7000 * 1000 * i]);
    const f = solveFit(fitStats(samples))!;
    expect(f.perByte).toBe(0);
    expect(f.perReq).toBeCloseTo(7000, 6);
  });
  it('nothing seen: no fit', () => {
    expect(solveFit([0, 0, 0, 0, 0])).toBeNull();
  });
  it('iocm learns the fit from I/O-thread cycles in vhost mode (qemu profile)', () => {
    const host = new FakeControl(8, 4);
    // Fixed at vhost: the policy cannot move, so every epoch is in notification mode.
    const h = new PolicyHarness(iocmEntry.create(iocmEntry.defaults) as Policy<IocmState>, host, { profile: 'qemu', overrides: { pinned: [], released: [], countLock: [0, 0], paused: false } });
    for (let e = 0; e < 20; e++) h.step(syntheticSnapshot(host.config(), { queueWork: [0.3, 0.2, 0.1, 0.05], cyclesPerRequest: 4000 }, e));
    const f = solveFit(h.state.fit)!;
    expect(f).not.toBeNull();
    // requests = floor(cycles / 4000): within rounding of 4,000 cycles per request.
    expect(f.perReq).toBeGreaterThan(3990);
    expect(f.perReq).toBeLessThan(4010);
  });
});

describe('activity signature', () => {
  const host = new FakeControl(4, 16).config();
  const sig = (l: Partial<SyntheticLoad>, cfg = host, profile: ObservabilityProfile = 'qemu') =>
    activityOf(observedWindow([syntheticSnapshot(cfg, { queueWork: new Array(16).fill(0.05), vms: 16, ...l }, 0)], profile)[0]);

  it('names which groups move I/O and which have vCPU demand', () => {
    expect(sig({})).toBe('g0:io+cpu|g1:io+cpu|');
    // Queues 8..15 belong to VMs 8..15 (group g1): idle devices → g1 moves no I/O.
    expect(sig({ queueWork: [...new Array(8).fill(0.05), ...new Array(8).fill(0)] })).toBe('g0:io+cpu|g1:-+cpu|');
    expect(sig({ vcpuRun: 0.01 })).toBe('g0:io|g1:io|');
  });
  it('does not change with the side-core count, the traffic level, the phase name or the offered load', () => {
    const withSide = { ...host, sideCores: [3], queueOwner: new Array(16).fill(3), queuePolling: new Array(16).fill(true) };
    expect(sig({}, withSide)).toBe(sig({}));
    expect(sig({ queueWork: new Array(16).fill(0.2) })).toBe(sig({}));
    expect(sig({ phase: 'night', load: 0.2 })).toBe(sig({ phase: 'day', load: 3 }));
    expect(sig({}, host, 'full')).toBe(sig({}, host, 'qemu'));
  });
});

const free: Overrides = { pinned: [], released: [], countLock: null, paused: false };

interface DriveOpts {
  profile?: ObservabilityProfile;
  /** Per-queue work in cores (8 queues; default 0.1 → 0.8 core of I/O → estimate 2). */
  work?: number;
  /** vCPU run of each VM (activity), by epoch. */
  vcpu?: (e: number) => number;
  /** vCPU wait of each VM, by count. */
  wait?: (k: number) => number;
  ov?: Overrides;
  /** Side cores in force before iocm takes over (e.g. a static:K before it), the queues spread over them. */
  startK?: number;
}

/**
 * Drive iocm on a synthetic 12-core host with 8 VMs, 8 queues, whose observed objective is
 * `objective(k, e)`: each queue completes objective / 80 requests per 100 ms interval
 * (8 queues × 10 intervals per second), so the observed objective is exactly `objective`.
 */
function drive(epochs: number, objective: (k: number, e: number) => number, opts: DriveOpts = {}) {
  const host = new FakeControl(12, 8);
  const h = new PolicyHarness(iocmEntry.create(iocmEntry.defaults) as Policy<IocmState>, host, {
    profile: opts.profile ?? 'qemu',
    limits: { minVmCores: 1, maxSideCores: 11, minChangeIntervalMs: 0 },
    overrides: opts.ov ?? free,
  });
  if (opts.startK) {
    const cores = Array.from({ length: opts.startK }, (_, i) => 11 - i).sort((a, b) => a - b);
    host.apply({ kind: 'setSideCores', cores });
    for (let q = 0; q < 8; q++) host.apply({ kind: 'assignQueue', queue: q, core: cores[q % cores.length] });
  }
  const log: { e: number; k: number; d: PolicyDecision }[] = [];
  for (let e = 0; e < epochs; e++) {
    const cfg = host.config();
    const k = cfg.sideCores.length;
    const w = opts.work ?? 0.1;
    const snap = syntheticSnapshot(cfg, { queueWork: new Array(8).fill(w), vmIdleFrac: 0, requests: objective(k, e) / 80, vms: 8, vcpuRun: opts.vcpu?.(e), vcpuWait: opts.wait?.(k) }, e);
    const r = h.step(snap);
    log.push({ e, k: host.config().sideCores.length, d: r.decision });
  }
  return { log, state: h.state, host };
}

const peakAt = (best: number) => (k: number) => 80000 - 4000 * Math.abs(k - best);
const countChanges = <T extends { d: PolicyDecision }>(log: T[]): T[] => log.filter((x) => x.d.actions.some((a) => a.kind === 'setSideCores'));

describe('iocm hill climb on the observed objective', () => {
  // 8 queues × 0.1 core of I/O-thread cycles × 1.3 = 1.04 cores of side-core work → 2 side cores.
  it('full: jumps to the estimate, probes both neighbours and settles on the best', () => {
    const { log } = drive(60, peakAt(2), { profile: 'full' });
    expect(log[0].d.reason).toMatch(/new regime: I\/O work ≈ 1\.04 cores \(I\/O-thread cycles\) → 2 side cores/);
    expect(log[0].k).toBe(2);
    // The side cores' measured work (0.8 core) fits on one: below is worth a probe.
    // jump, probe below, measure notification mode once (no side cores) before any step up, probe above, settle
    expect(countChanges(log).map((x) => x.k)).toEqual([2, 1, 0, 3, 2]);
    expect(log.some((x) => /settle on 2 side cores/.test(x.d.reason))).toBe(true);
    expect(log.slice(12).every((x) => x.k === 2)).toBe(true);
  });

  it('ovs: in notification mode the jump reads the queues\' work cycles (ovs reports no I/O-thread CPU)', () => {
    // Under ovs the same cycles come as per-queue work: the estimate is not the 0 of a measure the profile lacks.
    const { log } = drive(60, peakAt(2), { profile: 'ovs' });
    expect(log[0].d.reason).toMatch(/new regime: I\/O work ≈ 1\.04 cores \(I\/O-thread cycles\) → 2 side cores/);
    expect(log[0].k).toBe(2);
    expect(log.slice(12).every((x) => x.k === 2)).toBe(true);
  });

  it('qemu: skips the probe below when the work estimate says one core fewer would saturate', () => {
    // No work split under qemu: the regime's estimate (1.04 cores) on 1 side core is > saturatedBusy 0.92.
    const { log } = drive(60, peakAt(2), { profile: 'qemu' });
    expect(log[0].k).toBe(2);
    // jump, measure notification mode (below is ruled out), probe above, settle
    expect(countChanges(log).map((x) => x.k)).toEqual([2, 0, 3, 2]);
    expect(log.some((x) => x.k === 1)).toBe(false);
    expect(log.slice(12).every((x) => x.k === 2)).toBe(true);
  });

  it('qemu: probes below when the estimate fits on one core fewer', () => {
    // 8 × 0.08 × 1.3 = 0.83 core → 2 side cores at ≤ 75 %, but 0.83 ≤ 0.92 on one core.
    const { log } = drive(60, peakAt(1), { profile: 'qemu', work: 0.08 });
    expect(log[0].k).toBe(2);
    expect(countChanges(log).map((x) => x.k)[1]).toBe(1);
    expect(log[59].k).toBe(1);
  });

  it('measures notification mode once when one side core fewer would saturate, and settles there when it wins', () => {
    // qemu: the estimate (1.04 cores) rules out 1 side core, yet vhost (0) has the top objective.
    const { log } = drive(60, (k) => (k === 0 ? 90000 : peakAt(2)(k)), { profile: 'qemu' });
    // jump, measure vhost (before any step up), verify vhost's neighbour (1), settle on vhost: no probe at 3
    expect(countChanges(log).map((x) => x.k)).toEqual([2, 0, 1, 0]);
    expect(log.some((x) => /settle on 0 side cores/.test(x.d.reason))).toBe(true);
    expect(log[59].k).toBe(0);
  });

  it('climbs beyond the estimate while the objective improves', () => {
    const { log } = drive(60, peakAt(5));
    expect(log[log.length - 1].k).toBe(5);
    expect(countChanges(log).map((x) => x.k)).toEqual([2, 0, 3, 4, 5, 6, 5]);
  });

  it('after a static count set from outside: measures vhost after the first step down, not after the last probe (review 8)', () => {
    // static:10 before, then iocm under qemu: side cores report busy time only and nothing is fitted,
    // so the regime starts at 10. Every step down wins and vhost is best: a descent one core at a
    // time used up maxProbes at 4 side cores and settled there, never measuring 0.
    const { log } = drive(80, (k) => 90000 - 4000 * k, { startK: 10 });
    expect(log[0].d.reason).toMatch(/no work estimate yet/);
    // 9, then vhost; at vhost the I/O threads' cycles give the estimate the regime lacked (0.8 core → 2): probed, then 1; settle on 0.
    expect(countChanges(log).map((x) => x.k)).toEqual([9, 0, 2, 1, 0]);
    expect(log[79].k).toBe(0);
  });

  it('after a count set from outside: the jump missed at the start is made once vhost is measured (review 8)', () => {
    // One side core cannot carry the work (below vhost), two are best. From static:8 with nothing fitted, the
    // climb reached vhost and its neighbour 1 and settled on vhost; the estimate taken at vhost finds 2.
    const { log } = drive(80, (k) => (k === 0 ? 60000 : k === 1 ? 40000 : 80000 - 3000 * (k - 2)), { startK: 8 });
    expect(countChanges(log).map((x) => x.k).slice(0, 3)).toEqual([7, 0, 2]);
    expect(log[79].k).toBe(2);
  });

  it('a probe that becomes the best is not a spent probe: a long winning climb reaches the peak (review 8)', () => {
    // Jump to 2, vhost (loses), then 3 … 8 each win, 9 loses: settle on 8. With every probe counted
    // against maxProbes (6) the climb was cut off at 7 while each step still raised the objective.
    const { log } = drive(120, peakAt(8));
    expect(countChanges(log).map((x) => x.k)).toEqual([2, 0, 3, 4, 5, 6, 7, 8, 9, 8]);
    expect(log.some((x) => /settle on 8 side cores/.test(x.d.reason))).toBe(true);
    expect(log[119].k).toBe(8);
  });

  it('does not add a side core for a gain inside the hysteresis (1 %)', () => {
    // 3 side cores give +0.5 %: not worth a core.
    const { log } = drive(40, (k) => (k === 0 ? 60000 : 80000 + (k === 3 ? 400 : 0) - (k === 1 ? 8000 : 0)));
    expect(log[log.length - 1].k).toBe(2);
    expect(log.some((x) => x.k === 3)).toBe(true); // it did measure 3
  });

  it('releases a side core that does not pay for itself: the fewest cores within the hysteresis of the best', () => {
    // 2 side cores are 0.5 % better than 1: within the hysteresis → 1 wins. (Work that fits on one core, so 1 is probed.)
    const { log } = drive(40, (k) => (k === 0 ? 60000 : k === 1 ? 79600 : 80000), { work: 0.08 });
    expect(log[log.length - 1].k).toBe(1);
    expect(log.some((x) => /settle on 1 side core/.test(x.d.reason))).toBe(true);
  });

  it('a count whose vCPUs wait above the ceiling loses to one below it, within the price cap', () => {
    // 3 side cores has the top objective (+2 %), but the remaining VM cores are oversubscribed there.
    const { log } = drive(60, (k) => 70000 + 1500 * k, { wait: (k) => (k >= 3 ? 0.4 : 0) });
    // vcpuWait / vcpuRun = 0.4 / 0.5 = 0.8 > maxVcpuWait 0.5 → 3 is hot; 2 is the best cool count, 2 % below.
    expect(log[log.length - 1].k).toBe(2);
    expect(log.some((x) => x.k === 3)).toBe(true);
  });

  it('the latency guard gives up at most guardCost (5 %) of the objective', () => {
    // 3 side cores is hot but 6 % better than the best cool count: the guard does not pay that much.
    const { log } = drive(60, (k) => 70000 + 5000 * k, { wait: (k) => (k >= 3 ? 0.4 : 0) });
    expect(log[log.length - 1].k).toBeGreaterThanOrEqual(3);
  });

  it('never probes again on a steady workload once settled', () => {
    const { log } = drive(400, peakAt(3));
    expect(countChanges(log.filter((x) => x.e > 20))).toEqual([]);
    expect(log[399].k).toBe(3);
  });

  it('detects a sustained objective drift at the settled count (no phase reports)', () => {
    const { log } = drive(120, (k, e) => (e < 60 ? peakAt(2)(k) : 1.4 * peakAt(2)(k)));
    expect(log.slice(0, 60).filter((x) => /new regime/.test(x.d.reason))).toHaveLength(1);
    const re = log.slice(60, 70).filter((x) => /new regime/.test(x.d.reason));
    expect(re).toHaveLength(1);
    // driftEpochs = 3: the third drifting epoch starts the regime.
    expect(re[0].e).toBe(62);
  });

  it('ignores a drift below driftPct (15 %)', () => {
    const { log } = drive(120, (k, e) => (e < 60 ? peakAt(2)(k) : 1.1 * peakAt(2)(k)));
    expect(log.filter((x) => /new regime/.test(x.d.reason))).toHaveLength(1);
    expect(countChanges(log.filter((x) => x.e >= 60))).toEqual([]);
  });

  it('a new activity starts a regime; a regime seen before starts at its remembered count and is verified against the neighbours', () => {
    // a: VMs compute (vCPU demand), best 2. b: VMs idle apart from I/O, best 4. a again: the same
    // activity, but now 3 is best: the recalled 2 must not be accepted unverified.
    const phase = (e: number) => (Math.floor(e / 50) % 2 === 0 ? 'a' : 'b');
    const { log } = drive(200, (k, e) => (phase(e) === 'a' ? (e >= 100 ? peakAt(3)(k) : peakAt(2)(k)) : peakAt(4)(k)), { vcpu: (e) => (phase(e) === 'a' ? 0.5 : 0.01) });
    expect(log[49].k).toBe(2);
    expect(log[99].k).toBe(4);
    const regimes = log.filter((x) => /new regime/.test(x.d.reason));
    expect(regimes.map((x) => x.e)).toEqual([0, 52, 102, 152]);
    expect(regimes[2].d.reason).toMatch(/seen before, 2 side cores were best; verifying/);
    expect(log[102].k).toBe(2);
    expect(log[149].k).toBe(3);
    expect(regimes[3].d.reason).toMatch(/seen before, 4 side cores were best/);
    expect(log[199].k).toBe(4);
  });

  it('no measured count within the bounds (a pin the host never made): moves into the bounds, never throws (review 7)', () => {
    /** A host that acknowledges every change and makes none (a broken agent). */
    class DeafHost extends FakeControl {
      override apply(): { ok: true; costCycles: number } {
        return { ok: true, costCycles: 0 };
      }
    }
    const host = new DeafHost(8, 4);
    const h = new PolicyHarness(iocmEntry.create(iocmEntry.defaults) as Policy<IocmState>, host, { profile: 'qemu' });
    const snap = (e: number) => syntheticSnapshot(host.config(), { queueWork: [0.3, 0.3, 0.2, 0.2], vmIdleFrac: 0.2 }, e);
    h.step(snap(0), free);
    // As after pin → static:2 → iocm on that host (the live loop's rate limit held the moves back):
    // the regime is known and only 0 side cores — outside the pin's bounds (1..) — is measured.
    const st = (h as unknown as { state: IocmState }).state;
    // (A regime name the next epoch does not start over from: one epoch of another activity is not a drift yet.)
    (h as unknown as { state: IocmState }).state = { ...st, regime: 'held', table: { 0: { objective: 5, n: 3, sideBusy: NaN, vcpuWait: 0 } }, changedAt: -100, lastK: 0, settled: false, probes: 0 };
    const r = h.step(snap(2), { ...free, pinned: [3] });
    expect(r.decision.kind).toBe('change');
    expect(r.decision.actions.some((a) => a.kind === 'setSideCores' && a.cores.includes(3))).toBe(true);
    expect(r.decision.reason).toMatch(/no count within the bounds is measured/);
  });

  it('stays within a count lock and keeps pinned cores', () => {
    const ov: Overrides = { pinned: [1], released: [11], countLock: [1, 2], paused: false };
    const { log, host } = drive(40, peakAt(6), { ov });
    expect(log.every((x) => x.k >= 1 && x.k <= 2)).toBe(true);
    expect(host.config().sideCores).toContain(1);
    expect(host.config().sideCores).not.toContain(11);
  });

  for (const profile of ['qemu', 'full'] as const) {
    it(`${profile}: places queues by measured load (LPT)`, () => {
      const host = new FakeControl(8, 4);
      const h = new PolicyHarness(iocmEntry.create(iocmEntry.defaults) as Policy<IocmState>, host, { profile, overrides: { ...free, countLock: [2, 2] } });
      h.step(syntheticSnapshot(host.config(), { queueWork: [0.9, 0.1, 0.1, 0.8], vmIdleFrac: 0 }, 0));
      const cfg = host.config();
      expect(cfg.sideCores).toHaveLength(2);
      expect(cfg.queueOwner[0]).not.toBe(cfg.queueOwner[3]); // the two heavy queues on different side cores
      expect(cfg.queuePolling.every(Boolean)).toBe(true);
    });
  }
});

describe('iocm idle sleep (pmd-maxsleep instead of releasing the last side core)', () => {
  /** A synthetic host with the pmd-maxsleep knob (as an OVS-DPDK host reports it in HostConfig.knobs). */
  class SleepyHost extends FakeControl {
    sleepUs = 0;
    override config() {
      return { ...super.config(), knobs: { pollMaxNs: 0, pollGrow: 0, pollShrink: 0, vhostPollUs: 0, pmdMaxSleepUs: this.sleepUs, manager: { on: false, core: null } } };
    }
  }
  function drive(cfg: Record<string, number>, work: (e: number) => number) {
    const host = new SleepyHost(4, 2);
    host.apply({ kind: 'setSideCores', cores: [3] });
    host.apply({ kind: 'assignQueue', queue: 0, core: 3 });
    host.apply({ kind: 'assignQueue', queue: 1, core: 3 });
    const h = new PolicyHarness(iocmEntry.create({ ...iocmEntry.defaults, ...cfg }) as Policy<IocmState>, host, { profile: 'ovs' });
    const log: { e: number; d: PolicyDecision; side: number; sleep: number }[] = [];
    for (let e = 0; e < 120; e++) {
      const w = work(e);
      const r = h.step(syntheticSnapshot(host.config(), { queueWork: [w, w / 4], vms: 2 }, e));
      for (const k of r.decision.knobs ?? []) if (k.kind === 'setPmdMaxSleep') host.sleepUs = k.us;
      log.push({ e, d: r.decision, side: host.config().sideCores.length, sleep: host.sleepUs });
    }
    return log;
  }
  const load = (e: number): number => (e < 40 ? 0.4 : e < 80 ? 0.001 : 0.4);

  it('off by default: idle, iocm releases the last side core and never touches the knob', () => {
    const log = drive({}, load);
    expect(log.some((x) => (x.d.knobs ?? []).length > 0)).toBe(false);
    expect(log.slice(40, 80).some((x) => x.side === 0)).toBe(true);
  });

  it('on: idle keeps one side core asleep (observed work < 5 %), busy again wakes it (> 20 %)', () => {
    const log = drive({ idleSleepUs: 500 }, load);
    expect(log.every((x) => x.side >= 1)).toBe(true);
    expect(log[39].sleep).toBe(0);
    const slept = log.find((x) => x.e >= 40 && x.sleep === 500)!;
    expect(slept.e).toBeLessThan(50);
    expect(slept.d.reason).toMatch(/sleep up to 500 µs when idle/);
    const woke = log.find((x) => x.e >= 80 && x.sleep === 0)!;
    expect(woke.e).toBeLessThan(85);
    expect(woke.d.reason).toMatch(/poll without sleeping/);
    // One knob change each way, not one per epoch.
    expect(log.filter((x) => (x.d.knobs ?? []).length > 0).map((x) => x.d.knobs![0])).toEqual([
      { kind: 'setPmdMaxSleep', us: 500 },
      { kind: 'setPmdMaxSleep', us: 0 },
    ]);
  });

  it('needs side-core work in the view: under the qemu profile it stays off', () => {
    const host = new SleepyHost(4, 2);
    host.apply({ kind: 'setSideCores', cores: [3] });
    const h = new PolicyHarness(iocmEntry.create({ ...iocmEntry.defaults, idleSleepUs: 500 }) as Policy<IocmState>, host, { profile: 'qemu' });
    for (let e = 0; e < 30; e++) expect(h.step(syntheticSnapshot(host.config(), { queueWork: [0.001, 0] }, e)).decision.knobs).toBeUndefined();
  });
});
