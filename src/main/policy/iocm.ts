/**
 * `iocm`: our manager. Design (docs/policies.md, "iocm"):
 * 1. Regimes. A regime is what the host is asked to do: the scenario phase and
 *    the offered load per VM group when the host source reports them, else a
 *    sustained drift of the score measured at the current count. A new regime
 *    clears the measurements.
 * 2. Jump. On a new regime, estimate the I/O work in side-core units from
 *    cycles (side cores' work cycles; in vhost mode the vhost threads' I/O
 *    cycles × a polling conversion factor; saturated side cores are censored
 *    and scaled up), add queue-waiting pressure, and jump straight to
 *    ceil(work / target load). A regime seen before jumps to its remembered best.
 * 3. Refine. A guarded hill climb on the measured score: probe the neighbours
 *    of the best count (one epoch each; a probe is skipped when the cycles say
 *    it cannot help: fewer cores would saturate, more cores would idle), move
 *    only for a gain above the hysteresis, ties go to the lower queue waiting
 *    time. Once both neighbours lose, settle: no probing on a steady workload.
 * 4. Placement. Queues go to side cores by measured work cycles, longest first
 *    onto the least-loaded core (LPT); rebalanced when imbalance is large.
 * Any number of side cores; overrides and limits bound every choice.
 */
import type { PolicyDecision } from '../../shared/policy.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import { quietStay } from './baselines.ts';
import { configSpec, num } from './config.ts';
import { chooseSideCores, countBounds, epochMetrics, lptPlacement, placementActions, placementLoads, queueLoads, type EpochMetrics } from './helpers.ts';
import type { FieldSpec, Policy, PolicyEntry, PolicyInput, PolicyStep } from './types.ts';

const fields: FieldSpec[] = [
  { key: 'targetBusy', label: 'Target side-core load', description: 'The jump sizes side cores so their work is about this fraction of their cycles', type: 'number', min: 0.1, max: 1, default: 0.75 },
  { key: 'saturatedBusy', label: 'Saturated', description: 'A side core this busy is saturated: its measured work understates the demand', type: 'number', min: 0.5, max: 1, default: 0.92 },
  { key: 'vhostToPoll', label: 'vhost → side-core work', description: 'Side-core work cycles per vhost-thread I/O cycle (polling serves more once exits are gone)', type: 'number', min: 0.1, max: 10, default: 1.3 },
  { key: 'hysteresis', label: 'Hysteresis', description: 'A count must score this much better (relative) to replace the best', type: 'number', min: 0, max: 0.5, default: 0.01 },
  { key: 'waitTieUs', label: 'Latency tie-break', description: 'Within the hysteresis, prefer the count whose mean queue wait is lower by at least this', type: 'number', min: 0, max: 1e6, unit: 'µs', default: 5 },
  { key: 'driftPct', label: 'Drift', description: 'Without phase/load reports, a score drift of this much for driftEpochs epochs starts a new regime', type: 'number', min: 1, max: 100, unit: '%', default: 20 },
  { key: 'driftEpochs', label: 'Drift epochs', description: 'Consecutive drifting epochs before a new regime', type: 'integer', min: 1, max: 1000, default: 3 },
  { key: 'rebalancePct', label: 'Rebalance threshold', description: 'Re-place queues when LPT lowers the busiest side core by this much', type: 'number', min: 1, max: 100, unit: '%', default: 20 },
  { key: 'rebalanceEpochs', label: 'Rebalance interval', description: 'Epochs between queue rebalances', type: 'integer', min: 1, max: 100000, default: 50 },
  { key: 'confirmEpochs', label: 'Confirmation', description: 'Epochs after settling whose measurements can still overturn the choice (once)', type: 'integer', min: 0, max: 1000, default: 5 },
  { key: 'recallTolerance', label: 'Recall tolerance', description: 'A remembered regime is trusted when its count scores within this fraction of what it scored before', type: 'number', min: 0, max: 1, default: 0.03 },
  { key: 'freeHeadroom', label: 'VM headroom', description: 'Idle VM capacity (cores) kept for the VMs when the jump also takes idle cores as side cores', type: 'number', min: 0, max: 1024, unit: 'cores', default: 1.5 },
  { key: 'maxProbes', label: 'Max probes', description: 'Probes per regime before settling on the best measured count', type: 'integer', min: 0, max: 64, default: 6 },
];

/** A measured count in the current regime. */
export interface Measure {
  score: number;
  waitUs: number;
}

/** State of iocm. */
export interface IocmState {
  /** Current regime signature ('' before the first epoch). */
  regime: string;
  /** Count → measurement in this regime. */
  table: Record<number, Measure>;
  /** Side-core count in force at the previous epoch (−1 at start). */
  lastK: number;
  /** Epoch of the last side-core change (the next snapshot is the first at the new count). */
  changedAt: number;
  settled: boolean;
  probes: number;
  driftRun: number;
  lastRebalance: number;
  /** Regime signature → best count and its score (bounded memory). */
  memory: Record<string, { k: number; score: number }>;
  memoryOrder: string[];
  /** Epochs left to confirm the settled count (its measurements keep refining the table). */
  confirmLeft: number;
  /** Measurements of the settled count during confirmation. */
  confirmN: number;
  /** After a jump to a remembered best: the score it had (verified at the next epoch), else null. */
  recall: { k: number; score: number } | null;
  /** The incumbent best count of this regime (−1 before any measurement); replaced only by a clearly better one. */
  best: number;
  /** The jump's estimate for this regime (−1 when recalled). */
  est: number;
}

/** The regime signature of a snapshot: phase and offered loads ('' when the source reports neither). */
export function regimeOf(s: HostSnapshot): string {
  if (s.vms.length === 0) return s.phase;
  const byGroup = new Map<string, number>();
  for (const v of s.vms) byGroup.set(v.group, Math.round(v.load * 100) / 100);
  let sig = s.phase;
  for (const [g, l] of byGroup) sig += `|${g}=${l}`;
  return sig;
}

/** The jump's estimate of the side-core count from cycles. */
export function estimateCount(m: EpochMetrics, cfg: { targetBusy: number; saturatedBusy: number; vhostToPoll: number; freeHeadroom?: number; queues?: number }): { work: number; k: number } {
  let work: number;
  if (m.workers > 0) {
    work = m.ioWork + m.vhostIo * cfg.vhostToPoll;
    if (m.maxSideBusy >= cfg.saturatedBusy) work = Math.max(work, m.workers) * 1.3 + 0.25;
  } else {
    work = m.vhostIo * cfg.vhostToPoll;
  }
  const kIo = work < 0.05 ? 0 : Math.ceil(work / cfg.targetBusy - 1e-9);
  // Cores the VMs leave idle cost nothing as side cores and shorten polling rounds (latency).
  const free = cfg.freeHeadroom === undefined ? 0 : Math.max(0, Math.floor(m.vmIdle - cfg.freeHeadroom));
  const k = kIo === 0 ? 0 : Math.max(kIo, Math.min(m.workers + free, cfg.queues ?? Infinity));
  return { work, k };
}

const fmt = (x: number): string => (Math.abs(x) >= 1e4 ? x.toExponential(3) : x.toFixed(Math.abs(x) >= 100 ? 0 : 2));

/** Registry entry of `iocm`. */
export const iocmEntry: PolicyEntry = {
  name: 'iocm',
  description: 'Ours: detects workload regimes, jumps to the side-core count the measured I/O cycles call for, refines with a guarded hill climb on the score (hysteresis, latency tie-break, no probing once settled), remembers regimes, and places queues by work cycles (LPT). Any number of side cores.',
  ...configSpec(fields),
  create(config): Policy<IocmState> {
    const c = (k: string): number => num(config, k);
    const est = { targetBusy: c('targetBusy'), saturatedBusy: c('saturatedBusy'), vhostToPoll: c('vhostToPoll') };
    const hyst = c('hysteresis');

    function better(a: Measure, b: Measure): boolean {
      if (a.score > b.score * (1 + hyst)) return true;
      if (a.score >= b.score * (1 - hyst) && a.waitUs + c('waitTieUs') < b.waitUs) return true;
      return false;
    }

    function move(input: PolicyInput, state: IocmState, k: number, kind: PolicyDecision['kind'], reason: string, metrics: Record<string, number>, epoch: number): PolicyStep<IocmState> {
      const { host, overrides } = input;
      const cores = chooseSideCores(k, host, overrides);
      const loads = queueLoads(input.window, 5, host.queueOwner.length);
      const owner = cores.length > 0 ? lptPlacement(loads, cores, host.queueOwner.map(() => null)) : null;
      const actions = placementActions({ ...host, queueOwner: host.queueOwner.map(() => null) }, cores, owner);
      return { state: { ...state, changedAt: epoch, lastK: host.sideCores.length, lastRebalance: epoch }, decision: { kind, actions, reason, metrics, targetSideCores: cores.length } };
    }

    return {
      name: 'iocm',
      config,
      init: (host) => ({ regime: '', table: {}, lastK: host.sideCores.length, changedAt: -1, settled: false, probes: 0, driftRun: 0, lastRebalance: -Infinity, memory: {}, memoryOrder: [], confirmLeft: 0, confirmN: 0, recall: null, best: -1, est: -1 }),
      decide(prev, input): PolicyStep<IocmState> {
        const { host, overrides, limits, epoch } = input;
        const snap = input.window[input.window.length - 1];
        const m = epochMetrics(snap);
        const k = host.sideCores.length;
        const b = countBounds(host.cores, overrides, limits);
        const metrics: Record<string, number> = { score: m.score, ioWork: m.ioWork, vhostCores: m.vhostIo, maxSideBusy: m.maxSideBusy, waitUs: m.waitUs, vmIdle: m.vmIdle, sideCores: k };
        let state: IocmState = { ...prev, lastK: k };
        // Changes happen only at epoch boundaries, so every snapshot measures the count in force during it.
        const sig = regimeOf(snap);
        let newRegime = sig !== prev.regime;
        // Without phase/load reports: a sustained drift from what this count scored before.
        const known = prev.table[k];
        if (!newRegime && known && prev.settled) {
          const drift = Math.abs(m.score - known.score) / Math.max(1e-9, Math.abs(known.score));
          state.driftRun = drift * 100 > c('driftPct') ? prev.driftRun + 1 : 0;
          if (state.driftRun >= c('driftEpochs')) newRegime = true;
        }
        if (newRegime) {
          // Remember the regime we leave.
          state = rememberBest(state);
          const e = estimateCount(m, { ...est, freeHeadroom: c('freeHeadroom'), queues: host.queueOwner.length });
          const mem = prev.memory[sig];
          const target = Math.max(b.min, Math.min(b.max, mem ? mem.k : e.k));
          state = { ...state, regime: sig, table: {}, settled: false, probes: 0, driftRun: 0, confirmLeft: 0, confirmN: 0, recall: mem ? { k: target, score: mem.score } : null, best: -1, est: mem ? -1 : target };
          metrics.estimatedWork = e.work;
          metrics.estimate = e.k;
          // The first snapshot of a run is a warm-up; later ones measure the count in force.
          if (!mem && snap.seq > 0) state.table[k] = { score: m.score, waitUs: m.waitUs };
          if (target !== k) {
            const why = mem
              ? `new regime (${sig || 'score drift'}): seen before, best was ${mem.k} side cores`
              : `new regime (${sig || 'score drift'}): I/O work ≈ ${e.work.toFixed(2)} cores → ${target} side cores at ≤ ${(est.targetBusy * 100).toFixed(0)} % load`;
            return move(input, state, target, 'change', why, metrics, epoch);
          }
          return { state, decision: { kind: 'stay', actions: [], reason: `new regime (${sig || 'score drift'}): estimate ${e.k} side cores (I/O work ≈ ${e.work.toFixed(2)} cores); measuring`, metrics } };
        }
        // A remembered regime: if the recalled count scores as it did, settle at once.
        if (state.recall) {
          const r = state.recall;
          state = { ...state, recall: null };
          if (r.k === k && m.score >= r.score * (1 - c('recallTolerance'))) {
            state = { ...state, settled: true, table: { [k]: { score: m.score, waitUs: m.waitUs } }, confirmLeft: c('confirmEpochs'), confirmN: 1 };
            return { state, decision: { kind: 'stay', actions: [], reason: `recalled ${k} side cores for this regime: score ${fmt(m.score)} (was ${fmt(r.score)})`, metrics } };
          }
        }
        if (!state.settled) {
          const old = state.table[k];
          const meas = old ? { score: (old.score + m.score) / 2, waitUs: (old.waitUs + m.waitUs) / 2 } : { score: m.score, waitUs: m.waitUs };
          state = { ...state, table: { ...state.table, [k]: meas } };
        }

        // Best measured count in this regime: the incumbent, unless another count is clearly better.
        let best = state.best in state.table && state.best >= b.min && state.best <= b.max ? state.best : k;
        for (const key of Object.keys(state.table)) {
          const kk = Number(key);
          if (kk < b.min || kk > b.max || kk === best) continue;
          if (!(best in state.table) || better(state.table[kk], state.table[best])) best = kk;
        }
        if (best < b.min || best > b.max) best = Math.max(b.min, Math.min(b.max, best));
        state = { ...state, best };

        if (!state.settled) {
          // Next probe: an unmeasured neighbour of the best that the cycles say could help.
          const cand: number[] = [];
          const bm = state.table[best];
          const busyBelow = best > 1 ? (m.workers > 0 && best === k ? m.ioWork / (best - 1) : 0) : 0;
          const down = best - 1;
          const up = best + 1;
          const pressure = m.vcpuWait > 0.5 && m.vmIdle < 1;
          const order = pressure ? [down, up] : [up, down];
          for (const n of order) {
            if (n < b.min || n > b.max || n in state.table) continue;
            if (n === down && busyBelow > est.saturatedBusy) continue;
            cand.push(n);
          }
          // The score need not be unimodal: counts between the incumbent and the jump's estimate are candidates too.
          if (state.est >= 0) {
            const lo = Math.min(best, state.est);
            const hi = Math.max(best, state.est);
            for (let n = lo + 1; n < hi; n++) if (n >= b.min && n <= b.max && !(n in state.table) && !cand.includes(n)) cand.push(n);
          }
          if (cand.length > 0 && state.probes < c('maxProbes')) {
            const n = cand[0];
            metrics.bestScore = bm?.score ?? m.score;
            return move(input, { ...state, probes: state.probes + 1 }, n, 'change', `probe ${n} side cores (best so far ${best}: score ${fmt(bm?.score ?? m.score)})`, metrics, epoch);
          }
          state = { ...state, settled: true, confirmLeft: c('confirmEpochs'), confirmN: 1 };
          if (best !== k) {
            return move(input, state, best, 'change', `settle on ${best} side cores: score ${fmt(state.table[best].score)} vs ${summary(state.table, best)}`, metrics, epoch);
          }
          return { state, decision: { kind: 'stay', actions: [], reason: `settled on ${k} side cores: score ${fmt(state.table[k]?.score ?? m.score)} vs ${summary(state.table, k)}`, metrics } };
        }
        // Confirmation: the settled count's own measurements refine its table entry; if a measured
        // alternative then clearly beats it, move there once.
        if (state.confirmLeft > 0 && k in state.table) {
          const old = state.table[k];
          const n = state.confirmN;
          const meas = { score: (old.score * n + m.score) / (n + 1), waitUs: (old.waitUs * n + m.waitUs) / (n + 1) };
          state = { ...state, table: { ...state.table, [k]: meas }, confirmLeft: state.confirmLeft - 1, confirmN: n + 1 };
          if (state.confirmLeft === 0) {
            let alt = k;
            for (const key of Object.keys(state.table)) {
              const kk = Number(key);
              if (kk >= b.min && kk <= b.max && better(state.table[kk], state.table[alt])) alt = kk;
            }
            if (alt !== k) return move(input, state, alt, 'change', `confirm: ${k} side cores average ${fmt(meas.score)} over ${n + 1} epochs; ${alt} scored ${fmt(state.table[alt].score)}`, metrics, epoch);
          }
        }
        // Settled: keep the count; keep queues balanced by work cycles.
        // Someone else (an operator pin/release, a lock) changed the count: restore the chosen one within the bounds.
        if (best !== k && state.confirmLeft === 0) {
          return move(input, state, best, 'change', k < b.min || k > b.max ? `bounds changed: ${best} side cores` : `restore ${best} side cores (the count was changed to ${k} from outside the policy)`, metrics, epoch);
        }
        if (k >= 2 && epoch - state.lastRebalance >= c('rebalanceEpochs')) {
          const loads = queueLoads(input.window, 10, host.queueOwner.length);
          const cur = placementLoads(loads, host.queueOwner, host.sideCores);
          const owner = lptPlacement(loads, host.sideCores, host.queueOwner);
          const next = placementLoads(loads, owner, host.sideCores);
          const curMax = Math.max(...cur);
          const nextMax = Math.max(...next);
          if (curMax > 0 && (curMax - nextMax) / curMax * 100 >= c('rebalancePct')) {
            metrics.busiestBefore = curMax / m.epochCycles / 10;
            metrics.busiestAfter = nextMax / m.epochCycles / 10;
            return {
              state: { ...state, lastRebalance: epoch },
              decision: { kind: 'change', actions: placementActions(host, host.sideCores, owner), reason: `rebalance queues by work cycles: busiest side core ${(metrics.busiestBefore * 100).toFixed(0)} % → ${(metrics.busiestAfter * 100).toFixed(0)} %`, metrics, targetSideCores: k },
            };
          }
        }
        return { state, decision: quietStay(metrics) };
      },
    };
  },
};

function summary(table: Record<number, Measure>, except: number): string {
  const parts = Object.keys(table)
    .map(Number)
    .filter((k) => k !== except)
    .sort((a, b) => a - b)
    .map((k) => `${k}: ${fmt(table[k].score)}`);
  return parts.length > 0 ? parts.join(', ') : 'no other count measured';
}

function rememberBest(state: IocmState): IocmState {
  if (!state.regime || !state.settled) return state;
  let best = -1;
  for (const key of Object.keys(state.table)) {
    const k = Number(key);
    if (best < 0 || state.table[k].score > state.table[best].score) best = k;
  }
  if (best < 0) return state;
  const memory = { ...state.memory, [state.regime]: { k: best, score: state.table[best].score } };
  let order = state.memoryOrder.filter((r) => r !== state.regime);
  order.push(state.regime);
  if (order.length > 64) {
    const drop = order.slice(0, order.length - 64);
    order = order.slice(-64);
    for (const d of drop) delete memory[d];
  }
  return { ...state, memory, memoryOrder: order };
}
