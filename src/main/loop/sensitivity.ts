/**
 * Sensitivity of the evaluation to the model's costs (`iocm evaluate --sensitivity`): each cost is
 * varied over its sourced range (COST_SOURCES) one at a time (low, high) and all together as a small
 * Latin hypercube; for every variant the shapes report (src/main/model/shapes.ts) and the policy
 * ranking on a scenario are recomputed. The result says which published shapes and which ranking
 * hold over the plausible costs, and a tornado chart per shape shows which cost moves it most.
 */
import * as echarts from 'echarts';
import type { CostOverrides, Scenario } from '../../shared/scenario.ts';
import { COST_DEFAULTS, COST_SOURCES, withCosts, type CostBasis, type CostParams } from '../model/defaults.ts';
import { evaluateShape, SHAPE_SCENARIOS, type ShapeId, type ShapeResult } from '../model/shapes.ts';
import { Rng } from '../model/rng.ts';
import { runOne } from './sweep.ts';

/** A cost that sensitivity varies. */
export type VariedCost = keyof typeof COST_SOURCES;

/** Options of a sensitivity analysis. */
export interface SensitivityOptions {
  /** Shipped scenarios by name (those the shapes need, see SHAPE_SCENARIOS). */
  scenarios: Readonly<Record<string, Scenario>>;
  /** Shapes to evaluate (default all whose scenario is given). */
  shapes: readonly ShapeId[];
  /** The scenario whose policy ranking is checked (phases already shortened as wanted), or null for none. */
  rankingScenario: Scenario | null;
  /** Policies ranked on it. */
  policies: readonly string[];
  /** Costs varied (default: every cost whose basis is published or inferred). */
  params?: readonly VariedCost[];
  /** Latin-hypercube samples (default 8). */
  lhsSamples?: number;
  seed: number;
  /** Simulated seconds per static run of a shape (default 0.5). */
  shapeSeconds?: number;
  /** Called after each variant with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** One evaluated cost variant. */
export interface Variant {
  kind: 'base' | 'low' | 'high' | 'lhs';
  /** The cost varied (one at a time), or undefined for base and hypercube samples. */
  param?: VariedCost;
  costs: CostOverrides;
  shapes: Record<string, { value: number; holds: boolean }>;
  /** Policies by score, best first ([] without a ranking scenario). */
  ranking: string[];
  scores: Record<string, number>;
}

/** The whole analysis. */
export interface SensitivityResult {
  params: VariedCost[];
  shapes: ShapeId[];
  policies: string[];
  base: Variant;
  variants: Variant[];
}

/** Default set of varied costs: published and inferred ones (kernel defaults and model granularities stay). */
export function defaultVariedCosts(bases: readonly CostBasis[] = ['published', 'inferred']): VariedCost[] {
  return (Object.keys(COST_SOURCES) as VariedCost[]).filter((k) => bases.includes(COST_SOURCES[k].basis));
}

/** n Latin-hypercube samples over the params' ranges (one stratum per sample per param, shuffled). */
export function latinHypercube(params: readonly VariedCost[], n: number, rng: Rng): CostOverrides[] {
  const out: CostOverrides[] = Array.from({ length: n }, () => ({}));
  for (const p of params) {
    const [lo, hi] = COST_SOURCES[p].range;
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let i = 0; i < n; i++) out[i][p] = lo + ((perm[i] + rng.next()) / n) * (hi - lo);
  }
  return out;
}

function evaluate(o: SensitivityOptions, kind: Variant['kind'], costs: CostOverrides, param?: VariedCost): Variant {
  const shapes: Variant['shapes'] = {};
  for (const id of o.shapes) {
    const r: ShapeResult = evaluateShape(id, o.scenarios[SHAPE_SCENARIOS[id]], { seconds: o.shapeSeconds ?? 0.5, seed: o.seed, costs });
    shapes[id] = { value: r.value, holds: r.holds };
  }
  const scores: Record<string, number> = {};
  if (o.rankingScenario) {
    const sc = withCosts(o.rankingScenario, costs);
    const seconds = sc.phases.reduce((a, p) => a + p.seconds, 0);
    for (const p of o.policies) scores[p] = runOne({ scenario: sc, policy: p, seed: o.seed, seconds }).summary.total.score;
  }
  const ranking = Object.keys(scores).sort((a, b) => scores[b] - scores[a]);
  return { kind, param, costs, shapes, ranking, scores };
}

/** Run the analysis: base, low and high per cost, then the hypercube. */
export function runSensitivity(o: SensitivityOptions): SensitivityResult {
  const params = [...(o.params ?? defaultVariedCosts())];
  for (const p of params) if (!(p in COST_SOURCES)) throw new Error(`sensitivity: '${String(p)}' is not a cost with a range (known: ${Object.keys(COST_SOURCES).join(', ')})`);
  for (const id of o.shapes) if (!o.scenarios[SHAPE_SCENARIOS[id]]) throw new Error(`sensitivity: scenario '${SHAPE_SCENARIOS[id]}' for shape ${id} not given`);
  const lhs = latinHypercube(params, Math.max(0, Math.floor(o.lhsSamples ?? 8)), new Rng(o.seed ^ 0x5eed));
  const total = 1 + 2 * params.length + lhs.length;
  let done = 0;
  const tick = (): void => o.onProgress?.(++done, total);
  const base = evaluate(o, 'base', {});
  tick();
  const variants: Variant[] = [];
  for (const p of params) {
    const [lo, hi] = COST_SOURCES[p].range;
    variants.push(evaluate(o, 'low', { [p]: lo }, p));
    tick();
    variants.push(evaluate(o, 'high', { [p]: hi }, p));
    tick();
  }
  for (const c of lhs) {
    variants.push(evaluate(o, 'lhs', c));
    tick();
  }
  return { params, shapes: [...o.shapes], policies: [...o.policies], base, variants };
}

/** Share of variants (of a kind, or all) in which a shape holds. */
export function holdShare(r: SensitivityResult, id: ShapeId, kinds: readonly Variant['kind'][] = ['low', 'high', 'lhs']): number {
  const vs = r.variants.filter((v) => kinds.includes(v.kind));
  return vs.length === 0 ? 0 : vs.filter((v) => v.shapes[id]?.holds).length / vs.length;
}

/** holdShare as a percentage, or '–' when there is no variant of those kinds (no samples is not "holds in 0 %"). */
function sharePct(r: SensitivityResult, id: ShapeId, kinds: readonly Variant['kind'][]): string {
  return r.variants.some((v) => kinds.includes(v.kind)) ? `${(holdShare(r, id, kinds) * 100).toFixed(0)} %` : '–';
}

/** Whether a variant's ranking is the base ranking. */
export function sameRanking(r: SensitivityResult, v: Variant): boolean {
  return v.ranking.join(',') === r.base.ranking.join(',');
}

/** Per param: the shape's value at the low and at the high end (for the tornado), largest swing first. */
export function tornadoRows(r: SensitivityResult, id: ShapeId): { param: VariedCost; low: number; high: number; swing: number }[] {
  const rows = r.params.map((p) => {
    const low = r.variants.find((v) => v.kind === 'low' && v.param === p)?.shapes[id]?.value ?? Number.NaN;
    const high = r.variants.find((v) => v.kind === 'high' && v.param === p)?.shapes[id]?.value ?? Number.NaN;
    return { param: p, low, high, swing: Math.abs(high - low) };
  });
  return rows.sort((a, b) => b.swing - a.swing);
}

/** SVG tornado chart (ECharts, server-side) of one shape's value over each cost's range, around the base value. */
export function tornadoSvg(r: SensitivityResult, id: ShapeId, top = 12): string {
  const rows = tornadoRows(r, id).slice(0, top).reverse();
  const base = r.base.shapes[id]?.value ?? 0;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 760, height: 90 + 26 * rows.length });
  const lowPart = rows.map((x) => Math.min(x.low, x.high) - base);
  const highPart = rows.map((x) => Math.max(x.low, x.high) - base);
  chart.setOption({
    animation: false,
    title: { text: `${id}: value over each cost's range (base ${base.toFixed(3)})`, left: 10, top: 5, textStyle: { fontSize: 14 } },
    legend: { top: 30, data: ['below base', 'above base'] },
    grid: { left: 190, right: 30, top: 60, bottom: 30 },
    xAxis: { type: 'value', name: 'Δ from base', nameLocation: 'middle', nameGap: 22 },
    yAxis: { type: 'category', data: rows.map((x) => x.param), axisLabel: { fontSize: 11 } },
    series: [
      { name: 'below base', type: 'bar', stack: 's', data: lowPart.map((v) => Math.min(0, v)), itemStyle: { color: '#c0504d' } },
      { name: 'above base', type: 'bar', stack: 's', data: highPart.map((v) => Math.max(0, v)), itemStyle: { color: '#4f81bd' } },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3)) : '—');

/** The analysis as markdown; `files` maps a shape id to its tornado SVG's file name. */
export function sensitivityMarkdown(r: SensitivityResult, files: ReadonlyMap<string, string>, meta: { seed: number; rankingScenario: string | null }): string {
  const out: string[] = ['# Sensitivity of the shapes and the policy ranking to the model\'s costs', ''];
  out.push(`Seed ${meta.seed}. Each cost varied to the low and high end of its sourced range (docs/model.md, "Costs") one at a time, then ${r.variants.filter((v) => v.kind === 'lhs').length} Latin-hypercube samples varying all ${r.params.length} together.`, '');
  out.push('## Shapes', '', '| shape | base value | holds at base | holds one-at-a-time | holds in hypercube |', '|---|---|---|---|---|');
  for (const id of r.shapes) {
    const b = r.base.shapes[id];
    out.push(`| ${id} | ${fmt(b.value)} | ${b.holds ? 'yes' : 'no'} | ${sharePct(r, id, ['low', 'high'])} | ${sharePct(r, id, ['lhs'])} |`);
  }
  out.push('', '## One at a time', '', `| cost | low | high | ${r.shapes.map((s) => `${s} (low / high)`).join(' | ')} | ranking (low / high) |`, `|---|---|---|${r.shapes.map(() => '---|').join('')}---|`);
  for (const p of r.params) {
    const lo = r.variants.find((v) => v.kind === 'low' && v.param === p);
    const hi = r.variants.find((v) => v.kind === 'high' && v.param === p);
    if (!lo || !hi) continue;
    const cell = (v: Variant, id: string): string => `${fmt(v.shapes[id].value)}${v.shapes[id].holds ? '' : ' ✗'}`;
    const rk = (v: Variant): string => (r.policies.length === 0 ? '—' : sameRanking(r, v) ? 'same' : v.ranking.join(' > '));
    out.push(`| \`${p}\` | ${COST_SOURCES[p].range[0]} | ${COST_SOURCES[p].range[1]} | ${r.shapes.map((id) => `${cell(lo, id)} / ${cell(hi, id)}`).join(' | ')} | ${rk(lo)} / ${rk(hi)} |`);
  }
  out.push('', '✗: the shape does not hold with that cost.', '');
  if (meta.rankingScenario && r.policies.length > 0) {
    const same = r.variants.filter((v) => sameRanking(r, v)).length;
    out.push('## Policy ranking', '', `On ${meta.rankingScenario}, at the base costs: ${r.base.ranking.map((p) => `${p} (${fmt(r.base.scores[p])})`).join(' > ')}.`);
    out.push(`The same ranking in ${same} of ${r.variants.length} variants (${((same / Math.max(1, r.variants.length)) * 100).toFixed(0)} %).`, '');
  }
  out.push('## Tornado charts', '');
  for (const id of r.shapes) {
    const f = files.get(id);
    if (f) out.push(`![${id}](${f})`, '');
  }
  const lhs = r.variants.filter((v) => v.kind === 'lhs');
  if (lhs.length > 0) {
    out.push('## Hypercube samples', '', `| # | ${r.shapes.join(' | ')} | ranking |`, `|---|${r.shapes.map(() => '---|').join('')}---|`);
    lhs.forEach((v, i) => out.push(`| ${i + 1} | ${r.shapes.map((id) => `${fmt(v.shapes[id].value)}${v.shapes[id].holds ? '' : ' ✗'}`).join(' | ')} | ${r.policies.length === 0 ? '—' : sameRanking(r, v) ? 'same' : v.ranking.join(' > ')} |`));
    out.push('');
  }
  out.push('Costs at the base: COST_DEFAULTS (' + Object.keys(COST_SOURCES).map((k) => `${k} ${String((COST_DEFAULTS as CostParams)[k as keyof CostParams])}`).join(', ') + ').', '');
  return out.join('\n');
}
