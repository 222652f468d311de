/**
 * The controller interface: how a policy (static, the IOcm loop, peers'
 * heuristics) plugs into the simulation driver.
 *
 * Contract:
 * - `start(host)` (optional) runs once before the first interval; a static
 *   policy applies its whole configuration here.
 * - `onSnapshot(snapshot, host)` runs after every interval, with that
 *   interval's statistics. The controller changes the host itself through
 *   `host.apply(action)` (HostControl); changes show in the next snapshot.
 * - Both may return what they decided (a `Decision`, a list, or nothing).
 *   The driver only records reported decisions (counts them per phase and
 *   passes them to `onDecision`); it never applies them.
 * Controllers must be deterministic (no clocks, no Math.random).
 */
import type { ControlAction, ControlResult, HostInfo } from '../../shared/control.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostModelApi } from '../model/api.ts';

/**
 * A decision a controller took (and applied), reported for audit and
 * summaries. Structurally compatible with shared/policy.ts PolicyDecision, so
 * a loop-backed controller can report its PolicyDecisions as they are.
 * Decisions with at least one action count as reconfigurations.
 */
export interface Decision {
  /** Decision kind, e.g. 'change', 'stay', 'revert' (shared/policy.ts DecisionKind); informational. */
  kind?: string;
  /** The actions applied, in order (empty for a 'stay'). */
  actions: ControlAction[];
  /** Why, in words (e.g. "idle I/O capacity 0.05 < 0.12 and VM idle 2.1 > 1.0: add a side core"). */
  reason: string;
  /** Results of the actions, in the same order, when the controller kept them. */
  results?: ControlResult[];
  /** Filled by the driver: sequence number of the snapshot the decision followed (-1 = at start). */
  seq?: number;
  /** Filled by the driver: simulated time in ms when it was reported. */
  t?: number;
}

/** What `start` / `onSnapshot` may return. */
export type ControllerReport = void | null | undefined | Decision | Decision[];

/** A policy plugged into the simulation driver. */
export interface Controller {
  /** Policy spec as given by the user, e.g. "static:2". */
  readonly name: string;
  /** Called once before the first interval. */
  start?(host: HostModelApi): ControllerReport;
  /** Called after every interval with its statistics. */
  onSnapshot(snapshot: HostSnapshot, host: HostModelApi): ControllerReport;
}

/** What a policy factory gets to build a controller for one run. */
export interface PolicyContext {
  /** Physical cores of the host. */
  cores: number;
  /** The host's static description (VMs, queues, groups). */
  info: HostInfo;
  scenario: Scenario;
  seed: number;
  intervalMs: number;
}

/** Builds a controller for one run. */
export type ControllerFactory = (ctx: PolicyContext) => Controller;

/** Normalise a ControllerReport to a list. */
export function reportedDecisions(r: ControllerReport): Decision[] {
  if (!r) return [];
  return Array.isArray(r) ? r : [r];
}
