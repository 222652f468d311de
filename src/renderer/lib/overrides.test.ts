import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../test-fixtures.ts';
import type { Overrides } from '../../shared/policy.ts';
import { health, measure, p99Baseline, parseLockForm, previewCoreAction, previewLock } from './overrides.ts';

const NONE: Overrides = { pinned: [], released: [], countLock: null, paused: false };
const LIMITS = { minVmCores: 2, maxSideCores: 4, minChangeIntervalMs: 500 };

describe('override preview', () => {
  const s = makeSnapshot({ cores: 8, side: [7], vms: 4 });

  it('measures side-core empty polls and VM-core load from the snapshot', () => {
    const m = measure(s);
    expect(m.sideCores).toBe(1);
    expect(m.vmCores).toBe(7);
    expect(m.sideEmptyPoll).toBeCloseTo(0.5, 2);
  });

  it('pin: one more side core, the policy may rebalance unless the count is locked, and a warning from empty polls', () => {
    const p = previewCoreAction('pin', 2, s, NONE);
    expect([p.before, p.after]).toEqual([1, 2]);
    expect(p.policy).toMatch(/may release another side core/);
    expect(p.holdCount).toBe(2);
    expect(p.warnings.join()).toMatch(/50 % of their cycles polling empty queues/);
    const locked = previewCoreAction('pin', 2, s, { ...NONE, countLock: [1, 1] });
    expect(locked.policy).toMatch(/count lock \(1–1\) will make the policy release another core/);
  });

  it('pin when every side core would then be pinned (e.g. the first one): the policy cannot release one, only add', () => {
    const none = makeSnapshot({ cores: 8, side: [], vms: 4 });
    const first = previewCoreAction('pin', 2, none, NONE);
    expect([first.before, first.after]).toEqual([0, 1]);
    expect(first.policy).not.toMatch(/release another side core/);
    expect(first.policy).toMatch(/every side core is then pinned: the policy cannot release one, but it may add side cores/);
    expect(first.holdCount).toBe(1);
    const second = previewCoreAction('pin', 2, s, { ...NONE, pinned: [7] });
    expect(second.policy).toMatch(/cannot release one/);
  });

  it('release of a side core: one fewer; no empty-poll warning', () => {
    const p = previewCoreAction('release', 7, s, NONE);
    expect([p.before, p.after]).toEqual([1, 0]);
    expect(p.warnings.join()).not.toMatch(/empty queues/);
  });

  it('lock: the count it forces and plural words', () => {
    const p = previewLock(3, 3, s, NONE);
    expect(p.after).toBe(3);
    expect(p.policy).toBe('The policy keeps exactly 3 side cores.');
    expect(p.warnings.join()).toMatch(/2 more side cores will mostly poll empty queues/);
    expect(previewLock(1, 1, s, NONE).policy).toBe('The policy keeps exactly 1 side core.');
  });
});

describe('lock form', () => {
  it('refuses empty, non-numeric, inverted and over-limit input in words', () => {
    expect(parseLockForm('', '2', LIMITS, 8)).toEqual({ error: 'Enter the minimum number of side cores.', field: 'min' });
    expect(parseLockForm('1', ' ', LIMITS, 8)).toEqual({ error: 'Enter the maximum number of side cores.', field: 'max' });
    expect(parseLockForm('x', '2', LIMITS, 8)).toMatchObject({ field: 'min' });
    expect(parseLockForm('1.5', '2', LIMITS, 8)).toMatchObject({ field: 'min' });
    expect(parseLockForm('3', '2', LIMITS, 8)).toEqual({ error: 'The minimum (3) is above the maximum (2).', field: 'max' });
    expect(parseLockForm('1', '5', LIMITS, 8)).toEqual({ error: 'At most 4 side cores are allowed (safety limits keep 2 VM cores).', field: 'max' });
    expect(parseLockForm('0', '2', LIMITS, 3)).toEqual({ error: 'At most 1 side core is allowed (safety limits keep 2 VM cores).', field: 'max' });
    expect(parseLockForm(' 0', '4 ', LIMITS, 8)).toEqual({ min: 0, max: 4 });
  });

  it('refuses a lock the pins or releases in force rule out, before it is sent', () => {
    // the host refuses a maximum below the pinned cores ("1 cores are pinned … unpin some first");
    // the form used to preview it as "side cores 1 now → 0" and send it
    expect(parseLockForm('0', '0', LIMITS, 8, { pinned: [5], released: [] })).toEqual({
      error: '1 core is pinned as side cores (5), more than a maximum of 0: raise the maximum or clear that pin first.',
      field: 'max',
    });
    expect(parseLockForm('0', '1', LIMITS, 8, { pinned: [2, 5], released: [] })).toMatchObject({ field: 'max', error: expect.stringContaining('2 cores are pinned as side cores (2, 5)') });
    expect(parseLockForm('0', '2', LIMITS, 8, { pinned: [2, 5], released: [] })).toEqual({ min: 0, max: 2 });
    // 8 cores, 6 released: at most 2 can be side cores
    expect(parseLockForm('3', '4', LIMITS, 8, { pinned: [], released: [0, 1, 2, 3, 4, 5] })).toMatchObject({ field: 'min', error: expect.stringContaining('at most 2 side cores') });
    expect(parseLockForm('2', '4', LIMITS, 8, { pinned: [], released: [0, 1, 2, 3, 4, 5] })).toEqual({ min: 2, max: 4 });
  });
});

describe('health', () => {
  it('turns the side-core card amber when side cores poll empty half the time, the loop card amber/red for overrides/pause', () => {
    const s = makeSnapshot({ cores: 8, side: [7], vms: 4 });
    const h = health(s, NONE, NaN);
    expect(h.sideCores.level).toBe('amber');
    expect(h.loop.level).toBe('ok');
    expect(health(s, { ...NONE, pinned: [3] }, NaN).loop.level).toBe('amber');
    expect(health(s, { ...NONE, paused: true }, NaN).loop.level).toBe('red');
  });

  it('does not call side cores fine by polling it cannot see: a host that does not split side-core time says so (review 6)', () => {
    const s = makeSnapshot({ cores: 8, side: [7], vms: 4 });
    const h = health(s, NONE, NaN, false);
    expect(h.sideCores.level).toBe('ok');
    expect(h.sideCores.why).toMatch(/^Side cores \d+ % busy; this host does not report how much of that is polling empty queues\.$/);
    expect(h.sideCores.why).not.toMatch(/I\/O work/);
  });

  it('judges p99 against its recent baseline', () => {
    const s = makeSnapshot({ cores: 8, side: [7], vms: 4 });
    const p99 = s.totals.latencyUs.p99;
    expect(health(s, NONE, p99 / 20).p99.level).toBe('red');
    expect(health(s, NONE, p99 / 4).p99.level).toBe('amber');
    expect(health(s, NONE, p99).p99.level).toBe('ok');
    expect(p99Baseline([1, 2, 3])).toBeNaN();
    expect(p99Baseline(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(11);
  });
});
