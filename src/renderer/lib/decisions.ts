/**
 * What the overview's "Last decision" shows, the same live and in a replay: the policy's last
 * change (any decision but a stay: change, revert, blocked, paused) and, when it said something
 * since, its latest stay (e.g. "settled on 9 side cores …"). Live, both come from the loop's
 * status (it outlives the event rings: LoopStatus.lastDecision, lastStay) or the events the console
 * holds, whichever is newer; in a replay from the session's recorded events up to the replay position.
 */
import type { HostEvent, LoopStatus } from '../../shared/policy.ts';
import { eventMetrics } from './metrics.ts';

/** One decision as the overview shows it. */
export interface ShownDecision {
  kind: string;
  t: number;
  /** The decision's words without its kind ("probe 9 side cores …"). */
  reason: string;
  metrics: Record<string, number>;
}

/** The last change and, when later, the latest stay. */
export interface LastDecisions {
  change: ShownDecision | null;
  /** The latest stay with something to say after `change` (null when none, or when the change is newer). */
  stay: ShownDecision | null;
}

const KIND_PREFIX = /^(change|stay|revert|blocked|paused): /;

function decisionKind(e: HostEvent): string {
  return (e.data as { decision?: { kind?: string } } | undefined)?.decision?.kind ?? 'decision';
}

function shown(e: HostEvent): ShownDecision {
  return { kind: decisionKind(e), t: e.t, reason: e.message.replace(KIND_PREFIX, ''), metrics: eventMetrics(e) };
}

/**
 * From `events` (oldest first), those at or before `upTo`: the last decision that is not a stay,
 * and the latest stay after it. `live` is the loop's own last change (LoopStatus.lastDecision),
 * used when the events no longer hold it; `liveStay` its latest stay (LoopStatus.lastStay), used
 * when newer than the events' (after a reload the event ring holds only the last minute).
 */
export function lastDecisions(events: readonly HostEvent[], upTo = Infinity, live?: LoopStatus['lastDecision'], liveStay?: LoopStatus['lastStay']): LastDecisions {
  let change: ShownDecision | null = null;
  let stay: ShownDecision | null = null;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.kind !== 'decision' || e.t > upTo) continue;
    if (decisionKind(e) === 'stay') {
      if (!change) stay ??= shown(e);
      continue;
    }
    change = shown(e);
    break;
  }
  if (live && (!change || live.t > change.t)) {
    // The loop's change is newer than any the events hold (or they were dropped): it wins, and a stay before it is no longer news.
    change = { kind: live.kind, t: live.t, reason: live.reason, metrics: live.metrics };
    if (stay && stay.t <= live.t) stay = null;
  }
  if (liveStay && (!stay || liveStay.t > stay.t)) stay = { kind: 'stay', t: liveStay.t, reason: liveStay.reason, metrics: liveStay.metrics };
  if (stay && change && stay.t < change.t) stay = null;
  return { change, stay };
}
