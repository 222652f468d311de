/**
 * Baseline policies: `vhost` (no side cores), `static` (K side cores,
 * round-robin placement), `ovs-auto-lb` (Open vSwitch DPDK's PMD auto load
 * balancer on a fixed K) and `spdk-dynamic` (SPDK's dynamic scheduler rules).
 * Sources in docs/policies.md.
 */
import type { HostConfig } from '../../shared/control.ts';
import type { PolicyDecision } from '../../shared/policy.ts';
import { configSpec, num } from './config.ts';
import {
  chooseSideCores,
  clampCount,
  fixedSideCores,
  lptPlacement,
  notMeasured,
  placementActions,
  placementLoads,
  queueLoads,
  roundRobin,
  unreported,
  variance,
} from './helpers.ts';
import type { FieldSpec, Policy, PolicyEntry, PolicyInput, PolicyStep } from './types.ts';
import { plural } from '../../shared/words.ts';

/** A 'stay' decision with no news. */
export function quietStay(metrics: Record<string, number> = {}): PolicyDecision {
  return { kind: 'stay', actions: [], reason: '', metrics };
}

/** True when some queue is not on a current side core while side cores exist. */
export function hasUnplacedQueue(host: HostConfig): boolean {
  if (host.sideCores.length === 0) return false;
  const set = new Set(host.sideCores);
  for (const o of host.queueOwner) if (o === null || !set.has(o)) return true;
  return false;
}

/**
 * Move toward `k` side cores (clamped to overrides and limits), the highest eligible ids
 * ({@link fixedSideCores}), with round-robin placement; a 'stay' when already there and every
 * queue is placed.
 */
export function settleOnCount(input: PolicyInput, k: number, why: string, metrics: Record<string, number>): PolicyDecision {
  const { host, overrides, limits } = input;
  const kk = clampCount(k, host.cores, overrides, limits);
  const cores = fixedSideCores(kk, host, overrides);
  const same = cores.length === host.sideCores.length && cores.every((c, i) => c === host.sideCores[i]);
  if (same && !hasUnplacedQueue(host)) return quietStay(metrics);
  const owner = cores.length > 0 ? roundRobin(host.queueOwner.length, cores) : null;
  const actions = placementActions({ ...host, queueOwner: same ? host.queueOwner : host.queueOwner.map(() => null) }, cores, owner);
  return {
    kind: 'change',
    actions,
    reason: same ? `${why}: place unassigned queues round-robin` : `${why}: ${host.sideCores.length} → ${plural(cores.length, 'side core')}`,
    metrics,
    targetSideCores: cores.length,
  };
}

// ---------- vhost ----------

const vhostFields: FieldSpec[] = [];

/** `vhost`: stock paravirtual I/O, no side cores. */
export const vhostEntry: PolicyEntry = {
  name: 'vhost',
  description: 'Stock vhost: no side cores; every device has its own notification-driven I/O thread on the VM cores.',
  ...configSpec(vhostFields),
  create(config): Policy<null> {
    return {
      name: 'vhost',
      config,
      init: () => null,
      decide: (_s, input) => ({ state: null, decision: settleOnCount(input, 0, 'vhost mode', {}) }),
    };
  },
};

// ---------- static:K ----------

const staticFields: FieldSpec[] = [
  { key: 'k', label: 'Side cores', description: 'Fixed number of side cores', type: 'integer', min: 0, max: 1024, default: 1 },
];

/** `static:K`: K side cores for the whole run, queues round-robin. */
export const staticEntry: PolicyEntry = {
  name: 'static',
  description: 'A fixed number K of side cores (static:K), queues assigned round-robin, polling on.',
  ...configSpec(staticFields),
  create(config): Policy<null> {
    const k = num(config, 'k');
    return {
      name: `static:${k}`,
      config,
      init: () => null,
      decide: (_s, input) => ({ state: null, decision: settleOnCount(input, k, `static:${k}`, {}) }),
    };
  },
};

// ---------- ovs-auto-lb ----------

const ovsFields: FieldSpec[] = [
  { key: 'k', label: 'PMD cores', description: 'Fixed number of side (PMD) cores; OVS never changes it', type: 'integer', min: 0, max: 1024, default: 2 },
  { key: 'busyPct', label: 'Busy threshold', description: 'A side core at or above this load counts as overloaded in a sample', type: 'number', min: 1, max: 100, unit: '%', default: 95 },
  { key: 'samples', label: 'Overloaded samples', description: 'Consecutive overloaded samples before a dry run', type: 'integer', min: 1, max: 1000, default: 12 },
  { key: 'sampleEpochs', label: 'Epochs per sample', description: 'Loop epochs per load sample (OVS: 5 s)', type: 'integer', min: 1, max: 1000, default: 1 },
  { key: 'improvePct', label: 'Variance improvement', description: 'Apply the dry run only if load variance improves by at least this much', type: 'number', min: 0, max: 100, unit: '%', default: 25 },
  { key: 'minIntervalMs', label: 'Rebalance interval', description: 'At most one rebalance per this many ms', type: 'number', min: 0, max: 3_600_000, unit: 'ms', default: 60_000 },
  {
    key: 'native',
    label: 'OVS itself',
    description: "On a real OVS-DPDK host: change nothing — the PMD set is the operator's pmd-cpu-mask and queue balancing is OVS's own pmd-auto-lb; the loop only watches (set for OVS hosts automatically)",
    type: 'boolean',
    default: false,
  },
];

/** What ovs-auto-lb's rebalancing reads: side cores' work apart from polling, and each queue's work cycles (OVS: PMD processing cycles, rxq cycles). */
const OVS_NEEDS = ['sideWork', 'queueWork'] as const;

/** State of ovs-auto-lb. */
export interface OvsState {
  overloadedSamples: number;
  epochInSample: number;
  lastRebalanceT: number;
}

/**
 * `ovs-auto-lb`: fixed K; rebalance queues by cycles when a core stays ≥ 95 % busy and variance
 * improves ≥ 25 % (needs `sideWork` and `queueWork`; without them it keeps the fixed set as placed
 * and says what is not measured). With `native` (a real OVS-DPDK host; {@link policyConfigForHost} sets it) it
 * changes nothing and only watches: OVS's own PMD set and pmd-auto-lb are the baseline.
 */
export const ovsEntry: PolicyEntry = {
  name: 'ovs-auto-lb',
  description: "Open vSwitch DPDK's PMD auto load balancing on a fixed number of side cores: when a core is ≥ 95 % busy for 12 samples, dry-run a cycles-based assignment and apply it if load variance improves ≥ 25 %, at most once a minute. Reads side cores' work apart from polling and each queue's work cycles: on a host that reports neither (the qemu profile) it keeps the fixed set as placed and says so.",
  ...configSpec(ovsFields),
  create(config): Policy<OvsState> {
    const k = num(config, 'k');
    const busy = num(config, 'busyPct') / 100;
    const samples = num(config, 'samples');
    const sampleEpochs = num(config, 'sampleEpochs');
    const improve = num(config, 'improvePct') / 100;
    const minInterval = num(config, 'minIntervalMs');
    const native = config.native === true;
    return {
      name: 'ovs-auto-lb',
      config,
      init: () => ({ overloadedSamples: 0, epochInSample: 0, lastRebalanceT: -Infinity }),
      decide(state, input): PolicyStep<OvsState> {
        if (native) {
          // OVS does it: only watch (the busiest PMD's work, as OVS's own balancer would judge it, where reported).
          const snap = input.window[input.window.length - 1];
          if (!snap) return { state, decision: quietStay() };
          if (!input.observability.reports.sideWork) return { state, decision: quietStay({ sideCores: snap.sideCores.length }) };
          const epochCycles = (snap.hz * snap.intervalMs) / 1000;
          let maxBusy = 0;
          for (const sc of snap.sideCores) maxBusy = Math.max(maxBusy, (sc.workCycles ?? 0) / epochCycles);
          return { state, decision: quietStay({ maxSideBusy: maxBusy, sideCores: snap.sideCores.length }) };
        }
        const settle = settleOnCount(input, k, 'ovs-auto-lb fixed PMD set', {});
        if (settle.kind === 'change') return { state: { ...state, overloadedSamples: 0 }, decision: settle };
        if (input.window.length === 0) return { state, decision: quietStay() };
        let { overloadedSamples, epochInSample } = state;
        epochInSample++;
        // Overload is a PMD's work share and the dry run weighs rx queues by their cycles: a host
        // that reports neither apart from polling (a stock QEMU host) keeps the fixed set as placed.
        const missing = unreported(input.observability, OVS_NEEDS);
        if (missing.length > 0) {
          if (epochInSample < sampleEpochs) return { state: { ...state, epochInSample }, decision: quietStay() };
          const reason = `${notMeasured(input.observability, missing)}, which OVS's load balancer reads (a side core ≥ ${(busy * 100).toFixed(0)} % busy with work; its queues' cycles for the dry run): keep the assignment on ${plural(input.host.sideCores.length, 'side core')}`;
          return { state: { ...state, overloadedSamples: 0, epochInSample: 0 }, decision: { ...quietStay(), reason } };
        }
        const snap = input.window[input.window.length - 1];
        const epochCycles = (snap.hz * snap.intervalMs) / 1000;
        let maxBusy = 0;
        for (const sc of snap.sideCores) maxBusy = Math.max(maxBusy, (sc.workCycles ?? 0) / epochCycles);
        if (epochInSample < sampleEpochs) return { state: { ...state, epochInSample }, decision: quietStay({ maxSideBusy: maxBusy }) };
        epochInSample = 0;
        overloadedSamples = maxBusy >= busy ? overloadedSamples + 1 : 0;
        const metrics: Record<string, number> = { maxSideBusy: maxBusy, overloadedSamples };
        const host = input.host;
        if (overloadedSamples < samples || host.sideCores.length < 2) {
          const d = overloadedSamples > 0 ? { ...quietStay(metrics), reason: `side core ${(maxBusy * 100).toFixed(0)} % busy for ${overloadedSamples}/${samples} samples` } : quietStay(metrics);
          return { state: { ...state, overloadedSamples, epochInSample }, decision: d };
        }
        if (input.t - state.lastRebalanceT < minInterval) {
          return {
            state: { ...state, overloadedSamples, epochInSample },
            decision: { ...quietStay(metrics), reason: `overloaded, but the last rebalance was ${((input.t - state.lastRebalanceT) / 1000).toFixed(1)} s ago (< ${minInterval / 1000} s)` },
          };
        }
        const loads = queueLoads(input.window, samples * sampleEpochs, host.queueOwner.length);
        const before = variance(placementLoads(loads, host.queueOwner, host.sideCores));
        const owner = lptPlacement(loads, host.sideCores, host.queueOwner);
        const after = variance(placementLoads(loads, owner, host.sideCores));
        const gain = before > 0 ? (before - after) / before : 0;
        metrics.varianceBefore = before;
        metrics.varianceAfter = after;
        metrics.improvement = gain;
        if (gain < improve) {
          return {
            state: { overloadedSamples: 0, epochInSample, lastRebalanceT: input.t },
            decision: { ...quietStay(metrics), reason: `dry run improves load variance by ${(gain * 100).toFixed(0)} % (< ${(improve * 100).toFixed(0)} %): keep assignment` },
          };
        }
        return {
          state: { overloadedSamples: 0, epochInSample, lastRebalanceT: input.t },
          decision: {
            kind: 'change',
            actions: placementActions(host, host.sideCores, owner),
            reason: `side core ≥ ${(busy * 100).toFixed(0)} % busy for ${samples} samples; cycles-based reassignment improves load variance by ${(gain * 100).toFixed(0)} %`,
            metrics,
            targetSideCores: host.sideCores.length,
          },
        };
      },
    };
  },
};

// ---------- spdk-dynamic ----------

const spdkFields: FieldSpec[] = [
  { key: 'activePct', label: 'Active queue', description: 'A queue at least this busy is active', type: 'number', min: 0, max: 100, unit: '%', default: 20 },
  { key: 'fullPct', label: 'Core full', description: 'A core is full at this load', type: 'number', min: 1, max: 100, unit: '%', default: 80 },
  { key: 'periodEpochs', label: 'Period', description: 'Scheduling period in loop epochs (SPDK: 1 s)', type: 'integer', min: 1, max: 1000, default: 10 },
];

/** What spdk-dynamic's rule reads: each queue's work cycles (SPDK: its poller's busy time). */
const SPDK_NEEDS = ['queueWork'] as const;

/** State of spdk-dynamic. */
export interface SpdkState {
  sinceLast: number;
}

/**
 * `spdk-dynamic`: consolidate active queues onto the fewest side cores (first fit at 80 %), idle
 * queues to the main side core, empty side cores return to VMs. Needs per-queue work cycles
 * (`queueWork`); without them it stays, once a period, with a reason naming what is not measured.
 */
export const spdkEntry: PolicyEntry = {
  name: 'spdk-dynamic',
  description: "SPDK's dynamic scheduler: a queue ≥ 20 % busy is active; active queues consolidate first-fit onto the lowest side cores at 80 % capacity; idle queues go to the main side core; cores left empty return to the VMs. Reads each queue's work cycles: on a host that does not report them (the qemu profile) it stays and says so.",
  ...configSpec(spdkFields, [{ low: 'activePct', high: 'fullPct', strict: true }]),
  create(config): Policy<SpdkState> {
    const active = num(config, 'activePct') / 100;
    const full = num(config, 'fullPct') / 100;
    const period = num(config, 'periodEpochs');
    return {
      name: 'spdk-dynamic',
      config,
      init: () => ({ sinceLast: period - 1 }),
      decide(state, input): PolicyStep<SpdkState> {
        const sinceLast = state.sinceLast + 1;
        const { host, overrides, limits } = input;
        // The rule sorts queues by their busy share: without per-queue work cycles (a stock QEMU
        // host's IOThreads report their CPU only, polling included) it cannot tell an active queue
        // from an idle one, so it changes nothing and says why, once a period.
        const missing = unreported(input.observability, SPDK_NEEDS);
        const due = sinceLast >= period || (missing.length === 0 && hasUnplacedQueue(host));
        if (!due || input.window.length === 0) return { state: { sinceLast: Math.min(sinceLast, period - 1) }, decision: quietStay() };
        if (missing.length > 0) {
          const reason = `${notMeasured(input.observability, missing)}, which spdk-dynamic's rule reads (a queue ≥ ${(active * 100).toFixed(0)} % busy is active): stay at ${plural(host.sideCores.length, 'side core')}`;
          return { state: { sinceLast: 0 }, decision: { kind: 'stay', actions: [], reason, metrics: {} } };
        }
        const snap = input.window[input.window.length - 1];
        const n = host.queueOwner.length;
        const epochCycles = (snap.hz * snap.intervalMs) / 1000;
        const span = Math.min(period, input.window.length);
        const loads = queueLoads(input.window, span, n);
        for (let q = 0; q < n; q++) loads[q] /= epochCycles * span;
        // First fit of active queues, in queue order, onto bins of capacity `full`.
        const bins: number[] = [];
        const binOf = new Array<number>(n).fill(0);
        let actives = 0;
        for (let q = 0; q < n; q++) {
          if (loads[q] < active) continue;
          actives++;
          const l = Math.min(loads[q], full);
          let b = bins.findIndex((x) => x + l <= full + 1e-9);
          if (b < 0) {
            bins.push(0);
            b = bins.length - 1;
          }
          bins[b] += l;
          binOf[q] = b;
        }
        const want = Math.max(1, bins.length);
        const k = clampCount(want, host.cores, overrides, limits);
        const cores = chooseSideCores(k, host, overrides);
        const metrics = { activeQueues: actives, wantedCores: want };
        if (cores.length === 0) return { state: { sinceLast: 0 }, decision: settleOnCount(input, 0, 'spdk-dynamic', metrics) };
        // Bins beyond the allowed count wrap around; idle queues go to the main (first) core.
        const owner = new Array<number>(n);
        for (let q = 0; q < n; q++) owner[q] = loads[q] >= active ? cores[binOf[q] % cores.length] : cores[0];
        const actions = placementActions(host, cores, owner);
        if (actions.length === 0) return { state: { sinceLast: 0 }, decision: quietStay(metrics) };
        return {
          state: { sinceLast: 0 },
          decision: {
            kind: 'change',
            actions,
            reason: `${plural(actives, 'active queue')} (≥ ${(active * 100).toFixed(0)} % busy) fit on ${plural(want, 'core')} at ${(full * 100).toFixed(0)} %: ${host.sideCores.length} → ${plural(cores.length, 'side core')}`,
            metrics,
            targetSideCores: cores.length,
          },
        };
      },
    };
  },
};
