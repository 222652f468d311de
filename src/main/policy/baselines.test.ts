import { describe, it, expect } from 'vitest';
import { ovsEntry, spdkEntry, staticEntry, vhostEntry, type OvsState } from './baselines.ts';
import { createPolicy, listPolicies, policyConfigForHost, PolicyConfigError, resolvePolicyConfig, resolvePolicyForHost } from './registry.ts';
import { FakeControl, PolicyHarness, syntheticSnapshot } from './testing.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import type { Overrides, PolicyDecision, SafetyLimits } from '../../shared/policy.ts';
import type { Policy } from './types.ts';

const free: Overrides = { pinned: [], released: [], countLock: null, paused: false };
const limits: SafetyLimits = { minVmCores: 1, maxSideCores: 15, minChangeIntervalMs: 0 };

/** Run a policy for `epochs` epochs on observed views (profile 'ovs' by default: these baselines come from OVS-DPDK and SPDK, whose pollers report work cycles); the harness throws on an invalid action. */
function run<S>(p: Policy<S>, host: FakeControl, epochs: number, work: (e: number) => number[], ov: Overrides = free, profile: ObservabilityProfile = 'ovs') {
  const h = new PolicyHarness(p, host, { profile, overrides: ov, limits });
  const ds: { e: number; d: PolicyDecision; state: S }[] = [];
  for (let e = 0; e < epochs; e++) {
    const r = h.step(syntheticSnapshot(host.config(), { queueWork: work(e) }, e));
    ds.push({ e, d: r.decision, state: r.state });
  }
  return ds;
}

describe('registry', () => {
  it('lists every policy with defaults and fields', () => {
    const names = listPolicies().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['iocm', 'iocm-classic', 'vhost', 'static', 'ovs-auto-lb', 'spdk-dynamic']));
    const classic = listPolicies().find((p) => p.name === 'iocm-classic')!;
    expect(classic.defaults.addIdleIo).toBe(0.12);
    expect(classic.fields.find((f) => f.key === 'addIdleIo')?.unit).toBe('cores');
  });
  const bad: [string, Record<string, number | boolean | string>, string][] = [
    ['nope', {}, 'policy'],
    ['static', {}, 'k'],
    ['static:x', {}, 'k'],
    ['vhost:2', {}, 'policy'],
    ['iocm-classic', { addIdleIo: -1 }, 'addIdleIo'],
    ['iocm-classic', { requestWindow: 2.5 }, 'requestWindow'],
    ['iocm-classic', { bogus: 1 }, 'bogus'],
    ['ovs-auto-lb', { busyPct: 'high' }, 'busyPct'],
    ['spdk-dynamic', { fullPct: 0 }, 'fullPct'],
  ];
  for (const [spec, config, field] of bad) {
    it(`rejects ${spec} ${JSON.stringify(config)} naming '${field}'`, () => {
      try {
        resolvePolicyConfig(spec, config);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(PolicyConfigError);
        expect((e as PolicyConfigError).errors.map((x) => x.field)).toContain(field);
      }
    });
  }
  it('parses static:K and ovs-auto-lb:K', () => {
    expect(createPolicy('static:3').name).toBe('static:3');
    expect(resolvePolicyConfig('ovs-auto-lb:4').config.k).toBe(4);
  });
});

describe('vhost and static', () => {
  it('static:2 takes the two highest cores, queues round-robin, then stays', () => {
    const host = new FakeControl(8, 4);
    const ds = run(staticEntry.create({ k: 2 }), host, 5, () => [0.1, 0.1, 0.1, 0.1]);
    expect(host.config().sideCores).toEqual([6, 7]);
    expect(host.config().queueOwner).toEqual([6, 7, 6, 7]);
    expect(host.config().queuePolling.every(Boolean)).toBe(true);
    expect(ds.filter((d) => d.d.kind === 'change')).toHaveLength(1);
  });
  it('vhost returns to no side cores', () => {
    const host = new FakeControl(8, 4);
    host.apply({ kind: 'setSideCores', cores: [7] });
    run(vhostEntry.create({}), host, 2, () => [0.1, 0.1, 0.1, 0.1]);
    expect(host.config().sideCores).toEqual([]);
  });
  it('static honors a pin and a release', () => {
    const host = new FakeControl(8, 4);
    run(staticEntry.create({ k: 2 }), host, 2, () => [0.1, 0.1, 0.1, 0.1], { ...free, pinned: [2], released: [7] });
    expect(host.config().sideCores).toEqual([2, 6]);
  });
});

describe('ovs-auto-lb', () => {
  const cfg = { ...ovsEntry.defaults, k: 2, minIntervalMs: 60000 };
  // Queues 0 and 2 are heavy: round-robin puts both on core 7 → one core overloaded.
  const skewed = () => [0.6, 0.05, 0.6, 0.05];
  it('rebalances after 12 overloaded samples when variance improves ≥ 25 %', () => {
    const host = new FakeControl(8, 4);
    const ds = run(ovsEntry.create(cfg), host, 20, skewed);
    const changes = ds.filter((d) => d.d.kind === 'change');
    expect(changes).toHaveLength(2); // initial placement + one rebalance
    expect(changes[1].e).toBe(12); // samples 1..12 after placement at epoch 0
    expect(changes[1].d.reason).toMatch(/variance/);
    const own = host.config().queueOwner;
    expect(own[0]).not.toBe(own[2]);
    expect(host.config().sideCores).toHaveLength(2);
  });
  it('never changes the number of side cores and rebalances at most once a minute', () => {
    const host = new FakeControl(8, 4);
    // Imbalance the first assignment again and again by making the load flip.
    const counts: number[] = [];
    const loads = [[0.5, 0, 0.5, 0], [0, 0.5, 0, 0.5]];
    const ds = run(ovsEntry.create({ ...cfg, minIntervalMs: 5000 }), host, 1400, (e) => {
      counts.push(host.config().sideCores.length);
      return loads[Math.floor(e / 30) % 2];
    });
    const rebalances = ds.filter((d) => d.d.kind === 'change' && /variance/.test(d.d.reason));
    expect(rebalances.length).toBeGreaterThanOrEqual(2);
    // 5 s = 50 epochs of 100 ms between rebalances.
    for (let i = 1; i < rebalances.length; i++) expect(rebalances[i].e - rebalances[i - 1].e).toBeGreaterThanOrEqual(50);
    expect(counts.slice(1).every((k) => k === 2)).toBe(true);
    expect((ds[ds.length - 1].state as OvsState).lastRebalanceT).toBeGreaterThan(0);
  });
  it('native (a real OVS host): never acts, even overloaded with queues unplaced; only watches', () => {
    const host = new FakeControl(8, 4);
    // OVS's own placement: one PMD (core 7) polls queues 0 and 2, the heavy ones; 1 and 3 unplaced.
    host.apply({ kind: 'setSideCores', cores: [6, 7] });
    host.apply({ kind: 'assignQueue', queue: 0, core: 7 });
    host.apply({ kind: 'assignQueue', queue: 2, core: 7 });
    const before = host.config();
    const ds = run(ovsEntry.create({ ...cfg, native: true }), host, 30, skewed);
    expect(ds.filter((d) => d.d.actions.length > 0 || d.d.kind !== 'stay')).toEqual([]);
    expect(host.config()).toEqual(before);
    expect(ds[ds.length - 1].d.metrics.maxSideBusy).toBeGreaterThan(0);
  });
  it('is native on an agent host declaring the ovs profile, emulated on the model', () => {
    const ovsHost = { source: 'agent', observability: { profile: 'ovs' } };
    expect(policyConfigForHost('ovs-auto-lb', {}, ovsHost)).toEqual({ native: true });
    expect(policyConfigForHost('ovs-auto-lb:1', { native: false }, ovsHost)).toEqual({ native: false });
    expect(policyConfigForHost('ovs-auto-lb', {}, { source: 'model', observability: { profile: 'ovs' } })).toEqual({});
    expect(policyConfigForHost('ovs-auto-lb', {}, { source: 'agent', observability: { profile: 'qemu' } })).toEqual({});
    expect(policyConfigForHost('iocm', {}, ovsHost)).toEqual({});
    // A native baseline sets no count, so K need not fit a 2-core host; the emulation's must.
    expect(resolvePolicyForHost('ovs-auto-lb', 2, {}, ovsHost).config.native).toBe(true);
    expect(() => resolvePolicyForHost('ovs-auto-lb', 2, {})).toThrow(/at most 1/);
  });
  it('qemu profile (neither side-core work apart from polling nor per-queue work): keeps the fixed set as placed and says why', () => {
    const host = new FakeControl(8, 4);
    // Polling side cores read 100 % busy under qemu; the rule would call them overloaded and rebalance on traffic.
    const ds = run(ovsEntry.create(cfg), host, 30, skewed, free, 'qemu');
    expect(ds.filter((d) => d.d.kind !== 'stay').map((d) => d.e)).toEqual([0]); // the fixed set and its round-robin placement
    expect(host.config().sideCores).toEqual([6, 7]);
    expect(host.config().queueOwner).toEqual([6, 7, 6, 7]);
    const reasons = new Set(ds.slice(1).map((d) => d.d.reason));
    expect([...reasons]).toEqual([
      "not measured: the qemu profile reports no side-core work cycles apart from polling (sideWork) and no work cycles per queue (queueWork), which OVS's load balancer reads (a side core ≥ 95 % busy with work; its queues' cycles for the dry run): keep the assignment on 2 side cores",
    ]);
    expect(ds.some((d) => 'maxSideBusy' in d.d.metrics)).toBe(false);
  });
  it('native on a host without side-core work (qemu): watches the side cores without a work share it cannot see', () => {
    const host = new FakeControl(8, 4);
    host.apply({ kind: 'setSideCores', cores: [6, 7] });
    const ds = run(ovsEntry.create({ ...cfg, native: true }), host, 3, skewed, free, 'qemu');
    expect(ds.map((d) => d.d.metrics)).toEqual([{ sideCores: 2 }, { sideCores: 2 }, { sideCores: 2 }]);
  });
  it('keeps the assignment when the dry run gains < 25 %', () => {
    const host = new FakeControl(8, 2);
    // Two queues on two cores: one overloaded, nothing to gain by moving.
    const ds = run(ovsEntry.create(cfg), host, 20, () => [0.97, 0.1]);
    expect(ds.filter((d) => d.d.kind === 'change')).toHaveLength(1);
    expect(ds.some((d) => /improves load variance by 0 %/.test(d.d.reason))).toBe(true);
  });
});

describe('spdk-dynamic', () => {
  const cfg = spdkEntry.defaults;
  const cases: { name: string; work: number[]; cores: number }[] = [
    { name: 'no active queue → one (main) side core', work: [0.05, 0.1, 0.19, 0.0], cores: 1 },
    { name: 'active queues consolidate at 80 %: 0.3+0.3 on one, 0.5 on another', work: [0.3, 0.3, 0.5, 0.05], cores: 2 },
    { name: 'four queues at 0.7 need four cores', work: [0.7, 0.7, 0.7, 0.7], cores: 4 },
    { name: 'a queue above 80 % counts as 80 % (full core)', work: [0.99, 0.1, 0.1, 0.1], cores: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const host = new FakeControl(8, 4);
      run(spdkEntry.create(cfg), host, 21, () => c.work);
      expect(host.config().sideCores).toHaveLength(c.cores);
    });
  }
  it('idle queues go to the main (first) side core; decides once per period', () => {
    const host = new FakeControl(8, 4);
    const ds = run(spdkEntry.create(cfg), host, 30, () => [0.5, 0.05, 0.5, 0.05]);
    const cfgNow = host.config();
    expect(cfgNow.queueOwner[1]).toBe(cfgNow.sideCores[0]);
    expect(cfgNow.queueOwner[3]).toBe(cfgNow.sideCores[0]);
    const changes = ds.filter((d) => d.d.kind === 'change').map((d) => d.e);
    for (const e of changes.slice(1)) expect(e % 10).toBe(changes[0] % 10);
  });
  it('qemu profile (no per-queue work): does not decide on work it cannot see — stays once a period, naming the measure and the profile', () => {
    // Two side cores polling four busy queues, as an operator or another policy left them. Under
    // qemu the queues on side cores have no work cycles: the rule would read 0 active queues and
    // drop to one side core ("0 active queues … fit on 1 core at 80 %: 2 → 1 side core").
    const host = new FakeControl(8, 4);
    host.apply({ kind: 'setSideCores', cores: [6, 7] });
    [6, 7, 6, 7].forEach((core, queue) => host.apply({ kind: 'assignQueue', queue, core }));
    const before = host.config();
    const ds = run(spdkEntry.create(cfg), host, 30, () => [0.7, 0.7, 0.7, 0.7], free, 'qemu');
    expect(ds.filter((d) => d.d.actions.length > 0 || d.d.kind !== 'stay')).toEqual([]);
    expect(host.config()).toEqual(before);
    expect(ds.filter((d) => d.d.reason).map((d) => [d.e, d.d.reason])).toEqual(
      [0, 10, 20].map((e) => [e, "not measured: the qemu profile reports no work cycles per queue (queueWork), which spdk-dynamic's rule reads (a queue ≥ 20 % busy is active): stay at 2 side cores"]),
    );
  });
  it('qemu profile: stays in vhost mode too (on side cores it could never measure the queues it placed)', () => {
    const host = new FakeControl(8, 4);
    const ds = run(spdkEntry.create(cfg), host, 21, () => [0.7, 0.7, 0.7, 0.7], free, 'qemu');
    expect(host.config().sideCores).toEqual([]);
    expect(ds[0].d.reason).toMatch(/^not measured: the qemu profile reports no work cycles per queue \(queueWork\).*: stay at 0 side cores$/);
  });
  it('returns idle side cores when load drops', () => {
    const host = new FakeControl(8, 4);
    run(spdkEntry.create(cfg), host, 40, (e) => (e < 20 ? [0.7, 0.7, 0.7, 0.7] : [0.01, 0.01, 0.01, 0.01]));
    expect(host.config().sideCores).toHaveLength(1);
  });
});
