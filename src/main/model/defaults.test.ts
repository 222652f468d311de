import { describe, it, expect } from 'vitest';
import { applyDefaults, checkScenario, COST_DEFAULTS, resolveCosts, WORKLOAD_DEFAULTS, maxSideCores } from './defaults.ts';
import type { Scenario } from '../../shared/scenario.ts';

const base = (): Scenario => ({
  name: 't',
  host: { cores: 4, ghz: 2 },
  vms: [{ name: 'a', count: 1, vcpus: 1, devices: [{ kind: 'net' }], workload: { kind: 'net-rr' } }],
  phases: [{ name: 'p', seconds: 10, load: {} }],
});

describe('defaults', () => {
  it('has a default for every workload field of every kind', () => {
    const fields = ['rate', 'flows', 'depth', 'requestBytes', 'responseBytes', 'guestCyclesPerRequest', 'thinkUs', 'readFraction', 'deviceLatencyUs', 'queueSpread'];
    for (const kind of Object.keys(WORKLOAD_DEFAULTS) as (keyof typeof WORKLOAD_DEFAULTS)[]) {
      for (const f of fields) expect(WORKLOAD_DEFAULTS[kind]).toHaveProperty(f);
    }
  });

  it('applyDefaults fills workloads, weights, queues and costs without changing the input', () => {
    const s = base();
    const d = applyDefaults(s);
    const w = d.vms[0].workload;
    expect(w.flows).toBe(WORKLOAD_DEFAULTS['net-rr'].flows);
    expect(w.guestCyclesPerRequest).toBe(WORKLOAD_DEFAULTS['net-rr'].guestCyclesPerRequest);
    expect('rate' in w).toBe(false);
    expect(d.vms[0].weight).toBe(1);
    expect(d.vms[0].devices[0].queues).toBe(1);
    expect(d.host.costs?.exitDirectCycles).toBe(COST_DEFAULTS.exitDirectCycles);
    expect(s.vms[0].workload.flows).toBeUndefined();
  });

  it('accepts cost overrides by name and refuses unknown or mistyped ones', () => {
    expect(resolveCosts({ exitDirectCycles: 2500, exitlessInterrupts: true }).exitDirectCycles).toBe(2500);
    expect(() => resolveCosts({ exitCost: 1 })).toThrow(/host\.costs\.exitCost: unknown/);
    expect(() => resolveCosts({ exitlessInterrupts: 1 })).toThrow(/boolean/);
    expect(() => resolveCosts({ ctxSwitchCycles: -1 })).toThrow(/non-negative/);
  });

  it('refuses impossible scenarios with the field named', () => {
    const one = base();
    one.host.cores = 1;
    expect(() => checkScenario(one)).toThrow(/host\.cores/);
    const nodev = base();
    nodev.vms[0].devices = [];
    expect(() => checkScenario(nodev)).toThrow(/vms\[0\]\.devices: a 'net-rr' workload needs a net device/);
    const badLoad = base();
    badLoad.phases[0].load = { nope: 1 };
    expect(() => checkScenario(badLoad)).toThrow(/phases\[0\]\.load\.nope/);
    const over = base();
    over.vms[0].vcpus = 64; // overcommit is fine
    expect(() => checkScenario(over)).not.toThrow();
  });

  it('bounds side-core sweeps to a modest count', () => {
    expect(maxSideCores(16)).toBe(6);
    expect(maxSideCores(2)).toBe(1);
    expect(maxSideCores(8)).toBe(3);
  });
});
