import { describe, it, expect } from 'vitest';
import { listScenarios, loadScenario, validateScenario } from '../src/main/scenario/load.ts';
import { applyDefaults } from '../src/main/model/defaults.ts';
import { runSimulation } from '../src/main/loop/simulation.ts';
import { iocm } from './cli-helpers.ts';

describe('shipped scenarios', () => {
  const list = listScenarios();

  it('at least eight ship, all valid, each with a description', async () => {
    expect(list.length).toBeGreaterThanOrEqual(8);
    for (const s of list) {
      expect(s.error, s.name).toBeUndefined();
      expect(s.description.length, s.name).toBeGreaterThan(20);
    }
    const r = await iocm(['scenarios', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).scenarios.map((s: { name: string }) => s.name)).toEqual(list.map((s) => s.name));
  });

  it('each stays valid with every default filled in (what sessions store and history import re-reads)', () => {
    for (const { name } of list) {
      const full = applyDefaults(loadScenario(name));
      expect(() => validateScenario(JSON.parse(JSON.stringify(full)), `${name} (defaults applied)`), name).not.toThrow();
    }
  });

  it('each runs on the real model under vhost and static:1 with finite metrics for every group', () => {
    for (const { name } of list) {
      const scenario = loadScenario(name);
      for (const spec of ['vhost', 'static:1']) {
        const r = runSimulation({ scenario, seed: 1, seconds: 0.3, policy: spec });
        const phaseNames = new Set(scenario.phases.map((p) => p.name));
        for (const p of r.summary.phases) expect(phaseNames.has(p.name), `${name}: phase ${p.name}`).toBe(true);
        expect(Object.keys(r.summary.total.byGroup), name).toEqual(scenario.vms.map((g) => g.name));
        for (const m of [r.summary.total, ...Object.values(r.summary.total.byGroup)]) {
          for (const v of [m.score, m.throughputOps, m.throughputBytes, m.latencyP50Us, m.latencyP99Us, m.sideCoresAvg, m.exitsPerSec]) {
            expect(Number.isFinite(v), `${name} ${spec}`).toBe(true);
          }
        }
        expect(r.summary.total.sideCoresAvg, `${name} ${spec}`).toBe(spec === 'vhost' ? 0 : 1);
        expect(r.summary.total.score, `${name} ${spec}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('docs/scenarios.md', () => {
  it('lists every shipped scenario', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('./cli-helpers.ts');
    const doc = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    for (const s of listScenarios()) expect(doc, s.name).toContain(`| \`${s.name}\` | ${s.cores} | ${s.vms} | ${s.seconds} |`);
  });
});
