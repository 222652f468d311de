/**
 * Phase-split invariance (issue 8, "Must show"): a scenario whose one phase is split into two
 * consecutive phases with identical loads and different names gives byte-identical decisions and
 * snapshots (with `phase` removed) under every policy. A policy that reads the phase name, or a
 * model that reseeds or resets anything at a phase boundary, breaks it.
 *
 * Runs on the real host model: `day` (phases cut to 1.6 s; 'morning' split 0.8 + 0.8 s, while the
 * adaptive policies are still measuring after the change from 'backup') and the single-phase
 * `mixed` (4 s split 2 + 2).
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../src/shared/scenario.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { runSimulation } from '../src/main/loop/simulation.ts';
import type { DecisionRecord } from '../src/main/loop/loop.ts';
import { shortenPhases } from '../src/main/loop/sweep.ts';
import { loadScenario, scenarioSeconds } from '../src/main/scenario/load.ts';

const POLICIES = ['vhost', 'static:2', 'iocm', 'iocm-classic', 'ovs-auto-lb', 'spdk-dynamic'];

/** `s` with phase `name` split into two consecutive phases of `first` and the rest of its seconds, same load. */
function splitPhase(s: Scenario, name: string, first: number): Scenario {
  const i = s.phases.findIndex((p) => p.name === name);
  if (i < 0) throw new Error(`no phase ${name}`);
  const p = s.phases[i];
  if (!(first > 0 && first < p.seconds)) throw new Error(`cannot split ${p.seconds} s at ${first} s`);
  const a = { ...p, seconds: first, load: { ...p.load } };
  const b = { ...p, name: `${p.name}-continued`, seconds: p.seconds - first, load: { ...p.load } };
  return { ...s, phases: [...s.phases.slice(0, i), a, b, ...s.phases.slice(i + 1)] };
}

function run(scenario: Scenario, policy: string): { decisions: string; snapshots: string; phases: string[] } {
  const decisions: DecisionRecord[] = [];
  const snaps: string[] = [];
  const phases = new Set<string>();
  runSimulation({
    scenario,
    seed: 4,
    seconds: scenarioSeconds(scenario),
    policy,
    // spdk-dynamic reads per-queue work cycles, which the default qemu profile does not report (it would only stay).
    ...(policy === 'spdk-dynamic' ? { observe: 'ovs' as const } : {}),
    onDecision: (d) => decisions.push(d),
    onSnapshot: (s: HostSnapshot) => {
      phases.add(s.phase);
      const { phase: _phase, ...rest } = s;
      snaps.push(JSON.stringify(rest));
    },
  });
  return { decisions: JSON.stringify(decisions), snapshots: snaps.join('\n'), phases: [...phases] };
}

const CASES: [string, Scenario, Scenario][] = (() => {
  const day = shortenPhases(loadScenario('day'), 1.6);
  const mixed = shortenPhases(loadScenario('mixed'), 4);
  return [
    ['day (morning split)', day, splitPhase(day, 'morning', 0.8)],
    ['mixed (its one phase split)', mixed, splitPhase(mixed, mixed.phases[0].name, 2)],
  ];
})();

describe('phase-split invariance', () => {
  for (const [name, whole, split] of CASES) {
    it(`${name}: same decisions and snapshots (phase removed) under ${POLICIES.join(', ')}`, () => {
      expect(split.phases).toHaveLength(whole.phases.length + 1);
      expect(scenarioSeconds(split)).toBeCloseTo(scenarioSeconds(whole), 9);
      const differ: string[] = [];
      for (const policy of POLICIES) {
        const a = run(whole, policy);
        const b = run(split, policy);
        // The split is visible where it should be: in the snapshots' phase names.
        expect(b.phases.length, policy).toBe(a.phases.length + 1);
        expect(b.snapshots.length, policy).toBeGreaterThan(1000);
        if (b.decisions !== a.decisions) differ.push(`${policy}: decisions differ (${a.decisions.length} vs ${b.decisions.length} bytes of JSON)`);
        if (b.snapshots !== a.snapshots) {
          const la = a.snapshots.split('\n');
          const lb = b.snapshots.split('\n');
          const at = la.findIndex((l, i) => l !== lb[i]);
          differ.push(`${policy}: snapshots differ from seq ${at}`);
        }
        // Adaptive policies must have decided something, or the comparison says little.
        if (policy !== 'vhost') expect(JSON.parse(a.decisions).length, policy).toBeGreaterThan(0);
      }
      expect(differ).toEqual([]);
    });
  }

  it('the comparison can fail: a split whose second half has another load differs', () => {
    const [, whole, split] = CASES[1];
    const changed: Scenario = { ...split, phases: split.phases.map((p, i) => (i === 1 ? { ...p, load: Object.fromEntries(whole.vms.map((g) => [g.name, 0.5])) } : p)) };
    const a = run(whole, 'static:2');
    const b = run(changed, 'static:2');
    const la = a.snapshots.split('\n');
    const lb = b.snapshots.split('\n');
    // Identical up to the split (2 s = 20 intervals), different after it.
    expect(lb.slice(0, 20)).toEqual(la.slice(0, 20));
    expect(lb.slice(20)).not.toEqual(la.slice(20));
  });
});
