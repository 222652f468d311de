import { describe, it, expect } from 'vitest';
import { estimateCount, iocmEntry, regimeOf, type IocmState } from './iocm.ts';
import type { EpochMetrics } from './helpers.ts';
import { FakeControl, syntheticSnapshot } from './testing.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { Overrides, PolicyDecision } from '../../shared/policy.ts';
import type { Policy } from './types.ts';

const est = { targetBusy: 0.75, saturatedBusy: 0.92, vhostToPoll: 1.3 };
const m = (p: Partial<EpochMetrics>): EpochMetrics => ({
  epochCycles: 2e8, workers: 0, ioWork: 0, ioIdle: 0, maxSideBusy: 0, vmIdle: 0, vhostIo: 0, exitCores: 0, ctxCores: 0,
  vmCores: 8, vcpuWait: 0, bytes: 0, requests: 0, waitUs: 0, pending: 0, score: 0, ...p,
});

describe('iocm jump estimate (table)', () => {
  const rows: [string, Partial<EpochMetrics>, object, number][] = [
    ['no I/O → no side cores', { vhostIo: 0.01 }, {}, 0],
    ['vhost threads 0.5 core → 1', { vhostIo: 0.5 }, {}, 1],
    ['vhost threads 1.2 cores → 1.56 / 0.75 → 3', { vhostIo: 1.2 }, {}, 3],
    ['side cores 1.4 busy of 2 → 2', { workers: 2, ioWork: 1.4, maxSideBusy: 0.7 }, {}, 2],
    ['saturated side core is scaled up', { workers: 1, ioWork: 1, maxSideBusy: 1 }, {}, 3],
    ['idle VM capacity adds free side cores', { workers: 1, ioWork: 0.3, maxSideBusy: 0.3, vmIdle: 4.6 }, { freeHeadroom: 1.5 }, 4],
    ['… capped by the number of queues', { workers: 1, ioWork: 0.3, maxSideBusy: 0.3, vmIdle: 9 }, { freeHeadroom: 1.5, queues: 2 }, 2],
    ['no I/O at all: idle VMs do not matter', { vmIdle: 9 }, { freeHeadroom: 1.5 }, 0],
  ];
  for (const [name, metrics, extra, k] of rows) it(name, () => expect(estimateCount(m(metrics), { ...est, ...extra }).k).toBe(k));
});

describe('regime signature', () => {
  it('is the phase and the per-group offered load', () => {
    const host = new FakeControl(4, 2).config();
    const a = syntheticSnapshot(host, { queueWork: [0.1, 0.1], vms: 16, load: 1, phase: 'x' }, 0);
    const b = syntheticSnapshot(host, { queueWork: [0.5, 0.5], vms: 16, load: 1, phase: 'x' }, 1);
    const c = syntheticSnapshot(host, { queueWork: [0.1, 0.1], vms: 16, load: 0.5, phase: 'x' }, 2);
    expect(regimeOf(a)).toBe('x|g0=1|g1=1');
    expect(regimeOf(a)).toBe(regimeOf(b));
    expect(regimeOf(c)).not.toBe(regimeOf(a));
  });
});

const free: Overrides = { pinned: [], released: [], countLock: null, paused: false };

/** Drive iocm on a synthetic host whose score is `score(k, epoch)`. */
function drive(epochs: number, score: (k: number, e: number) => number, opts: { work?: number; phase?: (e: number) => string; idle?: number; ov?: Overrides } = {}) {
  const host = new FakeControl(12, 8);
  const p = iocmEntry.create(iocmEntry.defaults) as Policy<IocmState>;
  let st = p.init(host.config());
  const win: HostSnapshot[] = [];
  const log: { e: number; k: number; d: PolicyDecision }[] = [];
  for (let e = 0; e < epochs; e++) {
    const h = host.config();
    const k = h.sideCores.length;
    const w = opts.work ?? 0.1;
    win.push(syntheticSnapshot(h, { queueWork: new Array(8).fill(w), vmIdleFrac: opts.idle ?? 0, score: score(k, e), phase: opts.phase?.(e) ?? 'p', vms: 8 }, e));
    if (win.length > 64) win.shift();
    const r = p.decide(st, { t: (e + 1) * 100, epoch: e, window: win, host: h, overrides: opts.ov ?? free, limits: { minVmCores: 1, maxSideCores: 11, minChangeIntervalMs: 0 } });
    st = r.state;
    for (const a of r.decision.actions) host.apply(a);
    log.push({ e, k: host.config().sideCores.length, d: r.decision });
  }
  return { log, state: st, host };
}

describe('iocm hill climb', () => {
  // Work 8 × 0.1 = 0.8 core of vhost I/O → estimate ceil(1.04 / 0.75) = 2.
  const peakAt = (best: number) => (k: number) => 1000 - 50 * Math.abs(k - best);

  it('jumps to the estimate, probes both neighbours and settles on the best within 4 epochs', () => {
    const { log } = drive(60, peakAt(2));
    expect(log[0].d.reason).toMatch(/new regime/);
    expect(log[0].k).toBe(2);
    const changes = log.filter((x) => x.d.kind === 'change');
    expect(changes.length).toBeLessThanOrEqual(4);
    expect(log.slice(5).every((x) => x.k === 2)).toBe(true);
    expect(log.some((x) => /settle/.test(x.d.reason))).toBe(true);
  });

  it('climbs beyond the estimate while the score improves', () => {
    const { log } = drive(60, peakAt(5));
    expect(log[log.length - 1].k).toBe(5);
    const last = log.filter((x) => x.d.kind === 'change').pop()!;
    expect(last.e).toBeLessThanOrEqual(6);
  });

  it('does not move for a gain inside the hysteresis; a lower queue wait breaks the tie', () => {
    const { log } = drive(40, (k) => 1000 + (k === 3 ? 5 : 0));
    expect(log[log.length - 1].k).toBe(2);
  });

  it('never probes again on a steady workload once settled', () => {
    const { log } = drive(400, peakAt(3));
    const after = log.filter((x) => x.e > 20 && x.d.kind === 'change' && x.d.actions.some((a) => a.kind === 'setSideCores'));
    expect(after).toEqual([]);
  });

  it('re-explores on a new phase and recalls a regime it has seen', () => {
    const phase = (e: number) => (Math.floor(e / 50) % 2 === 0 ? 'a' : 'b');
    const { log } = drive(200, (k, e) => (phase(e) === 'a' ? peakAt(2)(k) : peakAt(4)(k)), { phase });
    expect(log[49].k).toBe(2);
    expect(log[99].k).toBe(4);
    // Third occurrence (phase a again at epoch 100): one jump to the remembered count, then stay.
    const third = log.slice(100, 150).filter((x) => x.d.kind === 'change' && x.d.actions.some((a) => a.kind === 'setSideCores'));
    expect(third).toHaveLength(1);
    expect(third[0].d.reason).toMatch(/seen before/);
    expect(log[101].d.reason).toMatch(/recalled 2/);
  });

  it('detects a sustained score drift without phase reports', () => {
    const { log } = drive(120, (k, e) => (e < 60 ? peakAt(2)(k) : 400 + peakAt(2)(k)));
    expect(log.slice(60, 70).some((x) => /new regime/.test(x.d.reason))).toBe(true);
  });

  it('stays within a count lock and keeps pinned cores', () => {
    const ov: Overrides = { pinned: [1], released: [11], countLock: [1, 2], paused: false };
    const { log, host } = drive(40, peakAt(6), { ov });
    expect(log.every((x) => x.k >= 1 && x.k <= 2)).toBe(true);
    expect(host.config().sideCores).toContain(1);
    expect(host.config().sideCores).not.toContain(11);
  });

  it('places queues by work cycles (LPT)', () => {
    const host = new FakeControl(8, 4);
    const p = iocmEntry.create(iocmEntry.defaults) as Policy<IocmState>;
    const st = p.init(host.config());
    const snap = syntheticSnapshot(host.config(), { queueWork: [0.9, 0.1, 0.1, 0.8], vmIdleFrac: 0 }, 1);
    const r = p.decide(st, { t: 200, epoch: 1, window: [snap], host: host.config(), overrides: free, limits: { minVmCores: 1, maxSideCores: 7, minChangeIntervalMs: 0 } });
    for (const a of r.decision.actions) host.apply(a);
    const own = host.config().queueOwner;
    expect(host.config().sideCores.length).toBeGreaterThanOrEqual(2);
    expect(own[0]).not.toBe(own[3]); // the two heavy queues on different side cores
  });
});
