import { describe, it, expect } from 'vitest';
import { createHostModel, HostModel } from './host-model.ts';
import { COST_DEFAULTS } from './defaults.ts';
import type { Scenario, VmGroupSpec } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';

function scen(vms: VmGroupSpec[], cores = 4, costs: Scenario['host']['costs'] = undefined, phases?: Scenario['phases']): Scenario {
  return { name: 't', host: { cores, ghz: 2, costs }, vms, phases: phases ?? [{ name: 'p', seconds: 60, load: {} }] };
}
const rr = (count = 1, extra: Partial<VmGroupSpec['workload']> = {}): VmGroupSpec => ({
  name: 'rr', count, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'net-rr', ...extra },
});
const cpu = (count: number, vcpus = 1): VmGroupSpec => ({ name: 'cpu', count, vcpus, devices: [], workload: { kind: 'cpu' } });

function steps(m: HostModel, n: number): HostSnapshot[] {
  const out: HostSnapshot[] = [];
  for (let i = 0; i < n; i++) out.push(m.step());
  return out;
}

function sumCycles(c: HostSnapshot['cores'][number]['cycles']): number {
  return c.guest + c.exit + c.io + c.emptyPoll + c.ctxSwitch + c.idle;
}

describe('HostModel', () => {
  it('refuses impossible input and bad controls with clear errors', () => {
    expect(() => createHostModel(scen([rr()], 1), { seed: 1 })).toThrow(/host\.cores/);
    const m = createHostModel(scen([rr()], 4), { seed: 1 });
    const r1 = m.apply({ kind: 'setSideCores', cores: [0, 1, 2, 3] });
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.error).toMatch(/at least one VM core/);
    const r2 = m.apply({ kind: 'setSideCores', cores: [9] });
    expect(r2.ok).toBe(false);
    const r3 = m.apply({ kind: 'assignQueue', queue: 0, core: 1 });
    expect(r3.ok).toBe(false);
    if (!r3.ok) expect(r3.error).toMatch(/not a side core/);
    expect(m.apply({ kind: 'setPolling', queue: 5, on: true }).ok).toBe(false);
    expect(() => m.setLoads({ nope: 1 })).toThrow(/no VM group/);
  });

  it('cycles by category on every core sum to the interval, in vhost and side-core mode', () => {
    const sc = scen([rr(3), cpu(2, 2)], 4);
    const m = createHostModel(sc, { seed: 3 });
    const iv = 0.1 * 2e9;
    for (const s of steps(m, 3)) for (const c of s.cores) expect(sumCycles(c.cycles) / iv).toBeCloseTo(1, 9);
    m.apply({ kind: 'setSideCores', cores: [3] });
    for (const s of steps(m, 3)) {
      for (const c of s.cores) {
        expect(sumCycles(c.cycles) / iv).toBeCloseTo(1, 9);
        for (const v of Object.values(c.cycles)) expect(v).toBeGreaterThanOrEqual(0);
      }
      const side = s.cores[3];
      expect(side.role).toBe('side');
      expect(side.cycles.guest).toBe(0);
      expect(side.cycles.idle).toBeLessThan(iv * 1e-6); // a side core polls; it is never idle
    }
  });

  it('is deterministic: same scenario + seed + actions → identical snapshots; another seed differs', () => {
    const sc = scen([rr(2), { name: 'b', count: 2, vcpus: 1, devices: [{ kind: 'blk' }], workload: { kind: 'blk' } }], 4);
    const run = (seed: number): string => {
      const m = createHostModel(sc, { seed });
      const out = steps(m, 3);
      m.apply({ kind: 'setSideCores', cores: [0] });
      out.push(...steps(m, 3));
      return JSON.stringify(out);
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });

  it('vhost mode: each kick is a VM exit and completions inject interrupts that cost exits', () => {
    const m = createHostModel(scen([rr(1)], 4), { seed: 1 });
    const s = steps(m, 3)[2];
    const q = s.queues[0];
    expect(q.owner).toBeNull();
    expect(q.requests).toBeGreaterThan(100);
    // One transaction in flight: the I/O thread sleeps between requests, so every request kicks.
    expect(Math.abs(q.kicks - q.requests)).toBeLessThanOrEqual(1);
    expect(q.interrupts).toBeGreaterThan(0);
    const vm = s.vms[0];
    // Exits = kicks + exit-based interrupts + halt exits (the vCPU halts while waiting).
    expect(vm.exitsPerSec).toBeGreaterThanOrEqual((q.kicks + q.interrupts) * 10);
    expect(s.cores.reduce((a, c) => a + c.cycles.exit, 0)).toBeGreaterThan(0);
    expect(s.totals.ctxSwitchesPerSec).toBeGreaterThan(0);
  });

  it('vhost mode: notifications are suppressed while the I/O thread is awake', () => {
    const sc = scen([{ name: 's', count: 2, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'net-stream', requestBytes: 1024, guestCyclesPerRequest: 4000 } }], 2);
    const m = createHostModel(sc, { seed: 1 });
    const s = steps(m, 3)[2];
    const kicks = s.queues.reduce((a, q) => a + q.kicks, 0);
    const reqs = s.queues.reduce((a, q) => a + q.requests, 0);
    expect(reqs).toBeGreaterThan(1000);
    expect(kicks).toBeLessThan(reqs / 4);
  });

  it('side-core mode: polled queues take no kicks; empty polls are counted and cost cycles', () => {
    const m = createHostModel(scen([rr(2, { thinkUs: 200 })], 4), { seed: 1 });
    const r = m.apply({ kind: 'setSideCores', cores: [0] });
    expect(r.ok).toBe(true);
    const s = steps(m, 3)[2];
    expect(s.sideCores).toHaveLength(1);
    const sc0 = s.sideCores[0];
    expect(sc0.queues).toEqual([0, 1]);
    expect(sc0.emptyPolls).toBeGreaterThan(1000);
    expect(sc0.emptyPollCycles).toBeGreaterThan(sc0.emptyPolls * COST_DEFAULTS.emptyPollCycles * 0.99);
    expect(sc0.loops).toBeGreaterThan(0);
    for (const q of s.queues) {
      expect(q.owner).toBe(0);
      expect(q.kicks).toBe(0);
      expect(q.requests).toBeGreaterThan(0);
      expect(q.polls).toBeGreaterThanOrEqual(q.emptyPolls + 1);
    }
    // Turning polling off makes the guest kick again (exits), still served by the side core.
    m.apply({ kind: 'setPolling', queue: 0, on: false });
    const s2 = steps(m, 2)[1];
    expect(s2.queues[0].polling).toBe(false);
    expect(s2.queues[0].kicks).toBeGreaterThan(0);
    expect(s2.queues[0].requests).toBeGreaterThan(0);
    expect(s2.queues[1].kicks).toBe(0);
  });

  it('exitless interrupts cost fewer exits than exit-based ones in side-core mode', () => {
    const run = (exitless: boolean): number => {
      const m = createHostModel(scen([rr(2)], 4, { exitlessInterrupts: exitless }), { seed: 1 });
      m.apply({ kind: 'setSideCores', cores: [0] });
      return steps(m, 3)[2].totals.exitsPerSec;
    };
    expect(run(true)).toBeLessThan(run(false) * 0.8);
  });

  it('host scheduler: overcommitted vCPUs wait for a core and share it fairly', () => {
    const m = createHostModel(scen([cpu(4, 1)], 2), { seed: 1 });
    const s = steps(m, 5)[4];
    const g = s.vms.map((v) => v.guestCyclesPerSec);
    const total = g.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2 * 2e9 * 0.95);
    for (const x of g) expect(x / total).toBeCloseTo(0.25, 1);
    for (const v of s.vms) expect(v.vcpuWaitCycles).toBeGreaterThan(0.1 * 2e9 * 0.3);
  });

  it('reconfiguration has a modelled cost: re-pinned threads migrate, moved queues pause', () => {
    const m = createHostModel(scen([rr(4), cpu(2)], 4), { seed: 1 });
    steps(m, 2);
    const r = m.apply({ kind: 'setSideCores', cores: [0, 1] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.costCycles).toBeGreaterThanOrEqual(4 * COST_DEFAULTS.queueMoveCycles + COST_DEFAULTS.migrationCycles);
    expect(m.config().sideCores).toEqual([0, 1]);
    expect(m.config().queueOwner).toEqual([0, 1, 0, 1]);
    const mv = m.apply({ kind: 'assignQueue', queue: 0, core: 1 });
    expect(mv).toEqual({ ok: true, costCycles: COST_DEFAULTS.queueMoveCycles });
    expect(m.config().queueOwner[0]).toBe(1);
    const same = m.apply({ kind: 'assignQueue', queue: 0, core: 1 });
    expect(same).toEqual({ ok: true, costCycles: 0 });
    const s = steps(m, 2)[1];
    expect(s.sideCores.find((c) => c.coreId === 1)?.queues).toEqual([0, 1, 3]);
    expect(s.queues[0].requests).toBeGreaterThan(0);
    // Back to vhost mode: queues return to their I/O threads.
    expect(m.apply({ kind: 'setSideCores', cores: [] }).ok).toBe(true);
    const s2 = steps(m, 2)[1];
    expect(s2.totals.sideCores).toBe(0);
    expect(s2.queues.every((q) => q.owner === null && q.requests > 0)).toBe(true);
  });

  it('responds to a side-core change within one interval', () => {
    const sc = scen([rr(4), cpu(4)], 6);
    const steady = createHostModel(sc, { seed: 1 });
    steady.apply({ kind: 'setSideCores', cores: [0] });
    const ref = steps(steady, 6).slice(3).reduce((a, s) => a + s.totals.score, 0) / 3;
    const m = createHostModel(sc, { seed: 1 });
    steps(m, 3);
    m.apply({ kind: 'setSideCores', cores: [0] });
    const after = steps(m, 2);
    expect(Math.abs(after[1].totals.score - ref) / ref).toBeLessThan(0.05);
  });

  it('phases cycle and setLoads overrides them', () => {
    const sc = scen([rr(1), cpu(1)], 4, undefined, [
      { name: 'busy', seconds: 0.2, load: {} },
      { name: 'off', seconds: 0.2, load: { rr: 0 } },
    ]);
    const m = createHostModel(sc, { seed: 1 });
    const s = steps(m, 8);
    expect(s.map((x) => x.phase)).toEqual(['busy', 'busy', 'off', 'off', 'busy', 'busy', 'off', 'off']);
    expect(s[5].groups[0].requestsPerSec).toBeGreaterThan(0);
    expect(s[7].groups[0].requestsPerSec).toBe(0);
    m.setLoads({ rr: 1, cpu: 0 });
    const o = steps(m, 4);
    expect(o[3].groups[0].requestsPerSec).toBeGreaterThan(0);
    expect(o[3].groups[1].guestCyclesPerSec).toBe(0);
    expect(m.nowMs).toBe(1200);
    expect(m.eventsProcessed).toBeGreaterThan(0);
  });

  it('blk: device service time sets the latency floor; open-loop rate sets the throughput', () => {
    const sc = scen([{ name: 'b', count: 1, vcpus: 1, devices: [{ kind: 'blk' }], workload: { kind: 'blk', rate: 20000, deviceLatencyUs: 100 } }], 4);
    const m = createHostModel(sc, { seed: 2 });
    const s = steps(m, 6).slice(2);
    const rate = s.reduce((a, x) => a + x.vms[0].requestsPerSec, 0) / s.length;
    expect(rate).toBeGreaterThan(18000);
    expect(rate).toBeLessThan(22000);
    expect(s[3].vms[0].latencyUs.p50).toBeGreaterThan(80);
    expect(s[3].vms[0].latencyUs.p99).toBeGreaterThanOrEqual(s[3].vms[0].latencyUs.p50);
  });

  it('info and config describe the host', () => {
    const m = createHostModel(scen([{ name: 'w', count: 2, vcpus: 2, devices: [{ kind: 'net', queues: 2 }], workload: { kind: 'web' }, weight: 3 }], 4), { seed: 1 });
    const i = m.info();
    expect(i.source).toBe('model');
    expect(i.hz).toBe(2e9);
    expect(i.vms.map((v) => v.name)).toEqual(['w-0', 'w-1']);
    expect(i.queues).toHaveLength(4);
    expect(i.groups).toEqual([{ name: 'w', weight: 3, workload: 'web' }]);
    expect(m.config()).toEqual({
      cores: 4, sideCores: [], queueOwner: [null, null, null, null], queuePolling: [true, true, true, true],
      knobs: { pollMaxNs: 32768, pollGrow: 0, pollShrink: 0, vhostPollUs: 0, pmdMaxSleepUs: 0, manager: { on: false, core: null } },
    });
  });
});

describe('HostModel invariants', () => {
  it('keeps scheduler invariants through many reconfigurations (every event checked)', () => {
    const sc = scen([
      rr(3),
      { name: 'kv', count: 2, vcpus: 2, devices: [{ kind: 'net', queues: 2 }], workload: { kind: 'kv', flows: 8 } },
      { name: 'b', count: 2, vcpus: 1, devices: [{ kind: 'blk' }], workload: { kind: 'blk', depth: 8 } },
      { name: 's', count: 1, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'net-stream', requestBytes: 4096, guestCyclesPerRequest: 8000 } },
      cpu(2, 2),
    ], 6);
    const m = createHostModel(sc, { seed: 11 });
    m.checking = true;
    const sets = [[0], [0, 1], [3, 4, 5], [], [2], [1, 2, 3, 4], [5], []];
    for (const set of sets) {
      expect(m.apply({ kind: 'setSideCores', cores: set }).ok).toBe(true);
      if (set.length > 0) expect(m.apply({ kind: 'assignQueue', queue: 1, core: set[set.length - 1] }).ok).toBe(true);
      if (set.length > 1) expect(m.apply({ kind: 'setPolling', queue: 2, on: false }).ok).toBe(true);
      const s = m.step();
      expect(s.totals.requestsPerSec).toBeGreaterThan(0);
    }
    const last = steps(m, 2)[1];
    expect(last.queues.every((q) => q.requests > 0)).toBe(true);
  });
});

describe('HostModel invariants on a shipped scenario', () => {
  it('day with random reconfigurations every 0.3 s: invariants hold after every event, cycles sum', async () => {
    const { readFileSync } = await import('node:fs');
    const sc = JSON.parse(readFileSync(new URL('../../../resources/scenarios/day.json', import.meta.url), 'utf8')) as Scenario;
    const m = createHostModel(sc, { seed: 5 });
    m.checking = true;
    const { Rng } = await import('./rng.ts');
    const rng = new Rng(9);
    const iv = 0.1 * sc.host.ghz * 1e9;
    for (let i = 0; i < 24; i++) {
      if (i % 3 === 0) {
        const k = Math.floor(rng.next() * 5);
        const start = Math.floor(rng.next() * (sc.host.cores - k));
        expect(m.apply({ kind: 'setSideCores', cores: Array.from({ length: k }, (_, j) => start + j) }).ok).toBe(true);
        if (k > 0) expect(m.apply({ kind: 'assignQueue', queue: Math.floor(rng.next() * 24), core: start }).ok).toBe(true);
        if (k > 0) expect(m.apply({ kind: 'setPolling', queue: Math.floor(rng.next() * 24), on: rng.next() < 0.5 }).ok).toBe(true);
      }
      const s = m.step();
      for (const c of s.cores) expect(sumCycles(c.cycles) / iv).toBeCloseTo(1, 9);
    }
  });
});

describe('applyDefaults and the model', () => {
  it('a scenario with every default filled in runs identically to the sparse one', async () => {
    const { applyDefaults } = await import('./defaults.ts');
    const sc = scen([rr(2), { name: 'b', count: 1, vcpus: 1, devices: [{ kind: 'blk' }], workload: { kind: 'blk' } }, cpu(1)], 4);
    const a = createHostModel(sc, { seed: 2 });
    const b = createHostModel(applyDefaults(sc), { seed: 2 });
    expect(JSON.stringify(steps(b, 3))).toBe(JSON.stringify(steps(a, 3)));
  });
});
