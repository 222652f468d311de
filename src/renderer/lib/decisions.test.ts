import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../../shared/policy.ts';
import { lastDecisions } from './decisions.ts';

const decision = (t: number, kind: string, reason: string): HostEvent => ({
  t,
  source: 'policy',
  kind: 'decision',
  message: `${kind}: ${reason}`,
  data: { policy: 'iocm', decision: { kind, actions: [], reason, metrics: { objective: t } }, applied: [] },
});
const override: HostEvent = { t: 250, source: 'operator', kind: 'override', message: 'operator pinned core 2' };

describe('lastDecisions (the overview\'s "Last decision", live and in a replay)', () => {
  const events = [decision(100, 'change', 'probe 9 side cores (best so far 10: objective 916)'), decision(200, 'stay', 'settled on 9 side cores: objective 1074'), override];

  it('shows the last change and the stay the policy said after it (review 8 item 8: "settled" was never shown live)', () => {
    const r = lastDecisions(events);
    expect(r.change).toMatchObject({ kind: 'change', t: 100, reason: 'probe 9 side cores (best so far 10: objective 916)', metrics: { objective: 100 } });
    expect(r.stay).toMatchObject({ kind: 'stay', t: 200, reason: 'settled on 9 side cores: objective 1074' });
  });

  it('up to a replay position: what had been decided by then', () => {
    expect(lastDecisions(events, 150)).toMatchObject({ change: { t: 100 }, stay: null });
    expect(lastDecisions(events, 50)).toEqual({ change: null, stay: null });
  });

  it('live: the loop\'s change where the events no longer hold it, and live and replay agree where they do', () => {
    const live = { kind: 'change' as const, t: 100, reason: 'probe 9 side cores (best so far 10: objective 916)', metrics: { objective: 100 }, actions: [] };
    expect(lastDecisions(events, Infinity, live)).toEqual(lastDecisions(events));
    // the change was dropped from the rings, the stay was not
    expect(lastDecisions(events.slice(1), Infinity, live)).toEqual(lastDecisions(events));
    // a change newer than every stay: the stays before it are no longer news
    const newer = { ...live, t: 300, reason: 'probe 8 side cores' };
    expect(lastDecisions(events, Infinity, newer)).toEqual({ change: { kind: 'change', t: 300, reason: 'probe 8 side cores', metrics: { objective: 100 } }, stay: null });
  });

  it('live: the loop\'s latest stay outlives the event ring (review 9 item 3: a reload after 60 s without recording lost it)', () => {
    const live = { kind: 'change' as const, t: 100, reason: 'probe 9 side cores (best so far 10: objective 916)', metrics: { objective: 100 }, actions: [] };
    const liveStay = { kind: 'stay' as const, t: 200, reason: 'settled on 9 side cores: objective 1074', metrics: { objective: 200 }, actions: [] };
    // the ring no longer holds either decision: the status gives both, as the events would have
    expect(lastDecisions([override], Infinity, live, liveStay)).toEqual(lastDecisions(events));
    // a stay in the ring newer than the status's (the status was pushed earlier) wins
    const later = decision(400, 'stay', 'settled on 9 side cores: objective 1100');
    expect(lastDecisions([...events, later], Infinity, live, liveStay).stay).toMatchObject({ t: 400 });
    // the status's stay is newer than the ring's: it wins
    expect(lastDecisions([decision(150, 'stay', 'measuring')], Infinity, live, liveStay).stay).toMatchObject({ t: 200, reason: 'settled on 9 side cores: objective 1074' });
    // a stay older than the change is no longer news
    expect(lastDecisions([], Infinity, { ...live, t: 300 }, liveStay).stay).toBeNull();
  });

  it('only stays so far (a static policy, or iocm still measuring): the latest stay alone', () => {
    const r = lastDecisions([decision(10, 'stay', 'measuring'), decision(20, 'stay', 'static:2')]);
    expect(r).toMatchObject({ change: null, stay: { t: 20, reason: 'static:2' } });
  });
});
