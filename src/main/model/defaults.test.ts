import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { applyDefaults, checkScenario, COST_DEFAULTS, COST_SOURCES, COST_UNITS, KNOB_DEFAULTS, resolveCosts, resolveKnobs, WORKLOAD_DEFAULTS, maxSideCores } from './defaults.ts';
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
    // Names every object inherits are not cost parameters (a costs file or what-if names them).
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(() => resolveCosts(JSON.parse(`{"${name}": 1}`))).toThrow(new RegExp(`host\\.costs\\.${name}: unknown`));
      expect(() => resolveKnobs(JSON.parse(`{"${name}": 1}`))).toThrow(new RegExp(`host\\.knobs\\.${name}: unknown`));
    }
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
    // Names fit what the agent protocol and import take (200; a VM is '<group>-<n>'), so a model
    // recording always imports (review 7: a 250-character phase name made one that did not).
    const longGroup = base();
    longGroup.vms[0].name = 'g'.repeat(129);
    longGroup.phases[0].load = {};
    expect(() => checkScenario(longGroup)).toThrow(/vms\[0\]\.name: at most 128 characters, got 129/);
    const longPhase = base();
    longPhase.phases[0].name = 'p'.repeat(201);
    expect(() => checkScenario(longPhase)).toThrow(/phases\[0\]\.name: at most 200 characters, got 201/);
    const longest = base();
    longest.vms[0].name = 'g'.repeat(128);
    longest.phases[0].load = {};
    longest.phases[0].name = 'p'.repeat(200);
    expect(() => checkScenario(longest)).not.toThrow();
  });

  it('bounds side-core sweeps to a modest count', () => {
    expect(maxSideCores(16)).toBe(6);
    expect(maxSideCores(2)).toBe(1);
    expect(maxSideCores(8)).toBe(3);
  });
});

describe('cost sources', () => {
  it('every numeric cost has a range containing its default, a basis and a source', () => {
    for (const [name, def] of Object.entries(COST_DEFAULTS)) {
      if (typeof def === 'boolean') continue;
      const src = (COST_SOURCES as Record<string, { range: readonly [number, number]; basis: string; source: string }>)[name];
      expect(src, name).toBeDefined();
      expect(src.range[0], name).toBeLessThanOrEqual(def);
      expect(src.range[1], name).toBeGreaterThanOrEqual(def);
      expect(src.source.length, name).toBeGreaterThan(10);
      expect(['published', 'kernel-default', 'inferred', 'model']).toContain(src.basis);
    }
    for (const name of Object.keys(COST_SOURCES)) expect(COST_DEFAULTS).toHaveProperty(name);
  });

  it('docs/model.md carries the same table as COST_DEFAULTS / COST_SOURCES / COST_UNITS', () => {
    const md = readFileSync(new URL('../../../docs/model.md', import.meta.url), 'utf8');
    const a = md.indexOf('<!-- cost-table:start -->');
    const b = md.indexOf('<!-- cost-table:end -->');
    expect(a).toBeGreaterThan(0);
    const rows = md.slice(a, b).split('\n').filter((l) => l.startsWith('| `'));
    const seen = new Set<string>();
    for (const row of rows) {
      const cells = row.split(' | ').map((c) => c.replace(/^\| /, '').replace(/ \|$/, ''));
      const name = cells[0].replace(/`/g, '');
      seen.add(name);
      const src = (COST_SOURCES as Record<string, { range: readonly [number, number]; basis: string; source: string }>)[name];
      expect(src, `docs row ${name}`).toBeDefined();
      expect(Number(cells[1]), name).toBe((COST_DEFAULTS as unknown as Record<string, number>)[name]);
      expect(cells[2], name).toBe((COST_UNITS as Record<string, string>)[name]);
      expect(cells[3], name).toBe(`[${src.range[0]}, ${src.range[1]}]`);
      expect(cells[4], name).toBe(src.basis);
      expect(cells[5], name).toBe(src.source);
    }
    expect([...seen].sort()).toEqual(Object.keys(COST_SOURCES).sort());
  });

  it('knobs and device limits: defaults filled, bad values refused with the field named', () => {
    const s = base();
    const d = applyDefaults(s);
    expect(d.host.nicGbps).toBe(25);
    expect(d.host.knobs).toEqual(KNOB_DEFAULTS);
    expect(resolveKnobs({ pollMaxNs: 1000 }).pollMaxNs).toBe(1000);
    expect(() => resolveKnobs({ nope: 1 } as never)).toThrow(/host\.knobs\.nope: unknown/);
    expect(() => resolveKnobs({ vhostPollUs: -1 })).toThrow(/host\.knobs\.vhostPollUs/);
    const nic = base();
    nic.host.nicGbps = 0;
    expect(() => checkScenario(nic)).toThrow(/host\.nicGbps/);
    const blk = base();
    blk.vms[0].devices = [{ kind: 'net' }, { kind: 'blk', maxIops: -5 }];
    expect(() => checkScenario(blk)).toThrow(/vms\[0\]\.devices\[1\]\.maxIops/);
  });
});
