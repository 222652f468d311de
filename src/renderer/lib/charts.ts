/**
 * ECharts option builders (pure): time-series charts with decision/override
 * annotations and event-aware tooltips, stacked share charts, sparklines.
 * Live charts never animate; ranges come pre-downsampled. Series colours keep ≥ 3:1 contrast
 * against the chart background in both themes (WCAG 1.4.11, graphics).
 */
import type { HostEvent } from '../../shared/policy.ts';
import { eventLabel, eventMetrics, isAnnotated, metricText, sessionTime } from './metrics.ts';

/** Colours a chart needs (from the current light/dark theme). */
export interface ChartTheme {
  text: string;
  muted: string;
  grid: string;
  background: string;
  palette: string[];
  decision: string;
  override: string;
  /** Cycle category colours (same as the core map's). */
  cycles: Record<'guest' | 'exit' | 'io' | 'emptyPoll' | 'ctxSwitch' | 'idle', string>;
}

/** Light theme colours. */
export const LIGHT: ChartTheme = {
  text: '#1f2933',
  muted: '#616e7c',
  grid: '#e4e7eb',
  background: '#ffffff',
  palette: ['#2f6fdf', '#c2620f', '#2c9f6b', '#c94f7c', '#8a63d2', '#8d7a12', '#1f7f91', '#7b8794'],
  decision: '#8a63d2',
  override: '#d64545',
  cycles: { guest: '#2c9f6b', exit: '#d64545', io: '#2f6fdf', emptyPoll: '#8d7a12', ctxSwitch: '#8a63d2', idle: '#7b8794' },
};

/** Dark theme colours. */
export const DARK: ChartTheme = {
  text: '#e4e7eb',
  muted: '#9aa5b1',
  grid: '#323f4b',
  background: '#1b2631',
  palette: ['#6ea8fe', '#f5a25d', '#4cc38a', '#e07aa5', '#a98bf0', '#d9c556', '#5fc7d9', '#9aa5b1'],
  decision: '#a98bf0',
  override: '#ff7b7b',
  cycles: { guest: '#4cc38a', exit: '#ff7b7b', io: '#6ea8fe', emptyPoll: '#d9c556', ctxSwitch: '#a98bf0', idle: '#7b8794' },
};

/** One line of a time chart. */
export interface LineSpec {
  name: string;
  data: [number, number][];
  area?: boolean;
  stack?: string;
  yAxis?: 0 | 1;
  color?: string;
}

/** A time chart. */
export interface TimeChartSpec {
  lines: LineSpec[];
  /** Axis names (left, optional right). */
  yAxes: { name: string; format?: (v: number) => string; max?: number; /** Whole-number axis with headroom (counts such as side cores). */ integer?: boolean }[];
  /** Decisions and overrides to mark. */
  events?: readonly HostEvent[];
  /** x range in ms (defaults to the data's). */
  xRange?: [number, number];
  /** Cursor (replay position) in ms. */
  cursor?: number;
  /** Wall clock (unix ms) at session time 0: the x axis then shows wall-clock time, tooltips both. */
  wallStartMs?: number | null;
}

/** Wall-clock HH:MM:SS of session time `t` for a session that started at `start` (unix ms). */
export function wallTime(start: number, t: number): string {
  const d = new Date(start + t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Tooltip text of the events near time t (within `tolMs`). */
export function eventsNear(events: readonly HostEvent[], t: number, tolMs: number): HostEvent[] {
  return events.filter((e) => isAnnotated(e) && Math.abs(e.t - t) <= tolMs);
}

/** HTML describing an event: label, reason, triggering values. */
export function eventHtml(e: HostEvent): string {
  const metrics = Object.entries(eventMetrics(e))
    .slice(0, 8)
    .map(([k, v]) => escapeHtml(metricText(k, v)))
    .join('<br/>');
  return (
    `<b>${escapeHtml(eventLabel(e))}</b> (${escapeHtml(e.source)}) at ${sessionTime(e.t)}<br/>` +
    `${escapeHtml(e.message)}` +
    (metrics ? `<br/><span style="opacity:.8">${metrics}</span>` : '')
  );
}

/** x-axis label formatter that leaves the range's ends blank (wall clock when the start is known). */
function xLabel(x0: number, x1: number, wallStart: number | null | undefined): (v: number) => string {
  return (v: number) => (v === x0 || v === x1 ? '' : wallStart != null ? wallTime(wallStart, v) : sessionTime(v));
}

/** A link gap event (recorded by the services when a remote host's link drops or comes back). */
export function gapEdge(e: HostEvent): 'start' | 'end' | null {
  if (e.kind !== 'disconnect' && e.kind !== 'connect') return null;
  const g = (e.data as { gap?: unknown } | undefined)?.gap;
  if (g === 'start' || g === 'end') return g;
  // link events without the services' marking (recorded by a host itself)
  return e.kind === 'disconnect' ? 'start' : 'end';
}

/**
 * The disconnected intervals [from, to] that the events describe, in time order. A gap still open
 * at the last event runs to `openEnd`.
 */
export function linkGaps(events: readonly HostEvent[], openEnd: number): [number, number][] {
  const out: [number, number][] = [];
  let from: number | null = null;
  for (const e of events) {
    const edge = gapEdge(e);
    if (edge === 'start' && from === null) from = e.t;
    else if (edge === 'end' && from !== null) {
      // the end is the event's time, or the start plus the gap's recorded length if later
      const d = e.data as { durationMs?: unknown; gapMs?: unknown } | undefined;
      const len = typeof d?.durationMs === 'number' ? d.durationMs : typeof d?.gapMs === 'number' ? d.gapMs : 0;
      out.push([from, Math.max(from + len, e.t)]);
      from = null;
    }
  }
  if (from !== null) out.push([from, Math.max(from, openEnd)]);
  return out;
}

/**
 * A line's points with a null point wherever consecutive points are further apart than `maxStep`
 * (no data there: a lost link, a stopped recording), so the chart draws a gap, never a line across.
 */
export function withGaps(data: readonly [number, number][], maxStep: number): [number, number | null][] {
  let gaps = 0;
  for (let i = 1; i < data.length; i++) if (data[i][0] - data[i - 1][0] > maxStep) gaps++;
  if (gaps === 0) return data as [number, number][];
  const out: [number, number | null][] = [];
  for (let i = 0; i < data.length; i++) {
    if (i > 0 && data[i][0] - data[i - 1][0] > maxStep) out.push([(data[i][0] + data[i - 1][0]) / 2, null]);
    out.push(data[i]);
  }
  return out;
}

/** Space above a time chart's plot: the y axes' names. */
export const GRID_TOP = 30;
/** The same with the legend drawn on the canvas (PNG exports). */
export const GRID_TOP_WITH_LEGEND = 50;

/** One entry of a chart's legend. */
export interface LegendItem {
  name: string;
  color: string;
}

/**
 * The legend entries of an option with a legend (none without one): each named series with its
 * colour, in series order.
 */
export function legendItems(option: Record<string, unknown>): LegendItem[] {
  if (!option.legend) return [];
  const series = (option.series as { name?: unknown; color?: unknown }[] | undefined) ?? [];
  return series.filter((s) => typeof s.name === 'string' && s.name !== '').map((s) => ({ name: s.name as string, color: typeof s.color === 'string' ? s.color : 'currentColor' }));
}

/** Build the ECharts option of a time chart (x = session time). */
export function timeChartOption(spec: TimeChartSpec, theme: ChartTheme): Record<string, unknown> {
  const allEvents = spec.events ?? [];
  const events = allEvents.filter(isAnnotated);
  let xMin = Infinity;
  let xMax = -Infinity;
  for (const l of spec.lines) {
    if (l.data.length) {
      xMin = Math.min(xMin, l.data[0][0]);
      xMax = Math.max(xMax, l.data[l.data.length - 1][0]);
    }
  }
  const [x0, x1] = spec.xRange ?? (Number.isFinite(xMin) ? [xMin, xMax] : [0, 1]);
  const step = spec.lines[0]?.data.length > 1 ? (x1 - x0) / (spec.lines[0].data.length - 1) : 100;
  // A gap is a step much longer than the line's average step (its own interval or bucket).
  const first = spec.lines[0]?.data ?? [];
  const avgStep = first.length > 1 ? (first[first.length - 1][0] - first[0][0]) / (first.length - 1) : Infinity;
  const maxStep = 5 * avgStep;
  const gaps = linkGaps(allEvents, Number.isFinite(xMax) ? xMax : x1)
    .filter(([a, b]) => b >= x0 && a <= x1)
    .slice(-50);
  const gapArea =
    gaps.length > 0
      ? {
          silent: true,
          itemStyle: { color: theme.override, opacity: 0.12 },
          label: { show: true, position: 'insideTop', color: theme.muted, fontSize: 10, formatter: 'link down' },
          data: gaps.map(([a, b]) => [{ xAxis: a, name: 'link down' }, { xAxis: Math.max(b, a + 1) }]),
        }
      : undefined;
  const markData: Record<string, unknown>[] = events
    .filter((e) => e.t >= x0 && e.t <= x1)
    .slice(-200)
    .map((e) => ({
      xAxis: e.t,
      lineStyle: { color: e.kind === 'override' ? theme.override : theme.decision, type: e.kind === 'override' ? 'solid' : 'dashed', width: 1 },
      label: { show: false },
    }));
  if (spec.cursor !== undefined) {
    markData.push({ xAxis: spec.cursor, lineStyle: { color: theme.text, width: 2, type: 'solid' }, label: { show: false } });
  }
  const series = spec.lines.map((l, i) => ({
    name: l.name,
    type: 'line',
    data: withGaps(l.data, maxStep),
    showSymbol: false,
    connectNulls: false,
    sampling: 'lttb',
    yAxisIndex: l.yAxis ?? 0,
    stack: l.stack,
    areaStyle: l.area ? { opacity: l.stack ? 0.85 : 0.15 } : undefined,
    lineStyle: { width: l.stack ? 0.5 : 1.5 },
    color: l.color ?? theme.palette[i % theme.palette.length],
    emphasis: { disabled: true },
    markLine: i === 0 ? { symbol: ['none', 'none'], silent: true, animation: false, data: markData } : undefined,
    markArea: i === 0 ? (gapArea ?? { data: [] }) : undefined,
  }));
  const fmt = spec.yAxes.map((a) => a.format ?? ((v: number) => String(v)));
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: theme.text },
    // Fixed margins that hold the axis labels: 'none' skips ECharts 6's measuring of every label
    // to fit an outer box, which it would redo on every 10 Hz update.
    grid: { left: 64, right: spec.yAxes.length > 1 ? 64 : 16, top: GRID_TOP, bottom: 28, outerBoundsMode: 'none' },
    // The legend is HTML beside the canvas (EChart.vue: buttons a keyboard reaches); ECharts keeps
    // the hidden legend's model for showing and hiding series, and draws it only into a PNG export.
    // Drawn on the canvas it cost ~0.5-1 ms of every 10 Hz update.
    legend: { show: false, top: 0, left: 'center', type: 'plain', textStyle: { color: theme.text, fontSize: 11 }, itemHeight: 8, itemWidth: 14 },
    // wheel zooms, drag pans the time axis (filterMode none: lines stay continuous at the edges)
    dataZoom: [{ type: 'inside', xAxisIndex: 0, filterMode: 'none', zoomOnMouseWheel: true, moveOnMouseMove: true }],
    tooltip: {
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'line', animation: false },
      formatter: (params: { axisValue: number; seriesName: string; value: [number, number | null]; seriesIndex: number; marker: string }[]) => {
        if (!params.length) return '';
        const t = Number(params[0].axisValue);
        const lines = params.filter((p) => p.value[1] !== null && p.value[1] !== undefined).map((p) => `${p.marker}${escapeHtml(p.seriesName)}: ${fmt[spec.lines[p.seriesIndex]?.yAxis ?? 0](p.value[1] as number)}`);
        const near = eventsNear(events, t, Math.max(step, 50));
        const down = gaps.find(([a, b]) => t >= a && t <= b);
        const when = spec.wallStartMs != null ? `<b>${wallTime(spec.wallStartMs, t)}</b> (session ${sessionTime(t)})` : `<b>${sessionTime(t)}</b>`;
        const gapLine = down ? [`<b>Link down</b> for ${((down[1] - down[0]) / 1000).toFixed(1)} s: no data`] : [];
        return [when, ...lines, ...gapLine, ...near.slice(0, 3).map(eventHtml)].join('<br/>');
      },
    },
    xAxis: {
      type: 'value',
      min: x0,
      max: x1 > x0 ? x1 : x0 + 1,
      // no labels at the sliding ends: they are new odd times on every update (clutter, and every
      // distinct string ECharts measures costs a text-shaping cache entry in the browser)
      axisLabel: { color: theme.muted, formatter: xLabel(x0, x1, spec.wallStartMs), hideOverlap: true, showMinLabel: false, showMaxLabel: false },
      axisLine: { lineStyle: { color: theme.grid } },
      splitLine: { show: false },
    },
    yAxis: spec.yAxes.map((a, i) => ({
      type: 'value',
      name: a.name,
      nameTextStyle: { color: theme.muted, align: i === 0 ? 'left' : 'right' },
      max: a.max ?? (a.integer ? (v: { max: number }) => Math.max(2, Math.ceil(v.max) + 1) : undefined),
      minInterval: a.integer ? 1 : undefined,
      min: 0,
      axisLabel: { color: theme.muted, formatter: fmt[i], hideOverlap: true },
      splitLine: { show: i === 0, lineStyle: { color: theme.grid } },
    })),
    series,
  };
}

/**
 * Bucket width (ms) that leaves at least `pxPerPoint` pixels per point when `spanMs` of time is
 * drawn `plotPx` pixels wide: a multiple of the data's own step `stepMs`, or `stepMs` itself when
 * the points already fit.
 */
export function bucketMs(spanMs: number, plotPx: number, stepMs: number, pxPerPoint = 1): number {
  if (!(spanMs > 0) || !(plotPx > 0) || !(stepMs > 0)) return stepMs;
  const maxPoints = Math.max(2, Math.floor(plotPx / pxPerPoint));
  const factor = Math.ceil(spanMs / stepMs / maxPoints);
  if (factor <= 1) return stepMs;
  // A round width (1, 2 or 5 × 10^k ms, within 5 % below the exact one): it stays the same while
  // the window slides, even as the data's average step wobbles, so buckets do not shift between
  // updates.
  const w = factor * stepMs * 0.95;
  const pow = 10 ** Math.floor(Math.log10(w));
  for (const m of [1, 2, 5]) if (m * pow >= w) return m * pow;
  return 10 * pow;
}

/**
 * A line at screen resolution: its points averaged in buckets `width` ms wide, aligned to
 * multiples of `width` (so a sliding window keeps its buckets from one update to the next), each
 * drawn at the time of its last point. Points are interval rates or shares, so a bucket's mean is
 * the value over the longer interval (what a history range query returns too), and every series
 * of a chart gets the same times (stacks stay aligned). Null points (gaps) are left out of the
 * mean; a bucket of nulls only stays a null, so gaps survive.
 */
export function decimate(data: readonly [number, number | null][], width: number): [number, number | null][] {
  if (!(width > 0) || data.length < 3) return data as [number, number | null][];
  const out: [number, number | null][] = [];
  let bucket = NaN;
  let sum = 0;
  let n = 0;
  let lastT = 0;
  for (let i = 0; i < data.length; i++) {
    const t = data[i][0];
    const b = Math.floor(t / width);
    if (b !== bucket && i > 0) {
      out.push([lastT, n > 0 ? sum / n : null]);
      sum = 0;
      n = 0;
    }
    bucket = b;
    lastT = t;
    const v = data[i][1];
    if (v !== null && v !== undefined) {
      sum += v;
      n++;
    }
  }
  out.push([lastT, n > 0 ? sum / n : null]);
  return out;
}

/**
 * A time chart option with every line at the resolution of a plot `plotPx` pixels wide (see
 * {@link decimate}); the option itself when its lines already fit.
 */
export function atResolution(option: Record<string, unknown>, plotPx: number): Record<string, unknown> {
  const series = option.series as { data?: [number, number | null][] }[] | undefined;
  const first = series?.[0]?.data;
  if (!series || !first || first.length < 3) return option;
  const span = first[first.length - 1][0] - first[0][0];
  const step = span / (first.length - 1);
  const width = bucketMs(span, plotPx, step);
  if (width <= step) return option;
  return { ...option, series: series.map((s) => (s.data ? { ...s, data: decimate(s.data, width) } : s)) };
}

/**
 * Identity of a chart's structure (series, axes): while it stays the same, a new option only
 * changes data, so {@link dataPatch} is enough and ECharts keeps its models.
 */
export function structureKey(option: Record<string, unknown>): string {
  const series = (option.series as { name?: string; stack?: string; yAxisIndex?: number }[] | undefined) ?? [];
  const yAxes = (option.yAxis as { name?: string }[] | undefined) ?? [];
  return JSON.stringify([series.map((s) => [s.name, s.stack, s.yAxisIndex]), yAxes.map((a) => a.name)]);
}

/**
 * Identity of a time chart option's annotations (decision and override lines, the replay cursor,
 * link-down bands): while it stays the same, a data patch can leave them out.
 */
export function marksKey(option: Record<string, unknown>): string {
  const series = (option.series as { markLine?: unknown; markArea?: unknown }[] | undefined) ?? [];
  return JSON.stringify(series.map((s) => (s.markLine || s.markArea ? [s.markLine, s.markArea] : 0)));
}

/**
 * The data-only part of a time chart option (x range, series data, tooltip), with the
 * annotations unless `withMarks` is false. Annotations are placed in data coordinates, so
 * ECharts moves the ones it has with the axis; sending them unchanged made it rebuild them on
 * every update (~0.5 ms a chart with a dozen lines).
 */
export function dataPatch(option: Record<string, unknown>, withMarks = true): Record<string, unknown> {
  const x = option.xAxis as { min?: number; max?: number; axisLabel?: unknown };
  const series = (option.series as { data: unknown; renderItem?: unknown; markLine?: unknown; markArea?: unknown }[]).map((s) => {
    // a custom series draws its data through renderItem, a new closure over the new data
    const d = s.renderItem ? { data: s.data, renderItem: s.renderItem } : { data: s.data };
    return withMarks && s.markLine ? { ...d, markLine: s.markLine, markArea: s.markArea } : d;
  });
  return { xAxis: { min: x.min, max: x.max, axisLabel: x.axisLabel }, series, tooltip: option.tooltip };
}

/** Sparkline option: one small line, no axes. */
export function sparklineOption(values: number[], color: string): Record<string, unknown> {
  return {
    animation: false,
    grid: { left: 1, right: 1, top: 2, bottom: 2 },
    xAxis: { type: 'category', show: false, boundaryGap: false },
    yAxis: { type: 'value', show: false, min: 0 },
    series: [{ type: 'line', data: values, showSymbol: false, silent: true, lineStyle: { width: 1, color }, areaStyle: { color, opacity: 0.15 } }],
  };
}
