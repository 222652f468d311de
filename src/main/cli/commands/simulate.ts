/**
 * `iocm simulate`: run a scenario on the host model under a policy and print
 * a summary per phase and in total (a table, or one JSON document with
 * --json). See docs/cli.md.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, OBSERVE_FLAG, requireFolderOf, type FlagSpec } from '../args.ts';
import { table, compact, fixed, roundDeep, ProgressBar } from '../format.ts';
import { loadScenario, scenarioSeconds } from '../../scenario/load.ts';
import { policyUsages, resolvePolicyForHost } from '../../policy/registry.ts';
import { runSimulation, intervalsFor } from '../../loop/simulation.ts';
import type { DecisionRecord } from '../../loop/loop.ts';
import type { Metrics, PhaseSummary, Summary } from '../../sim/summary.ts';
import type { HostSnapshot } from '../../../shared/snapshot.ts';
import type { ControlAction } from '../../../shared/control.ts';
import type { ObservabilityProfile } from '../../../shared/observe.ts';
import { startSimRecording } from '../../history/sim-record.ts';
import { HistoryError } from '../../history/schema.ts';
import { plural } from '../../../shared/words.ts';
import { COSTS_FILE_HELP, withCostsFile } from '../costs-file.ts';

const FLAGS: Record<string, FlagSpec> = {
  scenario: { type: 'string', value: 'NAME|FILE', help: "shipped scenario name or path to a .json file (default: 'default')" },
  policy: { type: 'string', value: 'POLICY', help: 'vhost | static:K | iocm | iocm-classic | ovs-auto-lb[:K] | spdk-dynamic (default: vhost)' },
  observe: OBSERVE_FLAG,
  seconds: { type: 'number', value: 'N', above: 0, max: 1e7, help: "simulated seconds; phases cycle when longer than the scenario (default: the scenario's length)" },
  seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'RNG seed; same seed → identical output (default: 1)' },
  'interval-ms': { type: 'number', value: 'MS', min: 1, max: 60000, help: 'snapshot interval in simulated ms (default: 100)' },
  json: { type: 'boolean', help: 'print one JSON document instead of tables' },
  trace: { type: 'string', value: 'FILE', help: 'write every snapshot as one JSON line to FILE' },
  progress: { type: 'boolean', help: 'force the progress bar on stderr (default: only when stderr is a terminal)' },
  record: { type: 'string', value: 'DB', help: 'record the run as a session in this history database (see iocm sessions)' },
  costs: { type: 'string', value: 'FILE', help: COSTS_FILE_HELP },
};

const USAGE = `usage: iocm simulate [--scenario NAME|FILE] [--policy POLICY] [--observe PROFILE] [--seconds N] [--seed S] [--interval-ms MS] [--json] [--trace FILE] [--progress] [--record DB] [--costs FILE]\n\n${flagHelp(FLAGS)}\n`;

/** The JSON document `iocm simulate --json` prints. */
export interface SimulateOutput {
  scenario: string;
  policy: string;
  seed: number;
  seconds: number;
  intervalMs: number;
  phases: PhaseSummary[];
  total: Omit<PhaseSummary, 'name'>;
  /** What the policies saw of the host ('full' runs are research runs: every counter). */
  observe: ObservabilityProfile;
  /** Every decision the policy reported: simulated ms, kind, applied actions, reason (static policies: the one at t = 0). */
  decisions: SimulateDecision[];
}

/** One entry of `decisions` in `iocm simulate --json`. */
export interface SimulateDecision {
  t: number;
  kind: string;
  actions: ControlAction[];
  reason: string;
}

/** Build the JSON document from a summary (numbers rounded to 3 decimals). */
export function simulateOutput(scenario: string, policy: string, seed: number, seconds: number, intervalMs: number, summary: Summary, decisions: SimulateDecision[] = [], observe: ObservabilityProfile = 'qemu'): SimulateOutput {
  const { name: _name, ...total } = summary.total;
  void _name;
  const r = roundDeep({ scenario, policy, seed, seconds, intervalMs, phases: summary.phases, total });
  return { scenario: r.scenario, policy: r.policy, seed: r.seed, seconds: r.seconds, intervalMs: r.intervalMs, observe, phases: r.phases, total: r.total, decisions };
}

/** Entry point of `iocm simulate`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, help } = parseFlags(argv, FLAGS);
  if (help) {
    io.stdout.write(USAGE + `\npolicies: ${policyUsages()}\n`);
    return 0;
  }
  const scenario = withCostsFile(loadScenario((values.scenario as string | undefined) ?? 'default'), values.costs as string | undefined);
  const policy = resolvePolicyForHost((values.policy as string | undefined) ?? 'vhost', scenario.host.cores);
  const observe = values.observe as ObservabilityProfile | undefined;
  const seed = (values.seed as number | undefined) ?? 1;
  const intervalMs = (values['interval-ms'] as number | undefined) ?? 100;
  const seconds = (values.seconds as number | undefined) ?? scenarioSeconds(scenario);
  const json = values.json === true;
  const total = intervalsFor(seconds, intervalMs);

  let traceFd: number | undefined;
  const tracePath = values.trace as string | undefined;
  if (tracePath !== undefined) {
    try {
      traceFd = openSync(tracePath, 'w');
    } catch (e) {
      throw new UsageError(`cannot write trace file '${tracePath}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  let buffered: string[] = [];
  let bufferedLen = 0;
  const flush = (): void => {
    if (traceFd === undefined || buffered.length === 0) return;
    try {
      writeSync(traceFd, buffered.join(''));
    } catch (e) {
      // Disk full or the like, mid-run: the same one-line error as an unopenable trace file.
      throw new UsageError(`cannot write trace file '${tracePath}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    buffered = [];
    bufferedLen = 0;
  };
  const onSnapshot =
    traceFd === undefined
      ? undefined
      : (s: HostSnapshot): void => {
          const line = JSON.stringify(s) + '\n';
          buffered.push(line);
          bufferedLen += line.length;
          if (bufferedLen > 1 << 20) flush();
        };

  const showProgress = values.progress === true || (io.stderr.isTTY === true && total >= 100);
  const bar = showProgress ? new ProgressBar(io.stderr, 'simulating') : undefined;
  const onProgress = bar ? (done: number, n: number) => bar.update(done, n, `${fixed((done * intervalMs) / 1000)}/${fixed((n * intervalMs) / 1000)} s`) : undefined;

  // --record: history recording (src/main/history/sim-record.ts).
  const recordPath = values.record as string | undefined;
  if (recordPath !== undefined) requireFolderOf(recordPath, '--record');
  let recording: Awaited<ReturnType<typeof startSimRecording>> | undefined;
  try {
    recording = recordPath === undefined ? undefined : await startSimRecording(recordPath, { scenario, seed, policy: policy.name, intervalMs });
  } catch (e) {
    // A foreign, corrupt or too-new file is bad input (exit 2); a failing disk is not.
    if (e instanceof HistoryError && e.code !== 'io' && e.code !== 'full') throw new UsageError(`--record: ${e.message}`);
    throw e;
  }
  const onSnap = recording ? (s: HostSnapshot): void => (onSnapshot?.(s), recording.onSnapshot(s)) : onSnapshot;

  const decisions: SimulateDecision[] = [];
  const onDecision = (d: DecisionRecord): void => {
    decisions.push({ t: d.t, kind: d.kind, actions: d.actions, reason: d.reason });
  };
  let result;
  try {
    result = runSimulation({ scenario, seed, seconds, intervalMs, policy: policy.name, policyConfig: policy.config, observe, onSnapshot: onSnap, onDecision, onEvent: recording?.onEvent, onProgress });
    flush();
  } finally {
    bar?.done();
    if (traceFd !== undefined) closeSync(traceFd);
    const session = await recording?.close(result?.info);
    if (session) io.stderr.write(`recorded session ${session.id} (${plural(session.snapshots, 'snapshot')}) in ${recordPath}\n`);
  }

  const doc = simulateOutput(scenario.name, result.policy, seed, result.seconds, intervalMs, result.summary, decisions, result.info.observability?.profile ?? 'qemu');
  if (json) {
    io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  }
  io.stdout.write(renderText(doc, result.intervals));
  return 0;
}

/** The table cells of one row; latency is "–" when nothing completed (there is no latency to show, not 0 µs). */
export function metricCells(m: Metrics): string[] {
  const none = m.throughputOps === 0;
  return [
    fixed(m.score),
    compact(m.throughputOps),
    fixed(m.throughputBytes / 1e6),
    none ? '–' : fixed(m.latencyP50Us),
    none ? '–' : fixed(m.latencyP99Us),
    fixed(m.sideCoresAvg),
    compact(m.exitsPerSec),
  ];
}

const METRIC_HEAD = ['score', 'ops/s', 'MB/s', 'p50 µs', 'p99 µs', 'side cores', 'exits/s'];

/** The human-readable report: header line, per-phase table, per-group table of the total. */
export function renderText(doc: SimulateOutput, intervals: number): string {
  const out: string[] = [];
  out.push(
    `scenario ${doc.scenario} · policy ${doc.policy} · seed ${doc.seed} · ${fixed(doc.seconds)} s simulated (${intervals} × ${doc.intervalMs} ms) · policies see: ${doc.observe}${doc.observe === 'full' ? ' (research profile: every counter)' : ''}\n\n`,
  );
  const rows: string[][] = [['phase', 'seconds', ...METRIC_HEAD, 'changes']];
  for (const p of doc.phases) rows.push([p.name || '(none)', fixed(p.seconds), ...metricCells(p), String(p.reconfigurations)]);
  rows.push(['total', fixed(doc.total.seconds), ...metricCells(doc.total), String(doc.total.reconfigurations)]);
  out.push(table(rows));
  const groups: string[][] = [['group', ...METRIC_HEAD]];
  for (const [g, m] of Object.entries(doc.total.byGroup)) groups.push([g, ...metricCells(m)]);
  out.push('\nby group (whole run; side cores = distinct side cores serving the group)\n');
  out.push(table(groups));
  return out.join('');
}
