/**
 * The evaluation report: every scenario × every policy → report.md (score,
 * ratio to the oracle, p99 latency, side-core-seconds, changes) and SVG plots
 * rendered server-side with ECharts (side cores over time against the oracle;
 * score per phase).
 */
import * as echarts from 'echarts';
import type { Oracle, RunResult } from './sweep.ts';
import { staticCount } from './sweep.ts';
import { describeMiss, fmtSpread, type MultiSeedEvaluation, type Spread } from './evaluation.ts';

/** What the plots need of one scenario's evaluation (the first seed's runs and oracle). */
export interface ScenarioEvaluation {
  scenario: string;
  description?: string;
  cores: number;
  seconds: number;
  oracle: Oracle;
  /** Static runs (vhost, static:K) then the adaptive policies. */
  runs: RunResult[];
}

/** The plots' view of a multi-seed evaluation: its first seed. */
export function firstSeed(e: MultiSeedEvaluation): ScenarioEvaluation {
  return { scenario: e.scenario, description: e.description, cores: e.cores, seconds: e.seconds, oracle: e.oracles[0], runs: e.runs };
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
/** A latency over seeds: mean ± sample standard deviation (just the mean for one seed). */
export const latencySpread = (s: Spread): string => (s.n > 1 && Number.isFinite(s.mean) ? `${num(s.mean)} ± ${num(s.sd)}` : num(s.mean));

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
export function reportMarkdown(evals: readonly MultiSeedEvaluation[], files: Map<string, { sideCores: string; phases: string }>, meta: { seeds: readonly number[]; phaseSeconds?: number; observe: string; guardFactor: number }): string {
  const out: string[] = ['# IOcm evaluation report', ''];
  out.push(`Every scenario under every policy on the host model, seeds ${meta.seeds.join(', ')}${meta.phaseSeconds ? `, phases shortened to ≤ ${meta.phaseSeconds} s` : ''}.`);
  out.push(`Policies saw the **${meta.observe}** observability profile${meta.observe === 'full' ? ' (research: every counter the model has; a real host reports less)' : meta.observe === 'qemu' ? ' (what a stock QEMU/KVM host reports)' : ' (what OVS-DPDK reports)'} (docs/observability.md); scores are the model's truth score.`);
  out.push("The **oracle** picks the best static side-core count for each phase with perfect foresight; `ratio` is a policy's score over the oracle's (mean ± sample standard deviation over the seeds, [min–max]).");
  out.push(`**p99 guard**: in each phase and seed, a policy's p99 latency against the p99 of that phase's oracle count; within ${meta.guardFactor}× counts as met. Latency p50/p99 are over all completed requests of the run (mean ± sample standard deviation over the seeds); the oracle's are phase-time-weighted over its per-phase counts.`);
  out.push('Score: Σ groups weight × work rate (docs/model.md). Changes: intervals where the side-core count changed.', '');
  out.push('## Summary', '');
  const adaptive = [...new Set(evals.flatMap((e) => e.policies.filter((r) => staticCount(r.policy) === null).map((r) => r.policy)))];
  out.push(`| scenario | phases | best static | ${adaptive.join(' | ')} | iocm p99 guard |`);
  out.push(`|---|---:|---:|${adaptive.map(() => '---:').join('|')}|---:|`);
  for (const e of evals) {
    const iocm = e.policies.find((p) => p.policy === 'iocm');
    const k = e.oracles[0].bestStatic.k;
    out.push(`| ${e.scenario} | ${e.oracles[0].phases.length} | ${fmtSpread(e.bestStaticRatio)} (K=${k}) | ${adaptive.map((p) => { const r = e.policies.find((x) => x.policy === p); return r ? fmtSpread(r.ratio) : '–'; }).join(' | ')} | ${iocm ? `${iocm.guardOk}/${iocm.guardChecked}` : '–'} |`);
  }
  out.push('', 'Cells are ratios to the oracle; the guard column counts phase × seed pairs within the guard.', '');
  for (const e of evals) {
    out.push(`## ${e.scenario}`, '');
    if (e.description) out.push(e.description, '');
    out.push(`${e.cores} cores, ${num(e.seconds)} simulated s. Oracle per phase (seed ${e.seeds[0]}): ${e.oracles[0].phases.map((p) => `${p.phase} → K=${p.bestK}`).join(', ')}.`, '');
    out.push('| policy | ratio to oracle | [min–max] | p50 (µs) | p99 (µs) | side cores | changes | p99 guard |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    out.push(`| oracle (per-phase best count) | 1 | | ${latencySpread(e.oracleLatencyP50Us)} | ${latencySpread(e.oracleLatencyP99Us)} | | | |`);
    for (const r of e.policies) {
      out.push(`| ${r.policy} | ${fmtSpread(r.ratio)} | ${r.ratio.min.toFixed(3)}–${r.ratio.max.toFixed(3)} | ${latencySpread(r.latencyP50Us)} | ${latencySpread(r.latencyP99Us)} | ${num(r.sideCoresAvg.mean, 2)} | ${num(r.changes.mean, 0)} | ${r.guardOk}/${r.guardChecked} |`);
    }
    const iocm = e.policies.find((p) => p.policy === 'iocm');
    if (iocm && iocm.guardMisses.length > 0) {
      out.push('', `Where iocm's p99 is above ${e.guardFactor}× the oracle count's (a trade-off the objective made, in words):`, '');
      for (const m of iocm.guardMisses.slice(0, 6)) out.push(`- ${describeMiss('iocm', m)}.`);
    }
    const f = files.get(e.scenario);
    if (f) out.push('', `![side cores over time](${f.sideCores})`, '', `![score per phase](${f.phases})`);
    out.push('');
  }
  return out.join('\n');
}
