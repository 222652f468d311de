/**
 * What-if: re-run a recorded session's offered workload (same scenario, seed
 * and interval; the recorded per-group loads applied with setLoads before
 * every interval) through the host model under another policy or static
 * count, optionally with cost overrides over the scenario's host.costs (e.g. a
 * block fitted by `iocm calibrate`), store the run as a new session whose
 * parent is the original (with the costs it ran under in its scenario), and
 * compare the two per phase (score, latency p50/p99, side-core-seconds).
 *
 * A recording without a scenario (a remote agent's) runs on a scenario inferred
 * from what its host measured (src/main/model/infer.ts): first as a replica under
 * the recorded side cores, reported against the recording, then under the
 * policy; the comparison is between those two runs (docs/history.md).
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
import { OBSERVABILITY_PROFILE_NAMES, type ObservabilityProfile } from '../../shared/observe.ts';
import { SummaryBuilder, type PhaseSummary } from '../sim/summary.ts';
import { matchQueues, ScenarioInference, type InferredScenario, type ScheduleChange } from '../model/infer.ts';
import type { HostModel } from '../model/host-model.ts';
import type { Fidelity } from '../../shared/api.ts';

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
  for (const x of store.allSnapshots(id, 2000)) b.add(x);
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
/**
 * A slice also ends once it has run this long (wall clock), so a cancel, SIGINT or the recording
 * beside it waits at most about this plus one interval, not 200 intervals of a heavy scenario.
 */
const SLICE_MAX_MS = 100;

/** Per group, what a model run delivered (means over the run), for the fidelity of a replica. */
type Delivered = Map<string, { requests: number; bytes: number; run: number; seconds: number }>;

/** One model re-run stored as a session (see rerun). */
interface RerunSpec {
  scenario: Scenario;
  seed: number;
  intervalMs: number;
  observe: ObservabilityProfile | undefined;
  n: number;
  loadsAt: (seq: number) => Record<string, number> | null;
  /** A policy run by the loop, or the recorded side-core schedule applied before each interval. */
  policy: { name: string; config: PolicyConfig } | null;
  schedule?: ScheduleChange[];
  /** The recorded host's VMs and queues, to match its queue ids to the model's (matchQueues). */
  host?: InferredScenario['host'];
  label: string;
  notice: HostEvent;
  /** Progress range of this run within the whole operation. */
  from: number;
  to: number;
  delivered?: Delivered;
}

/** Run the model over `n` intervals as `spec` says and store it as a session whose parent is `base`; returns its id. */
async function rerun(
  store: HistoryDb,
  base: ReturnType<HistoryDb['getSession']>,
  spec: RerunSpec,
  startedAt: number,
  progress: ProgressFn,
  aborted: () => boolean,
  beforeYield: () => void,
  now: () => number,
): Promise<string> {
  const [{ createHostModel }, { IocmLoop }] = await Promise.all([import('../model/host-model.ts'), import('../loop/loop.ts')]);
  let model: ReturnType<typeof createHostModel>;
  try {
    model = createHostModel(spec.scenario, { seed: spec.seed, intervalMs: spec.intervalMs, observe: spec.observe });
  } catch (err) {
    throw new HistoryError('invalid', `session '${base.id}' cannot be re-run on the model: ${(err as Error).message}`);
  }
  const info = model.info();
  // The recorded owners name the host's queues: match them to the model's by place, not by id.
  const toModel = spec.host ? matchQueues(spec.host, info) : new Map<number, number>();
  const events: HostEvent[] = [];
  const loop = spec.policy ? new IocmLoop({ control: model, policy: spec.policy.name, config: spec.policy.config, observability: info.observability, groups: info.groups, onEvent: (e) => events.push(e) }) : null;
  const id = store.beginSession({
    host: base.host,
    source: 'model',
    scenario: spec.scenario,
    seed: spec.seed,
    policy: spec.label,
    policyConfig: spec.policy?.config ?? {},
    info,
    intervalMs: spec.intervalMs,
    startedAt,
    parentId: base.id,
  });
  try {
    events.push(spec.notice);
    // The loop's events (decisions, audits, phases) are pushed as they happen.
    loop?.start();
    let snaps: HostSnapshot[] = [];
    const slice = sliceFor(spec.n);
    const schedule = spec.schedule ?? [];
    let k = 0;
    let sliceStart = now();
    for (let seq = 0; seq < spec.n; seq++) {
      while (k < schedule.length && schedule[k].index <= seq) applySchedule(model, schedule[k++], toModel, seq * spec.intervalMs, base.id, events);
      model.setLoads(spec.loadsAt(seq));
      const s = model.step();
      snaps.push(s);
      loop?.onSnapshot(s);
      if (spec.delivered) addDelivered(spec.delivered, s);
      if (snaps.length >= slice || seq === spec.n - 1 || now() - sliceStart >= SLICE_MAX_MS) {
        store.append(id, snaps, events.splice(0));
        snaps = [];
        progress(spec.from + ((spec.to - spec.from) * (seq + 1)) / spec.n, `${spec.label}: ${seq + 1}/${spec.n} intervals`);
        beforeYield();
        await new Promise<void>((r) => setImmediate(r));
        if (aborted()) throw new HistoryError('invalid', 'what-if cancelled');
        sliceStart = now();
      }
    }
    if (aborted()) throw new HistoryError('invalid', 'what-if cancelled');
    // Ended when the re-run finished (wall clock), not at startedAt + its simulated length: a
    // what-if of a day-long recording takes seconds.
    store.endSession(id, Math.max(startedAt, now()));
  } catch (err) {
    // Nothing half-done stays behind.
    store.abandonSession(id);
    store.deleteSession(id);
    throw err;
  }
  return id;
}

/**
 * Puts the model in the recorded side cores and queue owners of one schedule change (`toModel`: the
 * host's queue id → the model's queue at the same place). Polling is not replayed: a host reports
 * whether a queue is polled only as a consequence of its owner.
 */
function applySchedule(model: { apply: HostModel['apply'] }, ch: ScheduleChange, toModel: Map<number, number>, t: number, sessionId: string, events: HostEvent[]): void {
  const r = model.apply({ kind: 'setSideCores', cores: ch.sideCores });
  if (!r.ok) throw new HistoryError('invalid', `session '${sessionId}': the side cores [${ch.sideCores.join(', ')}] recorded at seq ${ch.seq} cannot be set on the model: ${r.error}`);
  events.push({ t, source: 'system', kind: 'audit', message: `recorded side cores: [${ch.sideCores.join(', ')}]`, data: { action: { kind: 'setSideCores', cores: ch.sideCores }, ok: true, costCycles: r.costCycles } });
  for (const [queue, core] of ch.owners) {
    const q = toModel.get(queue);
    // A queue of a VM whose layout differs from its group's first VM has no place in the model.
    if (q === undefined) continue;
    const a = model.apply({ kind: 'assignQueue', queue: q, core });
    if (!a.ok) throw new HistoryError('invalid', `session '${sessionId}': the owner of queue ${queue} recorded at seq ${ch.seq} (core ${core}) cannot be set on the model: ${a.error}`);
  }
}

function addDelivered(d: Delivered, s: HostSnapshot): void {
  const sec = s.intervalMs / 1000;
  for (const v of s.vms) {
    let g = d.get(v.group);
    if (!g) d.set(v.group, (g = { requests: 0, bytes: 0, run: 0, seconds: 0 }));
    g.requests += v.requestsPerSec * sec;
    g.bytes += v.bytesPerSec * sec;
    g.run += v.vcpuRunCycles;
  }
  for (const g of d.values()) g.seconds += sec;
}

/** Run a what-if inside the worker's store (see module doc). */
export async function runWhatIfInStore(
  store: HistoryDb,
  req: WhatIfRequest,
  progress: ProgressFn,
  aborted: () => boolean,
  beforeYield: () => void = () => {},
  now: () => number = () => req.startedAt ?? 0,
): Promise<WhatIfResult> {
  const base = store.getSession(req.sessionId);
  if (base.snapshots === 0) throw new HistoryError('invalid', `session '${req.sessionId}' has no snapshots to re-run`);
  const seed = base.seed ?? 1;
  const intervalMs = base.intervalMs ?? 100;
  const [{ resolvePolicyForHost }, { checkScenario, resolveCosts, withCosts }] = await Promise.all([import('../policy/registry.ts'), import('../model/defaults.ts')]);
  try {
    resolveCosts(req.costs);
  } catch (err) {
    throw new HistoryError('invalid', `cost overrides: ${(err as Error).message}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new HistoryError('invalid', `session '${req.sessionId}': its recorded seed ${String(seed)} is not an integer in 0..4294967295`);
  if (typeof intervalMs !== 'number' || !(intervalMs >= 1 && intervalMs <= 60000)) throw new HistoryError('invalid', `session '${req.sessionId}': its recorded interval ${String(intervalMs)} ms is not in 1..60000`);
  const overridden = Object.keys(req.costs ?? {});
  const withOverrides = overridden.length ? ` with cost overrides (${overridden.join(', ')})` : '';
  const costData = overridden.length ? { costs: req.costs } : {};
  const recordedProfile = base.info?.observability?.profile;
  // An imported file's profile is input like any other: only a known name is taken.
  if (recordedProfile !== undefined && !OBSERVABILITY_PROFILE_NAMES.includes(recordedProfile)) {
    throw new HistoryError('invalid', `session '${req.sessionId}': its recorded observability profile '${String(recordedProfile)}' is not one of ${OBSERVABILITY_PROFILE_NAMES.join(', ')}`);
  }
  const observe = req.observe ?? recordedProfile;
  const startedAt = req.startedAt ?? base.startedAt;
  const policyFor = (cores: number): ReturnType<typeof resolvePolicyForHost> => {
    try {
      return resolvePolicyForHost(req.policy, cores, req.config ?? {});
    } catch (err) {
      // A PolicyConfigError names the field (the policy's name or a setting): kept with its own
      // words, so the console answers invalid-argument on it as setPolicy does (review 9 item 6:
      // not "Invalid iocm config: targetBusy: …; targetBusy: …" under the field).
      const first = (err as { errors?: { field?: string; message?: string }[] }).errors?.[0];
      throw new HistoryError('invalid', (err as Error).message, first?.field, first?.field !== undefined ? first.message : undefined);
    }
  };

  if (base.source === 'model' && base.scenarioJson) {
    const recorded = base.scenarioJson as Scenario;
    // An imported file's session is input like any other: refuse what the model cannot run, by name.
    try {
      checkScenario(recorded);
    } catch (err) {
      throw new HistoryError('invalid', `session '${req.sessionId}': its recorded scenario cannot be re-run: ${(err as Error).message}`);
    }
    const scenario = withCosts(recorded, req.costs);
    const policy = policyFor(scenario.host.cores);
    // A model session's snapshots are its intervals 0..n−1: what-if replays them by number.
    const n = (store.db.prepare('SELECT max(seq) FROM snapshots WHERE session = ?').pluck().get(store.keyOf(req.sessionId)) as number) + 1;
    if (n !== base.snapshots) throw new HistoryError('invalid', `session '${req.sessionId}': a model session's snapshots are numbered 0..${base.snapshots - 1}, this one's up to ${n - 1} (${n - base.snapshots} missing); it cannot be replayed interval by interval`);
    const loads = loadsPerInterval(store, req.sessionId, n);
    const id = await rerun(
      store,
      base,
      {
        scenario, seed, intervalMs, observe, n, loadsAt: (seq) => loads[seq], policy: { name: policy.name, config: req.config ?? {} }, label: policy.name, from: 0, to: 1,
        notice: { t: 0, source: 'system', kind: 'notice', message: `what-if re-run of session ${base.id} under ${policy.name}${withOverrides}`, data: { parentId: base.id, ...costData } },
      },
      startedAt, progress, aborted, beforeYield, now,
    );
    return { sessionId: id, comparison: compareSessions(store, base.id, id) };
  }

  // A recording without a scenario (a remote agent's host): infer one from what the host measured,
  // re-run it under the recorded side cores (the replica, whose closeness to the recording is
  // reported) and under the asked policy, and compare the two model runs.
  if (!base.info) throw new HistoryError('invalid', `session '${req.sessionId}' has no recorded host description (info) to infer a scenario from`);
  // The policy must fit the host before the recording is read.
  if (Number.isInteger(base.info.cores)) policyFor(base.info.cores);
  let inferred: InferredScenario;
  try {
    const inf = new ScenarioInference(base.info, `${base.scenario || base.host} (inferred)`, { intervalMs });
    let k = 0;
    // In slices, as the runs: recording and queries go on meanwhile, and a cancel is heard.
    for (const s of store.allSnapshots(req.sessionId)) {
      // The host changed here: the replay ends before it (the inference's notes say so).
      if (!inf.add(s)) break;
      if (++k % 2000 === 0) {
        progress((0.1 * k) / base.snapshots, `reading the recording: ${k}/${base.snapshots} intervals`);
        beforeYield();
        await new Promise<void>((r) => setImmediate(r));
        if (aborted()) throw new HistoryError('invalid', 'what-if cancelled');
      }
    }
    inferred = inf.result();
  } catch (err) {
    if (err instanceof HistoryError) throw err;
    throw new HistoryError('invalid', `session '${req.sessionId}': no scenario can be inferred from its recording: ${(err as Error).message}`);
  }
  const scenario = withCosts(inferred.scenario, req.costs);
  const policy = policyFor(scenario.host.cores);
  const notes = inferred.notes;
  // The recorded intervals, in order: an agent's seq need not start at 0 and has gaps where the link was down.
  const nRecorded = inferred.intervals;
  const delivered: Delivered = new Map();
  const replicaId = await rerun(
    store,
    base,
    {
      scenario, seed, intervalMs, observe, n: nRecorded, loadsAt: (i) => inferred.loadsAt(i), policy: null, schedule: inferred.schedule, host: inferred.host, label: 'replica', from: 0.1, to: 0.55, delivered,
      notice: { t: 0, source: 'system', kind: 'notice', message: `replica of session ${base.id}: a scenario inferred from its recording, under its recorded side cores${withOverrides}`, data: { parentId: base.id, notes, ...costData } },
    },
    startedAt, progress, aborted, beforeYield, now,
  );
  let id: string;
  try {
    id = await rerun(
      store,
      base,
      {
        scenario, seed, intervalMs, observe, n: nRecorded, loadsAt: (i) => inferred.loadsAt(i), policy: { name: policy.name, config: req.config ?? {} }, label: policy.name, from: 0.55, to: 1,
        notice: { t: 0, source: 'system', kind: 'notice', message: `what-if of session ${base.id} under ${policy.name} on a scenario inferred from its recording${withOverrides}`, data: { parentId: base.id, replicaId, notes, ...costData } },
      },
      startedAt, progress, aborted, beforeYield, now,
    );
  } catch (err) {
    store.deleteSession(replicaId);
    throw err;
  }
  const fidelity: Fidelity[] = [];
  const hz = scenario.host.ghz * 1e9;
  for (const r of inferred.recorded) {
    const d = delivered.get(r.group);
    const sec = d && d.seconds > 0 ? d.seconds : 1;
    // A CPU-bound group moves no requests: only its vCPU time says anything.
    if (scenario.vms.find((g) => g.name === r.group)?.workload.kind !== 'cpu') {
      fidelity.push({ group: r.group, metric: 'requests/s', recorded: r.requestsPerSec, model: d ? d.requests / sec : 0, unit: '/s' });
      fidelity.push({ group: r.group, metric: 'bytes/s', recorded: r.bytesPerSec, model: d ? d.bytes / sec : 0, unit: 'B/s' });
    }
    fidelity.push({ group: r.group, metric: 'vCPU run', recorded: r.vcpuRunCyclesPerSec / hz, model: d ? d.run / sec / hz : 0, unit: 'cores' });
  }
  return { sessionId: id, comparison: { ...compareSessions(store, replicaId, id), replica: { sessionId: replicaId, recordedSessionId: base.id, fidelity, notes } } };
}
