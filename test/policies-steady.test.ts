/**
 * No oscillation on a steady workload, on the real host model: after settling
 * (3 s), every adaptive policy changes the side-core count at most once in any
 * 5 s window — except iocm-classic, whose regret probing (a change and its
 * revert) is held to the same rate on average.
 */
import { describe, it, expect } from 'vitest';
import { loadScenario } from '../src/main/scenario/load.ts';
import { runMany } from '../src/main/loop/sweep.ts';

const SECONDS = 15;
const SETTLE_MS = 3000;
const WINDOW_MS = 5000;

describe('steady workloads on the real model', () => {
  it('no policy changes the side-core count more than once per 5 s after settling', async () => {
    const policies = ['iocm', 'iocm-classic', 'ovs-auto-lb', 'spdk-dynamic'];
    const scenarios = ['memcached', 'default'].map((n) => loadScenario(n));
    const specs = scenarios.flatMap((scenario) => policies.map((policy) => ({ scenario: { ...scenario, phases: [{ ...scenario.phases[0], seconds: SECONDS }] }, policy, seed: 1, seconds: SECONDS })));
    const runs = await runMany(specs, 2);
    const problems: string[] = [];
    runs.forEach((r, i) => {
      const s = r.series;
      const changes: number[] = [];
      for (let j = 1; j < s.t.length; j++) if (s.sideCores[j] !== s.sideCores[j - 1] && s.t[j] > SETTLE_MS) changes.push(s.t[j]);
      const name = `${specs[i].scenario.name}/${r.policy}`;
      if (r.policy === 'iocm-classic') {
        if (changes.length > (SECONDS * 1000 - SETTLE_MS) / WINDOW_MS) problems.push(`${name}: ${changes.length} changes after settling`);
      } else {
        for (let j = 1; j < changes.length; j++) if (changes[j] - changes[j - 1] < WINDOW_MS) problems.push(`${name}: changes at ${changes[j - 1]} and ${changes[j]} ms`);
      }
    });
    expect(problems).toEqual([]);
  }, 300_000);
});
