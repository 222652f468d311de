/**
 * `iocm`: our manager, on observed fields only. Design (docs/policies.md, "iocm"):
 * 1. Objective. What it maximises is the observed objective (src/shared/objective.ts): device
 *    throughput and vCPU progress weighted by the operator's group weights — never the model's
 *    score, phase, offered load or queue waiting time.
 * 2. Measurement. A count is measured over `measureEpochs` epochs after one warm-up epoch (the
 *    epoch after a change carries the reconfiguration's transient).
 * 3. Regimes. A regime ends when the objective at the settled count drifts by more than
 *    `driftPct` for `driftEpochs` consecutive epochs, or when the activity signature (which
 *    groups move I/O, how much vCPU demand each has, in coarse steps) changes.
 * 4. Jump. On a new regime, estimate the I/O work in side-core units from cycles the source
 *    reports (side cores' work cycles where split from polling; in vhost mode the I/O threads'
 *    CPU × a polling conversion factor; else the learned cycles per unit of device traffic) and
 *    jump to ceil(work / target load). A regime seen before starts from its remembered count,
 *    which is then verified against both neighbours like any other estimate.
 * 5. Refine. A guarded hill climb on the objective: probe unmeasured neighbours of the best
 *    count; the best is the fewest side cores within the hysteresis of the highest objective
 *    (a side core that does not pay for itself is released); a count whose busiest side core is
 *    above the latency ceiling (where work is reported) or whose vCPUs wait above the vCPU-wait
 *    ceiling loses to one that is not.
 * 6. Placement. Queues go to side cores by measured load (work cycles, I/O-thread cycles, or
 *    traffic), longest first onto the least-loaded core (LPT); rebalanced when imbalance is large.
 * 7. Idle sleep (off by default; `idleSleepUs` > 0 on hosts with pmd-maxsleep, e.g. OVS-DPDK, where
 *    the last PMD cannot be released while ports exist): the last side core is kept and sleeps
 *    when its observed work is below `idleSideBusy`; above `wakeSideBusy` side cores poll again.
 * Any number of side cores; overrides and limits bound every choice.
 */
import type { PolicyDecision } from '../../shared/policy.ts';
import type { ObservedSnapshot } from '../../shared/observe.ts';
import { quietStay } from './baselines.ts';
import { configSpec, num } from './config.ts';
import { chooseSideCores, countBounds, epochMetrics, lptPlacement, placementActions, placementLoads, queueLoads, type EpochMetrics } from './helpers.ts';
import type { FieldSpec, Policy, PolicyEntry, PolicyInput, PolicyStep } from './types.ts';

const fields: FieldSpec[] = [
  { key: 'targetBusy', label: 'Target side-core load', description: 'The jump sizes side cores so their work is about this fraction of their cycles', type: 'number', min: 0.1, max: 1, default: 0.75 },
  { key: 'saturatedBusy', label: 'Saturated', description: 'A side core this busy (work cycles, where reported) is saturated: its measured work understates the demand', type: 'number', min: 0.5, max: 1, default: 0.92 },
  { key: 'vhostToPoll', label: 'vhost → side-core work', description: 'Side-core work cycles per vhost-thread I/O cycle (polling serves more once exits are gone)', type: 'number', min: 0.1, max: 10, default: 1.3 },
  { key: 'hysteresis', label: 'Hysteresis', description: 'A count must raise the objective by more than this fraction to be worth its side cores', type: 'number', min: 0, max: 0.5, unit: 'fraction', default: 0.01 },
  { key: 'measureEpochs', label: 'Measurement', description: 'Epochs measured per count, after one warm-up epoch', type: 'integer', min: 1, max: 100, unit: 'epochs', default: 1 },
  { key: 'driftPct', label: 'Drift', description: 'An objective drift of this much at the settled count, for driftEpochs epochs, starts a new regime', type: 'number', min: 1, max: 100, unit: '%', default: 15 },
  { key: 'driftEpochs', label: 'Drift epochs', description: 'Consecutive drifting epochs before a new regime', type: 'integer', min: 1, max: 1000, unit: 'epochs', default: 3 },
  { key: 'maxSideBusy', label: 'Latency ceiling: side-core load', description: 'Where side-core work is reported: a count whose busiest side core is above this load loses to one below it (queueing delay grows steeply near saturation)', type: 'number', min: 0.3, max: 1, unit: 'fraction', default: 0.85 },
  { key: 'maxVcpuWait', label: 'Latency ceiling: vCPU wait', description: 'A count under which runnable vCPUs wait more than this fraction of their run time loses to one below it', type: 'number', min: 0, max: 10, unit: 'fraction', default: 0.5 },
  { key: 'guardCost', label: 'Latency guard: price cap', description: 'The most objective the latency ceilings may give up: a count above a ceiling loses only to counts within this fraction of the best objective', type: 'number', min: 0, max: 1, unit: 'fraction', default: 0.05 },
  { key: 'rebalancePct', label: 'Rebalance threshold', description: 'Re-place queues when LPT lowers the busiest side core by this much', type: 'number', min: 1, max: 100, unit: '%', default: 20 },
  { key: 'rebalanceEpochs', label: 'Rebalance interval', description: 'Epochs between queue rebalances', type: 'integer', min: 1, max: 100000, unit: 'epochs', default: 50 },
  { key: 'maxProbes', label: 'Max probes', description: 'Probes per regime that find no better count before settling on the best measured one (a probe that becomes the best does not count)', type: 'integer', min: 0, max: 64, default: 6 },
  {
    key: 'idleSleepUs',
    label: 'Idle sleep instead of release',
    description: 'Above 0 (hosts with pmd-maxsleep, e.g. OVS-DPDK): keep the last side core and let it sleep up to this long when idle instead of releasing it; 0 = off',
    type: 'integer',
    min: 0,
    max: 10_000,
    unit: 'µs',
    default: 0,
  },
  { key: 'idleSideBusy', label: 'Idle below', description: 'With idle sleep: the last side core sleeps when its work is below this load (mean of the last 3 snapshots)', type: 'number', min: 0, max: 1, unit: 'fraction', default: 0.05 },
  { key: 'wakeSideBusy', label: 'Awake above', description: 'With idle sleep: side cores stop sleeping when the busiest one works above this load', type: 'number', min: 0, max: 1, unit: 'fraction', default: 0.2 },
];

/** A measured count in the current regime. */
export interface Measure {
  /** Mean observed objective. */
  objective: number;
  /** Samples behind the mean. */
  n: number;
  /** Mean busiest side-core work fraction (NaN where work is not reported). */
  sideBusy: number;
  /** Mean vCPU wait / run. */
  vcpuWait: number;
}

/** State of iocm. */
export interface IocmState {
  /** Activity signature of the current regime ('' before the first measurement). */
  regime: string;
  /** Count → measurement in this regime. */
  table: Record<number, Measure>;
  /** Epoch of the last side-core change by this policy (−1: none). */
  changedAt: number;
  /** Side-core count at the previous epoch (−1 at start). */
  lastK: number;
  settled: boolean;
  probes: number;
  driftRun: number;
  lastRebalance: number;
  /** Signature → best count (bounded memory). */
  memory: Record<string, number>;
  memoryOrder: string[];
  /** The incumbent best count of this regime (−1 before any measurement). */
  best: number;
  /** The jump's I/O work estimate for this regime, in cores (NaN when there is none). */
  estWork: number;
  /**
   * Sufficient statistics of a least-squares fit of I/O-thread cycles ≈ a × requests + b × bytes
   * over queues served by notification-driven threads (decayed): [Σr², Σrb, Σb², Σrc, Σbc].
   */
  fit: [number, number, number, number, number];
}

/**
 * The fitted (cycles per request, cycles per byte) of a fit's statistics, or null when not
 * identifiable. The statistics are kept in kilo-requests, megabytes and mega-cycles.
 */
export function solveFit(f: readonly number[]): { perReq: number; perByte: number } | null {
  const [rr, rb, bb, rc, bc] = f;
  const det = rr * bb - rb * rb;
  if (rr > 0 && bb > 0 && det > 1e-6 * rr * bb) {
    const a = (rc * bb - bc * rb) / det;
    const b = (bc * rr - rc * rb) / det;
    if (a >= 0 && b >= 0) return { perReq: a * 1e3, perByte: b };
  }
  // One size of request seen (or a negative coefficient): charge everything per request.
  if (rr > 0 && rc > 0) return { perReq: (rc / rr) * 1e3, perByte: 0 };
  return null;
}

/**
 * The activity signature of an observed snapshot: which groups move data through their devices
 * and which have vCPU demand (run + wait above 0.05 core per VM). Coarse on purpose: it must not
 * change when only the side-core count does.
 */
export function activityOf(s: ObservedSnapshot): string {
  const epoch = (s.hz * s.intervalMs) / 1000;
  // Groups in first-seen order; per group: VMs, vCPU demand, I/O seen. Typed arrays, one small map.
  const groupOf = new Map<string, number>();
  const names: string[] = [];
  let maxVm = 0;
  for (const v of s.vms) if (v.id > maxVm) maxVm = v.id;
  const vmGroup = new Int32Array(maxVm + 1).fill(-1);
  const demand = new Float64Array(s.vms.length);
  const count = new Float64Array(s.vms.length);
  const io = new Uint8Array(s.vms.length);
  for (const v of s.vms) {
    let g = groupOf.get(v.group);
    if (g === undefined) {
      g = names.length;
      groupOf.set(v.group, g);
      names.push(v.group);
    }
    vmGroup[v.id] = g;
    demand[g] += (v.vcpuRunCycles + v.vcpuWaitCycles) / epoch;
    count[g]++;
  }
  for (const q of s.queues) {
    const g = q.vm <= maxVm ? vmGroup[q.vm] : -1;
    if (g >= 0 && q.requests > 0) io[g] = 1;
  }
  let sig = '';
  for (let g = 0; g < names.length; g++) sig += `${names[g]}:${io[g] ? 'io' : '-'}${demand[g] / count[g] > 0.05 ? '+cpu' : ''}|`;
  return sig;
}

/** The jump's estimate of the side-core count from cycles the source reports. */
export function estimateCount(m: EpochMetrics, cfg: { targetBusy: number; saturatedBusy: number; vhostToPoll: number }, cost: { perReq: number; perByte: number } | null = null): { work: number; k: number; basis: string } {
  let work: number;
  let basis: string;
  if (m.workers > 0 && m.workSplit) {
    work = m.ioWork + m.vhostIo * cfg.vhostToPoll;
    basis = 'side-core work cycles';
    if (m.maxSideBusy >= cfg.saturatedBusy) {
      work = Math.max(work, m.workers) * 1.3 + 0.25;
      basis = 'saturated side cores, scaled up';
    }
  } else if (m.workers > 0) {
    // Polling threads report busy time only: estimate work from traffic × the I/O threads' fitted costs.
    if (!cost) return { work: NaN, k: m.workers, basis: 'no work estimate yet (side cores report busy time only)' };
    work = ((m.requests * cost.perReq + m.bytes * cost.perByte) / m.epochCycles) * cfg.vhostToPoll + m.vhostIo * cfg.vhostToPoll;
    basis = 'traffic × I/O-thread cycles per request and per byte fitted in notification mode';
  } else {
    work = m.vhostIo * cfg.vhostToPoll;
    basis = 'I/O-thread cycles';
  }
  const k = work < 0.05 ? 0 : Math.ceil(work / cfg.targetBusy - 1e-9);
  return { work, k, basis };
}

/** "1 side core", "2 side cores". */
const sideCores = (n: number): string => `${n} side core${n === 1 ? '' : 's'}`;

const fmt = (x: number): string => (Math.abs(x) >= 1e4 ? x.toExponential(3) : x.toFixed(Math.abs(x) >= 100 ? 0 : 2));

/** Registry entry of `iocm`. */
export const iocmEntry: PolicyEntry = {
  name: 'iocm',
  description:
    'IOcm on observed statistics: detects regime changes from drifts of the observed objective and of activity, jumps to the side-core count the measured I/O cycles call for, verifies it with a hill climb on the objective (fewest cores within the hysteresis; latency ceilings on side-core load and vCPU wait), remembers regimes, and places queues by measured load (LPT). Any number of side cores.',
  ...configSpec(fields, [
    // The jump aims below saturation and below the latency ceiling it is checked against.
    { low: 'targetBusy', high: 'saturatedBusy', strict: true },
    { low: 'targetBusy', high: 'maxSideBusy', strict: false },
    { low: 'idleSideBusy', high: 'wakeSideBusy', strict: true },
  ]),
  create(config): Policy<IocmState> {
    const c = (k: string): number => num(config, k);
    const est = { targetBusy: c('targetBusy'), saturatedBusy: c('saturatedBusy'), vhostToPoll: c('vhostToPoll') };
    const hyst = c('hysteresis');
    const measureEpochs = c('measureEpochs');
    const maxSide = c('maxSideBusy');
    const maxWait = c('maxVcpuWait');
    const guardCost = c('guardCost');
    const idleSleepUs = c('idleSleepUs');
    const idleBusy = c('idleSideBusy');
    const wakeBusy = c('wakeSideBusy');

    /** A count's measurement violates a latency ceiling. */
    const hot = (x: Measure): boolean => (Number.isFinite(x.sideBusy) && x.sideBusy > maxSide) || x.vcpuWait > maxWait;

    /** The best count of a table within bounds: the fewest side cores within the hysteresis of the top objective, ceilings first. */
    function bestOf(table: Record<number, Measure>, lo: number, hi: number): number {
      const ks = Object.keys(table).map(Number).filter((k) => k >= lo && k <= hi && table[k].n >= measureEpochs).sort((a, b) => a - b);
      if (ks.length === 0) return -1;
      let best = -Infinity;
      for (const k of ks) best = Math.max(best, table[k].objective);
      // The latency ceilings prefer cool counts, but give up at most guardCost of the best objective for it.
      const cool = ks.filter((k) => !hot(table[k]) && table[k].objective >= best - Math.abs(best) * guardCost);
      const pool = cool.length > 0 ? cool : ks;
      let top = -Infinity;
      for (const k of pool) top = Math.max(top, table[k].objective);
      for (const k of pool) if (table[k].objective >= top - Math.abs(top) * hyst) return k;
      return pool[0];
    }

    function move(input: PolicyInput, state: IocmState, k: number, kind: PolicyDecision['kind'], reason: string, metrics: Record<string, number>, epoch: number): PolicyStep<IocmState> {
      const { host, overrides } = input;
      const cores = chooseSideCores(k, host, overrides);
      const loads = queueLoads(input.window, 5, host.queueOwner.length);
      const owner = cores.length > 0 ? lptPlacement(loads, cores, host.queueOwner.map(() => null)) : null;
      const actions = placementActions({ ...host, queueOwner: host.queueOwner.map(() => null) }, cores, owner);
      return { state: { ...state, changedAt: epoch, lastRebalance: epoch }, decision: { kind, actions, reason, metrics, targetSideCores: cores.length } };
    }

    /**
     * 7. Idle sleep (idleSleepUs > 0, a host with the pmd-maxsleep knob and side-core work reported):
     * the last side core is never released; when the busiest side core's work (mean of the last 3
     * snapshots) is below idleSideBusy at the last side core (or the count's floor) it sleeps up
     * to idleSleepUs; above wakeSideBusy every side core polls again (0).
     */
    function idleSleep(input: PolicyInput, step: PolicyStep<IocmState>): PolicyStep<IocmState> {
      const { host, overrides, limits } = input;
      if (idleSleepUs <= 0 || !host.knobs || !input.observability.reports.sideWork) return step;
      const k = host.sideCores.length;
      let decision = step.decision;
      if (k >= 1 && decision.targetSideCores === 0) {
        decision = { kind: 'stay', actions: [], reason: 'keep the last side core: idle sleep instead of releasing it', metrics: decision.metrics };
      }
      if (k === 0) return { state: step.state, decision };
      const win = input.window.slice(-3);
      let busy = 0;
      for (const s of win) {
        const ec = (s.hz * s.intervalMs) / 1000;
        let mx = 0;
        for (const sc of s.sideCores) mx = Math.max(mx, (sc.workCycles ?? 0) / ec);
        busy += mx / win.length;
      }
      const cur = host.knobs.pmdMaxSleepUs;
      const floor = Math.max(1, countBounds(host.cores, overrides, limits).min);
      let want = cur;
      if (busy < idleBusy && k <= floor) want = idleSleepUs;
      else if (busy > wakeBusy) want = 0;
      if (want === cur) return { state: step.state, decision };
      const why = want > 0 ? `side core ${(busy * 100).toFixed(1)} % busy (< ${(idleBusy * 100).toFixed(0)} %): sleep up to ${want} µs when idle` : `side cores ${(busy * 100).toFixed(0)} % busy (> ${(wakeBusy * 100).toFixed(0)} %): poll without sleeping`;
      const reason = decision.reason ? `${decision.reason}; ${why}` : why;
      return { state: step.state, decision: { ...decision, kind: decision.kind === 'stay' ? 'change' : decision.kind, reason, metrics: { ...decision.metrics, sleepBusy: busy }, knobs: [{ kind: 'setPmdMaxSleep', us: want }] } };
    }

    return {
      name: 'iocm',
      config,
      init: () => ({ regime: '', table: {}, changedAt: -1, lastK: -1, settled: false, probes: 0, driftRun: 0, lastRebalance: -Infinity, memory: {}, memoryOrder: [], best: -1, estWork: NaN, fit: [0, 0, 0, 0, 0] }),
      decide(prev, input): PolicyStep<IocmState> {
        return idleSleep(input, decideCount(prev, input));
      },
    };

    function decideCount(prev: IocmState, input: PolicyInput): PolicyStep<IocmState> {
      {
        const { host, overrides, limits, epoch } = input;
        if (input.window.length === 0) return { state: prev, decision: quietStay() };
        const snap = input.window[input.window.length - 1];
        const m = epochMetrics(snap, input.groups);
        const k = host.sideCores.length;
        const b = countBounds(host.cores, overrides, limits);
        const waitRatio = m.vcpuRun > 0 ? m.vcpuWait / m.vcpuRun : 0;
        const metrics: Record<string, number> = { objective: m.objective, sideCores: k, vhostCores: m.vhostIo, vmIdle: m.vmIdle, vcpuWait: waitRatio };
        if (m.workSplit) metrics.maxSideBusy = m.maxSideBusy;
        let state: IocmState = { ...prev, lastK: k };
        // Learn the I/O threads' cycles per request and per byte while they are visible (notification mode).
        state.fit = learn(prev.fit, snap);
        // An outside change of the count (operator, limits) or the warm-up after our own change: no measurement this epoch.
        const warm = epoch - prev.changedAt <= 1 || (prev.lastK >= 0 && prev.lastK !== k);
        const sig = activityOf(snap);
        let newRegime = prev.regime === '';
        const known = prev.table[k];
        if (!newRegime && !warm) {
          let drifting = sig !== prev.regime;
          if (!drifting && prev.settled && known && known.n >= measureEpochs) {
            const drift = Math.abs(m.objective - known.objective) / Math.max(Math.abs(known.objective), 1e-9);
            drifting = drift * 100 > c('driftPct');
          }
          state.driftRun = drifting ? prev.driftRun + 1 : 0;
          if (state.driftRun >= c('driftEpochs')) newRegime = true;
        }
        if (newRegime) {
          state = remember(state, bestOf(state.table, 0, Infinity));
          const e = estimateCount(m, est, solveFit(state.fit));
          const recalled = state.memory[sig];
          const want = recalled !== undefined ? recalled : e.k;
          const target = Math.max(b.min, Math.min(b.max, want));
          state = { ...state, regime: sig, table: {}, settled: false, probes: 0, driftRun: 0, best: -1, estWork: e.work };
          if (Number.isFinite(e.work)) metrics.estimatedWork = e.work;
          metrics.estimate = e.k;
          const why = recalled !== undefined
            ? `new regime: activity seen before, ${sideCores(recalled)} ${recalled === 1 ? 'was' : 'were'} best; verifying against the neighbours`
            : `new regime: I/O work ≈ ${Number.isFinite(e.work) ? e.work.toFixed(2) : '?'} cores (${e.basis}) → ${sideCores(target)} at ≤ ${(est.targetBusy * 100).toFixed(0)} % load`;
          if (target !== k) return move(input, state, target, 'change', why, metrics, epoch);
          return { state, decision: { kind: 'stay', actions: [], reason: `${why}; measuring`, metrics } };
        }
        // While settled the measurements stay frozen: they are the reference the drift check compares
        // with (a running mean would absorb a step change within a few epochs and hide it).
        if (!warm && !state.settled) {
          const old = state.table[k];
          const sb = m.workSplit ? m.maxSideBusy : NaN;
          const meas: Measure = old
            ? { objective: (old.objective * old.n + m.objective) / (old.n + 1), n: old.n + 1, sideBusy: (old.sideBusy * old.n + sb) / (old.n + 1), vcpuWait: (old.vcpuWait * old.n + waitRatio) / (old.n + 1) }
            : { objective: m.objective, n: 1, sideBusy: sb, vcpuWait: waitRatio };
          state = { ...state, table: { ...state.table, [k]: meas } };
        }
        const cur = state.table[k];
        if (!state.settled) {
          if (!cur || cur.n < measureEpochs) return { state, decision: quietStay(metrics) };
          const best = bestOf(state.table, b.min, b.max);
          // Nothing measured within the bounds (the count is outside them: a pin or lock the host has
          // not made yet, e.g. an agent that acknowledged it and changed nothing): go into the bounds.
          if (best < 0) {
            const into = Math.max(b.min, Math.min(b.max, k));
            return move(input, state, into, 'change', `no count within the bounds is measured yet (${k} side core${k === 1 ? '' : 's'} is outside ${b.min}–${b.max}): ${sideCores(into)}`, metrics, epoch);
          }
          // A probe that became the best is progress, not a spent probe: maxProbes bounds the probes that
          // did not pay off, so a climb that keeps winning (down from a count set from outside, e.g. a
          // static:15 before) is not cut off while each step still raises the objective.
          if (prev.best >= 0 && best !== prev.best && !prev.settled) state = { ...state, probes: Math.max(0, state.probes - 1) };
          state = { ...state, best };
          const bm = state.table[best];
          // Next probe: an unmeasured neighbour of the best that could help.
          const cand: number[] = [];
          const down = best - 1;
          const up = best + 1;
          const below = state.table[down];
          const above = state.table[up];
          const pressure = waitRatio > maxWait;
          const upUseless = below !== undefined && below.n >= measureEpochs && bm.objective <= below.objective + Math.abs(below.objective) * hyst && !hot(below);
          // Fewer cores would saturate: by the side cores' own work where reported (above the saturation
          // level), else by the regime's work estimate (which converts notification-thread cycles and is
          // rougher: only when one core fewer could not carry it even fully busy).
          const downSaturates = best > 1 && (m.workSplit && best === k ? m.ioWork / (best - 1) > est.saturatedBusy : Number.isFinite(state.estWork) && state.estWork / (best - 1) > 1);
          const order = pressure ? [down, up] : [down, up];
          for (const n of order) {
            if (n < b.min || n > b.max) continue;
            if ((n === down && below && below.n >= measureEpochs) || (n === up && above && above.n >= measureEpochs)) continue;
            if (n === up && upUseless && !hot(bm)) continue;
            if (n === down && downSaturates) continue;
            cand.push(n);
          }
          // Notification mode (no side cores) is not a point on the side-core continuum: vhost threads
          // spread the work over the VM cores, so it can win where one side core fewer would saturate.
          // Measure it once per regime when the bounds allow it, before any step up: it is the one
          // count the climb cannot reach by steps, and when it wins, every step the climb took up from
          // an estimate that was too high was a probe spent at a losing count. (After the step down:
          // whether one core fewer would saturate is judged on the work measured at the best count,
          // while the policy is still there.)
          // Only the first step down goes before it: once the climb has come down from a higher count
          // (one is measured above the best), vhost is next, so a long descent cannot pass it by.
          const vhost = state.table[0];
          let descended = false;
          for (const key of Object.keys(state.table)) if (Number(key) > best && state.table[Number(key)].n >= measureEpochs) descended = true;
          if (best > 1 && b.min === 0 && !(vhost && vhost.n >= measureEpochs) && !cand.includes(0)) cand.splice(cand[0] === down && !descended ? 1 : 0, 0, 0);
          // A regime that began with no work estimate (side cores that report busy time only, nothing
          // fitted yet: a count set from outside) gets one once vhost is measured, from the I/O threads'
          // own cycles: the jump it could not make at the start, tried before the neighbours. Without
          // it a landscape with a saturated 1 (one side core cannot carry the work) and a better 2 was
          // left at vhost (stream-many after static:7: −10 %).
          if (!Number.isFinite(state.estWork) && k === 0) {
            const e = estimateCount(m, est, solveFit(state.fit));
            if (Number.isFinite(e.work)) {
              state = { ...state, estWork: e.work };
              const jump = Math.max(b.min, Math.min(b.max, e.k));
              const jm = state.table[jump];
              if (jump > 1 && !(jm && jm.n >= measureEpochs) && !cand.includes(jump)) cand.unshift(jump);
            }
          }
          if (cand.length > 0 && state.probes < c('maxProbes')) {
            const n = cand[0];
            metrics.bestObjective = bm.objective;
            return move(input, { ...state, probes: state.probes + 1 }, n, 'change', `probe ${n} side core${n === 1 ? '' : 's'} (best so far ${best}: objective ${fmt(bm.objective)})`, metrics, epoch);
          }
          state = { ...state, settled: true };
          if (best !== k) return move(input, state, best, 'change', `settle on ${best} side core${best === 1 ? '' : 's'}: objective ${fmt(bm.objective)} vs ${summary(state.table, best)}`, metrics, epoch);
          return { state, decision: { kind: 'stay', actions: [], reason: `settled on ${k} side core${k === 1 ? '' : 's'}: objective ${fmt(bm.objective)} vs ${summary(state.table, k)}`, metrics } };
        }
        // Settled. Someone else (an operator pin/release, a lock) changed the count: restore the chosen one within the bounds.
        const best = state.best >= 0 ? Math.max(b.min, Math.min(b.max, state.best)) : k;
        if (best !== k && !warm) {
          return move(input, state, best, 'change', k < b.min || k > b.max ? `bounds changed: ${sideCores(best)}` : `restore ${sideCores(best)} (the count was changed to ${k} from outside the policy)`, metrics, epoch);
        }
        if (k >= 2 && epoch - state.lastRebalance >= c('rebalanceEpochs')) {
          const loads = queueLoads(input.window, 10, host.queueOwner.length);
          const curL = placementLoads(loads, host.queueOwner, host.sideCores);
          const owner = lptPlacement(loads, host.sideCores, host.queueOwner);
          const next = placementLoads(loads, owner, host.sideCores);
          const curMax = Math.max(...curL);
          const nextMax = Math.max(...next);
          if (curMax > 0 && ((curMax - nextMax) / curMax) * 100 >= c('rebalancePct')) {
            let total = 0;
            for (const x of curL) total += x;
            metrics.busiestShareBefore = curMax / total;
            metrics.busiestShareAfter = nextMax / total;
            return {
              state: { ...state, lastRebalance: epoch },
              decision: { kind: 'change', actions: placementActions(host, host.sideCores, owner), reason: `rebalance queues by measured load: busiest side core's share ${(metrics.busiestShareBefore * 100).toFixed(0)} % → ${(metrics.busiestShareAfter * 100).toFixed(0)} %`, metrics, targetSideCores: k },
            };
          }
        }
        return { state, decision: quietStay(metrics) };
      }
    }
  },
};

/** Add one snapshot's notification-driven queues to the fit's statistics (older epochs decay by 0.98; scaled to keep numbers small). */
function learn(prev: IocmState['fit'], s: ObservedSnapshot): IocmState['fit'] {
  let rr = 0, rb = 0, bb = 0, rc = 0, bc = 0;
  let any = false;
  for (const q of s.queues) {
    if (q.threadCycles === undefined || q.requests <= 0) continue;
    const r = q.requests / 1e3;
    const b = q.bytes / 1e6;
    const c = q.threadCycles / 1e6;
    rr += r * r;
    rb += r * b;
    bb += b * b;
    rc += r * c;
    bc += b * c;
    any = true;
  }
  if (!any) return prev;
  const d = 0.98;
  return [prev[0] * d + rr, prev[1] * d + rb, prev[2] * d + bb, prev[3] * d + rc, prev[4] * d + bc];
}

function summary(table: Record<number, Measure>, except: number): string {
  const parts = Object.keys(table)
    .map(Number)
    .filter((k) => k !== except)
    .sort((a, b) => a - b)
    .map((k) => `${k}: ${fmt(table[k].objective)}`);
  return parts.length > 0 ? parts.join(', ') : 'no other count measured';
}

function remember(state: IocmState, best: number): IocmState {
  if (!state.regime || !state.settled || best < 0) return state;
  const memory = { ...state.memory, [state.regime]: best };
  let order = state.memoryOrder.filter((r) => r !== state.regime);
  order.push(state.regime);
  if (order.length > 64) {
    const drop = order.slice(0, order.length - 64);
    order = order.slice(-64);
    for (const d of drop) delete memory[d];
  }
  return { ...state, memory, memoryOrder: order };
}
