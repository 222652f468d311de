/**
 * Evaluation over several seeds: for one scenario, the static runs (vhost, static:1..max) and the
 * adaptive policies' runs per seed → per policy the ratio to the oracle (mean, spread), latency
 * p50/p99, side cores, changes, and the p99 guard: in each phase, a policy's p99 against the p99
 * of that phase's oracle count (the best static count of the phase, same seed). Scores are the
 * model's truth score (scoring runs may use truth; policies never do). Pure functions over
 * RunResults; `iocm evaluate` and `iocm sweep` print them, report.ts renders them.
 */
import type { ObservabilityProfile } from '../../shared/observe.ts';
import { oracleOf, staticCount, type Oracle, type RunResult } from './sweep.ts';

/** Mean and spread of a sample. */
export interface Spread {
  mean: number;
  /** Sample standard deviation (0 for one value). */
  sd: number;
  min: number;
  max: number;
  n: number;
}

/** Mean, sample standard deviation, min and max. */
export function spreadOf(xs: readonly number[]): Spread {
  const n = xs.length;
  if (n === 0) return { mean: NaN, sd: NaN, min: NaN, max: NaN, n: 0 };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  let v = 0;
  for (const x of xs) v += (x - mean) * (x - mean);
  return { mean, sd: n > 1 ? Math.sqrt(v / (n - 1)) : 0, min, max, n };
}

/** One phase (of one seed) where a policy's p99 exceeds the guard. */
export interface GuardMiss {
  seed: number;
  phase: string;
  /** The policy's p99 / the oracle count's p99 in that phase. */
  factor: number;
  policyP99Us: number;
  oracleP99Us: number;
  oracleK: number;
  /** The policy's mean side cores in the phase. */
  sideCores: number;
  /** The policy's phase score / the oracle's. */
  ratio: number;
}

/** A policy's figures over the seeds. */
export interface PolicyEvaluation {
  policy: string;
  /** Total score / oracle score, per seed. */
  ratio: Spread;
  /** Total score / best single static count's score, per seed. */
  vsBestStatic: Spread;
  latencyP50Us: Spread;
  latencyP99Us: Spread;
  sideCoresAvg: Spread;
  changes: Spread;
  /** Phase × seed pairs checked by the p99 guard, and those within it. */
  guardChecked: number;
  guardOk: number;
  /** The misses, worst first. */
  guardMisses: GuardMiss[];
}

/** A scenario's evaluation over seeds. */
export interface MultiSeedEvaluation {
  scenario: string;
  description?: string;
  cores: number;
  seconds: number;
  seeds: number[];
  observe: ObservabilityProfile;
  /** The p99 guard factor (a policy's phase p99 ≤ factor × the oracle count's). */
  guardFactor: number;
  /** Oracle per seed. */
  oracles: Oracle[];
  /** The oracle's latency: per seed, the phase-time-weighted p50/p99 of each phase's oracle count. */
  oracleLatencyP50Us: Spread;
  oracleLatencyP99Us: Spread;
  /** Best single static count / oracle, per seed. */
  bestStaticRatio: Spread;
  /** Adaptive policies first, then the statics. */
  policies: PolicyEvaluation[];
  /** The first seed's runs (statics then adaptive) for the plots. */
  runs: RunResult[];
}

/**
 * Evaluate one scenario from per-seed runs: `bySeed[i]` = the runs of `seeds[i]`, statics (vhost,
 * static:1..) first, `statics` of them, then the adaptive policies in the same order for every seed.
 */
export function evaluateSeeds(
  meta: { scenario: string; description?: string; cores: number; seconds: number; observe: ObservabilityProfile; guardFactor?: number },
  seeds: readonly number[],
  bySeed: readonly (readonly RunResult[])[],
  statics: number,
): MultiSeedEvaluation {
  const guardFactor = meta.guardFactor ?? 1.25;
  const oracles = bySeed.map((runs) => oracleOf(runs.slice(0, statics)));
  const policyNames = bySeed[0].map((r) => r.policy);
  const oP50: number[] = [];
  const oP99: number[] = [];
  for (let s = 0; s < bySeed.length; s++) {
    const runs = bySeed[s];
    let w = 0;
    let p50 = 0;
    let p99 = 0;
    for (const ph of oracles[s].phases) {
      const r = runs.find((x) => staticCount(x.policy) === ph.bestK);
      const p = r?.summary.phases.find((x) => x.name === ph.phase);
      if (!p) continue;
      w += ph.seconds;
      p50 += p.latencyP50Us * ph.seconds;
      p99 += p.latencyP99Us * ph.seconds;
    }
    oP50.push(w > 0 ? p50 / w : 0);
    oP99.push(w > 0 ? p99 / w : 0);
  }
  const policies: PolicyEvaluation[] = policyNames.map((name, i) => {
    const ratio: number[] = [];
    const vsBest: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    const side: number[] = [];
    const changes: number[] = [];
    const misses: GuardMiss[] = [];
    let checked = 0;
    for (let s = 0; s < bySeed.length; s++) {
      const r = bySeed[s][i];
      const o = oracles[s];
      ratio.push(o.oracleScore > 0 ? r.summary.total.score / o.oracleScore : 0);
      vsBest.push(o.bestStatic.score > 0 ? r.summary.total.score / o.bestStatic.score : 0);
      p50.push(r.summary.total.latencyP50Us);
      p99.push(r.summary.total.latencyP99Us);
      side.push(r.summary.total.sideCoresAvg);
      changes.push(r.changes);
      for (const ph of o.phases) {
        const mine = r.summary.phases.find((x) => x.name === ph.phase);
        const ref = bySeed[s].find((x) => staticCount(x.policy) === ph.bestK)?.summary.phases.find((x) => x.name === ph.phase);
        if (!mine || !ref) continue;
        checked++;
        // A phase with no completed requests has no latency to guard.
        if (ref.latencyP99Us <= 0 && mine.latencyP99Us <= 0) continue;
        const factor = ref.latencyP99Us > 0 ? mine.latencyP99Us / ref.latencyP99Us : Infinity;
        if (factor > guardFactor) {
          misses.push({ seed: seeds[s], phase: ph.phase, factor, policyP99Us: mine.latencyP99Us, oracleP99Us: ref.latencyP99Us, oracleK: ph.bestK, sideCores: mine.sideCoresAvg, ratio: ph.bestScore > 0 ? mine.score / ph.bestScore : 0 });
        }
      }
    }
    misses.sort((a, b) => b.factor - a.factor);
    return {
      policy: name,
      ratio: spreadOf(ratio),
      vsBestStatic: spreadOf(vsBest),
      latencyP50Us: spreadOf(p50),
      latencyP99Us: spreadOf(p99),
      sideCoresAvg: spreadOf(side),
      changes: spreadOf(changes),
      guardChecked: checked,
      guardOk: checked - misses.length,
      guardMisses: misses,
    };
  });
  const adaptive = policies.filter((p) => staticCount(p.policy) === null);
  const stat = policies.filter((p) => staticCount(p.policy) !== null);
  return {
    scenario: meta.scenario,
    description: meta.description,
    cores: meta.cores,
    seconds: meta.seconds,
    seeds: [...seeds],
    observe: meta.observe,
    guardFactor,
    oracles,
    oracleLatencyP50Us: spreadOf(oP50),
    oracleLatencyP99Us: spreadOf(oP99),
    bestStaticRatio: spreadOf(oracles.map((o) => (o.oracleScore > 0 ? o.bestStatic.score / o.oracleScore : 0))),
    policies: [...adaptive, ...stat],
    runs: [...bySeed[0]],
  };
}

/** "0.987 ± 0.004" (mean ± sd), or the mean alone for one seed. */
export function fmtSpread(s: Spread, digits = 3): string {
  if (!Number.isFinite(s.mean)) return '–';
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}` : s.mean.toFixed(digits);
}

/** A miss of the p99 guard in words, e.g. "peak (seed 2): p99 3.4 ms vs 665 µs at the oracle's 3 side cores (5.1×); iocm ran 1.0 side cores for 1.00 of the phase's best score". */
export function describeMiss(policy: string, m: GuardMiss): string {
  const us = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(1)} ms` : `${x.toFixed(0)} µs`);
  const trade = Math.abs(m.ratio - 1) < 0.005 ? 'the same score as the oracle count' : m.ratio > 1 ? `${((m.ratio - 1) * 100).toFixed(1)} % more score than the oracle count` : `${((1 - m.ratio) * 100).toFixed(1)} % less score than the oracle count`;
  return `${m.phase} (seed ${m.seed}): ${policy} p99 ${us(m.policyP99Us)} vs ${us(m.oracleP99Us)} at the oracle's ${m.oracleK} side core${m.oracleK === 1 ? '' : 's'} (${m.factor.toFixed(2)}×), with ${m.sideCores.toFixed(1)} side cores on average and ${trade}`;
}
