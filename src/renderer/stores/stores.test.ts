// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { ok, err, type ConsoleState, type HostEvent } from '../../shared/api.ts';
import { setApi } from '../api-client.ts';
import { makeSnapshot, makeState, memoryApi } from '../test-fixtures.ts';
import { useConsoleStore } from './console.ts';
import { useTelemetryStore, HISTORY_POINTS, LIVE_WINDOW_MS } from './telemetry.ts';
import { useSessionsStore } from './sessions.ts';
import { useTimeViewStore } from './timeview.ts';
import { useTrend } from './trend.ts';
import { computed, isProxy } from 'vue';
import { toTrendPoint } from '../../shared/snapshot.ts';

beforeEach(() => setActivePinia(createPinia()));

describe('console store', () => {
  it('loads state, scenarios and policies and follows status pushes', async () => {
    const state = makeState(8, 4);
    const m = memoryApi({
      getState: async () => ok(state),
      listScenarios: async () => ok([{ name: 'mixed', description: 'd', cores: 8, vms: 4, groups: ['web'], phases: [] }]),
      listPolicies: async () => ok([{ name: 'iocm', description: 'ours', defaults: { a: 1 }, fields: [] }]),
    });
    setApi(m.api);
    const s = useConsoleStore();
    await s.start();
    expect(s.host?.cores).toBe(8);
    expect(s.scenarios.map((x) => x.name)).toEqual(['mixed']);
    expect(s.policies[0].name).toBe('iocm');
    const next: ConsoleState = { ...state, overrides: { ...state.overrides, pinned: [3] } };
    m.emit('status', next);
    expect(s.overrides.pinned).toEqual([3]);
    s.stop();
    m.emit('status', state);
    expect(s.overrides.pinned).toEqual([3]);
  });

  it('keeps a refusal as the command error and applies accepted overrides', async () => {
    const state = makeState(4, 2);
    const m = memoryApi({
      getState: async () => ok(state),
      listScenarios: async () => ok([]),
      listPolicies: async () => ok([]),
      pinCore: async ({ core }) => (core === 0 ? err('refused', 'At least 1 VM core must remain.') : ok({ ...state.overrides, pinned: [core] })),
    });
    setApi(m.api);
    const s = useConsoleStore();
    await s.start();
    const bad = await s.pinCore(0);
    expect(bad.ok).toBe(false);
    expect(s.errors.core?.message).toMatch(/VM core/);
    const good = await s.pinCore(2);
    expect(good.ok).toBe(true);
    expect(s.errors.core).toBeNull();
    expect(s.overrides.pinned).toEqual([2]);
    // bad arguments are refused by the shared schema before any handler
    const invalid = await s.pinCore(-1);
    expect(!invalid.ok && invalid.error.code).toBe('invalid-argument');
  });
});

describe('telemetry store', () => {
  it('takes a thinned message (trend points, then the newest snapshot) as it takes the full snapshots', () => {
    const snaps = Array.from({ length: 8 }, (_, i) => {
      const s = makeSnapshot({ cores: 4, side: [3], vms: 3, seq: i });
      s.totals.score = 1.5 * i;
      s.totals.requestsPerSec = 1000 + i;
      s.cores[1].cycles.guest *= (i + 1) / 8;
      s.vms.forEach((v, j) => (v.requestsPerSec = 100 * i + j));
      return s;
    });
    const full = useTelemetryStore();
    full.ingest({ stream: 'live', sessionId: 's', batch: { snapshots: snaps, events: [] } });
    setActivePinia(createPinia());
    const thin = useTelemetryStore();
    thin.ingest({ stream: 'live', sessionId: 's', trend: snaps.slice(0, -1).map(toTrendPoint), batch: { snapshots: [snaps[7]], events: [] } });
    expect(thin.totals.length).toBe(8);
    const rings = (t: ReturnType<typeof useTelemetryStore>) => [t.totals, ...[0, 1, 2, 3].map((c) => t.coreSeries(c)!), ...[0, 1, 2].map((v) => t.vmSeries(v)!)];
    const a = rings(full);
    const b = rings(thin);
    for (let k = 0; k < a.length; k++) {
      expect(b[k].times()).toEqual(a[k].times());
      for (const col of a[k].columns) expect(b[k].column(col)).toEqual(a[k].column(col));
    }
    expect(thin.coreSeries(1)!.column('busy')[0]).not.toBe(thin.coreSeries(1)!.column('busy')[7]);
    expect(thin.latest).toBe(snaps[7]);
    // a duplicate trend point (backfill overlap) is dropped like a duplicate snapshot
    thin.ingest({ stream: 'live', sessionId: 's', trend: [toTrendPoint(snaps[6])], batch: { snapshots: [], events: [] } });
    expect(thin.totals.length).toBe(8);
  });

  it('hands out its rings raw, not as reactive proxies (chart updates read every point)', () => {
    const t = useTelemetryStore();
    expect(isProxy(t.totals)).toBe(false);
    expect(isProxy(t.events)).toBe(false);
  });

  it('ingests only the stream shown, keeps rings bounded, restarts on a seek back', async () => {
    const m = memoryApi({});
    setApi(m.api);
    const t = useTelemetryStore();
    await t.start();
    const snap = (seq: number) => makeSnapshot({ cores: 4, side: [3], vms: 2, seq });
    m.emit('telemetry', { stream: 'replay', sessionId: 'x', batch: { snapshots: [snap(0)], events: [] } });
    expect(t.latest).toBeNull();
    const many = Array.from({ length: HISTORY_POINTS + 50 }, (_, i) => snap(i));
    m.emit('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: many, events: [{ t: 100, source: 'policy', kind: 'decision', message: 'x' }] } });
    expect(t.latest?.seq).toBe(HISTORY_POINTS + 49);
    expect(t.totals.length).toBe(HISTORY_POINTS);
    expect(t.totals.last('score')).toBe(100 + HISTORY_POINTS + 49);
    expect(t.coreSeries(3)?.last('emptyPoll')).toBeCloseTo(0.5);
    expect(t.vmSeries(1)?.length).toBeGreaterThan(0);
    expect(t.events.length).toBe(1);
    m.emit('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: [snap(5)], events: [] } });
    expect(t.totals.length).toBe(1);
    t.show('replay', 'x');
    expect(t.latest).toBeNull();
    m.emit('telemetry', { stream: 'replay', sessionId: 'other', batch: { snapshots: [snap(1)], events: [] } });
    expect(t.latest).toBeNull();
    m.emit('telemetry', { stream: 'replay', sessionId: 'x', batch: { snapshots: [snap(1)], events: [] } });
    expect(t.latest?.seq).toBe(1);
  });

  it('fills the buffers from the live stream’s recent past and skips what it already has', async () => {
    const snap = (seq: number) => makeSnapshot({ cores: 4, side: [3], vms: 2, seq });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const m = memoryApi({
      getRecentTelemetry: async ({ snapshots }) => {
        await gate;
        return ok({ stream: 'live' as const, sessionId: 's', batch: { snapshots: [snap(0), snap(1), snap(2)].slice(-(snapshots ?? 3)), events: [{ t: 100, source: 'policy' as const, kind: 'decision' as const, message: 'early' }] } });
      },
    });
    setApi(m.api);
    const t = useTelemetryStore();
    const started = t.start();
    await new Promise((r) => setTimeout(r, 0));
    // arrives while the backfill is in flight: overlaps (seq 2) and extends (seq 3)
    m.emit('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: [snap(2), snap(3)], events: [] } });
    release();
    await started;
    expect(t.totals.times()).toEqual([100, 200, 300, 400]);
    expect(t.events.toArray().map((e) => e.message)).toEqual(['early']);
  });
});

describe('telemetry store: backfill then live', () => {
  it('keeps a full backfill when the first live batches repeat part of it (dedupe by seq, no reset)', async () => {
    const snap = (seq: number) => makeSnapshot({ cores: 4, side: [3], vms: 2, seq });
    const asked: unknown[] = [];
    const m = memoryApi({
      getRecentTelemetry: async (args) => {
        asked.push(args);
        return ok({ stream: 'live' as const, sessionId: 's', batch: { snapshots: Array.from({ length: HISTORY_POINTS }, (_, i) => snap(i)), events: [{ t: 500, source: 'policy' as const, kind: 'decision' as const, message: 'grow' }] } });
      },
    });
    setApi(m.api);
    const t = useTelemetryStore();
    await t.start();
    expect(asked).toEqual([{ snapshots: HISTORY_POINTS, windowMs: LIVE_WINDOW_MS }]);
    expect(t.totals.length).toBe(HISTORY_POINTS);
    // the first live batches overlap the backfill's newest snapshots and its last decision
    const overlap = Array.from({ length: 10 }, (_, i) => snap(HISTORY_POINTS - 5 + i));
    m.emit('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: overlap.slice(0, 5), events: [{ t: 500, source: 'policy', kind: 'decision', message: 'grow' }] } });
    m.emit('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: overlap.slice(3), events: [] } });
    expect(t.totals.length).toBe(HISTORY_POINTS);
    const seqs = t.totals.column('seq');
    expect(seqs[0]).toBe(5);
    expect(seqs.at(-1)).toBe(HISTORY_POINTS + 4);
    expect(seqs.every((q, i) => i === 0 || q === seqs[i - 1] + 1)).toBe(true);
    expect(t.events.length).toBe(1);
  });
});

describe('chart redraws follow the refresh rate', () => {
  it('what the charts draw does not change with each snapshot when the refresh is paused', async () => {
    const m = memoryApi({});
    setApi(m.api);
    const t = useTelemetryStore();
    await t.start();
    const tv = useTimeViewStore();
    const trend = useTrend();
    let evaluated = 0;
    // what a chart's option depends on (HostOverview builds its options the same way)
    const option = computed(() => {
      evaluated++;
      void trend.version();
      return [trend.line('score').length, trend.xRange(), trend.events().length, trend.wallStart(), trend.cursor()];
    });
    const batch = (seq: number) => m.emit('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: [makeSnapshot({ cores: 4, side: [3], vms: 2, seq })], events: [] } });
    batch(1);
    void option.value;
    const live = evaluated;
    batch(2);
    void option.value;
    expect(evaluated).toBe(live + 1); // 10/s: every batch redraws
    tv.refreshMs = 0;
    void option.value; // the rate itself changed: one redraw
    const paused = evaluated;
    for (let seq = 3; seq < 10; seq++) {
      batch(seq);
      void option.value;
    }
    expect(evaluated).toBe(paused);
    for (const r of [5, 15] as const) {
      tv.rangeMin = r; // a long range: the x axis is the last query's window, not the newest snapshot
      void option.value;
      const before = evaluated;
      batch(20 + r);
      void option.value;
      expect(evaluated).toBe(before);
    }
  });
});

describe('sessions store', () => {
  it('exports through saveFile and falls back to a download when the host has no dialog', async () => {
    const m = memoryApi({
      exportSession: async () => ok({ fileName: 's.csv', mimeType: 'text/csv', size: 8, exportId: 'ab'.repeat(16) }),
    });
    setApi(m.api);
    const s = useSessionsStore();
    await s.exportSession('s1', 'csv', 'wide');
    const call = m.calls.find((c) => c.method === 'exportSession')!;
    expect(call.args).toMatchObject({ sessionId: 's1', format: 'csv', layout: 'wide' });
    expect(m.calls.some((c) => c.method === 'saveFile')).toBe(true);
    expect(s.lastSaved).toBe('Downloaded s.csv');
    expect(s.ops).toEqual([]);
  });

  it('tracks what-if progress by operation id and can cancel it', async () => {
    let release: () => void = () => {};
    const m = memoryApi({
      whatIf: async ({ opId }) => {
        m.emit('progress', { opId: opId!, kind: 'whatif', fraction: 0.5, message: 'half way' });
        await new Promise<void>((r) => (release = r));
        return err('cancelled', 'The what-if run was cancelled.');
      },
      cancel: async () => {
        release();
        return ok(null);
      },
      listSessions: async () => ok([]),
    });
    setApi(m.api);
    const s = useSessionsStore();
    const run = s.whatIf('s1', 'vhost');
    await new Promise((r) => setTimeout(r, 0));
    expect(s.ops).toHaveLength(1);
    expect(s.ops[0].fraction).toBe(0.5);
    expect(s.ops[0].message).toBe('half way');
    await s.cancel(s.ops[0].opId);
    await run;
    expect(s.ops).toEqual([]);
    expect(s.errors.whatif?.code).toBe('cancelled');
    expect(s.comparison).toBeNull();
  });
});

describe('cycle shares from history', () => {
  it('takes the host totals, and leaves a gap (NaN) where no cycles were recorded instead of drawing the host at 0 %', async () => {
    const { sharesOf } = await import('./replay.ts');
    const keys = ['guest', 'exit', 'io', 'emptyPoll', 'ctxSwitch', 'idle'];
    const series = keys.map((k) => ({ key: `totals.cycles.${k}`, values: k === 'guest' ? [6, Number.NaN] : k === 'idle' ? [2, Number.NaN] : [0, Number.NaN], min: [], max: [], last: [] }));
    const shares = sharesOf({ t: [0, 100], resolutionMs: 100, series });
    expect(shares.guest[0]).toBeCloseTo(0.75);
    expect(shares.idle[0]).toBeCloseTo(0.25);
    for (const k of keys) expect(shares[k][1]).toBeNaN();
  });
});

describe('telemetry store across hosts and link gaps', () => {
  it('keeps the data before a live gap, holds the gap events, and follows a host switch with a new backfill', async () => {
    const snap = (seq: number) => makeSnapshot({ cores: 4, side: [3], vms: 2, seq });
    let recentHost = 'h1';
    const m = memoryApi({
      getRecentTelemetry: async () => ok({ stream: 'live', sessionId: `s-${recentHost}`, hostId: recentHost, batch: { snapshots: recentHost === 'h1' ? [snap(0), snap(1)] : [snap(50)], events: [] } }),
    });
    setApi(m.api);
    const tel = useTelemetryStore();
    await tel.start();
    expect(tel.liveHost).toBe('h1');
    expect(tel.totals.length).toBe(2);
    const lost: HostEvent = { t: 200, source: 'system', kind: 'disconnect', message: 'Lost the link', data: { gap: 'start' } };
    m.emit('telemetry', { stream: 'live', sessionId: 's-h1', hostId: 'h1', batch: { snapshots: [], events: [lost] } });
    // 30 s later the link is back: the data before the gap stays
    m.emit('telemetry', { stream: 'live', sessionId: 's-h1', hostId: 'h1', batch: { snapshots: [snap(300)], events: [{ ...lost, t: 30_100, kind: 'connect', data: { gap: 'end' } }] } });
    expect(tel.totals.length).toBe(3);
    expect(tel.events.toArray().map((e) => e.kind)).toEqual(['disconnect', 'connect']);
    // another host's data in flight is not mixed in
    m.emit('telemetry', { stream: 'live', sessionId: 's-h2', hostId: 'h2', batch: { snapshots: [snap(301)], events: [] } });
    expect(tel.totals.length).toBe(3);
    // the selected host changes: buffers start over from its backfill
    recentHost = 'h2';
    await tel.switchHost('h2');
    expect(tel.liveHost).toBe('h2');
    expect(tel.totals.length).toBe(1);
    expect(tel.latest?.seq).toBe(50);
    m.emit('telemetry', { stream: 'live', sessionId: 's-h2', hostId: 'h2', batch: { snapshots: [snap(51)], events: [] } });
    expect(tel.totals.length).toBe(2);
  });
});
