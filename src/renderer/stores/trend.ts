/**
 * What the time charts draw, live or replayed: live, the telemetry rings (the recent window);
 * while a replay is open, the replayed session's whole history with a cursor at the replay
 * position and all its decisions and overrides (nothing live leaks into a replay).
 */
import { computed } from 'vue';
import type { HostEvent } from '../../shared/api.ts';
import type { HostInfo } from '../../shared/control.ts';
import type { CYCLE_KEYS } from '../lib/metrics.ts';
import { useConsoleStore } from './console.ts';
import { useReplayStore, type REPLAY_TOTALS } from './replay.ts';
import { useTelemetryStore } from './telemetry.ts';
import { useTimeViewStore } from './timeview.ts';

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
  const tv = useTimeViewStore();
  const replaying = computed(() => !!store.state?.replay);
  /** Live with a range longer than the rings hold: the recorded history. */
  const fromHistory = computed(() => !replaying.value && tv.rangeMin > 1 && tv.range !== null);
  const historyPairs = (key: string): [number, number][] => {
    const r = tv.range;
    const s = r?.series.find((x) => x.key === key);
    return r && s ? r.t.map((t, i) => [t, s.values[i]] as [number, number]) : [];
  };
  return {
    replaying,
    /** The host description of what is shown: the replayed session's (recorded), else the live host's. */
    info(): HostInfo | null {
      return replaying.value ? (rep.session?.info ?? null) : (store.host ?? null);
    },
    /** [t, value] pairs of a host total. */
    line(k: TrendKey): [number, number][] {
      if (replaying.value) return rep.pairs(REPLAY_KEY[k]);
      return fromHistory.value ? historyPairs(REPLAY_KEY[k]) : tel.totals.pairs(k);
    },
    /** [t, share] pairs of a host cycle category. */
    share(k: (typeof CYCLE_KEYS)[number]): [number, number][] {
      if (replaying.value && rep.cycleShares) return rep.sharePairs(k);
      if (fromHistory.value && tv.cycleShares) {
        const r = tv.range;
        const sh = tv.cycleShares[k];
        return r && sh ? r.t.map((t, i) => [t, sh[i]] as [number, number]) : [];
      }
      // without per-core history: the snapshots the stream delivered (live window or replay as played)
      return tel.totals.pairs(k);
    },
    /** Decisions and overrides to mark. */
    events(): readonly HostEvent[] {
      if (replaying.value) return rep.events;
      // live: the recorded session's events older than the rings' oldest, then the rings'
      const recent = tel.events.toArray();
      const recorded = tv.sessionEvents;
      if (!recorded.length) return recent;
      const from = recent.length ? recent[0].t : Infinity;
      const older = recorded.filter((e) => e.t < from);
      return older.length ? [...older, ...recent] : recent;
    },
    /** Wall clock (unix ms) of the shown session's start, for wall-clock axes; null when unknown. */
    wallStart(): number | null {
      return replaying.value ? (rep.session?.startedAt ?? null) : tv.wallStart;
    },
    /** The replay cursor (session ms), undefined live. */
    cursor(): number | undefined {
      return store.state?.replay?.t;
    },
    /**
     * The x range: the whole session in a replay, the window the last history query covered for a
     * long range, the data's own for the last minute. It reads nothing that changes with each
     * telemetry batch: the charts redraw at the refresh rate (or not at all when paused), never
     * because a snapshot arrived.
     */
    xRange(): [number, number] | undefined {
      const r = store.state?.replay;
      if (r) return [r.t0, Math.max(r.t1, r.t0 + 1)];
      if (tv.rangeMin > 1) return tv.rangeWindow ?? undefined;
      return undefined;
    },
    /** Points per line. */
    count(): number {
      if (replaying.value) return rep.range?.t.length ?? 0;
      return fromHistory.value ? (tv.range?.t.length ?? 0) : tel.totals.length;
    },
    /** Whether there is anything to draw. */
    hasData(): boolean {
      if (replaying.value) return (rep.range?.t.length ?? 0) > 1;
      return fromHistory.value ? (tv.range?.t.length ?? 0) > 1 : tel.totals.length > 1;
    },
    /** A value that changes whenever the charts must redraw. */
    version(): unknown {
      if (replaying.value) return [rep.range, rep.cycleShares, rep.events, store.state?.replay?.t, tel.version];
      // full rate follows the telemetry directly; slower rates and long ranges follow the time view
      return tv.refreshMs === 100 && tv.rangeMin === 1 ? tel.version : tv.version;
    },
  };
}
