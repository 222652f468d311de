/**
 * Policies cannot read truth (issue 8, "Must show"):
 * - type level: `PolicyInput` cannot name a truth field — each `@ts-expect-error` line below fails
 *   the typecheck (`npm run typecheck` covers test files) the day a truth field reappears;
 * - run time, here on synthetic hosts: every registered policy gets observed views (built by
 *   `observe` under each profile, as the loop does) behind a deep Proxy that throws on any read or
 *   `in` test of a truth key, and the checks themselves are shown to catch a truth field.
 *   test/policies-truth.test.ts does the same through the real loop on the real host model.
 */
import { describe, expect, it } from 'vitest';
import { OBSERVABILITY_PROFILE_NAMES } from '../../shared/observe.ts';
import { POLICY_REGISTRY } from './registry.ts';
import { FakeControl, guard, guardInput, syntheticSnapshot, truthPaths, viewProblems, PolicyHarness } from './testing.ts';
import type { Policy, PolicyInput } from './types.ts';

type View = PolicyInput['window'][number];

// ---------------------------------------------------------------- type level

/** Never called: only type-checked. Each line must be a type error. */
export function typeLevelTruthIsUnnameable(v: View, input: PolicyInput): unknown[] {
  return [
    // @ts-expect-error the scenario phase is truth
    v.phase,
    // @ts-expect-error the score is truth
    v.totals.score,
    // @ts-expect-error host-wide guest latency is truth
    v.totals.latencyUs,
    // @ts-expect-error the offered load is truth
    v.vms[0].load,
    // @ts-expect-error guest-side latency percentiles are truth
    v.vms[0].latencyUs,
    // @ts-expect-error application work rate is truth
    v.vms[0].guestCyclesPerSec,
    // @ts-expect-error queue waiting time is truth
    v.queues[0].waitCycles,
    // @ts-expect-error per-group work rates and scores are truth
    v.groups,
    // @ts-expect-error the input has no phase either
    input.phase,
  ];
}

// ---------------------------------------------------------------- run time (synthetic hosts)

const SPECS = Object.keys(POLICY_REGISTRY).map((n) => (n === 'static' ? 'static:2' : n));

describe('run time: a policy gets the observed view only (synthetic hosts)', () => {
  for (const profile of OBSERVABILITY_PROFILE_NAMES) {
    for (const spec of SPECS) {
      it(`${profile}: ${spec} decides on guarded observed views without touching a truth key`, () => {
        const entry = POLICY_REGISTRY[spec.split(':')[0]];
        const inner = entry.create({ ...entry.defaults, ...(spec.includes(':') ? { k: Number(spec.split(':')[1]) } : {}) }) as Policy;
        let views = 0;
        const problems: string[] = [];
        const checked: Policy = {
          name: inner.name,
          config: inner.config,
          init: (h) => inner.init(h),
          decide(state, input: PolicyInput) {
            for (const v of input.window) {
              views++;
              problems.push(...truthPaths(v).map((t) => `truth key ${t}`), ...viewProblems(v, profile));
            }
            return inner.decide(state, guardInput(input));
          },
        };
        const host = new FakeControl(8, 6);
        const h = new PolicyHarness(checked, host, { profile });
        for (let e = 0; e < 80; e++) {
          // Work that moves between queues and levels, so every policy has something to do.
          const w = [0.6, 0.4, 0.3, 0.2, 0.1, 0.05].map((x, i) => x * (1 + 0.5 * Math.sin((e + i * 7) / 9)));
          h.step(syntheticSnapshot(host.config(), { queueWork: w, vmIdleFrac: 0.3, vms: 6, phase: `p${e >> 4}`, load: 1 + (e >> 4), score: 1000 + e }, e));
        }
        expect(views).toBeGreaterThan(80);
        expect(problems.slice(0, 10)).toEqual([]);
      });
    }
  }

  it('the guard and the walk do catch a truth read and a truth field (the checks can fail)', () => {
    const snap = { seq: 0, phase: 'x', totals: { score: 1 }, vms: [{ load: 1 }] };
    const g = guard(snap, 'input', new WeakMap());
    expect(() => g.phase).toThrow(/truth field 'phase'/);
    expect(() => g.totals.score).toThrow(/truth field 'score' at input.totals/);
    expect(() => g.vms[0].load).toThrow(/truth field 'load' at input.vms.0/);
    expect(() => 'phase' in g).toThrow(/tested for truth field/);
    expect(g.seq).toBe(0);
    expect(truthPaths(snap).sort()).toEqual(['phase', 'totals.score', 'vms.0.load']);
    const qemuView = {
      seq: 0, t: 100, intervalMs: 100, hz: 1e9, cores: [{ id: 0, role: 'vm', cycles: { busy: 1, idle: 1, guest: 1, io: 1 } }],
      sideCores: [{ coreId: 1, queues: [0], busyCycles: 1, workCycles: 1 }],
      queues: [{ id: 0, vm: 0, device: 0, kind: 'net', owner: 1, polling: true, requests: 1, bytes: 1, kicks: 1, threadCycles: 1 }],
      vms: [], totals: { requestsPerSec: 1, bytesPerSec: 1, ctxSwitchesPerSec: 0, sideCores: 1, score: 3 },
    } as unknown as View;
    expect(viewProblems(qemuView, 'qemu').sort()).toEqual([
      'cores[0].cycles.io present but qemu does not report coreSplit',
      'queues[0].kicks present but qemu does not report queueNotify',
      'queues[0].threadCycles present while served by side core 1',
      'sideCores[0].workCycles present but qemu does not report sideWork',
      'totals.score is not an observed field',
    ].sort());
  });
});
