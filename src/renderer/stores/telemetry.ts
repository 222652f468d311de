/**
 * Telemetry store: takes TelemetryBatches (live or replay, same shape) and keeps
 * what the charts draw in bounded ring buffers: host totals, per-core busy and
 * empty-poll shares, per-VM request rates for sparklines, recent events. Snapshots
 * are kept out of Vue's deep reactivity (shallowRef + a version counter), so a
 * 64-core/128-VM host at 10 Hz costs one cheap reactive bump per batch.
 */
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { TelemetryMessage } from '../../shared/api.ts';
import type { HostEvent } from '../../shared/policy.ts';
import type { HostSnapshot, TrendPoint } from '../../shared/snapshot.ts';
import { BoundedList, SeriesRing } from '../lib/ring.ts';
import { CYCLE_KEYS } from '../lib/metrics.ts';
import { useApi } from '../api-client.ts';
import { yieldNextFrame } from '../lib/frame-queue.ts';
import { gapEdge } from '../lib/charts.ts';

/** Columns of the totals ring. */
export const TOTAL_COLUMNS = ['score', 'requestsPerSec', 'bytesPerSec', 'p99', 'exitsPerSec', 'sideCores', ...CYCLE_KEYS, 'seq'] as const;

/** Capacities (rows). */
export const HISTORY_POINTS = 600;
/** The live charts' time window (ms); the backfill asks for this much of the recent past. */
export const LIVE_WINDOW_MS = 60_000;
export const SPARK_POINTS = 60;
/** Decisions and overrides kept for annotations and the timeline list. */
export const EVENT_CAPACITY = 200;

export const useTelemetryStore = defineStore('telemetry', () => {
  /** Which stream is shown. */
  const stream = ref<'live' | 'replay'>('live');
  const sessionId = ref<string | null>(null);
  /** The live host shown (the selected host); null until the first live data says which. */
  const liveHost = ref<string | null>(null);
  const latest = shallowRef<HostSnapshot | null>(null);
  /** Bumped on every ingested batch; charts watch it and redraw manually. */
  const version = ref(0);
  const batches = ref(0);
  // markRaw: the store would hand out reactive proxies of these, and every ring read in a chart
  // update (head, count and column per point) went through a proxy trap that also tracked it
  // (~1-2 ms of building the cycles chart's six series on big-64); the version counter is what
  // tells readers that the rings changed.
  const totals = markRaw(new SeriesRing(HISTORY_POINTS, TOTAL_COLUMNS));
  let coreRings: SeriesRing[] = [];
  let vmRings: SeriesRing[] = [];
  const events = markRaw(new BoundedList<HostEvent>(EVENT_CAPACITY));
  const row = new Float64Array(TOTAL_COLUMNS.length);
  const pair = new Float64Array(2);
  let unsub: (() => void) | null = null;

  function reset(): void {
    totals.clear();
    coreRings = [];
    vmRings = [];
    events.clear();
    latest.value = null;
    version.value++;
  }

  function clearRings(): void {
    totals.clear();
    for (const r of coreRings) r.clear();
    for (const r of vmRings) r.clear();
  }

  /**
   * Whether `s` is already in the buffers: live snapshots can arrive twice (the backfill and the
   * first live batches overlap). Same sequence number at the same time = the same snapshot.
   */
  function isDuplicate(s: TrendPoint): boolean {
    if (!totals.length || s.seq > totals.last('seq')) return false;
    const k = totals.findAscending('seq', s.seq);
    return k >= 0 && totals.timeAt(k) === s.t;
  }

  /**
   * Add one snapshot (or the trend point of one: an older snapshot of the same message, thinned
   * by the transport); false when it was a duplicate (live) and nothing changed. Only a full
   * snapshot becomes `latest`.
   */
  function push(s: TrendPoint, live: boolean, full: HostSnapshot | null): boolean {
    if (live && isDuplicate(s)) return false;
    const last = totals.lastTime();
    // Time going back (replay seek, a new live session) or a replay's big jump: start over. A live
    // jump forward is a gap (a lost link): the data before it stays and the charts draw the gap.
    if (totals.length && (s.t <= last || (!live && s.t - last > 20 * s.intervalMs))) clearRings();
    const tc = s.totals.cycles;
    let sum = 0;
    for (const k of CYCLE_KEYS) sum += tc[k];
    row[0] = s.totals.score;
    row[1] = s.totals.requestsPerSec;
    row[2] = s.totals.bytesPerSec;
    row[3] = s.totals.latencyUs.p99;
    row[4] = s.totals.exitsPerSec;
    row[5] = s.totals.sideCores;
    for (let k = 0; k < CYCLE_KEYS.length; k++) row[6 + k] = sum > 0 ? tc[CYCLE_KEYS[k]] / sum : 0;
    row[6 + CYCLE_KEYS.length] = s.seq;
    totals.push(s.t, row);
    const per = (s.hz * s.intervalMs) / 1000;
    while (coreRings.length < s.cores.length) coreRings.push(new SeriesRing(HISTORY_POINTS, ['busy', 'emptyPoll']));
    for (let i = 0; i < s.cores.length; i++) {
      const c = s.cores[i].cycles;
      pair[0] = per > 0 ? (c.guest + c.exit + c.io + c.ctxSwitch) / per : 0;
      pair[1] = per > 0 ? c.emptyPoll / per : 0;
      coreRings[i].push(s.t, pair);
    }
    while (vmRings.length < s.vms.length) vmRings.push(new SeriesRing(SPARK_POINTS, ['rps']));
    for (let i = 0; i < s.vms.length; i++) {
      pair[0] = s.vms[i].requestsPerSec;
      vmRings[i].push(s.t, pair);
    }
    if (full) latest.value = full;
    return true;
  }

  /** Whether the newest events already hold `e` (same time, kind and message): backfill overlap. */
  function seenEvent(e: HostEvent): boolean {
    const xs = events.toArray();
    for (let i = xs.length - 1; i >= 0 && xs[i].t >= e.t; i--) if (xs[i].t === e.t && xs[i].kind === e.kind && xs[i].message === e.message) return true;
    return false;
  }

  /** Take one message; ignores the stream not shown. */
  function ingest(msg: TelemetryMessage): void {
    if (msg.stream !== stream.value) return;
    if (msg.stream === 'live' && msg.hostId !== undefined) {
      // data still in flight from the host shown before a switch
      if (liveHost.value !== null && msg.hostId !== liveHost.value) return;
      liveHost.value = msg.hostId;
    }
    if (msg.stream === 'replay' && sessionId.value !== null && msg.sessionId !== sessionId.value) return;
    const live = msg.stream === 'live';
    if (msg.trend) for (const p of msg.trend) push(p, live, null);
    for (const s of msg.batch.snapshots) push(s, live, s);
    for (const e of msg.batch.events) if ((e.kind === 'decision' || e.kind === 'override' || gapEdge(e) !== null) && !(live && seenEvent(e))) events.push(e);
    batches.value++;
    version.value++;
    yieldNextFrame();
  }

  /** Switch between the live stream and a replay (clears the buffers). */
  function show(which: 'live' | 'replay', session: string | null): void {
    if (stream.value === which && sessionId.value === session) return;
    stream.value = which;
    sessionId.value = session;
    reset();
  }

  /**
   * Show another live host (the selected host changed): drop the buffers and backfill from it.
   * The first host named just becomes the one shown.
   */
  async function switchHost(id: string | null): Promise<void> {
    if (id === liveHost.value) return;
    const first = liveHost.value === null;
    liveHost.value = id;
    if (first) return;
    if (stream.value === 'live') reset();
    await start();
  }

  /** Subscribe to the host's telemetry, first filling the buffers with the live stream's recent past. */
  async function start(): Promise<void> {
    stop();
    const api = useApi();
    const pending: TelemetryMessage[] = [];
    let backfilled = false;
    unsub = api.onTelemetry((m) => (backfilled ? ingest(m) : pending.push(m)));
    const r = await api.getRecentTelemetry({ snapshots: HISTORY_POINTS, windowMs: LIVE_WINDOW_MS });
    if (r.ok && stream.value === 'live') {
      const last = r.value.batch.snapshots.at(-1)?.t ?? r.value.trend?.at(-1)?.t ?? -Infinity;
      const lastEvent = r.value.batch.events.at(-1)?.t ?? -Infinity;
      ingest(r.value);
      // drop what the backfill already covered
      for (const m of pending) {
        if (m.stream === 'live') {
          const snapshots = m.batch.snapshots.filter((s) => s.t > last);
          const trend = m.trend?.filter((s) => s.t > last);
          const events = m.batch.events.filter((e) => e.t > lastEvent);
          if (snapshots.length || trend?.length || events.length) ingest({ ...m, ...(trend ? { trend } : {}), batch: { ...m.batch, snapshots, events } });
        } else ingest(m);
      }
    } else for (const m of pending) ingest(m);
    backfilled = true;
  }
  function stop(): void {
    unsub?.();
    unsub = null;
  }

  /** Per-core ring (busy / emptyPoll shares), or null. */
  function coreSeries(core: number): SeriesRing | null {
    return coreRings[core] ?? null;
  }
  /** Per-VM request-rate ring, or null. */
  function vmSeries(vm: number): SeriesRing | null {
    return vmRings[vm] ?? null;
  }

  return { stream, sessionId, liveHost, switchHost, latest, version, batches, totals, events, ingest, show, reset, start, stop, coreSeries, vmSeries };
});
