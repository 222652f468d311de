/**
 * `iocm sweep`: run vhost and static:1..max (and optionally other policies)
 * over a whole scenario in parallel worker threads; report per phase the best
 * static count (the oracle, with perfect foresight), `oracleScore`,
 * `bestStaticScore` and each policy's score and ratio to the oracle.
 */
import { availableParallelism } from 'node:os';
import type { CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, listFlag, OBSERVE_FLAG, type FlagSpec } from '../args.ts';
import { fixed, roundDeep, table, ProgressBar } from '../format.ts';
import { loadScenario, scenarioSeconds } from '../../scenario/load.ts';
import { COSTS_FILE_HELP, withCostsFile } from '../costs-file.ts';
import { resolvePolicyForHost } from '../../policy/registry.ts';
import { maxSideCores } from '../../model/defaults.ts';
import { oracleOf, runMany, shortenPhases, staticCount, staticPolicies, staticPolicyName, type RunResult } from '../../loop/sweep.ts';
import { DEFAULT_PROFILE, type ObservabilityProfile } from '../../../shared/observe.ts';
import { spreadOf, type Spread } from '../../loop/evaluation.ts';

const FLAGS: Record<string, FlagSpec> = {
  scenario: { type: 'string', value: 'NAME|FILE', help: 'shipped scenario name or path to a .json file (required)' },
  seconds: { type: 'number', value: 'N', above: 0, max: 1e6, help: "simulated seconds (default: the scenario's length)" },
  'phase-seconds': { type: 'number', value: 'N', above: 0, max: 1e6, help: 'shorten every phase to at most N seconds (quick runs of long scenarios)' },
  seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'RNG seed (default: 1)' },
  seeds: { type: 'integer', value: 'N', min: 1, max: 100, help: 'run seeds S … S+N-1; each policy\'s score and ratio to the oracle as mean ± sample standard deviation (default: 3, as evaluate)' },
  jobs: { type: 'integer', value: 'J', min: 1, max: 64, help: 'worker threads (default: CPU count)' },
  max: { type: 'integer', value: 'K', min: 0, max: 1024, help: 'highest static count to run (default: the model\'s max for the host)' },
  policies: { type: 'string', value: 'LIST', help: "comma-separated policies to compare with the oracle (default: 'iocm,iocm-classic')" },
  observe: OBSERVE_FLAG,
  costs: { type: 'string', value: 'FILE', help: COSTS_FILE_HELP },
  json: { type: 'boolean', help: 'print one JSON document' },
  progress: { type: 'boolean', help: 'force the progress bar on stderr (default: only when stderr is a terminal)' },
};

const USAGE = `usage: iocm sweep --scenario NAME|FILE [--seconds N] [--phase-seconds N] [--seed S] [--seeds N] [--jobs J] [--max K] [--policies LIST] [--observe PROFILE] [--costs FILE] [--progress] [--json]\n\n${flagHelp(FLAGS)}\n`;

/** The JSON document of `iocm sweep --json`. */
export interface SweepOutput {
  scenario: string;
  seed: number;
  seconds: number;
  /** What the policies saw. */
  observe: ObservabilityProfile;
  phases: { name: string; seconds: number; bestK: number; bestScore: number; bestP50Us: number; bestP99Us: number; scores: Record<string, number> }[];
  /** The oracle's latency: phase-time-weighted p50/p99 of each phase's best static count. */
  oracleLatencyP50Us: number;
  oracleLatencyP99Us: number;
  oracleScore: number;
  bestStatic: { policy: string; k: number; score: number };
  bestStaticScore: number;
  policies: { policy: string; score: number; ratio: number; latencyP50Us: number; latencyP99Us: number; sideCoresAvg: number; sideCoreSeconds: number; changes: number; phases: Record<string, { score: number; ratio: number; sideCoresAvg: number }> }[];
  /**
   * With `--seeds N` > 1: the seeds run, and per policy its ratio to that seed's oracle and its p50/p99
   * over the seeds (mean, sample standard deviation, min, max). The fields above are the first seed's.
   */
  overSeeds?: { seeds: number[]; policies: Record<string, { ratio: Spread; score: Spread; latencyP50Us: Spread; latencyP99Us: Spread }> };
}

/** Mean ± spread of each policy's ratio, score and latency over the per-seed sweep documents. */
export function sweepOverSeeds(seeds: readonly number[], docs: readonly SweepOutput[]): NonNullable<SweepOutput['overSeeds']> {
  const policies: NonNullable<SweepOutput['overSeeds']>['policies'] = {};
  for (const p of docs[0].policies) {
    const rows = docs.map((d) => d.policies.find((x) => x.policy === p.policy)!);
    policies[p.policy] = roundDeep({ ratio: spreadOf(rows.map((r) => r.ratio)), score: spreadOf(rows.map((r) => r.score)), latencyP50Us: spreadOf(rows.map((r) => r.latencyP50Us)), latencyP99Us: spreadOf(rows.map((r) => r.latencyP99Us)) });
  }
  return { seeds: [...seeds], policies };
}

/** Build the sweep document from runs (statics and others). */
export function sweepOutput(scenario: string, seed: number, seconds: number, statics: RunResult[], others: RunResult[], observe: ObservabilityProfile = DEFAULT_PROFILE): SweepOutput {
  const o = oracleOf(statics);
  const all = [...statics, ...others];
  const best = new Map(o.phases.map((p) => [p.phase, p.bestScore]));
  const bestPhase = (p: (typeof o.phases)[number]) => statics.find((r) => staticCount(r.policy) === p.bestK)?.summary.phases.find((x) => x.name === p.phase);
  let w = 0;
  let p50 = 0;
  let p99 = 0;
  for (const p of o.phases) {
    const b = bestPhase(p);
    if (!b) continue;
    w += p.seconds;
    p50 += b.latencyP50Us * p.seconds;
    p99 += b.latencyP99Us * p.seconds;
  }
  return roundDeep({
    scenario,
    seed,
    seconds,
    observe,
    phases: o.phases.map((p) => ({ name: p.phase, seconds: p.seconds, bestK: p.bestK, bestScore: p.bestScore, bestP50Us: bestPhase(p)?.latencyP50Us ?? 0, bestP99Us: bestPhase(p)?.latencyP99Us ?? 0, scores: Object.fromEntries(Object.entries(p.scores).map(([k, v]) => [staticPolicyName(Number(k)), v])) })),
    oracleLatencyP50Us: w > 0 ? p50 / w : 0,
    oracleLatencyP99Us: w > 0 ? p99 / w : 0,
    oracleScore: o.oracleScore,
    bestStatic: { policy: staticPolicyName(o.bestStatic.k), k: o.bestStatic.k, score: o.bestStatic.score },
    bestStaticScore: o.bestStatic.score,
    policies: all.map((r) => ({
      policy: r.policy,
      score: r.summary.total.score,
      ratio: o.oracleScore > 0 ? r.summary.total.score / o.oracleScore : 0,
      latencyP50Us: r.summary.total.latencyP50Us,
      latencyP99Us: r.summary.total.latencyP99Us,
      sideCoresAvg: r.summary.total.sideCoresAvg,
      sideCoreSeconds: r.sideCoreSeconds,
      changes: r.changes,
      phases: Object.fromEntries(r.summary.phases.map((p) => [p.name, { score: p.score, ratio: (best.get(p.name) ?? 0) > 0 ? p.score / best.get(p.name)! : 0, sideCoresAvg: p.sideCoresAvg }])),
    })),
  });
}

/** Entry point of `iocm sweep`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, help } = parseFlags(argv, FLAGS);
  if (help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.scenario === undefined) throw new UsageError('--scenario is required (a shipped scenario name or a .json file)');
  let scenario = withCostsFile(loadScenario(values.scenario as string), values.costs as string | undefined);
  if (values['phase-seconds'] !== undefined) scenario = shortenPhases(scenario, values['phase-seconds'] as number);
  const cores = scenario.host.cores;
  const seed = (values.seed as number | undefined) ?? 1;
  const observe = ((values.observe as string | undefined) ?? DEFAULT_PROFILE) as ObservabilityProfile;
  const seconds = (values.seconds as number | undefined) ?? scenarioSeconds(scenario);
  const jobs = (values.jobs as number | undefined) ?? Math.max(1, availableParallelism());
  const max = (values.max as number | undefined) ?? maxSideCores(cores);
  if (max > cores - 1) throw new UsageError(`--max ${max}: at most ${cores - 1} side cores on a ${cores}-core host (at least one VM core)`);
  const others = listFlag(values.policies, 'policies', ['iocm', 'iocm-classic']);
  for (const p of others) resolvePolicyForHost(p, cores); // validates, exit 2 on a bad name
  const statics = staticPolicies(cores, max);
  const nSeeds = (values.seeds as number | undefined) ?? 3;
  const seeds = Array.from({ length: nSeeds }, (_, i) => seed + i);
  if (seeds[seeds.length - 1] > 2 ** 32 - 1) throw new UsageError(`--seed ${seed} --seeds ${nSeeds}: the last seed would exceed 4294967295`);
  const perSeed = statics.length + others.length;
  const specs = seeds.flatMap((sd) => [...statics, ...others].map((policy) => ({ scenario, policy, seed: sd, seconds, observe })));
  const showProgress = values.progress === true || io.stderr.isTTY === true;
  const bar = showProgress ? new ProgressBar(io.stderr, `sweep ${scenario.name} (${specs.length} runs, ${Math.min(jobs, specs.length)} workers)`) : undefined;
  let results: RunResult[];
  try {
    results = await runMany(specs, jobs, bar ? (d, t) => bar.update(d, t) : undefined);
  } finally {
    bar?.done();
  }
  const docs = seeds.map((sd, i) => {
    const rs = results.slice(i * perSeed, (i + 1) * perSeed);
    return sweepOutput(scenario.name, sd, seconds, rs.slice(0, statics.length), rs.slice(statics.length), observe);
  });
  const doc = docs[0];
  if (seeds.length > 1) doc.overSeeds = sweepOverSeeds(seeds, docs);
  if (values.json === true) {
    io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  }
  const lines = [`scenario ${doc.scenario}, seed ${seed}, ${fixed(seconds)} s, policies see: ${observe}${observe === 'full' ? ' (research profile)' : ''}`, ''];
  lines.push(table([['phase', 'seconds', 'best K', 'best score', 'p50 µs', 'p99 µs'], ...doc.phases.map((p) => [p.name, fixed(p.seconds), String(p.bestK), fixed(p.bestScore), fixed(p.bestP50Us), fixed(p.bestP99Us)])], { left: [0] }));
  lines.push('', `oracle score ${fixed(doc.oracleScore)} (p50 ${fixed(doc.oracleLatencyP50Us)} µs, p99 ${fixed(doc.oracleLatencyP99Us)} µs, phase-weighted); best single static ${doc.bestStatic.policy}: ${fixed(doc.bestStaticScore)}`, '');
  // Seed S's policy table with its phase table, then the spread over seeds, which says so: it had
  // come after the spread, unlabelled, below a line calling seed S's tables "above".
  lines.push(table([['policy', 'score', 'ratio', 'p50 µs', 'p99 µs', 'side cores', 'changes'], ...doc.policies.map((p) => [p.policy, fixed(p.score), p.ratio.toFixed(3), fixed(p.latencyP50Us), fixed(p.latencyP99Us), fixed(p.sideCoresAvg), String(p.changes)])], { left: [0] }));
  const over = doc.overSeeds;
  if (over) {
    lines.push(`over seeds ${over.seeds.join(', ')} (mean ± sample standard deviation; the tables above are seed ${seed}):`, '');
    const pm = (x: Spread, d?: number): string => (d === undefined ? `${fixed(x.mean)} ± ${fixed(x.sd)}` : `${x.mean.toFixed(d)} ± ${x.sd.toFixed(d)}`);
    lines.push(table([['policy', 'score', 'ratio', 'p50 µs', 'p99 µs'], ...Object.entries(over.policies).map(([name, p]) => [name, pm(p.score), pm(p.ratio, 3), pm(p.latencyP50Us), pm(p.latencyP99Us)])], { left: [0] }));
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
