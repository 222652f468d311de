import { describe, it, expect } from 'vitest';
import type { ControlAction, ControlResult, HostConfig, HostInfo } from '../../shared/control.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostModelApi, ModelOptions } from '../model/api.ts';
import { runSimulation, intervalsFor } from './simulation.ts';
import type { DecisionRecord } from './loop.ts';
import { PolicyConfigError, resolvePolicyForHost } from '../policy/registry.ts';
import { UsageError } from '../../shared/errors.ts';
import type { HostEvent } from '../../shared/policy.ts';
import { LatencyHistogram } from '../model/histogram.ts';
import { createHostModel } from '../model/host-model.ts';

/**
 * A tiny synthetic host for testing the driver's plumbing (phase cycling,
 * controller calls, decision counting, aggregation) in isolation. It is not a
 * model: its numbers are simple functions of phase load and side cores so the
 * expected summary can be computed by hand. The real model is exercised in
 * test/cli-simulate.test.ts.
 */
class SyntheticHost implements HostModelApi {
  nowMs = 0;
  eventsProcessed = 0;
  actions: ControlAction[] = [];
  private seq = 0;
  private side: number[] = [];
  private owner: (number | null)[];
  private polling: boolean[];
  private readonly intervalMs: number;
  constructor(
    private readonly s: Scenario,
    opts: ModelOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 100;
    const nq = s.vms.reduce((a, g) => a + g.count * g.devices.reduce((b, d) => b + (d.queues ?? 1), 0), 0);
    this.owner = new Array(nq).fill(null);
    this.polling = new Array(nq).fill(false);
  }
  get phase(): string {
    const len = this.s.phases.reduce((a, p) => a + p.seconds * 1000, 0);
    let t = this.nowMs % len;
    for (const p of this.s.phases) {
      if (t < p.seconds * 1000) return p.name;
      t -= p.seconds * 1000;
    }
    return this.s.phases[0].name;
  }
  info(): HostInfo {
    const vms: HostInfo['vms'] = [];
    const queues: HostInfo['queues'] = [];
    for (const g of this.s.vms)
      for (let i = 0; i < g.count; i++) {
        const vm = vms.length;
        vms.push({ id: vm, name: `${g.name}-${i}`, group: g.name, vcpus: g.vcpus });
        g.devices.forEach((d, di) => {
          for (let q = 0; q < (d.queues ?? 1); q++) queues.push({ id: queues.length, vm, device: di, kind: d.kind });
        });
      }
    return { name: this.s.name, source: 'model', cores: this.s.host.cores, hz: this.s.host.ghz * 1e9, intervalMs: this.intervalMs, vms, queues, groups: this.s.vms.map((g) => ({ name: g.name, weight: g.weight ?? 1, workload: g.workload.kind })) };
  }
  config(): HostConfig {
    return { cores: this.s.host.cores, sideCores: [...this.side], queueOwner: [...this.owner], queuePolling: [...this.polling] };
  }
  apply(a: ControlAction): ControlResult {
    this.actions.push(a);
    if (a.kind === 'setSideCores') this.side = [...a.cores].sort((x, y) => x - y);
    else if (a.kind === 'assignQueue') {
      if (!this.side.includes(a.core)) return { ok: false, error: `core ${a.core} is not a side core` };
      this.owner[a.queue] = a.core;
    } else this.polling[a.queue] = a.on;
    return { ok: true, costCycles: 0 };
  }
  setLoads(): void {}
  step(): HostSnapshot {
    const phase = this.phase;
    this.nowMs += this.intervalMs;
    const load = this.s.phases.find((p) => p.name === phase)!.load;
    const info = this.info();
    const groups = this.s.vms.map((g) => {
      const l = load[g.name] ?? 1;
      const rps = 1000 * l * g.count * (1 + this.side.length);
      const lat = { p50: 100 / (1 + this.side.length), p99: 300, p999: 500 };
      return { group: g.name, requestsPerSec: rps, bytesPerSec: rps * 100, guestCyclesPerSec: 0, latencyUs: lat, workRate: rps, score: (g.weight ?? 1) * rps };
    });
    const sum = (f: (g: (typeof groups)[number]) => number) => groups.reduce((a, g) => a + f(g), 0);
    return {
      seq: this.seq++, t: this.nowMs, intervalMs: this.intervalMs, hz: 1e9, phase, cores: [], sideCores: [],
      queues: info.queues.map((q) => ({ id: q.id, vm: q.vm, device: q.device, kind: q.kind, owner: this.owner[q.id], polling: this.polling[q.id], kicks: 0, polls: 0, emptyPolls: 0, requests: 0, bytes: 0, pending: 0, waitCycles: 0, interrupts: 0, workCycles: 0 })),
      vms: info.vms.map((v) => ({ id: v.id, name: v.name, group: v.group, requestsPerSec: 0, bytesPerSec: 0, guestCyclesPerSec: 0, latencyUs: { p50: 0, p99: 0, p999: 0 }, exitsPerSec: this.side.length ? 0 : 10, interruptsPerSec: 0, vcpuRunCycles: 0, vcpuWaitCycles: 0, load: 1 })),
      groups,
      totals: { requestsPerSec: sum((g) => g.requestsPerSec), bytesPerSec: sum((g) => g.bytesPerSec), exitsPerSec: this.side.length ? 0 : 10 * info.vms.length, interruptsPerSec: 0, ctxSwitchesPerSec: 0, sideCores: this.side.length, score: sum((g) => g.score), latencyUs: { p50: 100 / (1 + this.side.length), p99: 300, p999: 500 }, cycles: { guest: 0, exit: 0, io: 0, emptyPoll: 0, ctxSwitch: 0, idle: 0 } },
    };
  }
}

const scenario: Scenario = {
  name: 'synthetic',
  host: { cores: 4, ghz: 2 },
  vms: [
    { name: 'a', count: 2, vcpus: 1, devices: [{ kind: 'net', queues: 2 }], workload: { kind: 'net-rr' } },
    { name: 'b', count: 1, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'kv' }, weight: 2 },
  ],
  phases: [
    { name: 'up', seconds: 1, load: { a: 2 } },
    { name: 'down', seconds: 0.5, load: { a: 0 } },
  ],
};

describe('runSimulation with a synthetic host', () => {
  it('cycles phases, aggregates by name in first-seen order, and counts intervals', () => {
    let hosts: SyntheticHost[] = [];
    const seen: number[] = [];
    const progress: number[] = [];
    const r = runSimulation({
      scenario,
      seed: 1,
      seconds: 3.5,
      policy: 'vhost',
      createModel: (s, o) => {
        const h = new SyntheticHost(s, o);
        hosts.push(h);
        return h;
      },
      onSnapshot: (s) => seen.push(s.seq),
      onProgress: (d) => progress.push(d),
    });
    expect(hosts.length).toBe(1);
    expect(r.intervals).toBe(35);
    expect(seen).toEqual([...Array(35).keys()]);
    expect(progress.at(-1)).toBe(35);
    // 3.5 s = up 1, down .5, up 1, down .5, up .5
    expect(r.summary.phases.map((p) => [p.name, p.seconds, p.intervals])).toEqual([
      ['up', 2.5, 25],
      ['down', 1, 10],
    ]);
    expect(r.summary.total.seconds).toBe(3.5);
    const up = r.summary.phases[0];
    // vhost: a = 1000 × 2 × 2 = 4000 rps, b = 1000 rps × weight 2 → score 6000
    expect(up.throughputOps).toBeCloseTo(5000, 9);
    expect(up.score).toBeCloseTo(4000 + 2000, 9);
    expect(up.byGroup.a.throughputOps).toBeCloseTo(4000, 9);
    expect(up.byGroup.b.score).toBeCloseTo(2000, 9);
    expect(up.byGroup.a.exitsPerSec).toBe(20);
    expect(up.exitsPerSec).toBe(30);
    expect(up.sideCoresAvg).toBe(0);
    expect(r.summary.phases[1].byGroup.a.throughputOps).toBe(0);
    // total = time-weighted mean over all intervals
    expect(r.summary.total.throughputOps).toBeCloseTo((25 * 5000 + 10 * 1000) / 35, 9);
    expect(Object.keys(r.summary.total.byGroup)).toEqual(['a', 'b']);
    expect(r.summary.total.latencyP50Us).toBeGreaterThan(99);
    expect(r.summary.total.latencyP50Us).toBeLessThan(101);
    // vhost on a host already at vhost has nothing to change: no reconfiguration
    expect(r.summary.total.reconfigurations).toBe(0);
    expect(hosts[0].actions).toEqual([]);
    hosts = [];
  });

  it('static:K configures at the epoch at t = 0: the highest cores, queues round-robin from the lowest, polled', () => {
    let host: SyntheticHost | undefined;
    const decisions: DecisionRecord[] = [];
    const actionsBeforeFirstInterval: number[] = [];
    const r = runSimulation({
      scenario,
      seed: 1,
      seconds: 1,
      policy: 'static:2',
      createModel: (s, o) => (host = new SyntheticHost(s, o)),
      onDecision: (d) => decisions.push(d),
      onSnapshot: (s) => {
        if (s.seq === 0) actionsBeforeFirstInterval.push(host!.actions.length);
      },
    });
    const cfg = host!.config();
    expect(cfg.sideCores).toEqual([2, 3]);
    expect(cfg.queueOwner).toEqual([2, 3, 2, 3, 2]);
    expect(cfg.queuePolling).toEqual([true, true, true, true, true]);
    // Everything was applied before the first interval was taken, and never again.
    expect(actionsBeforeFirstInterval).toEqual([host!.actions.length]);
    expect(decisions).toHaveLength(1);
    expect(decisions[0].t).toBe(0);
    expect(decisions[0].kind).toBe('change');
    expect(decisions[0].reason).toMatch(/0 → 2 side cores/);
    expect(r.summary.total.sideCoresAvg).toBe(2);
    // group a's 4 queues alternate over both side cores; b's single queue sits on core 3
    expect(r.summary.total.byGroup.a.sideCoresAvg).toBe(2);
    expect(r.summary.total.byGroup.b.sideCoresAvg).toBe(1);
    expect(r.policy).toBe('static:2');
  });

  it('the loop sees every snapshot after it is taken; changes count in the phase they happen in; phase changes are events', () => {
    const events: HostEvent[] = [];
    const seen: string[] = [];
    const r = runSimulation({
      scenario,
      seed: 1,
      seconds: 1.5,
      policy: 'static:1',
      epochMs: 100,
      createModel: (s, o) => new SyntheticHost(s, o),
      onSnapshot: (s) => seen.push(`${s.seq}:${s.phase}`),
      onEvent: (e) => events.push(e),
    });
    expect(seen).toHaveLength(15);
    // static:1 at t = 0 (before 'up'), nothing afterwards; the phase change is an event.
    expect(r.summary.phases.map((p) => p.reconfigurations)).toEqual([1, 0]);
    expect(r.summary.phases[1].sideCoresAvg).toBe(1);
    expect(events.filter((e) => e.kind === 'phase').map((e) => e.message)).toEqual(["phase 'up' → 'down'"]);
    expect(events.filter((e) => e.kind === 'audit').every((e) => e.t === 0 && e.source === 'policy')).toBe(true);
  });

  it('rejects non-positive seconds and intervals, and unknown policies with a UsageError', () => {
    const createModel = (s: Scenario, o: ModelOptions) => new SyntheticHost(s, o);
    expect(() => runSimulation({ scenario, seed: 1, seconds: 0, policy: 'vhost', createModel })).toThrow(RangeError);
    expect(() => runSimulation({ scenario, seed: 1, seconds: 1, intervalMs: -5, policy: 'vhost', createModel })).toThrow(RangeError);
    expect(() => runSimulation({ scenario, seed: 1, seconds: 1, policy: 'vhots', createModel })).toThrow(PolicyConfigError);
    expect(() => runSimulation({ scenario, seed: 1, seconds: 1, policy: 'vhots', createModel })).toThrow(UsageError);
    expect(intervalsFor(0.01, 100)).toBe(1);
    expect(intervalsFor(2.04, 100)).toBe(20);
  });
});

describe('latency from model histograms', () => {
  it('a host exposing intervalHistograms gets exact merged percentiles, not reconstructed ones', () => {
    // Interval k: all completions at latency (k + 1) × 10 µs, 100 of them. Percentiles per interval
    // are degenerate (p50 = p99), so reconstruction and exact merging disagree on the mixture.
    class HistHost extends SyntheticHost {
      private readonly total = new LatencyHistogram();
      private readonly groups = [new LatencyHistogram(), new LatencyHistogram()];
      private k = 0;
      override step(): HostSnapshot {
        const snap = super.step();
        for (const h of [this.total, ...this.groups]) h.reset();
        const us = (this.k + 1) * 10;
        this.k++;
        this.total.record(us * 1000, 200);
        this.groups[0].record(us * 1000, 100);
        this.groups[1].record(us * 1000, 100);
        return snap;
      }
      intervalHistograms() {
        return { total: this.total, groups: this.groups };
      }
    }
    const r = runSimulation({ scenario, seed: 1, seconds: 1, policy: 'vhost', createModel: (s, o) => new HistHost(s, o) });
    expect(r.histogramIntervals).toBe(10);
    // 10 equal-count intervals at 10, 20, ..., 100 µs: the median lies at 50 µs, p99 at 100 µs.
    const p50 = r.summary.total.latencyP50Us;
    expect(p50).toBeGreaterThan(47);
    expect(p50).toBeLessThan(53);
    expect(r.summary.total.latencyP99Us).toBeGreaterThan(95);
    expect(r.summary.total.byGroup.a.latencyP50Us).toBeCloseTo(p50, 6);
  });

  it('the real model exposes them: one interval gives back the snapshot\'s own percentiles', () => {
    let snap: HostSnapshot | undefined;
    const r = runSimulation({
      scenario: { ...scenario, phases: [{ name: 'all', seconds: 1, load: {} }] },
      seed: 3,
      seconds: 0.1,
      policy: 'static:1',
      createModel: createHostModel,
      onSnapshot: (s) => (snap = s),
    });
    expect(r.histogramIntervals).toBe(1);
    const t = snap!.totals.latencyUs;
    expect(t.p50).toBeGreaterThan(0);
    expect(Math.abs(r.summary.total.latencyP50Us - t.p50) / t.p50).toBeLessThan(0.02);
    expect(Math.abs(r.summary.total.latencyP99Us - t.p99) / t.p99).toBeLessThan(0.02);
    const g = snap!.groups.find((x) => x.group === 'b')!.latencyUs;
    expect(Math.abs(r.summary.total.byGroup.b.latencyP50Us - g.p50) / g.p50).toBeLessThan(0.02);
  });
});

describe('resolvePolicyForHost (the one registry)', () => {
  it('resolves vhost and static:K, naming them as the loop does', () => {
    expect(resolvePolicyForHost('vhost', 16).name).toBe('vhost');
    expect(resolvePolicyForHost('static:3', 16).name).toBe('static:3');
    expect(resolvePolicyForHost('static:3', 16).config.k).toBe(3);
    expect(resolvePolicyForHost('static:0', 2).name).toBe('static:0');
    expect(resolvePolicyForHost('static:1', 2).name).toBe('static:1');
    expect(resolvePolicyForHost('ovs-auto-lb:2', 4).config.k).toBe(2);
  });

  it('refuses bad specs with UsageErrors naming what was wrong', () => {
    const err = (spec: string, cores = 16): PolicyConfigError => {
      try {
        resolvePolicyForHost(spec, cores);
      } catch (e) {
        expect(e).toBeInstanceOf(PolicyConfigError);
        expect(e).toBeInstanceOf(UsageError);
        return e as PolicyConfigError;
      }
      throw new Error(`no error for ${spec}`);
    };
    expect(err('vhots').message).toMatch(/^unknown policy 'vhots' \(expected one of .*vhost.*static:K/);
    expect(err('vhost:2').message).toBe("policy 'vhost' takes no ':K' suffix");
    expect(err('static').message).toMatch(/needs a side-core count, e\.g\. static:2/);
    expect(err('static:').errors.map((e) => e.field)).toEqual(['k']);
    expect(err('static:x').message).toMatch(/bad side-core count in 'static:x'/);
    expect(err('static:-1').errors.map((e) => e.field)).toEqual(['k']);
    expect(err('static:1.5').errors.map((e) => e.field)).toEqual(['k']);
    expect(err('static:16').message).toBe('static:K: K must be at most 15 on a 16-core host (at least one VM core), got 16');
    expect(err('static:2', 2).message).toContain('at most 1');
    expect(err('ovs-auto-lb:4', 4).message).toContain('at most 3');
    // The console's form sends the bare name and its fields: config.k gives static's count.
    expect(resolvePolicyForHost('static', 16, { k: 2 }).name).toBe('static:2');
    // A count in the name and another in config disagree: refused naming k, never resolved in favour of one (review 9).
    expect(() => resolvePolicyForHost('static:3', 16, { k: 2 })).toThrow(/'static:3' says K = 3 but config k is 2/);
    expect(resolvePolicyForHost('static:3', 16, { k: 3 }).name).toBe('static:3');
    expect(() => resolvePolicyForHost('static', 6, { k: 99 })).toThrow('static:K: K must be at most 5 on a 6-core host (at least one VM core), got 99');
    expect(() => resolvePolicyForHost('static', 6, { k: -1 })).toThrow(/invalid static config: k:/);
  });
});
