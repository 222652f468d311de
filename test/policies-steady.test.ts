/**
 * No oscillation on a steady workload, on the real host model: after settling
 * (3 s), every adaptive policy changes the side-core count at most once in any
 * 5 s window — except iocm-classic, whose published regret probing (a change and
 * its revert, then a bar of 20 epochs doubling per failure up to 100) is held to that
 * mechanism: probes come in change+revert pairs and the gap between pairs never shrinks.
 * (Over a finite run its rate stays just above one change per 5 s: the bar starts at 2 s and
 * reaches its 10-s maximum after three reverts, so pairs come at ~5, 9, 11, 11 … s.)
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
    // spdk-dynamic reads per-queue work cycles, which the default qemu profile does not report (it would only stay): ovs.
    const specs = scenarios.flatMap((scenario) =>
      policies.map((policy) => ({ scenario: { ...scenario, phases: [{ ...scenario.phases[0], seconds: SECONDS }] }, policy, seed: 1, seconds: SECONDS, ...(policy === 'spdk-dynamic' ? { observe: 'ovs' as const } : {}) })),
    );
    const runs = await runMany(specs, 2);
    const problems: string[] = [];
    runs.forEach((r, i) => {
      const s = r.series;
      const changes: number[] = [];
      for (let j = 1; j < s.t.length; j++) if (s.sideCores[j] !== s.sideCores[j - 1] && s.t[j] > SETTLE_MS) changes.push(s.t[j]);
      const name = `${specs[i].scenario.name}/${r.policy}`;
      if (r.policy === 'iocm-classic') {
        // Pairs: a probe and its revert one regret window (≤ 2 s) later; pair starts spread out.
        const starts: number[] = [];
        for (let j = 0; j < changes.length; j++) {
          if (j + 1 < changes.length && changes[j + 1] - changes[j] <= 2000) {
            starts.push(changes[j]);
            j++;
          } else problems.push(`${name}: change at ${changes[j]} ms has no revert within 2 s`);
        }
        for (let j = 2; j < starts.length; j++) {
          if (starts[j] - starts[j - 1] < starts[j - 1] - starts[j - 2] - 500) problems.push(`${name}: probes at ${starts.slice(j - 2, j + 1).join(', ')} ms come closer together`);
        }
        if (starts.length > 1 && starts[1] - starts[0] < WINDOW_MS) problems.push(`${name}: probes ${starts[1] - starts[0]} ms apart (< ${WINDOW_MS} ms)`);
      } else {
        for (let j = 1; j < changes.length; j++) if (changes[j] - changes[j - 1] < WINDOW_MS) problems.push(`${name}: changes at ${changes[j - 1]} and ${changes[j]} ms`);
      }
    });
    expect(problems).toEqual([]);
  }, 300_000);
});
