/**
 * `iocm calibrate --db FILE --session ID [--out costs.json]`: fit the host model's costs
 * (per request, per byte, per batch, per exit, per empty poll) from a recorded session's measured
 * cycles and counters by least squares (src/main/model/calibrate.ts), and write a scenario
 * `host.costs` block — the way a real host's recording drives what-if on a model that matches it.
 */
import { writeFileSync } from 'node:fs';
import type { CliIO } from '../iocm.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, type FlagSpec } from '../args.ts';
import { OBSERVABILITY_PROFILES, OBSERVABILITY_PROFILE_NAMES, observabilityOf, type ObservabilityProfile } from '../../../shared/observe.ts';
import { HistoryDb } from '../../history/store.ts';
import { HistoryError } from '../../history/schema.ts';
import { existingDbPath, sessionIdArg } from '../history-db.ts';
import { FIT_PARAMS, MIN_FIT_R2, fitCosts, type FittedCost } from '../../model/calibrate.ts';
import { resolveCosts, type CostParams } from '../../model/defaults.ts';
import type { HostSnapshot } from '../../../shared/snapshot.ts';
import { plural } from '../../../shared/words.ts';

const FLAGS: Record<string, FlagSpec> = {
  db: { type: 'string', value: 'FILE', help: `history database (default: ${'$'}IOCM_DB or the per-user data folder)` },
  session: { type: 'string', value: 'ID', help: 'session id (see `iocm sessions list`)' },
  out: { type: 'string', value: 'FILE', help: 'write {"host":{"costs":{...}}} to this new file (never overwritten; default: print it)' },
  window: { type: 'integer', value: 'N', min: 1, max: 1000, help: 'intervals summed per regression row (default: 5)' },
  observe: {
    type: 'string',
    value: 'PROFILE',
    choices: OBSERVABILITY_PROFILE_NAMES,
    help: "fit from what a host with this profile measures: qemu | ovs | full (default: the profile the session was recorded under; a model session may take any, a real host's no more than it recorded)",
  },
  force: { type: 'boolean', help: `also write the costs of a poor fit (R² below ${MIN_FIT_R2}: the counts explain less than half of how the cycles vary; left out by default)` },
  json: { type: 'boolean', help: 'print the whole fit (values, standard errors, held parameters and why, R², condition indices, costs withheld) as JSON' },
};

const USAGE = `usage: iocm calibrate --db FILE --session ID [--out costs.json] [--window N] [--observe PROFILE] [--force] [--json]\n\n${flagHelp(FLAGS)}\n`;

/** Whether profile `p` reports nothing that `recorded` does not. */
function within(p: ObservabilityProfile, recorded: ObservabilityProfile): boolean {
  const a = OBSERVABILITY_PROFILES[p];
  const b = OBSERVABILITY_PROFILES[recorded];
  return (Object.keys(a) as (keyof typeof a)[]).every((k) => !a[k] || b[k]);
}

/**
 * The observability profile session `id` was recorded under, read by name only: its stored
 * `reports` are never read (an imported file's may be missing or anything), the name is checked
 * and its fields taken from OBSERVABILITY_PROFILES (observabilityOf). No `observability` in the info
 * (sessions recorded before profiles): 'qemu', as everywhere else. A value that names no profile is
 * bad input: exit 2 naming the session and the value.
 */
function recordedProfile(id: string, info: unknown, hint: string): ObservabilityProfile {
  const obs = info !== null && typeof info === 'object' ? (info as { observability?: unknown }).observability : undefined;
  if (obs === undefined || obs === null) return 'qemu';
  const name = typeof obs === 'object' ? (obs as { profile?: unknown }).profile : obs;
  if (typeof name === 'string' && (OBSERVABILITY_PROFILE_NAMES as readonly string[]).includes(name)) return name as ObservabilityProfile;
  const shown = JSON.stringify(name) ?? String(name);
  throw new UsageError(`session ${id}: its recorded observability profile ${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown} is not one of ${OBSERVABILITY_PROFILE_NAMES.join(', ')}${hint}`);
}

/** Entry point of `iocm calibrate`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, help } = parseFlags(argv, FLAGS);
  if (help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const id = values.session as string | undefined;
  if (!id) throw new UsageError('--session is required (see `iocm sessions list`)');
  sessionIdArg(id);
  const path = existingDbPath(values.db as string | undefined);
  // A parameter the recording cannot determine is held at the value the session was recorded under
  // (its scenario's host.costs over the defaults): the value whatif, re-running the session, keeps.
  let base: CostParams | undefined;
  let profile: ObservabilityProfile;
  let db: HistoryDb;
  try {
    db = new HistoryDb(path, { readonly: true });
  } catch (e) {
    if (e instanceof HistoryError && e.code !== 'io') throw new UsageError(e.message);
    throw e;
  }
  /** Snapshots read from the session (streamed into the fit, never held). */
  let count = 0;
  let cal: ReturnType<typeof fitCosts>;
  const win = (values.window as number | undefined) ?? 5;
  try {
    try {
      const session = db.getSession(id);
      // What the host measured: the session's profile (absent in sessions recorded before profiles: 'qemu').
      // A model session recorded everything, so --observe needs no recorded profile there.
      const chosen = values.observe as ObservabilityProfile | undefined;
      const model = session.source === 'model';
      const recorded = chosen !== undefined && model ? undefined : recordedProfile(id, session.info, model ? '; choose what to fit from with --observe PROFILE' : ": what the host measured is unknown");
      profile = chosen ?? recorded!;
      if (recorded !== undefined && !model && !within(profile, recorded)) {
        throw new UsageError(`--observe ${profile}: session ${id} was recorded from a real host that reports the '${recorded}' profile, which lacks fields '${profile}' has; choose ${OBSERVABILITY_PROFILE_NAMES.filter((p) => within(p, recorded)).join(' or ')}`);
      }
      const costs = session.scenarioJson?.host?.costs;
      if (costs !== undefined) {
        try {
          base = resolveCosts(costs);
        } catch {
          // A stored scenario whose costs the model refuses: hold at the defaults instead.
        }
      }
    } catch (e) {
      if (e instanceof HistoryError) throw new UsageError(e.message);
      throw e;
    }
    // Streamed into the fit, which sums each snapshot into its window's rows and drops it: memory is
    // the fit's rows, not the session (collected first, a day of a QEMU host at 500 ms took tens of GB).
    // allSnapshots reads in pages of 1,000 following the last seq read: an agent's session numbers its
    // snapshots from its host's count, far from 0 (reading from seq 0 in fixed ranges found nothing).
    const counted = function* (snaps: Iterable<HostSnapshot>): Generator<HostSnapshot> {
      for (const s of snaps) {
        count++;
        yield s;
      }
    };
    cal = fitCosts(counted(db.allSnapshots(id)), { window: win, base, baseLabel: base ? "the recorded scenario's" : "the model's default", observability: observabilityOf(profile) });
  } finally {
    db.close();
  }
  if (count === 0) throw new UsageError(`session ${id} has no snapshots`);
  if (Object.keys(cal.costs).length === 0) {
    // Nothing identified (a session too short, or without I/O): an empty block would read as "fitted".
    const reasons = [...new Set(cal.fitted.map((f) => f.reason ?? 'not identifiable'))];
    // Queues polled by side cores most of the time: a longer session of the same kind would not help.
    const polled = cal.sidePolledSnapshots * 2 > cal.snapshots;
    const advice = reasons.some((r) => r.startsWith('too few rows'))
      ? polled
        ? '; record a session in which I/O threads serve the queues (e.g. under the vhost policy: no side cores), or lower --window'
        : '; record a longer session or lower --window'
      : '';
    throw new UsageError(`session ${id} (${plural(count, 'snapshot')}): no cost could be fitted (${reasons.join('; ')})${advice}`);
  }
  // A poor fit's costs (R² below MIN_FIT_R2) are withheld unless --force: a small standard error
  // does not say the cycles follow the counts.
  const force = values.force === true;
  const poor = cal.fits.filter((f) => !(f.r2 >= MIN_FIT_R2));
  const r2s = (fs: typeof poor): string => fs.map((f) => `${f.name} R² ${f.r2.toFixed(4)}`).join(', ');
  const withheld: Partial<Record<keyof CostParams, number>> = {};
  const costs = { ...cal.costs };
  if (!force) {
    for (const f of poor) for (const name of FIT_PARAMS[f.name] ?? []) if (name in costs) {
      withheld[name] = costs[name];
      delete costs[name];
    }
    if (Object.keys(costs).length === 0) {
      throw new UsageError(`session ${id} (${plural(count, 'snapshot')}): no cost written: every fit is poor (${r2s(poor)}; below ${MIN_FIT_R2} the counts explain less than half of how the measured cycles vary, so the costs may be wrong however small their standard errors); --force writes them anyway`);
    }
  }
  const block = JSON.stringify({ host: { costs } }, null, 2) + '\n';
  if (values.out !== undefined) {
    try {
      // Exclusive, as `sessions export`: an existing file (an earlier fit, a hand-edited scenario) is never overwritten.
      writeFileSync(values.out as string, block, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`--out ${values.out as string} exists; nothing was overwritten (choose another --out)`);
      throw new UsageError(`--out ${values.out as string}: cannot write the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  if (values.json === true) {
    // costs: the block as written; withheld: a poor fit's costs left out of it (none with --force).
    io.stdout.write(JSON.stringify({ session: id, ...cal, snapshots: count, observe: profile, costs, withheld, minR2: MIN_FIT_R2 }, null, 2) + '\n');
    return 0;
  }
  const lines = [`session ${id}: ${plural(count, 'snapshot')}, fitted from what a '${profile}' host measures`];
  for (const f of cal.fitted) lines.push(`  ${f.name.padEnd(20)} ${describe(f)}`);
  for (const f of cal.fits) {
    const why = f.r2 <= 0 ? 'no better than a constant' : 'the counts explain less than half of how the cycles vary';
    lines.push(`  fit ${f.name}: ${f.rows} rows, R² ${f.r2.toFixed(4)}, condition index ${f.conditionIndex.toFixed(1)}${poor.includes(f) ? ` — poor fit (below ${MIN_FIT_R2}: ${why})` : ''}`);
  }
  const held = cal.fitted.filter((f) => f.held !== undefined).map((f) => f.name);
  if (held.length > 0) lines.push(`  not written: ${held.join(', ')} (held, not fitted); the fitted costs assume their held values`);
  if (Object.keys(withheld).length > 0) lines.push(`  not written: ${Object.keys(withheld).join(', ')} (from a poor fit: ${r2s(poor)}; --force writes them)`);
  else if (force && poor.length > 0) lines.push(`  warning: written from a poor fit (${r2s(poor)}, below ${MIN_FIT_R2}) because of --force: the cycles may not follow the counts`);
  io.stdout.write(lines.join('\n') + '\n');
  if (values.out === undefined) io.stdout.write(block);
  else io.stdout.write(`wrote ${values.out as string}\n`);
  return 0;
}

/** One parameter's line: value ± standard error (and how it moves with each held value), or why there is none. */
function describe(f: FittedCost): string {
  const r = (v: number): string => String(Math.round(v * 1e4) / 1e4);
  if (f.value === null) return `— (${f.reason ?? 'not identifiable'})`;
  if (f.atBound === true) return `${r(f.value)} (${f.reason ?? 'at a bound'})`;
  // Set, not fitted (batchCycles 0 on a host that counts no batches): no standard error to give.
  if (f.se === undefined) return `${r(f.value)} (${f.reason ?? 'set, not fitted'})`;
  // Two significant digits are enough to judge the value.
  const given = Object.entries(f.perHeld ?? {}).map(([h, d]) => `${d >= 0 ? '+' : '−'}${Number(Math.abs(d).toPrecision(2))} per +1 ${h}`);
  const cond = (given.length > 0 ? `; given the held values: ${given.join(', ')}` : '') + (f.reason ? `; ${f.reason}` : '');
  return f.se === null || f.se === undefined ? `${r(f.value)} (no standard error: no residual degrees of freedom${cond})` : `${r(f.value)} ± ${Number(f.se.toPrecision(2))} (standard error${cond})`;
}
