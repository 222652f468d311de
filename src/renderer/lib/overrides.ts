/**
 * Operator overrides before they are applied, and the host's health as the cards show it (pure):
 * - {@link measure}: what a snapshot says about side cores (empty-poll and busy shares) and VM
 *   cores (how busy they are), the signals an admin judges an override by;
 * - {@link previewCoreAction} / {@link previewLock}: the side-core count after the action, what
 *   the policy will do next, and warnings from the measured shares;
 * - {@link parseLockForm}: the lock form's text as typed, refused in words when incomplete;
 * - {@link health}: green / amber / red per card from thresholds.
 */
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { Overrides, SafetyLimits } from '../../shared/policy.ts';
import { plural } from './metrics.ts';

/** Shares measured on one snapshot (0..1). */
export interface Measured {
  sideCores: number;
  vmCores: number;
  /** Share of the side cores' cycles spent polling empty queues. */
  sideEmptyPoll: number;
  /** Share of the side cores' cycles doing request work. */
  sideBusy: number;
  /** Share of the VM cores' cycles not idle (guest, exits, I/O, context switches). */
  vmBusy: number;
}

/** Thresholds for warnings and card colours. */
export const THRESHOLDS = {
  /** Side cores mostly polling empty queues. */
  sideEmptyAmber: 0.5,
  sideEmptyRed: 0.8,
  /** VM cores saturated. */
  vmBusyAmber: 0.9,
  vmBusyRed: 0.97,
  /** Side cores busy enough that one fewer hurts. */
  sideBusyHigh: 0.7,
  /** p99 against its baseline (the low end of the recent window). */
  p99Amber: 3,
  p99Red: 10,
} as const;

/** Measure a snapshot. */
export function measure(s: HostSnapshot): Measured {
  let sideTotal = 0;
  let sideEmpty = 0;
  let sideWork = 0;
  let vmTotal = 0;
  let vmWork = 0;
  let sideCores = 0;
  let vmCores = 0;
  for (const c of s.cores) {
    const y = c.cycles;
    const total = y.guest + y.exit + y.io + y.emptyPoll + y.ctxSwitch + y.idle;
    if (c.role === 'side') {
      sideCores++;
      sideTotal += total;
      sideEmpty += y.emptyPoll;
      sideWork += y.io + y.guest + y.exit + y.ctxSwitch;
    } else {
      vmCores++;
      vmTotal += total;
      vmWork += total - y.idle - y.emptyPoll;
    }
  }
  return {
    sideCores,
    vmCores,
    sideEmptyPoll: sideTotal > 0 ? sideEmpty / sideTotal : 0,
    sideBusy: sideTotal > 0 ? sideWork / sideTotal : 0,
    vmBusy: vmTotal > 0 ? vmWork / vmTotal : 0,
  };
}

/** What an override is expected to do. */
export interface Preview {
  /** Side cores in force now and right after the action. */
  before: number;
  after: number;
  /** What the policy will do next, in words. */
  policy: string;
  /** Reasons to think twice, from measured shares (empty when none). */
  warnings: string[];
  /** A count lock that would hold the new count (offered beside a pin or release), or null. */
  holdCount: number | null;
}

const pctText = (x: number): string => `${Math.round(x * 100)} %`;

/** Preview a pin, release or clear on `core`. */
export function previewCoreAction(kind: 'pin' | 'release' | 'clear', core: number, s: HostSnapshot, o: Overrides): Preview {
  const m = measure(s);
  const isSide = s.cores.find((c) => c.id === core)?.role === 'side';
  const before = m.sideCores;
  const after = kind === 'pin' ? before + (isSide ? 0 : 1) : kind === 'release' ? before - (isSide ? 1 : 0) : before;
  const warnings: string[] = [];
  const lock = o.countLock;
  let policy: string;
  if (kind === 'clear') {
    policy = `The policy takes core ${core} back and may change the side-core count on its next decision.`;
  } else if (lock && (after < lock[0] || after > lock[1])) {
    policy = `The count lock (${lock[0]}–${lock[1]}) will make the policy ${after > lock[1] ? 'release' : 'add'} another core to stay within it.`;
  } else if (lock) {
    policy = `The count stays locked to ${lock[0]}–${lock[1]}; core ${core} is held ${kind === 'pin' ? 'as a side core' : 'as a VM core'}.`;
  } else if (o.paused) {
    policy = `The loop is paused: the policy changes nothing until it resumes.`;
  } else if (kind === 'pin' && after - new Set([...o.pinned, core]).size <= 0) {
    // Every side core would be pinned (e.g. the first side core): there is none the policy may release.
    policy = `Core ${core} stays a side core and every side core is then pinned: the policy cannot release one, but it may add side cores on its next decision. Lock the count to keep ${after}.`;
  } else {
    policy =
      `Core ${core} stays ${kind === 'pin' ? 'a side core' : 'a VM core'}, but the count is not held: the policy may ` +
      `${kind === 'pin' ? 'release another side core' : 'make another core a side core'} to return to its own count. Lock the count to keep ${after}.`;
  }
  if (kind === 'pin' && !isSide) {
    if (m.sideCores > 0 && m.sideEmptyPoll >= THRESHOLDS.sideEmptyAmber)
      warnings.push(`Side cores already spend ${pctText(m.sideEmptyPoll)} of their cycles polling empty queues: another one will mostly poll empty queues.`);
    if (m.vmBusy >= THRESHOLDS.vmBusyAmber) warnings.push(`VM cores are ${pctText(m.vmBusy)} busy: taking core ${core} from the VMs will slow them down.`);
  }
  if (kind === 'release' && isSide && m.sideBusy >= THRESHOLDS.sideBusyHigh)
    warnings.push(`Side cores are ${pctText(m.sideBusy)} busy with I/O: one fewer will queue requests and raise latency.`);
  const holdCount = kind !== 'clear' && after !== before && !(lock && lock[0] === after && lock[1] === after) ? after : null;
  return { before, after, policy, warnings, holdCount };
}

/** Preview a count lock [min, max]. */
export function previewLock(min: number, max: number, s: HostSnapshot, o: Overrides): Preview {
  const m = measure(s);
  const before = m.sideCores;
  const after = Math.min(Math.max(before, min), max);
  const warnings: string[] = [];
  if (after > before) {
    if (m.sideCores > 0 && m.sideEmptyPoll >= THRESHOLDS.sideEmptyAmber)
      warnings.push(`Side cores already spend ${pctText(m.sideEmptyPoll)} of their cycles polling empty queues: ${plural(after - before, 'more side core')} will mostly poll empty queues.`);
    if (m.vmBusy >= THRESHOLDS.vmBusyAmber) warnings.push(`VM cores are ${pctText(m.vmBusy)} busy: taking ${plural(after - before, 'core')} from the VMs will slow them down.`);
  }
  if (after < before && m.sideBusy >= THRESHOLDS.sideBusyHigh)
    warnings.push(`Side cores are ${pctText(m.sideBusy)} busy with I/O: ${plural(before - after, 'fewer side core')} will raise latency.`);
  const policy =
    min === max
      ? `The policy keeps exactly ${plural(min, 'side core')}${o.paused ? ' (the loop is paused)' : ''}.`
      : `The policy chooses between ${min} and ${max} side cores.`;
  return { before, after, policy, warnings, holdCount: null };
}

/**
 * The lock form as typed: numbers, or an error naming the field in words. With the overrides in
 * force, a lock the host would refuse because of them (more cores pinned than its maximum, more
 * released than its minimum leaves room for) is refused here, before it is sent.
 */
export function parseLockForm(
  minText: string,
  maxText: string,
  limits: SafetyLimits | null,
  cores: number | null,
  overrides?: Pick<Overrides, 'pinned' | 'released'>,
): { min: number; max: number } | { error: string; field: 'min' | 'max' } {
  const parse = (text: string, field: 'min' | 'max'): number | { error: string; field: 'min' | 'max' } => {
    const name = field === 'min' ? 'minimum' : 'maximum';
    const t = text.trim();
    if (t === '') return { error: `Enter the ${name} number of side cores.`, field };
    if (!/^\d+$/.test(t)) return { error: `The ${name} must be a whole number of side cores (0 or more), not "${t}".`, field };
    return Number(t);
  };
  const min = parse(minText, 'min');
  if (typeof min !== 'number') return min;
  const max = parse(maxText, 'max');
  if (typeof max !== 'number') return max;
  if (min > max) return { error: `The minimum (${min}) is above the maximum (${max}).`, field: 'max' };
  const cap = limits ? (cores !== null ? Math.min(limits.maxSideCores, cores - limits.minVmCores) : limits.maxSideCores) : null;
  if (cap !== null && max > cap) return { error: `At most ${plural(cap, 'side core is', 'side cores are')} allowed (safety limits keep ${plural(limits!.minVmCores, 'VM core')}).`, field: 'max' };
  const pinned = overrides?.pinned.length ?? 0;
  if (pinned > max)
    return {
      error: `${plural(pinned, 'core is', 'cores are')} pinned as side cores (${overrides!.pinned.join(', ')}), more than a maximum of ${max}: raise the maximum or clear ${pinned > 1 ? 'some of those pins' : 'that pin'} first.`,
      field: 'max',
    };
  const released = overrides?.released.length ?? 0;
  if (cores !== null && released > 0 && min > cores - released)
    return {
      error: `${plural(released, 'core is', 'cores are')} released to the VMs (${overrides!.released.join(', ')}), so at most ${plural(cores - released, 'side core')} can be had, fewer than a minimum of ${min}.`,
      field: 'min',
    };
  return { min, max };
}

/** A card's state. */
export type Level = 'ok' | 'amber' | 'red';

/** Card levels with the reason shown on hover. */
export interface Health {
  sideCores: { level: Level; why: string };
  vmCores: { level: Level; why: string };
  p99: { level: Level; why: string };
  loop: { level: Level; why: string };
}

/**
 * Health of the host for the cards. `p99Baseline` is the low end of the recent p99 (µs), or NaN
 * when there is too little history to judge. `sidePollingMeasured` false: the host does not split a
 * side core's busy time into work and empty polls (metrics.ts sideWorkMeasured), so the card cannot
 * judge idle side cores and says so.
 */
export function health(s: HostSnapshot, o: Overrides, p99Baseline: number, sidePollingMeasured = true): Health {
  const m = measure(s);
  const side: Health['sideCores'] =
    m.sideCores === 0
      ? { level: 'ok', why: 'No side cores in force.' }
      : !sidePollingMeasured
        ? // (a QEMU host: an IOThread's polling is host busy time like its work; an idle side core cannot be told)
          { level: 'ok', why: `Side cores ${pctText(m.sideBusy + m.sideEmptyPoll)} busy; this host does not report how much of that is polling empty queues.` }
        : m.sideEmptyPoll >= THRESHOLDS.sideEmptyRed
        ? { level: 'red', why: `Side cores mostly idle: ${pctText(m.sideEmptyPoll)} of their cycles poll empty queues.` }
        : m.sideEmptyPoll >= THRESHOLDS.sideEmptyAmber
          ? { level: 'amber', why: `Side cores half idle: ${pctText(m.sideEmptyPoll)} of their cycles poll empty queues.` }
          : { level: 'ok', why: `Side cores: ${pctText(m.sideBusy)} I/O work, ${pctText(m.sideEmptyPoll)} empty polls.` };
  const vm: Health['vmCores'] =
    m.vmBusy >= THRESHOLDS.vmBusyRed
      ? { level: 'red', why: `VM cores saturated: ${pctText(m.vmBusy)} busy.` }
      : m.vmBusy >= THRESHOLDS.vmBusyAmber
        ? { level: 'amber', why: `VM cores nearly saturated: ${pctText(m.vmBusy)} busy.` }
        : { level: 'ok', why: `VM cores ${pctText(m.vmBusy)} busy.` };
  const p99 = s.totals.latencyUs.p99;
  const ratio = Number.isFinite(p99Baseline) && p99Baseline > 0 ? p99 / p99Baseline : NaN;
  const lat: Health['p99'] =
    ratio >= THRESHOLDS.p99Red
      ? { level: 'red', why: `p99 is ${ratio.toFixed(0)}× its recent baseline.` }
      : ratio >= THRESHOLDS.p99Amber
        ? { level: 'amber', why: `p99 is ${ratio.toFixed(1)}× its recent baseline.` }
        : { level: 'ok', why: Number.isFinite(ratio) ? `p99 is ${ratio.toFixed(1)}× its recent baseline.` : 'Too little history for a p99 baseline.' };
  const held = o.pinned.length + o.released.length > 0 || o.countLock !== null;
  const loop: Health['loop'] = o.paused
    ? { level: 'red', why: 'The loop is paused by the operator: the policy changes nothing.' }
    : held
      ? { level: 'amber', why: 'Operator overrides hold: the policy works around pinned/released cores or a count lock.' }
      : { level: 'ok', why: 'The policy is in charge.' };
  return { sideCores: side, vmCores: vm, p99: lat, loop };
}

/** Low end (10th percentile) of recent p99 values, or NaN with fewer than 20 points. */
export function p99Baseline(values: readonly number[]): number {
  const xs = values.filter((v) => Number.isFinite(v) && v > 0);
  if (xs.length < 20) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.1)];
}
