/**
 * Policies cannot read truth (issue 8, "Must show"), at run time through the real loop on the real
 * host model: every policy of the registry (static as static:2), under every observability profile,
 * on `day` (all seven phases, cut short) and `mixed`. Each policy the loop creates is instrumented:
 * the input it gets is wrapped in a deep Proxy that throws on any read or `in` test of a truth key,
 * and every window element it receives is walked — no truth key at any depth, only the keys of
 * ObservedSnapshot, and exactly the optional fields the profile reports (e.g. under qemu no
 * sideCores[].workCycles and no queues[].kicks). The type-level half and the checks' own test are
 * in src/main/policy/truth.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OBSERVABILITY_PROFILE_NAMES, type ObservabilityProfile } from '../src/shared/observe.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { loadScenario } from '../src/main/scenario/load.ts';
import { runSimulation } from '../src/main/loop/simulation.ts';
import { shortenPhases } from '../src/main/loop/sweep.ts';
import { POLICY_REGISTRY } from '../src/main/policy/registry.ts';
import { guardInput, truthPaths, viewProblems } from '../src/main/policy/testing.ts';
import type { Policy, PolicyEntry } from '../src/main/policy/types.ts';

/** Registry specs to run: static as static:2, ovs-auto-lb with its default count. */
const SPECS = Object.keys(POLICY_REGISTRY).map((n) => (n === 'static' ? 'static:2' : n));

interface Seen {
  epochs: number;
  views: number;
  problems: Set<string>;
  truthReads: string[];
}

/** Make every policy created from the registry check what it is handed, then call the real decide. */
function instrument(seen: Seen, profile: ObservabilityProfile): void {
  for (const entry of Object.values(POLICY_REGISTRY) as PolicyEntry[]) {
    const create = entry.create.bind(entry);
    vi.spyOn(entry, 'create').mockImplementation((config) => {
      const p = create(config) as Policy;
      return {
        name: p.name,
        config: p.config,
        init: (h) => p.init(h),
        decide(state, input) {
          seen.epochs++;
          for (const v of input.window) {
            seen.views++;
            for (const t of truthPaths(v)) seen.problems.add(`truth key ${t}`);
            for (const b of viewProblems(v, profile)) seen.problems.add(b);
          }
          if (input.observability.profile !== profile) seen.problems.add(`input.observability is ${input.observability.profile}, not ${profile}`);
          try {
            return p.decide(state, guardInput(input));
          } catch (e) {
            if (e instanceof Error && /truth field/.test(e.message)) seen.truthReads.push(`${p.name}: ${e.message}`);
            throw e;
          }
        },
      };
    });
  }
}

afterEach(() => vi.restoreAllMocks());

const SCENARIOS: [string, () => ReturnType<typeof loadScenario>, number][] = [
  // day: seven phases, each cut to 0.8 s so every phase change happens within the run.
  ['day', () => shortenPhases(loadScenario('day'), 0.8), 5.6],
  ['mixed', () => loadScenario('mixed'), 4],
];

describe('run time: a policy gets the observed view only', () => {
  for (const profile of OBSERVABILITY_PROFILE_NAMES) {
    for (const [name, scenario, seconds] of SCENARIOS) {
      it(`${profile} / ${name}: every policy (${SPECS.join(', ')}) sees no truth field and exactly what ${profile} reports`, () => {
        for (const policy of SPECS) {
          const seen: Seen = { epochs: 0, views: 0, problems: new Set(), truthReads: [] };
          instrument(seen, profile);
          let truthInSnapshots = 0;
          const r = runSimulation({
            scenario: scenario(),
            seed: 3,
            seconds,
            policy,
            observe: profile,
            onSnapshot: (s: HostSnapshot) => {
              // The model's snapshots do carry truth: the views are built without it.
              if (typeof s.phase === 'string' && typeof s.totals.score === 'number' && s.vms.every((v) => typeof v.load === 'number')) truthInSnapshots++;
            },
          });
          vi.restoreAllMocks();
          expect(r.policy, policy).toBe(policy);
          expect(truthInSnapshots, policy).toBe(r.intervals);
          // The epoch at t = 0 plus one per 100 ms interval; windows of up to 64 views.
          expect(seen.epochs, policy).toBe(r.intervals + 1);
          expect(seen.views, policy).toBeGreaterThan(r.intervals);
          expect(seen.truthReads, policy).toEqual([]);
          expect([...seen.problems].slice(0, 10), policy).toEqual([]);
        }
      });
    }
  }
});
