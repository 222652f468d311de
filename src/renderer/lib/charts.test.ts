import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../../shared/policy.ts';
import { LIGHT, atResolution, bucketMs, dataPatch, decimate, linkGaps, marksKey, timeChartOption, withGaps } from './charts.ts';

const gap = (t: number, edge: 'start' | 'end'): HostEvent => ({
  t,
  source: 'system',
  kind: edge === 'start' ? 'disconnect' : 'connect',
  message: edge === 'start' ? 'Lost the link to kvm-a; reconnecting' : 'The link to kvm-a is back after 3.0 s',
  data: { gap: edge },
});

describe('link gaps on time charts', () => {
  it('pairs gap events into intervals; an open gap runs to the end', () => {
    const evs = [gap(1000, 'start'), gap(4000, 'end'), { t: 5000, source: 'policy', kind: 'decision', message: 'x' } as HostEvent, gap(6000, 'start')];
    expect(linkGaps(evs, 9000)).toEqual([
      [1000, 4000],
      [6000, 9000],
    ]);
    expect(linkGaps([gap(2000, 'end')], 9000)).toEqual([]);
  });

  it('breaks a line with a null point where data is missing, and leaves a regular line alone', () => {
    const regular: [number, number][] = [
      [0, 1],
      [100, 2],
      [200, 3],
    ];
    expect(withGaps(regular, 500)).toBe(regular);
    const holed: [number, number][] = [
      [0, 1],
      [100, 2],
      [3100, 5],
      [3200, 6],
    ];
    expect(withGaps(holed, 500)).toEqual([
      [0, 1],
      [100, 2],
      [1600, null],
      [3100, 5],
      [3200, 6],
    ]);
  });

  it('draws the gap (null point, no interpolation) and marks the disconnected interval', () => {
    const data: [number, number][] = [];
    for (let t = 0; t <= 2000; t += 100) data.push([t, 10]);
    for (let t = 7000; t <= 9000; t += 100) data.push([t, 12]);
    const opt = timeChartOption({ lines: [{ name: 'Score', data }], yAxes: [{ name: 'score' }], events: [gap(2000, 'start'), gap(7000, 'end')] }, LIGHT);
    const series = opt.series as { data: [number, number | null][]; connectNulls: boolean; markArea: { data: { xAxis: number }[][] } }[];
    expect(series[0].connectNulls).toBe(false);
    const nulls = series[0].data.filter((p) => p[1] === null);
    expect(nulls).toEqual([[4500, null]]);
    expect(series[0].markArea.data.map((d) => [d[0].xAxis, d[1].xAxis])).toEqual([[2000, 7000]]);
    // the data patch (live redraws) carries the marks too
    const patch = dataPatch(opt) as { series: { markArea?: unknown }[] };
    expect(patch.series[0].markArea).toEqual(series[0].markArea);
    // ... unless they did not change since the last one sent (ECharts keeps and moves them)
    const bare = dataPatch(opt, false) as { series: Record<string, unknown>[] };
    expect(bare.series.map((s) => Object.keys(s))).toEqual([['data']]);
    // the tooltip says the link was down instead of showing a value
    const fmt = (opt.tooltip as { formatter: (p: unknown[]) => string }).formatter;
    const html = fmt([{ axisValue: 4500, seriesName: 'Score', value: [4500, null], seriesIndex: 0, marker: '' }]);
    expect(html).toContain('Link down</b> for 5.0 s');
    expect(html).not.toContain('Score:');
  });
});

describe('link gaps recorded by a host itself', () => {
  it('reads a connect event with gapMs as the end of the gap', () => {
    const evs: HostEvent[] = [
      { t: 5000, source: 'system', kind: 'disconnect', message: 'lost the link', data: { error: 'closed' } },
      { t: 5000, source: 'system', kind: 'connect', message: 'link back after 4.0 s', data: { gapMs: 4000, from: 5000 } },
    ];
    expect(linkGaps(evs, 20_000)).toEqual([[5000, 9000]]);
  });
});

describe('lines at screen resolution', () => {
  const line = (n: number, step = 100, f = (i: number) => i): [number, number][] => Array.from({ length: n }, (_x, i) => [i * step, f(i)]);

  it('picks a round bucket width only when there are more points than pixels', () => {
    expect(bucketMs(60_000, 1000, 100)).toBe(100); // 600 points fit in 1000 px
    expect(bucketMs(60_000, 420, 100)).toBe(200); // 600 points in 420 px: pairs
    expect(bucketMs(60_000, 420, 100.3)).toBe(200); // the average step wobbles: same width
    expect(bucketMs(60_000, 100, 100)).toBe(1000); // 6 points per pixel: rounded up to 1 s (1, 2 or 5 × 10^k)
    expect(bucketMs(0, 420, 100)).toBe(100);
  });

  it('averages aligned buckets, keeps times on the data, and keeps gaps', () => {
    const d = line(10); // t 0..900, values 0..9
    expect(decimate(d, 200)).toEqual([
      [100, 0.5],
      [300, 2.5],
      [500, 4.5],
      [700, 6.5],
      [900, 8.5],
    ]);
    // a window that slid by one point keeps the same buckets (the first is partial)
    expect(decimate(d.slice(1), 200).slice(1)).toEqual(decimate(d, 200).slice(1));
    // a bucket of nulls stays a gap; a bucket with one null averages the rest
    const holed: [number, number | null][] = [
      [0, 1],
      [100, 3],
      [200, null],
      [300, null],
      [400, null],
      [500, 7],
    ];
    expect(decimate(holed, 200)).toEqual([
      [100, 2],
      [300, null],
      [500, 7],
    ]);
  });

  it('decimates every series of an option alike (stacks stay aligned) and leaves small ones alone', () => {
    const opt = timeChartOption(
      {
        lines: [
          { name: 'a', data: line(600, 100, () => 0.25), stack: 's', area: true },
          { name: 'b', data: line(600, 100, () => 0.75), stack: 's', area: true },
        ],
        yAxes: [{ name: 'share' }],
      },
      LIGHT,
    );
    const r = atResolution(opt, 400) as { series: { data: [number, number][]; stack?: string }[] };
    expect(r.series[0].data.length).toBe(300);
    expect(r.series[0].data.map((p) => p[0])).toEqual(r.series[1].data.map((p) => p[0]));
    expect(r.series.every((s) => s.data.every((p) => p[1] === 0.25 || p[1] === 0.75))).toBe(true);
    expect(r.series[0].stack).toBe('s');
    expect(atResolution(opt, 2000)).toBe(opt);
  });
});

describe('marksKey', () => {
  const ev = (t: number): HostEvent => ({ t, source: 'operator', kind: 'override', message: 'pin' });
  const data: [number, number][] = [
    [0, 1],
    [1000, 2],
    [2000, 3],
  ];
  const key = (events: HostEvent[], cursor?: number, d = data) => marksKey(timeChartOption({ lines: [{ name: 'a', data: d }], yAxes: [{ name: 'a' }], events, cursor }, LIGHT));
  it('changes with the annotations and the cursor, not with the data', () => {
    expect(key([ev(500)])).toBe(key([ev(500)], undefined, [...data, [3000, 9]]));
    expect(key([ev(500)])).not.toBe(key([ev(500), ev(1500)]));
    expect(key([ev(500)])).not.toBe(key([ev(500)], 1200));
    expect(key([ev(500)], 1200)).not.toBe(key([ev(500)], 1300));
  });
});
