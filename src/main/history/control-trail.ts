/**
 * How control of a recorded session changed after it began: the policies the operator put in
 * force in order, and how many operator overrides were applied. A session is otherwise labelled by
 * the policy it began under only (review 8 item 13), so one that ran iocm, then static:2, static:15
 * and iocm with pins read as "iocm". Read from the session's accepted operator 'override' events
 * (src/main/loop/loop.ts: a policy change carries data.policy, an override data.command), one
 * indexed query per session (events_kind), cheap enough for the sessions list.
 */
import type { SessionControl } from '../../shared/api.ts';
import type { HistoryDb } from './store.ts';

/** At most this many policies are listed (the first ones, and the last); `policyChanges` counts all. */
export const POLICY_TRAIL_MAX = 8;

/** Operator commands that override the policy (clear, unlock and resume undo one). */
const OVERRIDE_KINDS = new Set(['pin', 'release', 'lockCount', 'pause']);

interface OverrideData {
  ok?: unknown;
  policy?: unknown;
  command?: { kind?: unknown };
}

/** The control trail of one session that begins under `first`, from its override events' data (JSON text, in time order). */
export function controlTrailOf(first: string, rows: readonly (string | null)[]): SessionControl {
  const policies = [first];
  let policyChanges = 0;
  let overrides = 0;
  let last = first;
  for (const text of rows) {
    if (!text) continue;
    let d: OverrideData;
    try {
      d = JSON.parse(text) as OverrideData;
    } catch {
      continue; // an imported file's odd row: not a control change
    }
    if (!d || typeof d !== 'object' || d.ok !== true) continue;
    if (typeof d.policy === 'string') {
      // the same policy again (new settings) is not a change of policy
      if (d.policy === last) continue;
      last = d.policy;
      policyChanges++;
      if (policies.length < POLICY_TRAIL_MAX) policies.push(d.policy);
      else policies[POLICY_TRAIL_MAX - 1] = d.policy;
    } else if (typeof d.command?.kind === 'string' && OVERRIDE_KINDS.has(d.command.kind)) overrides++;
  }
  return { policies, policyChanges, overrides };
}

/** The control trails of sessions by id (ids not in the file are left out). */
export function controlTrails(store: HistoryDb, ids: readonly string[]): Record<string, SessionControl> {
  const bySession = store.db.prepare("SELECT data FROM events WHERE session = ? AND kind = 'override' AND source = 'operator' ORDER BY t, rid").pluck();
  const session = store.db.prepare('SELECT key, policy FROM sessions WHERE id = ?');
  const out: Record<string, SessionControl> = {};
  for (const id of ids) {
    const s = session.get(id) as { key: number; policy: string } | undefined;
    if (!s) continue;
    out[id] = controlTrailOf(s.policy, bySession.all(s.key) as (string | null)[]);
  }
  return out;
}
