/**
 * Runs of one scenario under many policies, and the oracle: for each phase the
 * best static side-core count with perfect foresight. Used by `iocm sweep`,
 * `iocm evaluate` and the oracle tests. `runOne` is synchronous (one run on
 * this thread); `runMany` spreads runs over worker threads.
 */
import type { Scenario } from '../../shared/scenario.ts';
import { maxSideCores } from '../model/defaults.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import type { PhaseSummary, Summary } from '../sim/summary.ts';
import { spawnWorker } from '../util/worker.ts';
import type { DecisionRecord } from './loop.ts';
import { runSimulation } from './simulation.ts';

/** One run to do. */
export interface RunSpec {
  scenario: Scenario;
  /** 'vhost', 'static:K', 'iocm', … */
  policy: string;
  seed: number;
  seconds: number;
  intervalMs?: number;
  /** What the policies see (default 'qemu'). */
  observe?: ObservabilityProfile;
}

/** What a run produced. */
export interface RunResult {
  policy: string;
  summary: Summary;
  /** Per interval: end time (ms), side cores in force, score, phase index into `phaseNames`. */
  series: { t: number[]; sideCores: number[]; score: number[]; phase: number[] };
  phaseNames: string[];
  decisions: DecisionRecord[];
  /** Side-core changes (intervals whose side-core count differs from the previous one). */
  changes: number;
  /** Σ side cores × seconds. */
  sideCoreSeconds: number;
}

/** Run one policy on one scenario on this thread, through the loop (every policy, static ones included, from the one registry). */
export function runOne(spec: RunSpec, onProgress?: (done: number, total: number) => void): RunResult {
  const decisions: DecisionRecord[] = [];
  const series = { t: [] as number[], sideCores: [] as number[], score: [] as number[], phase: [] as number[] };
  const phaseNames: string[] = [];
  const phaseIdx = new Map<string, number>();
  let sideCoreSeconds = 0;
  let changes = 0;
  let prevSide = -1;
  const r = runSimulation({
    scenario: spec.scenario,
    seed: spec.seed,
    seconds: spec.seconds,
    intervalMs: spec.intervalMs,
    policy: spec.policy,
    observe: spec.observe,
    onProgress,
    onDecision: (d) => decisions.push(d),
    onSnapshot: (s) => {
      let pi = phaseIdx.get(s.phase);
      if (pi === undefined) {
        pi = phaseNames.length;
        phaseNames.push(s.phase);
        phaseIdx.set(s.phase, pi);
      }
      const k = s.totals.sideCores;
      series.t.push(s.t);
      series.sideCores.push(k);
      series.score.push(s.totals.score);
      series.phase.push(pi);
      sideCoreSeconds += (k * s.intervalMs) / 1000;
      if (prevSide >= 0 && k !== prevSide) changes++;
      prevSide = k;
    },
  });
  return { policy: r.policy, summary: r.summary, series, phaseNames, decisions, changes, sideCoreSeconds };
}

/** The static policy with K side cores: 'vhost' for 0, else 'static:K' (the inverse of {@link staticCount}). */
export function staticPolicyName(k: number): string {
  return k === 0 ? 'vhost' : `static:${k}`;
}

/** The static policies a sweep runs: vhost (K = 0) and static:1..max. */
export function staticPolicies(cores: number, max = maxSideCores(cores)): string[] {
  const out = [staticPolicyName(0)];
  for (let k = 1; k <= max; k++) out.push(staticPolicyName(k));
  return out;
}

/** The side-core count of a static policy name (vhost → 0), or null. */
export function staticCount(policy: string): number | null {
  if (policy === 'vhost') return 0;
  const m = /^static:(\d+)$/.exec(policy);
  return m ? Number(m[1]) : null;
}

/** Per phase: each static count's score and the best one. */
export interface OraclePhase {
  phase: string;
  seconds: number;
  /** Side-core count → mean score in this phase. */
  scores: Record<number, number>;
  bestK: number;
  bestScore: number;
}

/** The oracle and the best single static count. */
export interface Oracle {
  phases: OraclePhase[];
  /** Σ phases best score × seconds / Σ seconds: a per-phase best static count, chosen with perfect foresight. */
  oracleScore: number;
  /** The best single count for the whole run. */
  bestStatic: { k: number; score: number };
}

/** Compute the oracle from static runs (each RunResult's policy must be vhost or static:K). */
export function oracleOf(statics: readonly RunResult[]): Oracle {
  const byPhase = new Map<string, OraclePhase>();
  let bestStatic = { k: -1, score: -Infinity };
  for (const r of statics) {
    const k = staticCount(r.policy);
    if (k === null) throw new Error(`oracleOf: '${r.policy}' is not a static policy`);
    if (r.summary.total.score > bestStatic.score) bestStatic = { k, score: r.summary.total.score };
    for (const p of r.summary.phases) {
      let o = byPhase.get(p.name);
      if (!o) {
        o = { phase: p.name, seconds: p.seconds, scores: {}, bestK: -1, bestScore: -Infinity };
        byPhase.set(p.name, o);
      }
      o.scores[k] = p.score;
      if (p.score > o.bestScore) {
        o.bestScore = p.score;
        o.bestK = k;
      }
    }
  }
  const phases = [...byPhase.values()];
  let num = 0;
  let den = 0;
  for (const p of phases) {
    num += p.bestScore * p.seconds;
    den += p.seconds;
  }
  return { phases, oracleScore: den > 0 ? num / den : 0, bestStatic };
}

/** Phase summaries by name (helper for reports). */
export function phaseMap(s: Summary): Map<string, PhaseSummary> {
  return new Map(s.phases.map((p) => [p.name, p]));
}

/** A copy of the scenario with every phase shortened to at most `seconds` (for quick checks of long scenarios). */
export function shortenPhases(s: Scenario, seconds: number): Scenario {
  return { ...s, phases: s.phases.map((p) => ({ ...p, seconds: Math.min(p.seconds, seconds) })) };
}

/** Messages from sweep-worker.ts. */
export type SweepWorkerMessage =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'result'; id: number; result: RunResult }
  | { type: 'error'; id: number; message: string };

/**
 * Run many specs over `jobs` worker threads (spawnWorker). `onProgress`
 * receives (intervals done, intervals total) over all runs. Results come back
 * in spec order. Rejects on the first failed run.
 */
export async function runMany(specs: readonly RunSpec[], jobs: number, onProgress?: (done: number, total: number) => void): Promise<RunResult[]> {
  const results: RunResult[] = new Array(specs.length);
  const totals = specs.map((s) => Math.max(1, Math.round((s.seconds * 1000) / (s.intervalMs ?? 100))));
  const grand = totals.reduce((a, b) => a + b, 0);
  const done = new Array<number>(specs.length).fill(0);
  const report = (): void => onProgress?.(done.reduce((a, b) => a + b, 0), grand);
  let next = 0;
  const n = Math.max(1, Math.min(jobs, specs.length));
  // Source (.ts under tsx) or the electron-vite bundle (out/main/workers/sweep-worker.js).
  const entry = /\.ts$/.test(new URL(import.meta.url).pathname) ? new URL('./sweep-worker.ts', import.meta.url) : new URL('./workers/sweep-worker.js', import.meta.url);
  await Promise.all(
    Array.from({ length: n }, async () => {
      const w = spawnWorker(entry);
      try {
        while (next < specs.length) {
          const id = next++;
          results[id] = await new Promise<RunResult>((resolve, reject) => {
            const onMsg = (m: SweepWorkerMessage): void => {
              if (m.id !== id) return;
              if (m.type === 'progress') {
                done[id] = m.done;
                report();
                return;
              }
              w.off('message', onMsg);
              w.off('error', onErr);
              if (m.type === 'result') {
                done[id] = totals[id];
                report();
                resolve(m.result);
              } else reject(new Error(`${specs[id].policy}: ${m.message}`));
            };
            const onErr = (e: Error): void => reject(e);
            w.on('message', onMsg);
            w.once('error', onErr);
            w.postMessage({ id, spec: specs[id] });
          });
        }
      } finally {
        await w.terminate();
      }
    }),
  );
  return results;
}

/** How a run behaved after one phase change. */
export interface SettleRecord {
  phase: string;
  /** Phase start, ms. */
  t0: number;
  /** Count kept at the end of the phase occurrence. */
  k: number;
  /** ms from the phase start to the last count change in the occurrence (0 if none). */
  settleMs: number;
  /** Static score of the kept count / the phase's best static score (NaN when the count was not swept). */
  ratio: number;
  bestK: number;
}

/** For every phase occurrence after the first: when the run's side-core count last changed, and how good the kept count is. */
export function settleRecords(run: RunResult, oracle: Oracle): SettleRecord[] {
  const s = run.series;
  const out: SettleRecord[] = [];
  if (s.t.length === 0) return out;
  const dt = s.t.length > 1 ? s.t[1] - s.t[0] : s.t[0];
  const byPhase = new Map(oracle.phases.map((p) => [p.phase, p]));
  let start = 0;
  for (let i = 1; i <= s.t.length; i++) {
    if (i < s.t.length && s.phase[i] === s.phase[start]) continue;
    if (start > 0) {
      const name = run.phaseNames[s.phase[start]];
      const o = byPhase.get(name);
      const t0 = s.t[start] - dt;
      let settledAt = start;
      for (let j = start + 1; j < i; j++) if (s.sideCores[j] !== s.sideCores[j - 1]) settledAt = j;
      const k = s.sideCores[i - 1];
      const ks = o?.scores[k];
      out.push({ phase: name, t0, k, settleMs: s.t[settledAt] - dt - t0, ratio: ks !== undefined && o ? ks / o.bestScore : NaN, bestK: o?.bestK ?? -1 });
    }
    start = i;
  }
  return out;
}
