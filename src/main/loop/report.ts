/**
 * The evaluation report: every scenario × every policy → report.md (score,
 * ratio to the oracle, p99 latency, side-core-seconds, changes) and SVG plots
 * rendered server-side with ECharts (side cores over time against the oracle;
 * score per phase).
 */
import * as echarts from 'echarts';
import type { Oracle, RunResult } from './sweep.ts';
import { staticCount } from './sweep.ts';

/** Everything about one scenario's evaluation. */
export interface ScenarioEvaluation {
  scenario: string;
  description?: string;
  cores: number;
  seconds: number;
  oracle: Oracle;
  /** Static runs (vhost, static:K) then the adaptive policies. */
  runs: RunResult[];
}

/** One row of a scenario's table. */
export interface ReportRow {
  policy: string;
  score: number;
  ratio: number;
  latencyP99Us: number;
  sideCoreSeconds: number;
  changes: number;
}

/** Rows of a scenario's table, adaptive policies first, then statics. */
export function reportRows(e: ScenarioEvaluation): ReportRow[] {
  const rows = e.runs.map((r) => ({
    policy: r.policy,
    score: r.summary.total.score,
    ratio: e.oracle.oracleScore > 0 ? r.summary.total.score / e.oracle.oracleScore : 0,
    latencyP99Us: r.summary.total.latencyP99Us,
    sideCoreSeconds: r.sideCoreSeconds,
    changes: r.changes,
  }));
  return [...rows.filter((r) => staticCount(r.policy) === null), ...rows.filter((r) => staticCount(r.policy) !== null)];
}

const num = (x: number, d = 1): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e6 ? x.toExponential(3) : x.toFixed(d)) : '–');

/** Downsample a series to at most `n` points (every k-th; keeps the last). */
function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const step = Math.ceil(xs.length / n);
  const out: T[] = [];
  for (let i = 0; i < xs.length; i += step) out.push(xs[i]);
  if (out[out.length - 1] !== xs[xs.length - 1]) out.push(xs[xs.length - 1]);
  return out;
}

function render(option: echarts.EChartsCoreOption, width = 900, height = 360): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** SVG: side cores over time for each adaptive policy against the oracle's per-phase best count. */
export function sideCoresSvg(e: ScenarioEvaluation): string {
  const adaptive = e.runs.filter((r) => staticCount(r.policy) === null);
  const ref = e.runs[0];
  const bestByPhase = new Map(e.oracle.phases.map((p) => [p.phase, p.bestK]));
  const idx = thin(ref.series.t.map((_, i) => i), 1200);
  const oracle = idx.map((i) => [ref.series.t[i] / 1000, bestByPhase.get(ref.phaseNames[ref.series.phase[i]]) ?? 0]);
  const series = [
    { name: 'oracle', type: 'line', step: 'end', z: 10, data: oracle, lineStyle: { width: 3, type: 'dashed', color: '#222' }, itemStyle: { color: '#222' }, showSymbol: false },
    ...adaptive.map((r) => ({ name: r.policy, type: 'line', step: 'end', showSymbol: false, data: thin(r.series.t.map((t, i) => [t / 1000, r.series.sideCores[i]]), 1200) })),
  ];
  return render({
    title: { text: `${e.scenario}: side cores over time`, left: 10, top: 5, textStyle: { fontSize: 14 } },
    legend: { top: 30 },
    grid: { left: 50, right: 20, top: 70, bottom: 45 },
    xAxis: { type: 'value', name: 'simulated s', nameLocation: 'middle', nameGap: 25, min: 0 },
    yAxis: { type: 'value', name: 'side cores', minInterval: 1 },
    series,
  });
}

/** SVG: score per phase for each policy, the oracle and the best single static count. */
export function phaseScoresSvg(e: ScenarioEvaluation): string {
  const phases = e.oracle.phases.map((p) => p.phase);
  const adaptive = e.runs.filter((r) => staticCount(r.policy) === null);
  const best = e.runs.find((r) => staticCount(r.policy) === e.oracle.bestStatic.k);
  const rows: { name: string; values: number[] }[] = [{ name: 'oracle', values: e.oracle.phases.map((p) => p.bestScore) }];
  if (best) rows.push({ name: `best static (${best.policy})`, values: phases.map((ph) => best.summary.phases.find((p) => p.name === ph)?.score ?? 0) });
  for (const r of adaptive) rows.push({ name: r.policy, values: phases.map((ph) => r.summary.phases.find((p) => p.name === ph)?.score ?? 0) });
  return render(
    {
      title: { text: `${e.scenario}: score per phase`, left: 10, top: 5, textStyle: { fontSize: 14 } },
      legend: { top: 30 },
      grid: { left: 80, right: 20, top: 70, bottom: 60 },
      xAxis: { type: 'category', data: phases, axisLabel: { interval: 0, rotate: phases.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', name: 'score' },
      series: rows.map((r) => ({ name: r.name, type: 'bar', data: r.values })),
    },
    Math.max(700, 140 * phases.length),
    380,
  );
}

/** The report's markdown. `files` maps a scenario to its SVG file names (relative to the report). */
export function reportMarkdown(evals: readonly ScenarioEvaluation[], files: Map<string, { sideCores: string; phases: string }>, meta: { seed: number; phaseSeconds?: number }): string {
  const out: string[] = ['# IOcm evaluation report', ''];
  out.push(`Every shipped scenario under every policy on the host model (seed ${meta.seed}${meta.phaseSeconds ? `, phases shortened to ≤ ${meta.phaseSeconds} s` : ''}).`);
  out.push('The **oracle** picks the best static side-core count for each phase with perfect foresight; `ratio` is a policy\'s score over the oracle\'s.');
  out.push('Score: Σ groups weight × work rate (docs/model.md). Changes: intervals where the side-core count changed.', '');
  out.push('## Summary', '');
  const adaptive = [...new Set(evals.flatMap((e) => e.runs.filter((r) => staticCount(r.policy) === null).map((r) => r.policy)))];
  out.push(`| scenario | phases | oracle | best static | ${adaptive.join(' | ')} |`);
  out.push(`|---|---:|---:|---:|${adaptive.map(() => '---:').join('|')}|`);
  for (const e of evals) {
    const rows = reportRows(e);
    const bs = e.oracle.oracleScore > 0 ? e.oracle.bestStatic.score / e.oracle.oracleScore : 0;
    out.push(`| ${e.scenario} | ${e.oracle.phases.length} | ${num(e.oracle.oracleScore)} | ${bs.toFixed(3)} (K=${e.oracle.bestStatic.k}) | ${adaptive.map((p) => rows.find((r) => r.policy === p)?.ratio.toFixed(3) ?? '–').join(' | ')} |`);
  }
  out.push('', 'Cells are ratios to the oracle.', '');
  for (const e of evals) {
    out.push(`## ${e.scenario}`, '');
    if (e.description) out.push(e.description, '');
    out.push(`${e.cores} cores, ${num(e.seconds)} simulated s. Oracle per phase: ${e.oracle.phases.map((p) => `${p.phase} → K=${p.bestK}`).join(', ')}.`, '');
    out.push('| policy | score | ratio to oracle | p99 latency (µs) | side-core-seconds | changes |');
    out.push('|---|---:|---:|---:|---:|---:|');
    for (const r of reportRows(e)) out.push(`| ${r.policy} | ${num(r.score)} | ${r.ratio.toFixed(3)} | ${num(r.latencyP99Us)} | ${num(r.sideCoreSeconds)} | ${r.changes} |`);
    const f = files.get(e.scenario);
    if (f) out.push('', `![side cores over time](${f.sideCores})`, '', `![score per phase](${f.phases})`);
    out.push('');
  }
  return out.join('\n');
}
