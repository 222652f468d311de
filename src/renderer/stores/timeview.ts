/**
 * Time navigation of the live charts: the range shown (last 1, 5, 15 or 60 minutes; a replay
 * always shows its whole session), the refresh rate (10/s, 1 s, 5 s or paused), and the wall
 * clock of the session's start (axes show wall-clock time, tooltips the session time too).
 * The last minute comes from the telemetry rings; longer ranges from the recorded session's
 * history (downsampled by the host), reloaded at the refresh rate. The recorded session's
 * decisions and overrides are loaded too (with the session, and on a range change), for the
 * marks and the Decisions list older than what the rings hold.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { HostEvent, SeriesResult } from '../../shared/api.ts';
import { useApi } from '../api-client.ts';
import { useConsoleStore } from './console.ts';
import { queryHostRange } from './replay.ts';
import { useTelemetryStore } from './telemetry.ts';

/** Ranges offered, minutes. */
export const RANGES_MIN = [1, 5, 15, 60] as const;
/** Refresh rates offered, ms (0 = paused). */
export const REFRESH_MS = [100, 1000, 5000, 0] as const;

export const useTimeViewStore = defineStore('timeview', () => {
  const rangeMin = ref<(typeof RANGES_MIN)[number]>(1);
  const refreshMs = ref<(typeof REFRESH_MS)[number]>(100);
  /** Bumped when the live charts should redraw (follows telemetry at the refresh rate). */
  const version = ref(0);
  /** History over the chosen range (ranges above 1 minute). */
  const range = shallowRef<SeriesResult | null>(null);
  /** The session-time window [from, to] that `range` covers, ms (the x axis of a long range). */
  const rangeWindow = shallowRef<[number, number] | null>(null);
  const cycleShares = shallowRef<Record<string, number[]> | null>(null);
  /** Wall clock (unix ms) of the live session's start, when it is recorded. */
  const wallStart = ref<number | null>(null);
  /**
   * The live session's decisions and overrides as recorded: the telemetry rings hold only the
   * recent ones (after a page load, the last minute's), so a longer range or the Decisions list
   * would show none of the earlier ones.
   */
  const sessionEvents = shallowRef<HostEvent[]>([]);

  const store = useConsoleStore();
  const tel = useTelemetryStore();
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let loading = false;

  async function reloadRange(): Promise<void> {
    const sid = store.state?.recording.sessionId;
    const now = tel.latest?.t;
    if (rangeMin.value === 1 || !sid || now === undefined || loading) return;
    loading = true;
    try {
      const from = Math.max(0, now - rangeMin.value * 60_000);
      const r = await queryHostRange(sid, from, now, 600);
      if ('range' in r) {
        range.value = r.range;
        rangeWindow.value = [from, Math.max(now, 1)];
        cycleShares.value = r.cycleShares;
        version.value++;
      }
    } finally {
      loading = false;
    }
  }

  /** (Re)load the recorded session's decisions and overrides (nothing when it is not recorded). */
  async function loadEvents(): Promise<void> {
    const sid = store.state?.recording.sessionId ?? null;
    if (!sid) {
      sessionEvents.value = [];
      return;
    }
    const r = await useApi().getSessionEvents({ sessionId: sid, limit: 2000 });
    if (r.ok && (store.state?.recording.sessionId ?? null) === sid) {
      sessionEvents.value = r.value;
      version.value++;
    }
  }

  function bump(): void {
    timer = null;
    if (refreshMs.value === 0) return;
    last = Date.now();
    if (rangeMin.value > 1) void reloadRange();
    else version.value++;
  }
  watch(
    () => tel.version,
    () => {
      const every = rangeMin.value > 1 ? Math.max(refreshMs.value, 2000) : refreshMs.value;
      if (refreshMs.value === 0 || timer) return;
      const wait = last + every - Date.now();
      if (wait <= 0) bump();
      else timer = setTimeout(bump, wait);
    },
  );
  watch(rangeMin, (m) => {
    range.value = null;
    rangeWindow.value = null;
    cycleShares.value = null;
    if (m > 1) {
      void reloadRange();
      void loadEvents();
    }
    version.value++;
  });
  watch(
    () => store.state?.recording.sessionId ?? null,
    async (sid) => {
      wallStart.value = null;
      void loadEvents();
      if (!sid) return;
      const r = await useApi().getSession({ sessionId: sid });
      if (r.ok) wallStart.value = r.value.startedAt;
    },
    { immediate: true },
  );

  return { rangeMin, refreshMs, version, range, rangeWindow, cycleShares, wallStart, sessionEvents, reloadRange, loadEvents };
});
