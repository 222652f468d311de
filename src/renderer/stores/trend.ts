/**
 * What the time charts draw, live or replayed: live, the telemetry rings (the recent window);
 * while a replay is open, the replayed session's whole history with a cursor at the replay
 * position and all its decisions and overrides (nothing live leaks into a replay).
 */
import { computed } from 'vue';
import type { HostEvent } from '../../shared/api.ts';
import type { CYCLE_KEYS } from '../lib/metrics.ts';
import { useConsoleStore } from './console.ts';
import { useReplayStore, type REPLAY_TOTALS } from './replay.ts';
import { useTelemetryStore } from './telemetry.ts';

/** Host totals a chart can draw. */
export type TrendKey = 'score' | 'requestsPerSec' | 'p99' | 'exitsPerSec' | 'sideCores';

const REPLAY_KEY: Record<TrendKey, (typeof REPLAY_TOTALS)[number]> = {
  score: 'totals.score',
  requestsPerSec: 'totals.requestsPerSec',
  p99: 'totals.latencyUs.p99',
  exitsPerSec: 'totals.exitsPerSec',
  sideCores: 'totals.sideCores',
};

/** The chart data source of the current mode (see the file comment). */
export function useTrend() {
  const store = useConsoleStore();
  const tel = useTelemetryStore();
  const rep = useReplayStore();
  const replaying = computed(() => !!store.state?.replay);
  return {
    replaying,
    /** [t, value] pairs of a host total. */
    line(k: TrendKey): [number, number][] {
      return replaying.value ? rep.pairs(REPLAY_KEY[k]) : tel.totals.pairs(k);
    },
    /** [t, share] pairs of a host cycle category. */
    share(k: (typeof CYCLE_KEYS)[number]): [number, number][] {
      return replaying.value ? rep.sharePairs(k) : tel.totals.pairs(k);
    },
    /** Decisions and overrides to mark. */
    events(): readonly HostEvent[] {
      return replaying.value ? rep.events : tel.events.toArray();
    },
    /** The replay cursor (session ms), undefined live. */
    cursor(): number | undefined {
      return store.state?.replay?.t;
    },
    /** The x range: the whole session in a replay, the data's own live. */
    xRange(): [number, number] | undefined {
      const r = store.state?.replay;
      return r ? [r.t0, Math.max(r.t1, r.t0 + 1)] : undefined;
    },
    /** Points per line. */
    count(): number {
      return replaying.value ? (rep.range?.t.length ?? 0) : tel.totals.length;
    },
    /** Whether there is anything to draw. */
    hasData(): boolean {
      return replaying.value ? (rep.range?.t.length ?? 0) > 1 : tel.totals.length > 1;
    },
    /** A value that changes whenever the charts must redraw. */
    version(): unknown {
      return replaying.value ? [rep.range, rep.cycleShares, rep.events, store.state?.replay?.t] : tel.version;
    },
  };
}
