/**
 * Stacked area charts drawn as one ECharts custom series. A time chart option describes its
 * stacked bands as ordinary stacked line series (what the tests and the tooltip read); before
 * drawing, {@link stackedBands} replaces them with a single custom series that draws every band
 * as one polygon from the same points. ECharts' line series cost ~1 ms each per update (series
 * data, stacking, line and area layout): the six-band "Where the cycles go" chart took ~10 ms
 * of a 10 Hz frame on a 64-core host, twice the two-line chart beside it; as one custom series
 * it costs about what that two-line chart does.
 */

/** A line series as the time chart options describe it (the parts read here). */
interface LineSeries {
  name?: string;
  type?: string;
  stack?: string;
  data?: [number, number | null][];
  color?: string;
  areaStyle?: { opacity?: number };
  yAxisIndex?: number;
  markLine?: unknown;
  markArea?: unknown;
}

/** A tooltip parameter as ECharts passes it to an axis tooltip formatter (the parts used). */
interface TooltipParam {
  axisValue: number;
  seriesName: string;
  value: [number, number | null];
  seriesIndex: number;
  marker: string;
}

/** ECharts' custom-series render API (the parts used). */
interface RenderApi {
  coord(value: [number, number]): number[];
}

/** The option's series when they are all stacked areas of one stack (what stackedBands redraws), else null. */
function stackedAreas(option: Record<string, unknown>): LineSeries[] | null {
  const series = option.series as LineSeries[] | undefined;
  return series?.length && series.every((s) => s.stack && s.areaStyle && s.stack === series[0].stack) ? series : null;
}

/** Name of the custom series that draws the bands. */
export const BANDS_SERIES = 'stacked bands';

/**
 * Polygons (pixel points) of stacked bands: for each band, in order, the area between the sum of
 * the bands below it and that sum plus its own values. A null value (no data) splits the bands:
 * each run of points with data gets its own polygon. `toX`/`toY` map data to pixels.
 */
export function bandPolygons(bands: readonly (readonly [number, number | null][])[], toX: (t: number) => number, toY: (v: number) => number): number[][][][] {
  const n = bands[0]?.length ?? 0;
  const lower = new Float64Array(n);
  const out: number[][][][] = [];
  for (const band of bands) {
    const polys: number[][][] = [];
    let i = 0;
    while (i < n) {
      while (i < n && band[i][1] == null) i++;
      const from = i;
      while (i < n && band[i][1] != null) i++;
      if (i - from < 1) continue;
      const pts: number[][] = [];
      for (let j = from; j < i; j++) pts.push([toX(band[j][0]), toY(lower[j] + (band[j][1] as number))]);
      for (let j = i - 1; j >= from; j--) pts.push([toX(band[j][0]), toY(lower[j])]);
      polys.push(pts);
    }
    for (let j = 0; j < n; j++) lower[j] += band[j][1] ?? 0;
    out.push(polys);
  }
  return out;
}

/** The value of `data` at time `t` (the point nearest it), or null. */
function valueAt(data: readonly [number, number | null][], t: number): number | null {
  let lo = 0;
  let hi = data.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (data[mid][0] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(data[lo - 1][0] - t) < Math.abs(data[lo][0] - t)) lo--;
  return data[lo][1];
}

/** ECharts' round colour marker of a tooltip line. */
function marker(color: string): string {
  return `<span style="display:inline-block;margin-right:4px;border-radius:10px;width:10px;height:10px;background-color:${color};"></span>`;
}

/**
 * The option with its stacked area series (all sharing one stack) drawn as one custom series
 * (see the file comment); bands named in `hidden` are left out, the rest stack without them.
 * The first band's annotations move to the custom series; the tooltip still lists every shown
 * band's value (read from the data at the pointer's time). An option without stacked areas is
 * returned as it is.
 */
export function stackedBands(option: Record<string, unknown>, hidden: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const series = stackedAreas(option);
  if (!series) return option;
  const shown = series.map((s, i) => ({ s, i })).filter(({ s }) => !hidden.has(s.name ?? ''));
  const bands = shown.map(({ s }) => s.data ?? []);
  const first = series[0].data ?? [];
  const x0 = first.length ? first[0][0] : 0;
  const x1 = first.length ? first[first.length - 1][0] : 1;
  let top = 0;
  for (let j = 0; j < first.length; j++) {
    let sum = 0;
    for (const b of bands) sum += b[j]?.[1] ?? 0;
    if (sum > top) top = sum;
  }
  const renderItem = (params: { dataIndex: number }, api: RenderApi) => {
    // two data items give the axes the bands' extent; the first draws everything
    if (params.dataIndex !== 0 || !bands.length) return null;
    const a = api.coord([x0, 0]);
    const b = api.coord([x1 > x0 ? x1 : x0 + 1, 1]);
    const sx = (b[0] - a[0]) / ((x1 > x0 ? x1 : x0 + 1) - x0);
    const sy = b[1] - a[1];
    const polys = bandPolygons(
      bands,
      (t) => a[0] + (t - x0) * sx,
      (v) => a[1] + v * sy,
    );
    const children: Record<string, unknown>[] = [];
    polys.forEach((ps, k) => {
      const s = shown[k].s;
      for (const points of ps) children.push({ type: 'polygon', shape: { points }, style: { fill: s.color, opacity: s.areaStyle?.opacity ?? 1 } });
    });
    return { type: 'group', children };
  };
  const tooltip = option.tooltip as { formatter?: (p: TooltipParam[]) => string } | undefined;
  const format = tooltip?.formatter;
  const custom = {
    type: 'custom',
    name: BANDS_SERIES,
    silent: true,
    clip: true,
    yAxisIndex: series[0].yAxisIndex ?? 0,
    data: [
      [x0, 0],
      [x1, top],
    ],
    encode: { x: 0, y: 1, tooltip: [] },
    renderItem,
    markLine: series[0].markLine,
    markArea: series[0].markArea,
  };
  return {
    ...option,
    series: [custom],
    tooltip: format
      ? {
          ...tooltip,
          formatter: (params: TooltipParam[]) => {
            if (!params.length) return '';
            const t = Number(params[0].axisValue);
            // what the line series would have passed: each shown band's value at t, in series order
            const lines = shown.map(({ s, i }) => ({ axisValue: t, seriesName: s.name ?? '', value: [t, valueAt(s.data ?? [], t)] as [number, number | null], seriesIndex: i, marker: marker(s.color ?? 'currentColor') }));
            return format(lines);
          },
        }
      : option.tooltip,
  };
}

/**
 * Series that only name the bands of a {@link stackedBands} option for ECharts' own legend
 * (no data): a PNG export draws that legend. Empty for any other option.
 */
export function bandLegendSeries(original: Record<string, unknown>, hidden: ReadonlySet<string> = new Set()): Record<string, unknown>[] {
  const series = stackedAreas(original);
  if (!series) return [];
  return series
    .filter((s) => !hidden.has(s.name ?? ''))
    .map((s) => ({ type: 'line', name: s.name, color: s.color, data: [], showSymbol: false, areaStyle: { opacity: s.areaStyle?.opacity ?? 1 }, lineStyle: { width: 0 } }));
}
