/**
 * `iocm evaluate --suite DIR --out DIR`: every scenario in DIR × every policy
 * (vhost, static:1..max, iocm, iocm-classic, ovs-auto-lb, spdk-dynamic) × N seeds in
 * worker threads; writes report.md (ratios with their spread, p50/p99, the p99 guard) and SVG
 * plots (ECharts, server-side).
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, listFlag, OBSERVE_FLAG, type FlagSpec } from '../args.ts';
import { ProgressBar } from '../format.ts';
import { makeDirs } from '../../util/fs.ts';
import { SHAPE_IDS } from '../../model/shapes.ts';
import { loadScenario, scenarioSeconds, scenariosDir } from '../../scenario/load.ts';

import { EVALUATED_POLICIES, resolvePolicyForHost } from '../../policy/registry.ts';
import { runMany, shortenPhases, staticPolicies, type RunSpec } from '../../loop/sweep.ts';
import { evaluateSeeds, type MultiSeedEvaluation } from '../../loop/evaluation.ts';
import { firstSeed, phaseScoresSvg, reportMarkdown, sideCoresSvg } from '../../loop/report.ts';
import type { Scenario } from '../../../shared/scenario.ts';
import { DEFAULT_PROFILE, type ObservabilityProfile } from '../../../shared/observe.ts';

/** The policies `--sensitivity` ranks on day unless --policies says otherwise. */
const SENSITIVITY_POLICIES = ['vhost', 'static:1', 'static:2', 'iocm', 'iocm-classic'];

const FLAGS: Record<string, FlagSpec> = {
  suite: { type: 'string', value: 'DIR', help: "folder of scenario .json files (default: the shipped scenarios, as every command reads them: $IOCM_RESOURCES/scenarios when set, else the installation's resources/scenarios)" },
  out: { type: 'string', value: 'DIR', help: 'output folder for report.md and the SVG plots (default: report)' },
  'phase-seconds': { type: 'number', value: 'N', above: 0, max: 1e6, help: 'shorten every phase to at most N seconds (with --sensitivity: the phases of day, default 2)' },
  seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'first RNG seed (default: 1)' },
  seeds: { type: 'integer', value: 'N', min: 1, max: 100, help: 'seeds S, S+1, … S+N-1; ratios and latencies as mean ± spread (default: 3)' },
  observe: OBSERVE_FLAG,
  guard: { type: 'number', value: 'X', min: 1, max: 100, help: "p99 guard: a policy's phase p99 within X × the oracle count's (default: 1.25)" },
  jobs: { type: 'integer', value: 'J', min: 1, max: 64, help: 'worker threads (default: CPU count)' },
  policies: { type: 'string', value: 'LIST', help: `adaptive policies (default: ${EVALUATED_POLICIES.filter((p) => p !== 'vhost').join(',')}; with --sensitivity: the policies ranked on day, default ${SENSITIVITY_POLICIES.join(',')})` },
  only: { type: 'string', value: 'LIST', help: `comma-separated scenario names to include (with --sensitivity: shape ids, default all: ${SHAPE_IDS.join(', ')})` },
  progress: { type: 'boolean', help: 'force the progress bar on stderr' },
  json: { type: 'boolean', help: 'also print a JSON summary (scenario → policy → ratio) on stdout' },
  sensitivity: { type: 'boolean', help: 'instead: vary each cost over its sourced range (one at a time and a Latin hypercube); write sensitivity.md and tornado SVGs to --out (src/main/loop/sensitivity.ts)' },
  samples: { type: 'integer', value: 'N', min: 0, max: 200, help: 'with --sensitivity: Latin-hypercube samples (default: 8)' },
  costs: { type: 'string', value: 'LIST', help: 'with --sensitivity: comma-separated costs to vary (default: the published and inferred ones)' },
};

const USAGE = `usage: iocm evaluate [--suite DIR] [--out DIR] [--phase-seconds N] [--seed S] [--seeds N] [--observe PROFILE] [--guard X] [--jobs J] [--policies LIST] [--only LIST] [--progress] [--json]\n       iocm evaluate --sensitivity [--out DIR] [--costs LIST] [--samples N] [--only SHAPES] [--policies LIST] [--phase-seconds N] [--seed S] [--progress] [--json]\n\n${flagHelp(FLAGS)}\n`;

/** Entry point of `iocm evaluate`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, help } = parseFlags(argv, FLAGS);
  if (help) {
    io.stdout.write(USAGE);
    return 0;
  }
  // Flags of the other mode would be ignored without a word: refuse them (a user asking for
  // --seeds 5 with --sensitivity, or --samples without it, would read results they did not get).
  const modeOnly = values.sensitivity === true ? ['suite', 'seeds', 'guard', 'observe', 'jobs'] : ['samples', 'costs'];
  for (const f of modeOnly) {
    if (values[f] !== undefined) throw new UsageError(values.sensitivity === true ? `--${f} does not apply with --sensitivity (it varies costs on the shipped scenarios, one seed: --seed)` : `--${f} applies only with --sensitivity`);
  }
  if (values.sensitivity === true) return runSensitivityCommand(values, io);
  // The default is the shipped scenarios wherever the command runs from (not ./resources/scenarios).
  const suite = values.suite !== undefined ? resolve(values.suite as string) : scenariosDir();
  let files: string[];
  try {
    if (!statSync(suite).isDirectory()) throw new Error('not a folder');
    files = readdirSync(suite).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).sort();
  } catch (e) {
    throw new UsageError(`--suite ${suite}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const only = listFlag(values.only, 'only');
  let scenarios: Scenario[] = files.map((f) => loadScenario(join(suite, f)));
  if (only) {
    const unknown = only.filter((n) => !scenarios.some((s) => s.name === n));
    if (unknown.length > 0) throw new UsageError(`--only: no scenario named '${unknown[0]}' in ${suite} (have: ${scenarios.map((s) => s.name).join(', ')})`);
    scenarios = scenarios.filter((s) => only.includes(s.name));
  }
  if (scenarios.length === 0) throw new UsageError(`--suite ${suite}: no scenario .json files found`);
  const phaseSeconds = values['phase-seconds'] as number | undefined;
  if (phaseSeconds !== undefined) scenarios = scenarios.map((s) => shortenPhases(s, phaseSeconds));
  const seed = (values.seed as number | undefined) ?? 1;
  const nSeeds = (values.seeds as number | undefined) ?? 3;
  const seeds = Array.from({ length: nSeeds }, (_, i) => seed + i);
  const observe = ((values.observe as string | undefined) ?? DEFAULT_PROFILE) as ObservabilityProfile;
  const guardFactor = (values.guard as number | undefined) ?? 1.25;
  const jobs = (values.jobs as number | undefined) ?? Math.max(1, availableParallelism());
  const adaptive = listFlag(values.policies, 'policies', EVALUATED_POLICIES.filter((p) => p !== 'vhost'));
  const outDir = resolve((values.out as string | undefined) ?? 'report');
  makeOutDir(outDir);

  const specs: RunSpec[] = [];
  const groups: { scenario: Scenario; from: number; statics: number; n: number }[] = [];
  for (const s of scenarios) {
    for (const p of adaptive) resolvePolicyForHost(p, s.host.cores);
    const statics = staticPolicies(s.host.cores);
    const seconds = scenarioSeconds(s);
    groups.push({ scenario: s, from: specs.length, statics: statics.length, n: statics.length + adaptive.length });
    for (const sd of seeds) for (const policy of [...statics, ...adaptive]) specs.push({ scenario: s, policy, seed: sd, seconds, observe });
  }
  const bar = values.progress === true || io.stderr.isTTY === true ? new ProgressBar(io.stderr, `evaluate ${scenarios.length} scenarios × ${seeds.length} seeds (${specs.length} runs)`) : undefined;
  let results;
  try {
    results = await runMany(specs, jobs, bar ? (d, t) => bar.update(d, t) : undefined);
  } finally {
    bar?.done();
  }
  const evals: MultiSeedEvaluation[] = groups.map((g) => {
    const bySeed = seeds.map((_, i) => results.slice(g.from + i * g.n, g.from + (i + 1) * g.n));
    return evaluateSeeds({ scenario: g.scenario.name, description: g.scenario.description, cores: g.scenario.host.cores, seconds: scenarioSeconds(g.scenario), observe, guardFactor }, seeds, bySeed, g.statics);
  });
  const svgs = new Map<string, { sideCores: string; phases: string }>();
  for (const e of evals) {
    const f = { sideCores: `${e.scenario}-side-cores.svg`, phases: `${e.scenario}-phase-scores.svg` };
    writeFileSync(join(outDir, f.sideCores), sideCoresSvg(firstSeed(e)));
    writeFileSync(join(outDir, f.phases), phaseScoresSvg(firstSeed(e)));
    svgs.set(e.scenario, f);
  }
  writeFileSync(join(outDir, 'report.md'), reportMarkdown(evals, svgs, { seeds, phaseSeconds, observe, guardFactor }));
  if (values.json === true) {
    const r3 = (x: number): number => Math.round(x * 1000) / 1000;
    const doc: Record<string, unknown> = {};
    for (const e of evals) {
      doc[e.scenario] = {
        observe: e.observe,
        seeds: e.seeds,
        bestStatic: { k: e.oracles[0].bestStatic.k, ratio: r3(e.bestStaticRatio.mean) },
        oracle: { latencyP50Us: r3(e.oracleLatencyP50Us.mean), latencyP50UsSd: r3(e.oracleLatencyP50Us.sd), latencyP99Us: r3(e.oracleLatencyP99Us.mean), latencyP99UsSd: r3(e.oracleLatencyP99Us.sd) },
        policies: Object.fromEntries(
          e.policies.map((p) => [
            p.policy,
            { ratio: r3(p.ratio.mean), ratioSd: r3(p.ratio.sd), ratioMin: r3(p.ratio.min), vsBestStatic: r3(p.vsBestStatic.mean), latencyP50Us: r3(p.latencyP50Us.mean), latencyP50UsSd: r3(p.latencyP50Us.sd), latencyP99Us: r3(p.latencyP99Us.mean), latencyP99UsSd: r3(p.latencyP99Us.sd), sideCoresAvg: r3(p.sideCoresAvg.mean), guardOk: p.guardOk, guardChecked: p.guardChecked },
          ]),
        ),
      };
    }
    io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    io.stdout.write(`wrote ${join(outDir, 'report.md')} and ${svgs.size * 2} SVG plots\n`);
  }
  return 0;
}

/** `iocm evaluate --sensitivity`: the analysis of src/main/loop/sensitivity.ts on the shipped scenarios. */
async function runSensitivityCommand(values: Record<string, unknown>, io: CliIO): Promise<number> {
  const { runSensitivity, sensitivityMarkdown, tornadoSvg, defaultVariedCosts } = await import('../../loop/sensitivity.ts');
  const { SHAPE_SCENARIOS } = await import('../../model/shapes.ts');
  const { COST_SOURCES } = await import('../../model/defaults.ts');
  type Varied = keyof typeof COST_SOURCES;
  const seed = (values.seed as number | undefined) ?? 1;
  const params = listFlag(values.costs, 'costs') ?? defaultVariedCosts();
  for (const p of params) if (!(p in COST_SOURCES)) throw new UsageError(`--costs: '${p}' is not a cost with a range (known: ${Object.keys(COST_SOURCES).join(', ')})`);
  const onlyShapes = listFlag(values.only, 'only');
  for (const id of onlyShapes ?? []) if (!(SHAPE_IDS as readonly string[]).includes(id)) throw new UsageError(`--only (with --sensitivity): unknown shape '${id}' (known: ${SHAPE_IDS.join(', ')})`);
  const shapes = (onlyShapes ?? [...SHAPE_IDS]) as (typeof SHAPE_IDS)[number][];
  const policies = listFlag(values.policies, 'policies', SENSITIVITY_POLICIES);
  const scenarios: Record<string, Scenario> = {};
  for (const id of shapes) scenarios[SHAPE_SCENARIOS[id]] ??= loadScenario(SHAPE_SCENARIOS[id]);
  const ranking = shortenPhases(loadScenario('day'), (values['phase-seconds'] as number | undefined) ?? 2);
  for (const p of policies) resolvePolicyForHost(p, ranking.host.cores); // validates, exit 2 on a bad name
  const outDir = resolve((values.out as string | undefined) ?? 'report');
  makeOutDir(outDir);
  const bar = values.progress === true || io.stderr.isTTY === true ? new ProgressBar(io.stderr, `sensitivity (${params.length} costs)`) : undefined;
  let res;
  try {
    res = runSensitivity({
      scenarios, shapes, rankingScenario: ranking, policies, params: params as Varied[], seed,
      lhsSamples: values.samples as number | undefined,
      onProgress: bar ? (d, t) => bar.update(d, t) : undefined,
    });
  } finally {
    bar?.done();
  }
  const files = new Map<string, string>();
  for (const id of shapes) {
    const f = `sensitivity-${id}.svg`;
    writeFileSync(join(outDir, f), tornadoSvg(res, id));
    files.set(id, f);
  }
  writeFileSync(join(outDir, 'sensitivity.md'), sensitivityMarkdown(res, files, { seed, rankingScenario: `${ranking.name} (phases ${String((values['phase-seconds'] as number | undefined) ?? 2)} s)` }));
  if (values.json === true) io.stdout.write(JSON.stringify(res, null, 2) + '\n');
  else io.stdout.write(`wrote ${join(outDir, 'sensitivity.md')} and ${files.size} tornado SVGs\n`);
  return 0;
}

/** Create `--out` and any missing parents (makeDirs: never hangs, e.g. under /proc), or exit 2 naming it. */
function makeOutDir(dir: string): void {
  try {
    makeDirs(dir);
  } catch (e) {
    throw new UsageError(`--out ${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
