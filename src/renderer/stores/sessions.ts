/**
 * Sessions store: the recorded sessions list (with search), one opened session's
 * details and downsampled history ranges, replay control (the replay cursor lives
 * on the host side; its batches arrive on the telemetry stream tagged 'replay'),
 * exports and what-if runs with progress and cancel.
 */
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import type { ApiError, Comparison, ExportFormat, ProgressEvent, ReplayState, Result, SeriesResult, SessionDetail, SessionSummary } from '../../shared/api.ts';
import { newOpId, useApi } from '../api-client.ts';
import { saveExport } from '../lib/download.ts';
import { useConsoleStore } from './console.ts';
import { useTelemetryStore } from './telemetry.ts';
import type { HostEvent, PolicyConfig } from '../../shared/policy.ts';

/** Series the session overview chart draws from history. */
export const OVERVIEW_SERIES = ['totals.score', 'totals.requestsPerSec', 'totals.latencyUs.p99', 'totals.sideCores'];

/** A running long operation as the view shows it. */
export interface RunningOp {
  opId: string;
  kind: 'export' | 'whatif';
  fraction: number;
  message: string;
}

export const useSessionsStore = defineStore('sessions', () => {
  const list = ref<SessionSummary[]>([]);
  const search = ref('');
  const selected = shallowRef<SessionDetail | null>(null);
  const range = shallowRef<SeriesResult | null>(null);
  const comparison = shallowRef<Comparison | null>(null);
  /** The original and the re-run over time (score, side cores, p99), for the overlay charts. */
  const compareSeries = shallowRef<{ base: SeriesResult; other: SeriesResult } | null>(null);
  /** The selected session's decisions, overrides and link gaps (marks on its history chart). */
  const events = shallowRef<HostEvent[]>([]);
  const ops = ref<RunningOp[]>([]);
  const lastSaved = ref<string | null>(null);
  const errors = reactive<Record<string, ApiError | null>>({});
  let unsubProgress: (() => void) | null = null;

  function fail(key: string, r: Result<unknown>): void {
    errors[key] = r.ok ? null : r.error;
  }

  async function refresh(): Promise<void> {
    const r = await useApi().listSessions(search.value.trim() ? { search: search.value.trim(), limit: 500 } : { limit: 500 });
    fail('list', r);
    if (r.ok) list.value = r.value;
  }

  async function open(sessionId: string): Promise<void> {
    const r = await useApi().getSession({ sessionId });
    fail('open', r);
    if (!r.ok) return;
    selected.value = r.value;
    comparison.value = null;
    compareSeries.value = null;
    events.value = [];
    await Promise.all([loadRange(r.value.t0, r.value.t1, 600), loadEvents(sessionId)]);
  }

  async function loadEvents(sessionId: string): Promise<void> {
    const r = await useApi().getSessionEvents({ sessionId, limit: 2000 });
    if (r.ok && selected.value?.id === sessionId) events.value = r.value;
  }

  /**
   * Re-read what grows while a session is being recorded: the list (lengths) when it shows one, and
   * the selected session's counts and history chart when it is the one being recorded. The
   * Sessions view calls it every few seconds; a finished session is never re-read.
   */
  async function refreshRecording(): Promise<void> {
    if (list.value.some((s) => s.endedAt === null)) await refresh();
    const sel = selected.value;
    if (!sel || sel.endedAt !== null) return;
    const r = await useApi().getSession({ sessionId: sel.id });
    if (!r.ok || selected.value?.id !== sel.id) return;
    selected.value = r.value;
    await Promise.all([loadRange(r.value.t0, r.value.t1, 600), loadEvents(sel.id)]);
  }

  async function loadRange(t0: number, t1: number, points: number): Promise<void> {
    if (!selected.value) return;
    const r = await useApi().querySeries({ sessionId: selected.value.id, series: OVERVIEW_SERIES, t0, t1: Math.max(t1, t0), points });
    fail('range', r);
    if (r.ok) range.value = r.value;
  }

  function replay(): ReplayState | null {
    return useConsoleStore().state?.replay ?? null;
  }

  async function replayCall(call: () => Promise<Result<ReplayState | null>>): Promise<void> {
    const r = await call();
    fail('replay', r);
    const c = useConsoleStore();
    if (r.ok && c.state) c.applyState({ ...c.state, replay: r.value });
  }

  async function openReplay(sessionId: string): Promise<void> {
    const t = useTelemetryStore();
    t.show('replay', sessionId);
    await replayCall(() => useApi().openReplay({ sessionId }));
    if (errors.replay) t.show('live', null);
  }
  const play = () => replayCall(() => useApi().replayPlay());
  const pause = () => replayCall(() => useApi().replayPause());
  const setSpeed = (speed: number) => replayCall(() => useApi().replaySetSpeed({ speed }));
  const seek = (t: number) => replayCall(() => useApi().replaySeek({ t }));
  const step = (direction: 1 | -1) => replayCall(() => useApi().replayStep({ direction }));
  const jump = (direction: 'next' | 'prev') => replayCall(() => useApi().replayJumpToDecision({ direction }));
  async function closeReplay(): Promise<void> {
    await replayCall(() => useApi().closeReplay());
    useTelemetryStore().show('live', null);
  }

  function track(opId: string, kind: RunningOp['kind'], message: string): void {
    if (!unsubProgress) {
      unsubProgress = useApi().onProgress((p: ProgressEvent) => {
        const op = ops.value.find((o) => o.opId === p.opId);
        if (op) {
          op.fraction = p.fraction;
          op.message = p.message;
        }
      });
    }
    ops.value.push({ opId, kind, fraction: 0, message });
  }
  function untrack(opId: string): void {
    ops.value = ops.value.filter((o) => o.opId !== opId);
  }

  /** Export a session and save or download the file. */
  async function exportSession(sessionId: string, format: ExportFormat, layout: 'long' | 'wide' = 'long'): Promise<void> {
    const opId = newOpId('export');
    track(opId, 'export', `Exporting ${format.toUpperCase()}…`);
    try {
      const api = useApi();
      const r = await api.exportSession({ sessionId, format, layout, opId });
      fail('export', r);
      if (!r.ok) return;
      try {
        lastSaved.value = await saveExport(api, r.value);
      } catch (e) {
        errors.export = { code: 'internal', message: `Could not save the file: ${(e as Error).message}` };
      }
    } finally {
      untrack(opId);
    }
  }

  /**
   * Re-run a session's offered workload under another policy (with its settings, e.g. static's K
   * in `config`); shows the comparison. Returns the answer, so the form can put a refused
   * setting's error under its field.
   */
  async function whatIf(sessionId: string, policy: string, config?: PolicyConfig): Promise<Result<Comparison>> {
    const opId = newOpId('whatif');
    const k = config?.k;
    track(opId, 'whatif', `Re-running under ${policy}${typeof k === 'number' && !policy.includes(':') ? `:${k}` : ''}…`);
    try {
      const r = await useApi().whatIf({ sessionId, policy, ...(config && Object.keys(config).length ? { config } : {}), opId });
      fail('whatif', r);
      if (r.ok) {
        comparison.value = r.value;
        compareSeries.value = null;
        await Promise.all([refresh(), loadCompareSeries(r.value)]);
      }
      return r;
    } finally {
      untrack(opId);
    }
  }

  /** Series keys of the what-if overlay charts. */
  const COMPARE_SERIES = ['totals.score', 'totals.sideCores', 'totals.latencyUs.p99'];
  async function loadCompareSeries(c: Comparison): Promise<void> {
    const api = useApi();
    const [a, b] = await Promise.all([api.getSession({ sessionId: c.base.sessionId }), api.getSession({ sessionId: c.other.sessionId })]);
    if (!a.ok || !b.ok) return fail('whatif', !a.ok ? a : b);
    const t0 = Math.min(a.value.t0, b.value.t0);
    const t1 = Math.max(a.value.t1, b.value.t1, t0 + 1);
    const [sa, sb] = await Promise.all([
      api.querySeries({ sessionId: c.base.sessionId, series: COMPARE_SERIES, t0, t1, points: 400 }),
      api.querySeries({ sessionId: c.other.sessionId, series: COMPARE_SERIES, t0, t1, points: 400 }),
    ]);
    if (!sa.ok || !sb.ok) return fail('whatif', !sa.ok ? sa : sb);
    compareSeries.value = { base: sa.value, other: sb.value };
  }

  async function cancel(opId: string): Promise<void> {
    const r = await useApi().cancel({ opId });
    fail('cancel', r);
  }

  return {
    list,
    search,
    selected,
    range,
    events,
    comparison,
    compareSeries,
    ops,
    lastSaved,
    errors,
    refresh,
    refreshRecording,
    open,
    loadRange,
    replay,
    openReplay,
    play,
    pause,
    setSpeed,
    seek,
    step,
    jump,
    closeReplay,
    exportSession,
    whatIf,
    cancel,
  };
});
