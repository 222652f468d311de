/**
 * `npm run -s bench`: run the benchmark modules and print ONE JSON document
 * on stdout (progress on stderr).
 *
 * Each module bench/<name>.ts exports `bench<Name>(): Promise<Record<string, number>> | Record<string, number>`
 * (model → benchModel, loop → benchLoop, history → benchHistory, renderer → benchRenderer).
 * Modules that do not exist yet are listed under `missing`; a module that throws
 * (or returns something other than numbers) becomes an `errors` entry and the
 * process exits with code 1. Known floors are listed under `floors` and checked
 * under `pass` (key → boolean); `--strict` also exits 1 when a floor fails.
 *
 * Env: IOCM_BENCH_DIR=<dir> loads the modules from <dir> instead (for tests).
 *
 * Options: --only model,history   run a subset
 *          --strict               exit 1 when a floor is not met
 *          --out FILE             also write the document to FILE (e.g. bench/results/x.json)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bench modules in run order: name → exported function. */
export const MODULES: Record<string, string> = {
  model: 'benchModel',
  loop: 'benchLoop',
  history: 'benchHistory',
  renderer: 'benchRenderer',
};

/** A floor on one key: the value must be ≥ min and/or ≤ max. */
export interface Floor {
  min?: number;
  max?: number;
}

/** Known floors (keys are `<module>.<figure>`). */
export const FLOORS: Record<string, Floor> = {
  // Issue 9 ("Host model", item 9) raised the model's floors from 0.25 and 10× to these.
  'model.ratio': { min: 0.35 },
  'model.realTimeFactor': { min: 25 },
  'loop.decisionMs': { max: 0.2 },
  'history.ingestRatio': { min: 0.5 },
  'history.seekMs': { max: 50 },
  'history.rangeQueryMs': { max: 100 },
  'history.lagP99Ms': { max: 20 },
  'renderer.bundleKB': { max: 350 },
  'renderer.frameP95Ms': { max: 16 },
  'renderer.heapGrowthPct': { max: 10 },
};

/** Whether `value` meets `floor`. */
export function meets(value: number, floor: Floor): boolean {
  if (!Number.isFinite(value)) return false;
  if (floor.min !== undefined && value < floor.min) return false;
  if (floor.max !== undefined && value > floor.max) return false;
  return true;
}

/** Parsed command line. */
export interface BenchArgs {
  only: string[];
  strict: boolean;
  out?: string;
}

/** Parse bench options; throws Error with a one-line message on bad input. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { only: Object.keys(MODULES), strict: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || v.startsWith('--')) throw new Error(`option '${flag}' needs a value`);
      return v;
    };
    if (flag === '--only') {
      const names = value().split(',').map((s) => s.trim()).filter(Boolean);
      const bad = names.filter((n) => !(n in MODULES));
      if (bad.length) throw new Error(`--only: unknown bench module '${bad[0]}'; expected a comma-separated subset of ${Object.keys(MODULES).join(', ')}`);
      args.only = Object.keys(MODULES).filter((n) => names.includes(n));
    } else if (flag === '--strict') args.strict = true;
    else if (flag === '--out') args.out = value();
    else throw new Error(`unknown option '${a}'; expected --only LIST, --strict, --out FILE`);
  }
  return args;
}

/** The document printed by the bench. */
export interface BenchReport {
  meta: Record<string, string | number>;
  [module: string]: unknown;
  floors: Record<string, Floor>;
  pass: Record<string, boolean>;
  missing: string[];
  errors: Record<string, string>;
  ok: boolean;
}

type BenchFn = () => Record<string, number> | Promise<Record<string, number>>;

/**
 * Run the selected modules from `dir` (default: this directory) in order.
 * `log` receives progress lines.
 */
export async function runBench(args: BenchArgs, log: (line: string) => void, dir = dirname(fileURLToPath(import.meta.url))): Promise<BenchReport> {
  const cpu = cpus();
  const report: BenchReport = {
    meta: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpuModel: cpu[0]?.model ?? 'unknown',
      cpus: cpu.length,
      memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      date: new Date().toISOString(),
      only: args.only.join(','),
    },
    floors: {},
    pass: {},
    missing: [],
    errors: {},
    ok: true,
  };
  const results: Record<string, Record<string, number>> = {};
  for (const name of args.only) {
    const file = join(dir, `${name}.ts`);
    if (!existsSync(file)) {
      report.missing.push(name);
      log(`bench: ${name}: no bench/${name}.ts yet, skipped`);
      continue;
    }
    log(`bench: ${name} ...`);
    const t0 = process.hrtime.bigint();
    try {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const fn = mod[MODULES[name]];
      if (typeof fn !== 'function') throw new Error(`bench/${name}.ts does not export ${MODULES[name]}()`);
      const out = await (fn as BenchFn)();
      if (!out || typeof out !== 'object') throw new Error(`${MODULES[name]}() returned ${typeof out}, expected an object of numbers`);
      for (const [k, v] of Object.entries(out)) {
        if (typeof v !== 'number') throw new Error(`${MODULES[name]}() returned a non-number for '${k}': ${JSON.stringify(v)}`);
      }
      results[name] = out;
      log(`bench: ${name} done in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`);
    } catch (e) {
      report.errors[name] = (e as Error).stack?.split('\n').slice(0, 3).join(' | ') ?? String(e);
      log(`bench: ${name} FAILED: ${(e as Error).message}`);
    }
  }
  // Insert module results after meta, in run order.
  const ordered: BenchReport = { meta: report.meta } as BenchReport;
  for (const name of args.only) if (results[name]) ordered[name] = results[name];
  for (const [key, floor] of Object.entries(FLOORS)) {
    const dot = key.indexOf('.');
    const mod = key.slice(0, dot);
    const fig = key.slice(dot + 1);
    if (!results[mod]) continue;
    report.floors[key] = floor;
    const v = results[mod][fig];
    report.pass[key] = v !== undefined && meets(v, floor);
  }
  report.ok = Object.keys(report.errors).length === 0 && Object.values(report.pass).every(Boolean);
  return Object.assign(ordered, { floors: report.floors, pass: report.pass, missing: report.missing, errors: report.errors, ok: report.ok });
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  // IOCM_BENCH_DIR: run the modules of another folder (tests of this harness).
  const dir = process.env.IOCM_BENCH_DIR;
  const report = await runBench(args, (l) => process.stderr.write(l + '\n'), dir);
  const text = JSON.stringify(report, null, 2) + '\n';
  process.stdout.write(text);
  if (args.out) {
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, text);
  }
  const failedFloors = Object.entries(report.pass).filter(([, ok]) => !ok).map(([k]) => k);
  if (failedFloors.length) process.stderr.write(`bench: floors not met: ${failedFloors.join(', ')}\n`);
  if (Object.keys(report.errors).length > 0 || (args.strict && failedFloors.length > 0)) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
