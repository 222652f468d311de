/**
 * The published shapes as a report: each shape is a claim from the literature (ELVIS, IOcm), a
 * measurement on a shipped scenario with static side-core settings (cores 0..K-1), and a verdict
 * — holds or does not hold — under the costs in force. Nothing here decides a cost; the report
 * says which shapes the current (sourced) costs produce. `iocm shapes` prints it; the sensitivity
 * analysis (src/main/loop/sensitivity.ts) re-evaluates it with each cost varied over its range.
 */
import type { Scenario, CostOverrides } from '../../shared/scenario.ts';
import { createHostModel } from './host-model.ts';
import { maxSideCores, withCosts } from './defaults.ts';

/** One static run's averages (after warm-up). */
export interface StaticRun {
  score: number;
  bytesPerSec: number;
  /** Mean over intervals of each group's p50 latency, µs. */
  groupP50: Record<string, number>;
}

/** Options of a static run. */
export interface StaticRunOptions {
  seconds: number;
  seed: number;
  /** Group loads in force for the whole run. */
  loads?: Record<string, number>;
  /** Cost overrides applied on top of the scenario's. */
  costs?: CostOverrides;
  /** Intervals (100 ms) skipped before averaging (default 2). */
  warm?: number;
}

/** Run `seconds` of simulated time with K static side cores (cores 0..K-1). */
export function runStatic(sc: Scenario, k: number, o: StaticRunOptions): StaticRun {
  const m = createHostModel(withCosts(sc, o.costs), { seed: o.seed });
  if (o.loads) m.setLoads(o.loads);
  if (k > 0) {
    const r = m.apply({ kind: 'setSideCores', cores: Array.from({ length: k }, (_, i) => i) });
    if (!r.ok) throw new Error(r.error);
  }
  const warm = o.warm ?? 2;
  const steps = Math.max(warm + 1, Math.round(o.seconds * 10));
  let score = 0;
  let bytes = 0;
  let n = 0;
  const p50: Record<string, number> = {};
  for (let i = 0; i < steps; i++) {
    const s = m.step();
    if (i < warm) continue;
    n++;
    score += s.totals.score;
    bytes += s.totals.bytesPerSec;
    for (const g of s.groups) p50[g.group] = (p50[g.group] ?? 0) + g.latencyUs.p50;
  }
  for (const g of Object.keys(p50)) p50[g] /= n;
  return { score: score / n, bytesPerSec: bytes / n, groupP50: p50 };
}

/** Index of the largest value (first on ties). */
export function argmax(xs: readonly number[]): number {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[b]) b = i;
  return b;
}

/** One shape's verdict. */
export interface ShapeResult {
  id: string;
  /** The published claim, in words. */
  claim: string;
  /** Where the claim comes from. */
  source: string;
  scenario: string;
  /** The measured figure the verdict is on, and what it is compared with. */
  metric: string;
  value: number;
  /** Holds when `value` satisfies the test against `threshold` (see `test`). */
  threshold: number;
  test: '>=' | '<';
  holds: boolean;
  /** Measured numbers behind the verdict (per side-core count, per phase). */
  detail: Record<string, number | number[]>;
}

/** Options of the shapes report. */
export interface ShapesOptions {
  /** Simulated seconds per static run (default 1). */
  seconds?: number;
  seed?: number;
  /** Cost overrides applied to every scenario. */
  costs?: CostOverrides;
  /** Only these shape ids (default all). */
  only?: readonly string[];
}

/** The shapes the report knows, in order. */
export const SHAPE_IDS = ['stream-small', 'stream-64k', 'rr-latency', 'cpu-bound', 'mixed-peak', 'day-phases'] as const;
/** A shape id. */
export type ShapeId = (typeof SHAPE_IDS)[number];

/** Scenarios the shapes need, by name (the shipped ones). */
export const SHAPE_SCENARIOS: Readonly<Record<ShapeId, string>> = {
  'stream-small': 'stream-many',
  'stream-64k': 'stream-many',
  'rr-latency': 'rr-few',
  'cpu-bound': 'cpu-light-io',
  'mixed-peak': 'mixed',
  'day-phases': 'day',
};

/** stream-many with 64 KiB sends (guest work per send scaled from the 1 KiB variant as 40 K cycles per 64 KiB). */
export function stream64k(sc: Scenario): Scenario {
  return {
    ...sc,
    name: `${sc.name}-64k`,
    vms: sc.vms.map((g) => ({ ...g, workload: { ...g.workload, requestBytes: 65536, guestCyclesPerRequest: 40000 } })),
  };
}

/** Verdict of a `>=` / `<` comparison, exactly as reported. */
export function verdict(value: number, test: '>=' | '<', threshold: number): boolean {
  return test === '>=' ? value >= threshold : value < threshold;
}

/** Evaluate one shape on its scenario. */
export function evaluateShape(id: ShapeId, sc: Scenario, o: ShapesOptions = {}): ShapeResult {
  const seconds = o.seconds ?? 1;
  const seed = o.seed ?? 7;
  const run = (s: Scenario, k: number, loads?: Record<string, number>, secs = seconds): StaticRun =>
    runStatic(s, k, { seconds: secs, seed, costs: o.costs, loads });
  switch (id) {
    case 'stream-small':
    case 'stream-64k': {
      const s = id === 'stream-64k' ? stream64k(sc) : sc;
      const v = run(s, 0);
      const one = run(s, 1);
      const gain = v.bytesPerSec > 0 ? one.bytesPerSec / v.bytesPerSec : 0;
      return {
        id, scenario: s.name,
        claim: id === 'stream-small' ? 'many VMs streaming small messages: one side core beats vhost by ≥ 1.2×' : 'many VMs streaming 64 KiB messages: one side core beats vhost by ≥ 1.2×',
        source: 'ELVIS (ATC 2013): 1.2×–3× over baseline vhost',
        metric: 'throughput with 1 side core / vhost', value: gain, threshold: 1.2, test: '>=', holds: verdict(gain, '>=', 1.2),
        detail: { vhostBytesPerSec: v.bytesPerSec, oneSideCoreBytesPerSec: one.bytesPerSec },
      };
    }
    case 'rr-latency': {
      const group = sc.vms.find((g) => g.workload.kind === 'net-rr')?.name ?? sc.vms[0].name;
      const v = run(sc, 0);
      const one = run(sc, 1);
      const a = v.groupP50[group] ?? 0;
      const b = one.groupP50[group] ?? 0;
      const ratio = a > 0 ? b / a : 0;
      return {
        id, scenario: sc.name,
        claim: 'request/response: p50 latency with a polling side core is below vhost p50',
        source: 'ELVIS / IOcm: polling removes the kick exit and the I/O-thread wake-up per transaction',
        metric: `${group} p50 with 1 side core / vhost p50`, value: ratio, threshold: 1, test: '<', holds: a > 0 && verdict(ratio, '<', 1),
        detail: { vhostP50Us: a, oneSideCoreP50Us: b },
      };
    }
    case 'cpu-bound': {
      const scores = [0, 1, 2, 3].map((k) => run(sc, k, undefined, Math.min(seconds, 0.8)).score);
      let worst = 0;
      for (let k = 1; k < scores.length; k++) worst = Math.max(worst, scores[k - 1] > 0 ? scores[k] / scores[k - 1] : Infinity);
      return {
        id, scenario: sc.name,
        claim: 'CPU-bound VMs with light I/O: each added side core lowers the score',
        source: 'IOcm (SYSTOR 2016): a side core is a core taken from computation',
        metric: 'largest score(k) / score(k−1), k = 1..3', value: worst, threshold: 1, test: '<', holds: verdict(worst, '<', 1),
        detail: { scores },
      };
    }
    case 'mixed-peak': {
      const kmax = maxSideCores(sc.host.cores);
      const scores: number[] = [];
      for (let k = 0; k <= kmax; k++) scores.push(run(sc, k, undefined, Math.min(seconds, 0.8)).score);
      const best = argmax(scores);
      const interior = best > 0 && best < kmax;
      const margin = interior ? Math.min(scores[best] / scores[best - 1], scores[best] / scores[best + 1]) : 0;
      return {
        id, scenario: sc.name,
        claim: 'mixed host: the best static count is neither 0 nor the maximum, ≥ 2 % above both neighbours',
        source: 'IOcm (SYSTOR 2016): the right split is in between and changes with the workload',
        metric: 'best / max(neighbours) (0 when the best is at an end)', value: margin, threshold: 1.02, test: '>=', holds: verdict(margin, '>=', 1.02),
        detail: { scores, bestK: best },
      };
    }
    case 'day-phases': {
      const kmax = Math.min(5, maxSideCores(sc.host.cores));
      const bests = sc.phases.map((ph) => {
        const loads: Record<string, number> = {};
        for (const g of sc.vms) loads[g.name] = ph.load[g.name] ?? 1;
        const scores: number[] = [];
        for (let k = 0; k <= kmax; k++) scores.push(run(sc, k, loads, Math.min(seconds, 0.5)).score);
        return argmax(scores);
      });
      let changes = 0;
      for (let i = 0; i < bests.length; i++) if (bests[i] !== bests[(i + 1) % bests.length]) changes++;
      const distinct = new Set(bests).size;
      return {
        id, scenario: sc.name,
        claim: 'a day: consecutive phases want different side-core counts (≥ 4 distinct)',
        source: 'IOcm (SYSTOR 2016): the right split changes with the workload over time',
        metric: 'distinct best counts over phases', value: distinct, threshold: 4, test: '>=',
        holds: changes === bests.length && distinct >= 4,
        detail: { bestK: bests, consecutiveChanges: changes },
      };
    }
  }
}

/** Evaluate every shape (or `only`) given the shipped scenarios by name. */
export function shapesReport(scenarios: Readonly<Record<string, Scenario>>, o: ShapesOptions = {}): ShapeResult[] {
  const ids = (o.only ?? SHAPE_IDS) as readonly ShapeId[];
  return ids.map((id) => {
    const sc = scenarios[SHAPE_SCENARIOS[id]];
    if (!sc) throw new Error(`shapes: scenario '${SHAPE_SCENARIOS[id]}' (for shape ${id}) not given`);
    return evaluateShape(id, sc, o);
  });
}

/** The report as a markdown table. */
export function shapesMarkdown(results: readonly ShapeResult[]): string {
  const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3));
  const lines = ['| shape | scenario | claim | measured | holds |', '|---|---|---|---|---|'];
  for (const r of results) {
    const shown = r.id === 'cpu-bound' ? `scores ${(r.detail.scores as number[]).map(f).join(' → ')}`
      : r.id === 'mixed-peak' || r.id === 'day-phases' ? `${r.metric} = ${f(r.value)}; best K ${JSON.stringify(r.detail.bestK)}`
        : `${r.metric} = ${f(r.value)}`;
    lines.push(`| ${r.id} | ${r.scenario} | ${r.claim} (${r.source}) | ${shown} | ${r.holds ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n') + '\n';
}
