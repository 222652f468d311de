import { describe, expect, it } from 'vitest';
import { loopLinkDownTitle, loopRunsOnAgent, loopStateText } from './loop-state.ts';

describe('loopStateText (header chip and overview loop card, review 8 item 7)', () => {
  const up = { state: 'connected' as const, since: 0, attempts: 0, error: null };
  const down = { state: 'reconnecting' as const, since: 0, attempts: 3, error: 'connection refused' };
  const loop = { state: 'running' as const, policy: 'iocm', source: { kind: 'agent' as const, name: 'kvm-a' } };

  it('running or paused while the host is reachable (the model has no link)', () => {
    expect(loopStateText(loop, false, up)).toBe('running · iocm');
    expect(loopStateText(loop, true, null)).toBe('paused · iocm');
    expect(loopStateText({ policy: 'vhost' }, false, null, 'stopped')).toBe('stopped · vhost');
    expect(loopStateText(null, false, null, 'stopped')).toBe('stopped · —');
  });

  it('not "running" while the link is down: the console\'s loop waits; an agent\'s own loop cannot be seen', () => {
    expect(loopStateText(loop, false, down)).toBe('waiting for the link · iocm');
    expect(loopStateText(loop, true, down)).toBe('waiting for the link · iocm');
    expect(loopStateText({ ...loop, source: { kind: 'qemu', name: 'kvm-a' } }, false, down)).toBe('not known (link down) · iocm');
  });

  it('an agent\'s own loop (--loop) over any of its drivers, model included, is "not known" while the link is down; the console\'s loop over the agent waits (review 9 item 4)', () => {
    // The status's source is the HostSource the loop runs over: the console's loop runs over the
    // agent client ('agent'); the agent's own loop over its driver ('model', 'qemu' or 'ovs').
    for (const kind of ['model', 'qemu', 'ovs'] as const) {
      const own = { ...loop, source: { kind, name: 'rr-few' } };
      expect(loopRunsOnAgent(own), kind).toBe(true);
      expect(loopStateText(own, false, down), kind).toBe('not known (link down) · iocm');
      expect(loopLinkDownTitle(own), kind).toMatch(/agent runs its own loop, which goes on deciding/);
      // with the link up it is the relayed loop's own state
      expect(loopStateText(own, false, up), kind).toBe('running · iocm');
    }
    expect(loopRunsOnAgent(loop)).toBe(false);
    expect(loopLinkDownTitle(loop)).toMatch(/takes no decisions until the link is back/);
    // a status with no source says nothing of where the loop runs: the console's wording
    expect(loopStateText({ policy: 'iocm' }, false, down)).toBe('waiting for the link · iocm');
    expect(loopRunsOnAgent(null)).toBe(false);
  });
});
