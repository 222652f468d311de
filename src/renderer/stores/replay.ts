/**
 * Replay context: while a replay is open, every view shows the replayed session. This store
 * holds what the replay stream alone does not carry: the session's details (name, policy, wall
 * clock start), its whole history downsampled (totals and the host's cycle shares, so charts show
 * the full session with a cursor), all its decisions and overrides, and its audit log.
 * Loaded when the console's replay state names a session; cleared when the replay closes.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiError, AuditEntry, HostEvent, SeriesResult, SessionDetail } from '../../shared/api.ts';
import { useApi } from '../api-client.ts';
import { CYCLE_KEYS } from '../lib/metrics.ts';

/** Totals series a replay's charts draw (keys of querySeries). */
export const REPLAY_TOTALS = ['totals.score', 'totals.requestsPerSec', 'totals.latencyUs.p99', 'totals.exitsPerSec', 'totals.sideCores'] as const;
/** Points per series over the whole session (about a chart's width in pixels). */
export const REPLAY_POINTS = 600;
/**
 * The host's cycles by category (summed over its cores): six series whatever the host's size, so the
 * cycles chart shows the whole session (a per-core query, cores × 6 series, kept the history worker
 * busy long enough to hold up exports on a 16-core session).
 */
const CYCLE_TOTALS = CYCLE_KEYS.map((k) => `totals.cycles.${k}`);

export const useReplayStore = defineStore('replay', () => {
  const sessionId = ref<string | null>(null);
  const session = shallowRef<SessionDetail | null>(null);
  const range = shallowRef<SeriesResult | null>(null);
  /** Host cycle shares per category over the session, same time axis as `range`. */
  const cycleShares = shallowRef<Record<string, number[]> | null>(null);
  const events = shallowRef<HostEvent[]>([]);
  const audit = shallowRef<AuditEntry[]>([]);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  let token = 0;

  function clear(): void {
    token++;
    sessionId.value = null;
    session.value = null;
    range.value = null;
    cycleShares.value = null;
    events.value = [];
    audit.value = [];
    error.value = null;
    loading.value = false;
  }

  /** Load the context of a replayed session (no-op when already loaded); null clears it. */
  async function load(id: string | null): Promise<void> {
    if (id === sessionId.value) return;
    clear();
    if (!id) return;
    const mine = ++token;
    sessionId.value = id;
    loading.value = true;
    const api = useApi();
    const d = await api.getSession({ sessionId: id });
    if (mine !== token) return;
    if (!d.ok) {
      error.value = d.error;
      loading.value = false;
      return;
    }
    session.value = d.value;
    const [r, ev, au] = await Promise.all([
      queryHostRange(id, d.value.t0, d.value.t1),
      api.getSessionEvents({ sessionId: id }),
      api.getAuditLog({ sessionId: id, limit: 500 }),
    ]);
    if (mine !== token) return;
    if ('range' in r) {
      range.value = r.range;
      cycleShares.value = r.cycleShares;
    } else error.value = r;
    if (ev.ok) events.value = ev.value;
    else error.value = ev.error;
    if (au.ok) audit.value = au.value;
    loading.value = false;
  }

  /** [t, value] pairs of a totals series over the whole session. */
  function pairs(key: (typeof REPLAY_TOTALS)[number]): [number, number][] {
    const r = range.value;
    const s = r?.series.find((x) => x.key === key);
    return r && s ? r.t.map((t, i) => [t, s.values[i]] as [number, number]) : [];
  }

  /** [t, share] pairs of a cycle category over the session (empty when not loaded). */
  function sharePairs(k: (typeof CYCLE_KEYS)[number]): [number, number][] {
    const r = range.value;
    const s = cycleShares.value?.[k];
    return r && s ? r.t.map((t, i) => [t, s[i]] as [number, number]) : [];
  }

  return { sessionId, session, range, cycleShares, events, audit, error, loading, load, clear, pairs, sharePairs };
});

/**
 * A session's host totals (REPLAY_TOTALS) and cycle shares over [t0, t1], downsampled to about
 * `points` points: what the replay and the longer live ranges draw.
 */
export async function queryHostRange(sessionId: string, t0: number, t1: number, points = REPLAY_POINTS): Promise<{ range: SeriesResult; cycleShares: Record<string, number[]> | null } | ApiError> {
  const r = await useApi().querySeries({ sessionId, series: [...REPLAY_TOTALS, ...CYCLE_TOTALS], t0, t1: Math.max(t1, t0), points });
  if (!r.ok) return r.error;
  const hasCycles = r.value.series.some((s) => s.key.startsWith('totals.cycles.'));
  return { range: { ...r.value, series: r.value.series.filter((s) => !s.key.startsWith('totals.cycles.')) }, cycleShares: hasCycles ? sharesOf(r.value) : null };
}

/**
 * Host-wide cycle shares per category from the host's cycle totals (`totals.cycles.<category>`). A
 * time with no cycles recorded (a bucket not rolled up yet at the newest end, or a gap in the
 * recording) is NaN — drawn as a gap, never as a host at 0 %.
 */
export function sharesOf(r: SeriesResult): Record<string, number[]> {
  const n = r.t.length;
  const byKey = new Map(r.series.map((s) => [s.key, s.values]));
  const out: Record<string, number[]> = {};
  for (const k of CYCLE_KEYS) out[k] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (const k of CYCLE_KEYS) {
      const v = byKey.get(`totals.cycles.${k}`)?.[i];
      if (v !== undefined && Number.isFinite(v)) total += v;
    }
    for (const k of CYCLE_KEYS) {
      const v = byKey.get(`totals.cycles.${k}`)?.[i];
      out[k][i] = total > 0 ? (v !== undefined && Number.isFinite(v) ? v : 0) / total : Number.NaN;
    }
  }
  return out;
}
