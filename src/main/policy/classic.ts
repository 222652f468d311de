/**
 * `iocm-classic`: a reproduction of the published IOcm manager's rules
 * (Moscovici et al., SYSTOR 2016; GitHub mikelangelo-project/dynamic-io-manager).
 * Every rule and its source is listed in docs/policies.md.
 */
import type { HostConfig } from '../../shared/control.ts';
import type { PolicyConfig, PolicyDecision } from '../../shared/policy.ts';
import { quietStay } from './baselines.ts';
import { configSpec, num } from './config.ts';
import { chooseSideCores, clampCount, epochMetrics, notMeasured, placementActions, roundRobin, unreported, type EpochMetrics } from './helpers.ts';
import type { FieldSpec, Policy, PolicyEntry, PolicyStep } from './types.ts';

/**
 * What the add, remove and stop rules read: idle I/O capacity and a side core's load, from side
 * cores' work cycles apart from their polling (the published modified vhost reported them per worker).
 */
const SIDE_RULES_NEED = ['sideWork'] as const;

/** The moves the classic manager can make. */
export type ClassicMove = 'start' | 'stop' | 'add' | 'remove';
const MOVES: ClassicMove[] = ['start', 'stop', 'add', 'remove'];

const fields: FieldSpec[] = [
  { key: 'addIdleIo', label: 'Add: idle I/O below', description: 'Add a side core when idle I/O capacity is below this', type: 'number', min: 0, max: 64, unit: 'cores', default: 0.12 },
  { key: 'addVmIdle', label: 'Add: VM idle above', description: '…and the VM cores have more than this idle', type: 'number', min: 0, max: 1024, unit: 'cores', default: 1.0 },
  { key: 'removeVmIdle', label: 'Remove: VM idle below', description: 'Remove a side core when VM idle is below this', type: 'number', min: 0, max: 1024, unit: 'cores', default: 0.05 },
  { key: 'removeIdleIo', label: 'Remove: idle I/O above', description: '…or idle I/O capacity is above this', type: 'number', min: 0, max: 64, unit: 'cores', default: 1.3 },
  { key: 'canRemoveIdleIo', label: 'Removal allowed above', description: 'Removal only when idle I/O capacity is above this', type: 'number', min: 0, max: 64, unit: 'cores', default: 0.8 },
  { key: 'canRemoveIdleIoAtMax', label: 'Removal allowed above (at max)', description: 'Removal threshold at the maximum I/O core count', type: 'number', min: 0, max: 64, unit: 'cores', default: 1.0 },
  { key: 'minAvgPacketBytes', label: 'Small packets', description: 'Also try removing when the average request is smaller than this', type: 'number', min: 0, max: 1e9, unit: 'bytes', default: 1600 },
  { key: 'startVhostCores', label: 'Enter side-core mode above', description: 'Enter side-core mode when vhost threads use more than this', type: 'number', min: 0, max: 1024, unit: 'cores', default: 0.5 },
  { key: 'stopBusy', label: 'Leave side-core mode below', description: 'Return to vhost when a single side core is less busy than this', type: 'number', min: 0, max: 1, default: 0.2 },
  { key: 'maxIoCores', label: 'Max I/O cores', description: 'The published manager limits I/O cores to 0–4', type: 'integer', min: 1, max: 1024, default: 4 },
  { key: 'requestRatio', label: 'Request ratio', description: 'A change must be requested in at least this fraction of the request window', type: 'number', min: 0, max: 1, default: 0.6 },
  { key: 'requestWindow', label: 'Request window', description: 'Epochs of request history', type: 'integer', min: 1, max: 1000, default: 20 },
  { key: 'afterGoodEpochs', label: 'Quiet after a good change', description: 'Epochs after the last good change before another', type: 'number', min: 0, max: 1000, default: 7.5 },
  { key: 'graceEpochs', label: 'Regret grace', description: 'Epochs to wait after a change before measuring', type: 'integer', min: 0, max: 1000, default: 5 },
  { key: 'measureEpochs', label: 'Regret measurement', description: 'Epochs of bytes/cycle compared before and after a change', type: 'integer', min: 1, max: 1000, default: 5 },
  { key: 'minGain', label: 'Required gain', description: 'Bytes per cycle a change must gain to be kept', type: 'number', min: 0, max: 1e6, unit: 'B/cycle', default: 0.01 },
  { key: 'barEpochs', label: 'Initial bar', description: 'Epochs a regretted change is barred', type: 'integer', min: 0, max: 100000, default: 20 },
  { key: 'maxBarEpochs', label: 'Max bar', description: 'The bar doubles per failure up to this', type: 'integer', min: 0, max: 100000, default: 100 },
];

/** Evaluation of a change in progress (regret). */
export interface ClassicPending {
  move: ClassicMove;
  /** Epoch the change was applied. */
  epoch: number;
  /** Mean bytes/cycle over the epochs before the change. */
  before: number;
  /** Bytes/cycle samples collected after the grace period. */
  after: number[];
  /** Side cores before the change (for the revert). */
  prevCores: number[];
}

/** State of iocm-classic. */
export interface ClassicState {
  /** Per move: 1/0 requested in each of the last `requestWindow` epochs. */
  requests: Record<ClassicMove, number[]>;
  lastGoodEpoch: number;
  /** Per move: barred until this epoch, with the current penalty. */
  bars: Partial<Record<ClassicMove, { until: number; penalty: number }>>;
  /** Recent bytes/cycle samples, newest last. */
  ratios: number[];
  pending: ClassicPending | null;
}

function placeAll(host: HostConfig, cores: number[]): PolicyDecision['actions'] {
  const owner = cores.length > 0 ? roundRobin(host.queueOwner.length, cores) : null;
  return placementActions({ ...host, queueOwner: host.queueOwner.map(() => null) }, cores, owner);
}

/**
 * The classic manager's rules for one epoch: which moves they request.
 * `k` side cores in force, `maxK` the most allowed (config, overrides, limits).
 */
export function classicRequests(
  m: EpochMetrics,
  k: number,
  maxK: number,
  config: PolicyConfig,
): { req: Record<ClassicMove, boolean>; startCount: number; avgPacket: number } {
  const c = (key: string): number => num(config, key);
  const req: Record<ClassicMove, boolean> = { start: false, stop: false, add: false, remove: false };
  let startCount = 0;
  const avgPacket = m.requests > 0 ? m.bytes / m.requests : Infinity;
  if (k === 0) {
    req.start = m.vhostIo > c('startVhostCores') && maxK >= 1;
    startCount = Math.max(Math.floor(m.vhostIo / 2), 1);
  } else {
    if (k === 1 && m.maxSideBusy < c('stopBusy')) req.stop = true;
    req.add = m.ioIdle < c('addIdleIo') && m.vmIdle > c('addVmIdle') && k < maxK;
    const canRemove = m.ioIdle > (k >= c('maxIoCores') ? c('canRemoveIdleIoAtMax') : c('canRemoveIdleIo'));
    req.remove = k > 1 && canRemove && (m.vmIdle < c('removeVmIdle') || m.ioIdle > c('removeIdleIo') || avgPacket < c('minAvgPacketBytes'));
  }
  return { req, startCount, avgPacket };
}

/** Registry entry of `iocm-classic`. */
export const classicEntry: PolicyEntry = {
  name: 'iocm-classic',
  description: "The published IOcm manager (SYSTOR 2016, dynamic-io-manager): idle I/O capacity and VM idle thresholds, 60 % of 20 epochs request gate, regret on bytes/cycle with a doubling bar; 0–4 I/O cores, round-robin devices. Its add, remove and stop rules read side cores' work apart from polling: on a host that does not report it (the qemu profile) they are not run, and it says so.",
  ...configSpec(fields, [
    // Add when idle I/O is below addIdleIo; removal needs it above canRemoveIdleIo(AtMax) and removes above removeIdleIo.
    { low: 'addIdleIo', high: 'canRemoveIdleIo', strict: true },
    { low: 'addIdleIo', high: 'canRemoveIdleIoAtMax', strict: true },
    { low: 'addIdleIo', high: 'removeIdleIo', strict: true },
    // Add when VM idle is above addVmIdle; remove when it is below removeVmIdle.
    { low: 'removeVmIdle', high: 'addVmIdle', strict: true },
    { low: 'barEpochs', high: 'maxBarEpochs', strict: false },
  ]),
  create(config): Policy<ClassicState> {
    const c = (k: string): number => num(config, k);
    const win = c('requestWindow');
    return {
      name: 'iocm-classic',
      config,
      init: () => ({ requests: { start: [], stop: [], add: [], remove: [] }, lastGoodEpoch: -Infinity, bars: {}, ratios: [], pending: null }),
      decide(state, input): PolicyStep<ClassicState> {
        const { host, overrides, limits, epoch } = input;
        if (input.window.length === 0) return { state, decision: quietStay() };
        const snap = input.window[input.window.length - 1];
        const m = epochMetrics(snap, input.groups);
        const ratio = m.bytes / m.epochCycles;
        const ratios = [...state.ratios, ratio].slice(-Math.max(c('measureEpochs'), 1) - 1);
        const k = host.sideCores.length;
        // Without side cores' work apart from polling (a stock QEMU host: an IOThread's CPU time
        // includes its polling) idle I/O capacity and a side core's load are not measured: the rules
        // that read them (add, remove, stop) are not run, and the policy says so instead.
        const blind = k > 0 ? unreported(input.observability, SIDE_RULES_NEED) : [];
        const metrics: Record<string, number> = {
          ...(blind.length === 0 ? { ioIdle: m.ioIdle } : {}),
          vmIdle: m.vmIdle,
          vhostCores: m.vhostIo,
          bytesPerCycle: ratio,
          sideCores: k,
        };

        // Regret: a change under evaluation blocks every other move.
        if (state.pending) {
          const p = state.pending;
          const since = epoch - p.epoch;
          if (since <= c('graceEpochs')) return { state: { ...state, ratios }, decision: quietStay(metrics) };
          const after = [...p.after, ratio];
          if (after.length < c('measureEpochs')) return { state: { ...state, ratios, pending: { ...p, after } }, decision: quietStay(metrics) };
          const mean = after.reduce((a, b) => a + b, 0) / after.length;
          metrics.bytesPerCycleBefore = p.before;
          metrics.bytesPerCycleAfter = mean;
          if (mean >= p.before + c('minGain')) {
            const requests = { start: [], stop: [], add: [], remove: [] };
            return {
              state: { requests, lastGoodEpoch: epoch, bars: {}, ratios, pending: null },
              decision: { kind: 'stay', actions: [], reason: `kept '${p.move}': bytes/cycle ${p.before.toFixed(3)} → ${mean.toFixed(3)} (≥ +${c('minGain')})`, metrics },
            };
          }
          const prevBar = state.bars[p.move];
          const penalty = prevBar ? Math.min(prevBar.penalty * 2, c('maxBarEpochs')) : c('barEpochs');
          const bars = { ...state.bars, [p.move]: { until: epoch + penalty, penalty } };
          const kk = clampCount(p.prevCores.length, host.cores, overrides, limits);
          const cores = chooseSideCores(kk, { ...host, sideCores: p.prevCores }, overrides);
          return {
            state: { ...state, bars, ratios, pending: null },
            decision: {
              kind: 'revert',
              actions: placeAll(host, cores),
              reason: `regret '${p.move}': bytes/cycle ${p.before.toFixed(3)} → ${mean.toFixed(3)} (< +${c('minGain')}); revert to ${cores.length} side core${cores.length === 1 ? '' : 's'}, bar it ${penalty} epochs`,
              metrics,
              targetSideCores: cores.length,
            },
          };
        }

        // Which moves the rules request this epoch.
        const maxK = Math.min(c('maxIoCores'), clampCount(Infinity, host.cores, overrides, limits));
        const { req, startCount, avgPacket } = classicRequests(m, k, maxK, config);
        if (blind.length > 0) req.stop = req.add = req.remove = false;
        if (k > 0) metrics.avgPacketBytes = Number.isFinite(avgPacket) ? avgPacket : 0;
        const bounds = { max: maxK };
        const requests = {} as Record<ClassicMove, number[]>;
        for (const mv of MOVES) requests[mv] = [...state.requests[mv], req[mv] ? 1 : 0].slice(-win);
        const next: ClassicState = { ...state, requests, ratios };

        const order: ClassicMove[] = k === 0 ? ['start'] : ['stop', 'add', 'remove'];
        let nearMiss = '';
        for (const mv of order) {
          if (!req[mv]) continue;
          const count = requests[mv].reduce((a, b) => a + b, 0);
          const frac = count / win;
          const quiet = epoch - state.lastGoodEpoch < c('afterGoodEpochs');
          const bar = state.bars[mv];
          const barred = bar !== undefined && epoch <= bar.until;
          if (frac < c('requestRatio') || quiet || barred) {
            nearMiss ||= `'${mv}' requested in ${count}/${win} epochs` + (barred ? ` (barred until epoch ${bar!.until})` : quiet ? ' (too soon after the last good change)' : '');
            continue;
          }
          let want: number;
          if (mv === 'start') want = startCount;
          else if (mv === 'stop') want = 0;
          else if (mv === 'add') want = k + 1;
          else want = k - 1;
          want = Math.min(want, bounds.max);
          const kk = clampCount(want, host.cores, overrides, limits);
          if (kk === k) {
            nearMiss ||= `'${mv}' wanted but overrides/limits keep ${k} side core${k === 1 ? '' : 's'}`;
            continue;
          }
          const cores = chooseSideCores(kk, host, overrides);
          const before = state.ratios.length > 0 ? state.ratios.slice(-c('measureEpochs')).reduce((a, b) => a + b, 0) / Math.min(state.ratios.length, c('measureEpochs')) : ratio;
          const why: Record<ClassicMove, string> = {
            start: `vhost threads use ${m.vhostIo.toFixed(2)} cores (> ${c('startVhostCores')}): enter side-core mode with ${kk}`,
            stop: `the single side core is ${(m.maxSideBusy * 100).toFixed(0)} % busy (< ${c('stopBusy') * 100} %): back to vhost`,
            add: `idle I/O ${m.ioIdle.toFixed(2)} < ${c('addIdleIo')} cores and VM idle ${m.vmIdle.toFixed(2)} > ${c('addVmIdle')}: add a side core`,
            remove: `VM idle ${m.vmIdle.toFixed(2)}, idle I/O ${m.ioIdle.toFixed(2)} cores, avg request ${(metrics.avgPacketBytes ?? 0).toFixed(0)} B: remove a side core`,
          };
          return {
            state: { ...next, requests: { start: [], stop: [], add: [], remove: [] }, pending: { move: mv, epoch, before, after: [], prevCores: [...host.sideCores] } },
            decision: { kind: 'change', actions: placeAll(host, cores), reason: `${why[mv]} (requested ${count}/${win} epochs)`, metrics, targetSideCores: kk },
          };
        }
        // Keep every queue on a side core (e.g. after an operator changed the set).
        if (k > 0) {
          const set = new Set(host.sideCores);
          if (host.queueOwner.some((o) => o === null || !set.has(o))) {
            return { state: next, decision: { kind: 'change', actions: placeAll(host, host.sideCores), reason: 'assign queues round-robin to the side cores', metrics, targetSideCores: k } };
          }
        }
        if (blind.length > 0) {
          const reason = `${notMeasured(input.observability, blind)}, which the add, remove and stop rules read (idle I/O capacity, a side core's load): stay at ${k} side core${k === 1 ? '' : 's'}`;
          return { state: next, decision: { kind: 'stay', actions: [], reason, metrics } };
        }
        return { state: next, decision: nearMiss ? { kind: 'stay', actions: [], reason: nearMiss, metrics } : quietStay(metrics) };
      },
    };
  },
};
