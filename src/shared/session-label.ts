/**
 * A recorded session's policy as the Sessions view and `iocm sessions` label it: the policies it ran in turn and how
 * often operators overrode, not only the policy it began under (SessionSummary.control).
 */
import type { SessionSummary } from './api.ts';
import { plural } from './words.ts';

/** "iocm → static:2 → static:15 → iocm" (a cut trail: "… → last"); the first policy alone when it never changed. */
export function policyTrail(s: Pick<SessionSummary, 'policy' | 'control'>): string {
  const c = s.control;
  if (!c || c.policyChanges === 0) return s.policy;
  const p = c.policies;
  return c.policyChanges + 1 > p.length ? `${p.slice(0, -1).join(' → ')} → … → ${p[p.length - 1]}` : p.join(' → ');
}

/** "3 policy changes, 2 operator overrides"; '' when the session ran one policy untouched. */
export function controlNote(s: Pick<SessionSummary, 'control'>): string {
  const c = s.control;
  if (!c) return '';
  const parts: string[] = [];
  if (c.policyChanges) parts.push(plural(c.policyChanges, 'policy change'));
  if (c.overrides) parts.push(plural(c.overrides, 'operator override'));
  return parts.join(', ');
}
