/**
 * asReported (src/main/host/as-reported.ts): a snapshot as a host of each observability profile
 * sends it. Every field a profile does not report is 0, every one it reports is kept, truth is
 * neutral, the profile's view (observe) is unchanged, and the qemu and ovs shapes are the ones their
 * real drivers send (review 8: the model agent sent exits and empty polls a qemu host cannot measure).
 */
import { describe, expect, it } from 'vitest';
import { asReported } from '../src/main/host/as-reported.ts';
import { createHostModel } from '../src/main/model/host-model.ts';
import { loadScenario } from '../src/main/scenario/index.ts';
import { OBSERVABILITY_PROFILE_NAMES, observabilityOf, observe, type ObservedFieldFlags } from '../src/shared/observe.ts';
import { sumCoreCycles } from '../src/shared/host-snapshot.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';

/**
 * Every number a raw snapshot carries beyond what all hosts measure, with what decides whether a
 * host reports it: a flag of the profile, or `truth` (never reported). The test walks these paths.
 */
type Rule = keyof ObservedFieldFlags | 'truth' | ((f: ObservedFieldFlags) => boolean);
const CORE: Record<string, Rule> = { exit: 'coreSplit', ctxSwitch: 'coreSplit', emptyPoll: (f) => f.coreSplit || f.sideWork };
const SIDE: Record<string, Rule> = { loops: 'sideWork', emptyPollCycles: 'sideWork', emptyPolls: 'sideEmptyPolls' };
const QUEUE: Record<string, Rule> = { kicks: 'queueNotify', interrupts: 'queueNotify', polls: 'queuePolls', emptyPolls: 'queuePolls', pending: 'queuePending', waitCycles: 'truth' };
const VM: Record<string, Rule> = { exitsPerSec: 'vmExits', interruptsPerSec: 'vmExits', guestCyclesPerSec: 'truth', load: 'truth' };
const GROUP: Record<string, Rule> = { guestCyclesPerSec: 'truth', workRate: 'truth', score: 'truth' };
const TOTALS: Record<string, Rule> = { exitsPerSec: 'vmExits', interruptsPerSec: 'vmExits', score: 'truth' };

const allowed = (r: Rule, f: ObservedFieldFlags): boolean => (r === 'truth' ? false : typeof r === 'function' ? r(f) : f[r]);

/** The values at each rule's key of each object in `xs`, by key. */
function values(xs: object[], rules: Record<string, Rule>): Map<string, number[]> {
  return new Map(Object.keys(rules).map((k) => [k, xs.map((x) => (x as Record<string, number>)[k])]));
}

/** A model host's snapshots: one with every queue on its notification thread, one with a side core serving them. */
function snapshots(): HostSnapshot[] {
  const m = createHostModel(loadScenario('mixed'), { seed: 3, intervalMs: 100, observe: 'full' });
  let before = m.step();
  for (let i = 0; i < 30; i++) before = m.step();
  expect(m.apply({ kind: 'setSideCores', cores: [m.info().cores - 1] }).ok).toBe(true);
  let s = m.step();
  for (let i = 0; i < 30; i++) s = m.step();
  return [before, s];
}

describe('asReported: a snapshot as a host of a profile reports it', () => {
  const both = snapshots();
  const s = both[1];

  it('the model snapshots used here have every field a profile may leave out (else the test could not fail)', () => {
    const some = (xs: number[]) => xs.some((x) => x !== 0);
    for (const [k, xs] of values(both.flatMap((x) => x.cores.map((c) => c.cycles)), CORE)) expect(some(xs), `cores.cycles.${k}`).toBe(true);
    for (const [k, xs] of values(s.sideCores, SIDE)) expect(some(xs), `sideCores.${k}`).toBe(true);
    for (const [k, xs] of values(both.flatMap((x) => x.queues), QUEUE)) if (k !== 'pending') expect(some(xs), `queues.${k}`).toBe(true);
    for (const [k, xs] of values(both.flatMap((x) => x.vms), VM)) expect(some(xs), `vms.${k}`).toBe(true);
    for (const [k, xs] of values(both.flatMap((x) => x.groups), GROUP)) expect(some(xs), `groups.${k}`).toBe(true);
    expect(s.phase).not.toBe('');
    expect(s.totals.score).toBeGreaterThan(0);
    expect(both[0].queues.every((q) => q.owner === null) && s.queues.every((q) => q.owner !== null)).toBe(true);
  });

  for (const profile of OBSERVABILITY_PROFILE_NAMES) {
    it.each([0, 1])(`${profile}: a field the profile does not report is 0, one it reports is the model's; truth is neutral (snapshot %i)`, (which) => {
      const s = both[which];
      const obs = observabilityOf(profile);
      const f = obs.reports;
      const r = asReported(s, obs);
      const check = (got: Map<string, number[]>, had: Map<string, number[]>, rules: Record<string, Rule>, where: string) => {
        for (const [k, xs] of got) {
          if (allowed(rules[k], f) && !(where === 'cores.cycles' && k === 'emptyPoll' && !f.coreSplit)) expect(xs, `${where}.${k}`).toEqual(had.get(k));
          else if (!allowed(rules[k], f)) expect(xs.every((x) => x === 0), `${where}.${k} must be 0 under ${profile}`).toBe(true);
        }
      };
      check(values(r.cores.map((c) => c.cycles), CORE), values(s.cores.map((c) => c.cycles), CORE), CORE, 'cores.cycles');
      check(values(r.sideCores, SIDE), values(s.sideCores, SIDE), SIDE, 'sideCores');
      check(values(r.queues, QUEUE), values(s.queues, QUEUE), QUEUE, 'queues');
      check(values(r.vms, VM), values(s.vms, VM), VM, 'vms');
      check(values(r.groups, GROUP), values(s.groups, GROUP), GROUP, 'groups');
      check(values([r.totals], TOTALS), values([s.totals], TOTALS), TOTALS, 'totals');
      expect(r.phase).toBe('');
      for (const l of [r.totals.latencyUs, ...r.vms.map((v) => v.latencyUs), ...r.groups.map((g) => g.latencyUs)]) expect(l).toEqual({ p50: 0, p99: 0, p999: 0 });
      // The host's totals add up over its cores.
      expect(r.totals.cycles).toEqual(sumCoreCycles(r.cores));
      // Nothing the profile reports is lost or changed: its view of the snapshot is the same.
      expect(observe(r, obs)).toEqual(observe(s, obs));
      // Each core's interval is whole: busy + idle as before.
      for (let i = 0; i < s.cores.length; i++) {
        const a = s.cores[i].cycles;
        const b = r.cores[i].cycles;
        expect(b.guest + b.exit + b.io + b.emptyPoll + b.ctxSwitch + b.idle).toBeCloseTo(a.guest + a.exit + a.io + a.emptyPoll + a.ctxSwitch + a.idle, 0);
      }
    });
  }

  it('qemu: shaped as the qemu driver sends it — non-guest busy time as io, a side core’s busy time as its work, its queues sharing it', () => {
    const r = asReported(s, observabilityOf('qemu'));
    for (let i = 0; i < s.cores.length; i++) {
      const y = s.cores[i].cycles;
      expect(r.cores[i].cycles).toEqual({ guest: y.guest, exit: 0, io: y.exit + y.io + y.emptyPoll + y.ctxSwitch, emptyPoll: 0, ctxSwitch: 0, idle: y.idle });
    }
    for (let i = 0; i < s.sideCores.length; i++) {
      const sc = s.sideCores[i];
      expect(r.sideCores[i]).toEqual({ coreId: sc.coreId, loops: 0, workCycles: sc.workCycles + sc.emptyPollCycles, emptyPolls: 0, emptyPollCycles: 0, queues: sc.queues });
      const mine = r.queues.filter((q) => q.owner === sc.coreId);
      expect(mine.reduce((n, q) => n + q.workCycles, 0)).toBeCloseTo(r.sideCores[i].workCycles, 0);
    }
    const r0 = asReported(both[0], observabilityOf('qemu'));
    expect(r0.queues.map((q) => q.workCycles)).toEqual(both[0].queues.map((q) => q.workCycles));
  });

  it('ovs: a side core’s host time split into io and empty polls in the ratio of its work, as ovs/map.ts does', () => {
    const r = asReported(s, observabilityOf('ovs'));
    const sc = s.sideCores[0];
    const c = r.cores.find((x) => x.id === sc.coreId)!.cycles;
    expect(c.io / (c.io + c.emptyPoll)).toBeCloseTo(sc.workCycles / (sc.workCycles + sc.emptyPollCycles), 9);
    expect(r.cores.filter((x) => x.role === 'vm').every((x) => x.cycles.emptyPoll === 0)).toBe(true);
    expect(r.queues.map((q) => q.workCycles)).toEqual(s.queues.map((q) => q.workCycles));
  });
});
