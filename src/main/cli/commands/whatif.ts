/**
 * `iocm whatif --session ID --policy P [--costs FILE] [--db FILE] [--json]`:
 * re-run a recorded session's offered workload under another policy (with
 * `--costs`, e.g. a block from `iocm calibrate`, over the recorded scenario's
 * `host.costs`), store it as a new session linked to the original, and print a
 * side-by-side comparison that says which costs the re-run used. A recording
 * without a scenario (a remote agent's) runs on a scenario inferred from it,
 * first as a replica under the recorded side cores (printed against the
 * recording), then under the policy.
 */
import { controlNote, policyTrail } from '../../../shared/session-label.ts';
import type { CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, OBSERVE_FLAG, type FlagSpec } from '../args.ts';
import type { ObservabilityProfile } from '../../../shared/observe.ts';
import { table, fixed, printable, ProgressBar } from '../format.ts';
import { COSTS_FILE_HELP, readCostsFile } from '../costs-file.ts';
import { existingDbPath, sessionIdArg } from '../history-db.ts';
import { HistoryClient } from '../../history/client.ts';
import { HistoryError } from '../../history/schema.ts';
import type { Comparison } from '../../history/types.ts';

const FLAGS: Record<string, FlagSpec> = {
  session: { type: 'string', value: 'ID', help: 'the recorded session to re-run' },
  policy: { type: 'string', value: 'POLICY', help: 'vhost | static:K | iocm | ... (see iocm simulate --help)' },
  observe: OBSERVE_FLAG,
  costs: { type: 'string', value: 'FILE', help: `${COSTS_FILE_HELP}; the re-run uses these over the session's recorded host.costs` },
  db: { type: 'string', value: 'FILE', help: 'history database (default: $IOCM_DB or the per-user data folder)' },
  json: { type: 'boolean', help: 'print JSON' },
  progress: { type: 'boolean', help: 'progress bar on stderr (default: when stderr is a terminal)' },
};

const USAGE = `usage: iocm whatif --session ID --policy POLICY [--observe PROFILE] [--costs FILE] [--db FILE] [--progress] [--json]\n\n${flagHelp(FLAGS)}\n`;

/** Render a comparison as a table (metric, phase, base, other, change). */
export function renderComparison(c: Comparison, baseMixed = false): string {
  const rows = [['phase', 'metric', `${c.base.policy}${baseMixed ? ' as recorded, mixed' : ''} (${c.base.sessionId})`, `${c.other.policy} (${c.other.sessionId})`, 'change']];
  for (const r of c.rows) {
    const change = r.base !== 0 ? `${r.other >= r.base ? '+' : ''}${fixed((100 * (r.other - r.base)) / Math.abs(r.base))}%` : '';
    rows.push([r.phase || '(none)', r.metric + (r.unit ? ` (${r.unit})` : ''), fixed(r.base), fixed(r.other), change]);
  }
  return table(rows, { left: [0, 1] });
}

/** The replica of a recording without a scenario: how close it came, and what was assumed. */
export function renderReplica(rep: NonNullable<Comparison['replica']>): string {
  const rows = [['group', 'measure', 'recorded', 'replica', 'change']];
  for (const f of rep.fidelity) {
    const scale = f.unit === 'B/s' ? 1e6 : 1;
    const change = f.recorded !== 0 ? `${f.model >= f.recorded ? '+' : ''}${fixed((100 * (f.model - f.recorded)) / Math.abs(f.recorded))}%` : '';
    rows.push([f.group, f.unit === 'B/s' ? 'MB/s' : f.unit === 'cores' ? 'vCPU run (cores)' : f.metric, fixed(f.recorded / scale), fixed(f.model / scale), change]);
  }
  return (
    `no scenario was recorded (session ${rep.recordedSessionId}): the model ran a scenario inferred from the recording,\n` +
    `first under the recorded side cores (the replica, session ${rep.sessionId}), then under the policy; the comparison below is between those two runs.\n` +
    `assumed:\n${rep.notes.map((n) => `  - ${n}\n`).join('')}\nreplica against the recording:\n` +
    table(rows, { left: [0, 1] }) +
    '\n'
  );
}

/** Entry point of `iocm whatif`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, help } = parseFlags(argv, FLAGS);
  if (help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const sessionId = values.session as string | undefined;
  const policy = values.policy as string | undefined;
  if (!sessionId) throw new UsageError('--session is required');
  sessionIdArg(sessionId);
  if (!policy) throw new UsageError('--policy is required');
  // Read before the database is opened: a bad file is exit 2 naming it, whatever the session.
  const costsFile = values.costs as string | undefined;
  const costs = costsFile === undefined ? undefined : readCostsFile(costsFile);
  let client: HistoryClient;
  try {
    // A re-run stores a session, so opening would create a missing database: refuse it first (a mistyped --db).
    client = await HistoryClient.open({ path: existingDbPath(values.db as string | undefined) });
  } catch (err) {
    if (err instanceof HistoryError) throw new UsageError(err.message);
    throw err;
  }
  const bar = values.progress || io.stderr.isTTY ? new ProgressBar(io.stderr, 'what-if') : undefined;
  // Ctrl-C (SIGINT) or SIGTERM cancels the re-run as the API's signal does: the worker stops at its
  // next slice and deletes what it stored, so no half-written session stays (status 'recording',
  // listed under the original). A second signal exits at once (130), as `serve` and `agent` do.
  const ac = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stoppedBy !== undefined) {
      bar?.done();
      io.stderr.write(`iocm whatif: second ${sig}: exiting at once, without removing the partial re-run\n`);
      process.exit(130);
    }
    stoppedBy = sig;
    ac.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const sig of signals) process.on(sig, onSignal);
  const stopListening = (): void => {
    for (const sig of signals) process.off(sig, onSignal);
  };
  try {
    const pending = client.whatIf({ sessionId, policy, ...(values.observe !== undefined ? { observe: values.observe as ObservabilityProfile } : {}), ...(costs ? { costs } : {}) }, { signal: ac.signal, ...(bar ? { onProgress: (f: number) => bar.update(Math.round(f * 1000), 1000) } : {}) });
    let r: Awaited<typeof pending>;
    try {
      r = await pending;
    } catch (err) {
      if (stoppedBy !== undefined && err instanceof HistoryError && /cancelled/.test(err.message)) {
        bar?.done();
        io.stderr.write(`iocm whatif: cancelled by ${stoppedBy}: the partial re-run of session ${printable(sessionId)} was removed, nothing was stored\n`);
        // 128 + the signal's number, as a shell reports a command the signal ended.
        return stoppedBy === 'SIGINT' ? 130 : 143;
      }
      throw err;
    } finally {
      // Once the what-if settled there is nothing to cancel: a signal while printing ends the process as usual.
      stopListening();
    }
    bar?.done();
    // How control of the recorded session changed after it began (other policies, operator overrides).
    const control = (await client.controlTrails([sessionId]))[sessionId];
    if (values.json) {
      io.stdout.write(JSON.stringify({ ...r, baseControl: control ?? null, costsFile: costsFile ?? null, costs: costs ?? {} }, null, 2) + '\n');
      return 0;
    }
    io.stdout.write(`what-if of session ${sessionId} under ${r.comparison.other.policy}: stored as session ${r.sessionId}\n`);
    const names = Object.keys(costs ?? {});
    const rep = r.comparison.replica;
    const recordedCosts = rep ? "the model's defaults" : "the session's recorded host.costs";
    io.stdout.write(costsFile === undefined ? `costs: ${recordedCosts} (no --costs)\n\n` : `costs: ${costsFile} over ${recordedCosts} (${names.length ? names.join(', ') : 'no overrides in it'})\n\n`);
    if (rep) io.stdout.write(renderReplica(rep));
    // A base that ran more than its first policy (other policies, operator overrides) is said as such:
    // the re-run runs one policy throughout, untouched, so the comparison is not policy against policy.
    const base = { policy: r.comparison.base.policy, control };
    const mixed = controlNote(base);
    if (mixed) {
      const ran = control && control.policyChanges > 0 ? `did not run ${base.policy} throughout: ${policyTrail(base)} (${mixed})` : `ran ${base.policy} with ${mixed}`;
      io.stdout.write(printable(`note: the recorded session ${ran}. ${rep ? 'The replica follows the side cores it recorded' : 'The base is the session as recorded'}; the re-run runs ${r.comparison.other.policy} throughout, with no operator overrides.\n\n`));
    }
    io.stdout.write(renderComparison(r.comparison, mixed !== '' && !rep));
    return 0;
  } catch (err) {
    if (err instanceof HistoryError && err.code !== 'io') throw new UsageError(err.message);
    // Policy errors from the registry (PolicyError) cross the worker as plain errors.
    if ((err as Error).name === 'PolicyError' || (err as Error).name === 'UsageError') throw new UsageError((err as Error).message);
    throw err;
  } finally {
    stopListening();
    await client.close();
  }
}
