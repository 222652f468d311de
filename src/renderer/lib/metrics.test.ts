import { describe, expect, it } from 'vitest';
import { BoundedList, SeriesRing } from './ring.ts';
import { withUnit, checkField, coreTiles, cycleShares, headline, isAnnotated, latency, si, sideCoreRows, tileRole, vmRows, sessionTime } from './metrics.ts';
import { timeChartOption, LIGHT, eventsNear } from './charts.ts';
import { makeSnapshot } from '../test-fixtures.ts';
import type { HostEvent } from '../../shared/policy.ts';

describe('SeriesRing', () => {
  it('keeps the newest rows in order and stays bounded', () => {
    const r = new SeriesRing(3, ['a', 'b']);
    expect(r.last('a')).toBeNaN();
    for (let i = 0; i < 5; i++) r.push(i * 100, [i, i * 10]);
    expect(r.length).toBe(3);
    expect(r.times()).toEqual([200, 300, 400]);
    expect(r.column('b')).toEqual([20, 30, 40]);
    expect(r.pairs('a')).toEqual([[200, 2], [300, 3], [400, 4]]);
    expect(r.last('a')).toBe(4);
    r.clear();
    expect(r.length).toBe(0);
    expect(() => r.column('nope')).toThrow(/no column/);
  });
  it('BoundedList drops the oldest', () => {
    const l = new BoundedList<number>(2);
    l.push(1, 2, 3);
    expect(l.toArray()).toEqual([2, 3]);
  });
});

describe('metrics', () => {
  const s = makeSnapshot({ cores: 4, side: [3], vms: 3 });

  it('operator overrides win over the model role', () => {
    const o = { pinned: [2], released: [1], countLock: null, paused: false };
    expect(tileRole(2, 'vm', o)).toBe('pinned');
    expect(tileRole(1, 'side', o)).toBe('released');
    expect(tileRole(0, 'side', o)).toBe('side');
    expect(tileRole(0, 'vm', null)).toBe('vm');
    const tiles = coreTiles(s, o);
    expect(tiles.map((t) => t.role)).toEqual(['vm', 'released', 'pinned', 'side']);
    expect(tiles[3].isSide).toBe(true);
  });

  it('cycle shares sum to one and busy excludes idle and empty polls', () => {
    const sh = cycleShares({ guest: 50, exit: 10, io: 20, emptyPoll: 10, ctxSwitch: 0, idle: 10 });
    expect(sh.guest).toBeCloseTo(0.5);
    expect(Object.values(sh).reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(cycleShares({ guest: 0, exit: 0, io: 0, emptyPoll: 0, ctxSwitch: 0, idle: 0 }).idle).toBe(0);
    const tile = coreTiles(s, null)[3];
    expect(tile.busy).toBeCloseTo(1 - tile.shares.idle - tile.shares.emptyPoll);
  });

  it('headline and side-core rows come from the snapshot', () => {
    expect(headline(s).sideCores).toBe(1);
    expect(headline(s).p99Us).toBe(s.totals.latencyUs.p99);
    const rows = sideCoreRows(s);
    expect(rows).toHaveLength(1);
    expect(rows[0].coreId).toBe(3);
    expect(rows[0].queues.reduce((a, q) => a + q.share, 0)).toBeCloseTo(1);
    expect(rows[0].busy + rows[0].emptyPoll).toBeLessThanOrEqual(1);
  });

  it('vm rows filter and sort', () => {
    const all = vmRows(s, '', 'requestsPerSec', true);
    expect(all.map((r) => r.requestsPerSec)).toEqual([...all.map((r) => r.requestsPerSec)].sort((a, b) => b - a));
    expect(vmRows(s, 'VM-1', 'name', false).map((r) => r.name)).toEqual(['vm-1']);
    expect(vmRows(s, 'zzz', 'name', false)).toEqual([]);
    expect(vmRows(s, '', 'name', false).map((r) => r.name)).toEqual(['vm-0', 'vm-1', 'vm-2']);
  });

  it('formats numbers for people', () => {
    expect(si(1234)).toBe('1.23 k');
    expect(si(5_600_000, 'B/s')).toBe('5.60 MB/s');
    expect(si(12)).toBe('12.0');
    expect(si(NaN)).toBe('—');
    expect(latency(42.25)).toBe('42.3 µs');
    expect(latency(2500)).toBe('2.5 ms');
    expect(sessionTime(61_500)).toBe('1:01.5');
    expect(withUnit(2600, 'µs')).toBe('2.6 ms');
    expect(withUnit(16.34, 's')).toBe('16.3 s');
    expect(withUnit(2290, '')).toBe('2.29 k');
    expect(sessionTime(3_723_000)).toBe('1:02:03');
  });

  it('validates policy fields', () => {
    const f = { label: 'Threshold', type: 'number' as const, min: 0, max: 1 };
    expect(checkField(f, '0.5')).toEqual({ value: 0.5 });
    expect(checkField(f, '2')).toEqual({ error: 'Threshold must be at most 1' });
    expect(checkField(f, 'x')).toEqual({ error: 'Threshold must be a number' });
    expect(checkField({ ...f, type: 'integer' }, '0.5')).toEqual({ error: 'Threshold must be a whole number' });
    expect(checkField({ ...f, type: 'boolean' }, true)).toEqual({ value: true });
  });
});

describe('charts', () => {
  const ev = (t: number, kind: HostEvent['kind'], dk?: string): HostEvent => ({
    t,
    kind,
    source: kind === 'override' ? 'operator' : 'policy',
    message: `m${t}`,
    data: dk ? { policy: 'iocm', decision: { kind: dk, actions: [], reason: 'r', metrics: { idleIo: 0.05 } } } : undefined,
  });
  it('annotates changes and overrides, not quiet stays', () => {
    const events = [ev(100, 'decision', 'change'), ev(200, 'decision', 'stay'), ev(300, 'override'), ev(400, 'phase')];
    expect(events.map(isAnnotated)).toEqual([true, false, true, false]);
    const opt = timeChartOption(
      { lines: [{ name: 'score', data: [[0, 1], [500, 2]] }], yAxes: [{ name: 'score' }], events },
      LIGHT,
    ) as { series: { markLine?: { data: { xAxis: number }[] } }[]; animation: boolean; tooltip: { formatter: (p: unknown[]) => string } };
    expect(opt.animation).toBe(false);
    expect(opt.series[0].markLine?.data.map((d) => d.xAxis)).toEqual([100, 300]);
    expect(eventsNear(events, 110, 20).map((e) => e.t)).toEqual([100]);
    const html = opt.tooltip.formatter([{ axisValue: 100, seriesName: 'score', value: [100, 1], seriesIndex: 0, marker: '' }]);
    expect(html).toContain('m100');
    expect(html).toContain('idle I/O capacity 0.05 cores');
  });
});

describe('words and units', () => {
  it('labels decision metrics with units, and counts with the right plural', async () => {
    const { metricText, metricsText, plural } = await import('./metrics.ts');
    expect(metricText('vhostCores', 0.631)).toBe('vhost thread work 0.63 cores');
    expect(metricText('maxSideBusy', 0.452)).toBe('busiest side core 45 %');
    expect(metricText('unknownThing', 2)).toBe('unknownThing 2');
    expect(metricsText({ ioWork: 0, sideCores: 1 })).toBe('I/O work on side cores 0.00 cores · side cores 1');
    expect(plural(1, 'side core')).toBe('1 side core');
    expect(plural(2, 'side core')).toBe('2 side cores');
  });
});
