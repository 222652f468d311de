import { describe, expect, it } from 'vitest';
import { controlNote, policyTrail } from './session-label.ts';

describe('a session\'s policy label (review 8 item 13)', () => {
  it('the policies in turn and what changed; the first policy alone when nothing did', () => {
    const s = { policy: 'iocm', control: { policies: ['iocm', 'static:2', 'static:15', 'iocm'], policyChanges: 3, overrides: 2 } };
    expect(policyTrail(s)).toBe('iocm → static:2 → static:15 → iocm');
    expect(controlNote(s)).toBe('3 policy changes, 2 operator overrides');
    expect(policyTrail({ policy: 'iocm', control: { policies: ['iocm'], policyChanges: 0, overrides: 1 } })).toBe('iocm');
    expect(controlNote({ control: { policies: ['iocm'], policyChanges: 0, overrides: 1 } })).toBe('1 operator override');
    expect(controlNote({ control: { policies: ['iocm', 'vhost'], policyChanges: 1, overrides: 0 } })).toBe('1 policy change');
    expect([policyTrail({ policy: 'vhost' }), controlNote({})]).toEqual(['vhost', '']);
  });

  it('a cut trail shows where it was cut', () => {
    const s = { policy: 'iocm', control: { policies: ['iocm', 'static:1', 'static:2', 'static:20'], policyChanges: 20, overrides: 0 } };
    expect(policyTrail(s)).toBe('iocm → static:1 → static:2 → … → static:20');
  });
});
