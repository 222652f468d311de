/**
 * What-if: re-run a recorded session's offered workload (same scenario, seed
 * and interval; the recorded per-group loads applied with setLoads before
 * every interval) through the host model under another policy or static
 * count, optionally with cost overrides over the scenario's host.costs (e.g. a
 * block fitted by `iocm calibrate`), store the run as a new session whose
 * parent is the original (with the costs it ran under in its scenario), and
 * compare the two per phase (score, latency p50/p99, side-core-seconds).
 *
 * Runs inside the history worker (HistoryClient.whatIf) in slices, yielding
 * between them so recording of a live session continues; progress and
 * cancellation are supported.
 */
import type { HistoryDb } from './store.ts';
import { HistoryError } from './schema.ts';
import type { Comparison, ProgressFn } from './types.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent, PolicyConfig } from '../../shared/policy.ts';
import type { CostOverrides, Scenario } from '../../shared/scenario.ts';
import type { ObservabilityProfile } from '../../shared/observe.ts';
import { SummaryBuilder, type PhaseSummary } from '../sim/summary.ts';

/** A what-if request. */
export interface WhatIfRequest {
  sessionId: string;
  /** Policy spec, e.g. 'iocm', 'vhost', 'static:3'. */
  policy: string;
  config?: PolicyConfig;
  /** What the policy sees (default: the profile the session was recorded under, else 'qemu'). */
  observe?: ObservabilityProfile;
  /** Cost overrides applied over the recorded scenario's host.costs (default: the recorded costs only). */
  costs?: CostOverrides;
  /** Wall-clock start of the new session (unix ms; the client fills it from its clock). */
  startedAt?: number;
}

/** A what-if result. */
export interface WhatIfResult {
  /** The new session (parent: the original). */
  sessionId: string;
  comparison: Comparison;
}

/** Summaries of a stored session per phase (and 'total'), computed like `iocm simulate`'s. */
export function summarizeSession(store: HistoryDb, id: string): PhaseSummary[] {
  const s = store.getSession(id);
  const groups = s.scenarioJson?.vms.map((g) => g.name) ?? [];
  const b = new SummaryBuilder(groups);
  const batch = 2000;
  const maxSeq = (store.db.prepare('SELECT max(seq) FROM snapshots WHERE session = ?').pluck().get(store.keyOf(id)) as number | null) ?? -1;
  for (let from = 0; from <= maxSeq; from += batch) for (const x of store.snapshotsBySeq(id, from, from + batch)) b.add(x);
  const r = b.result();
  return [...r.phases, r.total];
}

/** Side-by-side comparison of two stored sessions (rows per phase and 'total'). */
export function compareSessions(store: HistoryDb, baseId: string, otherId: string): Comparison {
  const a = summarizeSession(store, baseId);
  const b = summarizeSession(store, otherId);
  const rows: Comparison['rows'] = [];
  for (const pa of a) {
    const pb = b.find((p) => p.name === pa.name);
    if (!pb) continue;
    const phase = pa.name;
    rows.push({ metric: 'score', phase, base: pa.score, other: pb.score, unit: '' });
    rows.push({ metric: 'latency p50', phase, base: pa.latencyP50Us, other: pb.latencyP50Us, unit: 'µs' });
    rows.push({ metric: 'latency p99', phase, base: pa.latencyP99Us, other: pb.latencyP99Us, unit: 'µs' });
    rows.push({ metric: 'side-core-seconds', phase, base: pa.sideCoresAvg * pa.seconds, other: pb.sideCoresAvg * pb.seconds, unit: 's' });
  }
  return {
    base: { sessionId: baseId, policy: store.getSession(baseId).policy },
    other: { sessionId: otherId, policy: store.getSession(otherId).policy },
    rows,
  };
}

/** Per-interval offered loads of a session, expanded from the run-length rows (index = seq). */
export function loadsPerInterval(store: HistoryDb, id: string, n: number): (Record<string, number> | null)[] {
  const rows = store.loads(id);
  const out: (Record<string, number> | null)[] = new Array(n).fill(null);
  let k = 0;
  let cur: Record<string, number> | null = null;
  for (let seq = 0; seq < n; seq++) {
    while (k < rows.length && rows[k].seq <= seq) cur = rows[k++].loads;
    out[seq] = cur;
  }
  return out;
}

/** Intervals per slice: ~20 slices per run (progress, cancellation), at most 200 intervals. */
const sliceFor = (n: number): number => Math.max(5, Math.min(200, Math.ceil(n / 20)));

/** Run a what-if inside the worker's store (see module doc). */
export async function runWhatIfInStore(
  store: HistoryDb,
  req: WhatIfRequest,
  progress: ProgressFn,
  aborted: () => boolean,
  beforeYield: () => void = () => {},
): Promise<WhatIfResult> {
  const base = store.getSession(req.sessionId);
  if (base.source !== 'model' || !base.scenarioJson) throw new HistoryError('invalid', `session '${req.sessionId}' has no recorded scenario (source ${base.source}); what-if needs a model session`);
  if (base.snapshots === 0) throw new HistoryError('invalid', `session '${req.sessionId}' has no snapshots to re-run`);
  const recorded = base.scenarioJson as Scenario;
  const seed = base.seed ?? 1;
  const intervalMs = base.intervalMs ?? 100;
  const [{ createHostModel }, { IocmLoop }, { resolvePolicyForHost }, { checkScenario, resolveCosts, withCosts }] = await Promise.all([import('../model/host-model.ts'), import('../loop/loop.ts'), import('../policy/registry.ts'), import('../model/defaults.ts')]);
  // An imported file's session is input like any other: refuse what the model cannot run, by name.
  try {
    checkScenario(recorded);
  } catch (err) {
    throw new HistoryError('invalid', `session '${req.sessionId}': its recorded scenario cannot be re-run: ${(err as Error).message}`);
  }
  try {
    resolveCosts(req.costs);
  } catch (err) {
    throw new HistoryError('invalid', `cost overrides: ${(err as Error).message}`);
  }
  const scenario = withCosts(recorded, req.costs);
  const overridden = Object.keys(req.costs ?? {});
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new HistoryError('invalid', `session '${req.sessionId}': its recorded seed ${String(seed)} is not an integer in 0..4294967295`);
  if (typeof intervalMs !== 'number' || !(intervalMs >= 1 && intervalMs <= 60000)) throw new HistoryError('invalid', `session '${req.sessionId}': its recorded interval ${String(intervalMs)} ms is not in 1..60000`);
  let policy: ReturnType<typeof resolvePolicyForHost>;
  try {
    policy = resolvePolicyForHost(req.policy, scenario.host.cores, req.config ?? {});
  } catch (err) {
    throw new HistoryError('invalid', (err as Error).message);
  }
  const n = (store.db.prepare('SELECT max(seq) FROM snapshots WHERE session = ?').pluck().get(store.keyOf(req.sessionId)) as number) + 1;
  const loads = loadsPerInterval(store, req.sessionId, n);
  const observe = req.observe ?? base.info?.observability?.profile;
  const model = createHostModel(scenario, { seed, intervalMs, observe });
  const info = model.info();
  const events: HostEvent[] = [];
  const loop = new IocmLoop({ control: model, policy: policy.name, config: req.config ?? {}, observability: info.observability, groups: info.groups, onEvent: (e) => events.push(e) });
  const id = store.beginSession({
    host: base.host,
    source: 'model',
    scenario,
    seed,
    policy: policy.name,
    policyConfig: req.config ?? {},
    info,
    intervalMs,
    startedAt: req.startedAt ?? base.startedAt,
    parentId: base.id,
  });
  try {
    events.push({ t: 0, source: 'system', kind: 'notice', message: `what-if re-run of session ${base.id} under ${policy.name}${overridden.length ? ` with cost overrides (${overridden.join(', ')})` : ''}`, data: { parentId: base.id, ...(overridden.length ? { costs: req.costs } : {}) } });
    // The loop's events (decisions, audits, phases) are pushed as they happen.
    loop.start();
    let snaps: HostSnapshot[] = [];
    const slice = sliceFor(n);
    for (let seq = 0; seq < n; seq++) {
      model.setLoads(loads[seq]);
      const s = model.step();
      snaps.push(s);
      loop.onSnapshot(s);
      if (snaps.length >= slice || seq === n - 1) {
        store.append(id, snaps, events.splice(0));
        snaps = [];
        progress((seq + 1) / n, `${seq + 1}/${n} intervals`);
        beforeYield();
        await new Promise<void>((r) => setImmediate(r));
        if (aborted()) throw new HistoryError('invalid', 'what-if cancelled');
      }
    }
    if (aborted()) throw new HistoryError('invalid', 'what-if cancelled');
    store.endSession(id, (req.startedAt ?? base.startedAt) + Math.round(n * intervalMs));
  } catch (err) {
    // Nothing half-done stays behind.
    store.abandonSession(id);
    store.deleteSession(id);
    throw err;
  }
  return { sessionId: id, comparison: compareSessions(store, base.id, id) };
}
