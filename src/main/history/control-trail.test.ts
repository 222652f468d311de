import { describe, expect, it } from 'vitest';
import { POLICY_TRAIL_MAX, controlTrailOf } from './control-trail.ts';

const policy = (name: string, ok = true) => JSON.stringify({ policy: name, config: {}, ok });
const command = (kind: string, ok = true) => JSON.stringify({ command: { kind, core: 2 }, ok });

describe('controlTrailOf', () => {
  it('the policies in force in turn and the operator overrides applied (review 8 item 13)', () => {
    const rows = [policy('static:2'), command('pin'), policy('static:15'), policy('static:15'), command('release'), command('clear'), policy('iocm'), policy('vhost', false), command('lockCount', false), null, '{not json'];
    expect(controlTrailOf('iocm', rows)).toEqual({ policies: ['iocm', 'static:2', 'static:15', 'iocm'], policyChanges: 3, overrides: 2 });
  });

  it('a session never changed: its first policy, no changes', () => {
    expect(controlTrailOf('iocm', [])).toEqual({ policies: ['iocm'], policyChanges: 0, overrides: 0 });
  });

  it('a long trail keeps its first policies and its last, and counts every change', () => {
    const names = Array.from({ length: 20 }, (_, i) => `static:${i + 1}`);
    const t = controlTrailOf('iocm', names.map((n) => policy(n)));
    expect(t.policyChanges).toBe(20);
    expect(t.policies).toHaveLength(POLICY_TRAIL_MAX);
    expect(t.policies.slice(0, 2)).toEqual(['iocm', 'static:1']);
    expect(t.policies.at(-1)).toBe('static:20');
  });
});
