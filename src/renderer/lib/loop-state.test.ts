import { describe, expect, it } from 'vitest';
import { loopStateText } from './loop-state.ts';

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
});
