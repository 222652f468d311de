import { describe, expect, it } from 'vitest';
import { LIGHT, timeChartOption } from './charts.ts';
import { BANDS_SERIES, bandLegendSeries, bandPolygons, stackedBands } from './stacked.ts';

const id = (x: number) => x;

describe('bandPolygons', () => {
  it('stacks each band on the ones below it: top edge left to right, bottom edge back', () => {
    const a: [number, number][] = [
      [0, 1],
      [10, 2],
    ];
    const b: [number, number][] = [
      [0, 3],
      [10, 1],
    ];
    const [pa, pb] = bandPolygons([a, b], id, id);
    expect(pa).toEqual([
      [
        [0, 1],
        [10, 2],
        [10, 0],
        [0, 0],
      ],
    ]);
    expect(pb).toEqual([
      [
        [0, 4],
        [10, 3],
        [10, 2],
        [0, 1],
      ],
    ]);
  });

  it('splits bands at points without data (a gap draws nothing, not a band across it)', () => {
    const a: [number, number | null][] = [
      [0, 1],
      [10, 1],
      [20, null],
      [30, 2],
      [40, 2],
    ];
    const [pa] = bandPolygons([a], id, (v) => -v);
    expect(pa).toHaveLength(2);
    expect(pa[0].map((p) => p[0])).toEqual([0, 10, 10, 0]);
    expect(pa[1].map((p) => p[0])).toEqual([30, 40, 40, 30]);
    expect(pa[1][0][1]).toBe(-2);
  });

  it('maps data to pixels with the given functions', () => {
    const [p] = bandPolygons(
      [
        [
          [0, 0.5],
          [1, 0.5],
        ],
      ],
      (t) => 100 + t * 50,
      (v) => 200 - v * 100,
    );
    expect(p[0]).toEqual([
      [100, 150],
      [150, 150],
      [150, 200],
      [100, 200],
    ]);
  });
});

describe('stackedBands', () => {
  const shares = (v: number): [number, number][] => [
    [0, v],
    [100, v],
    [200, v],
  ];
  const option = (hiddenEvents = false) =>
    timeChartOption(
      {
        lines: [
          { name: 'Guest', data: shares(0.5), stack: 'c', area: true, color: '#00aa00' },
          { name: 'Exits', data: shares(0.2), stack: 'c', area: true, color: '#aa0000' },
          { name: 'Idle', data: shares(0.3), stack: 'c', area: true, color: '#888888' },
        ],
        yAxes: [{ name: 'share', max: 1 }],
        events: hiddenEvents ? [] : [{ t: 100, source: 'operator', kind: 'override', message: 'pinned core 1' }],
      },
      LIGHT,
    );

  it('draws the stacked areas as one custom series spanning their time range and highest total', () => {
    const out = stackedBands(option());
    const series = out.series as { type: string; name: string; data: number[][]; markLine?: { data: unknown[] } }[];
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ type: 'custom', name: BANDS_SERIES });
    expect(series[0].data[0]).toEqual([0, 0]);
    expect(series[0].data[1][0]).toBe(200);
    expect(series[0].data[1][1]).toBeCloseTo(1);
    // the first band's annotations move with it
    expect(series[0].markLine?.data).toHaveLength(1);
  });

  it('draws every shown band once, in order, from the first data item only', () => {
    const out = stackedBands(option(), new Set(['Exits']));
    const s = (out.series as { renderItem: (p: { dataIndex: number }, api: { coord: (v: [number, number]) => number[] }) => { children: { style: { fill: string }; shape: { points: number[][] } }[] } | null }[])[0];
    const api = { coord: ([t, v]: [number, number]) => [t, 100 - v * 100] };
    expect(s.renderItem({ dataIndex: 1 }, api)).toBeNull();
    const g = s.renderItem({ dataIndex: 0 }, api)!;
    expect(g.children.map((c) => c.style.fill)).toEqual(['#00aa00', '#888888']);
    // Idle sits on Guest alone once Exits is hidden: its top edge at 0.5 + 0.3
    expect(g.children[1].shape.points[0][1]).toBeCloseTo(100 - 80);
  });

  it("keeps the tooltip's values: each shown band at the pointer's time", () => {
    const out = stackedBands(option(), new Set(['Idle']));
    const fmt = (out.tooltip as { formatter: (p: unknown[]) => string }).formatter;
    const html = fmt([{ axisValue: 110, seriesName: BANDS_SERIES, value: [0, 0], seriesIndex: 0, marker: '' }]);
    expect(html).toContain('Guest: 0.5');
    expect(html).toContain('Exits: 0.2');
    expect(html).not.toContain('Idle');
    expect(html.indexOf('Guest')).toBeLessThan(html.indexOf('Exits'));
  });

  it('leaves an option without stacked areas as it is', () => {
    const lines = timeChartOption({ lines: [{ name: 'Score', data: shares(3) }], yAxes: [{ name: 'score' }] }, LIGHT);
    expect(stackedBands(lines)).toBe(lines);
    expect(bandLegendSeries(lines)).toEqual([]);
  });

  it("names the shown bands for ECharts' own legend (PNG exports)", () => {
    expect(bandLegendSeries(option(), new Set(['Idle'])).map((s) => [s.name, s.color, (s.data as unknown[]).length])).toEqual([
      ['Guest', '#00aa00', 0],
      ['Exits', '#aa0000', 0],
    ]);
  });
});
