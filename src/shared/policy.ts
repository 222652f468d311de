/**
 * Policy, decision, override and event types: the contract between the IOcm
 * loop (src/main/loop), the policies (src/main/policy), history (recording and
 * replay) and the console. Shared layer: no node/electron/DOM imports.
 *
 * Times are ms since the session's start (simulated time for the model).
 */
import type { ControlAction, ControlSource, KnobAction } from './control.ts';
import type { HostSnapshot } from './snapshot.ts';

/** Who produced an event (same vocabulary as ControlSource). */
export type EventSource = ControlSource;

/** What an event is about. */
export type EventKind =
  /** A policy decision (including a near-miss "stay"). */
  | 'decision'
  /** An operator override (pin, release, lock, pause, resume, policy change), accepted or refused. */
  | 'override'
  /** A control change applied to the host (one per ControlAction), with its source. */
  | 'audit'
  | 'connect'
  | 'disconnect'
  | 'error'
  /** The scenario phase changed. */
  | 'phase'
  | 'notice';

/** One event of a session. `data` is JSON-serializable. */
export interface HostEvent {
  /** ms since session start. */
  t: number;
  source: EventSource;
  kind: EventKind;
  /** One line a user understands. */
  message: string;
  /** Structured detail: for decisions a {@link DecisionEventData}, for audits an {@link AuditEventData}. */
  data?: Record<string, unknown>;
}

/** What the console, the live runner and history replay exchange: snapshots and events of a time span. */
export interface TelemetryBatch {
  snapshots: HostSnapshot[];
  events: HostEvent[];
  /** Loop status at the end of the batch (live runner only; absent in replays that do not have it). */
  status?: LoopStatus;
}

/** Kinds of policy decision. */
export type DecisionKind =
  /** Apply `actions` (a policy-initiated change). */
  | 'change'
  /** Keep the configuration; `reason` says what was close, if anything. */
  | 'stay'
  /** Undo the previous change (e.g. the classic manager's regret). */
  | 'revert'
  /** The policy wanted a change but an override or a safety limit stopped it (set by the loop). */
  | 'blocked'
  /** The loop is paused by the operator; nothing was decided (set by the loop). */
  | 'paused';

/** One policy decision. */
export interface PolicyDecision {
  kind: DecisionKind;
  /** Actions to apply, in order (empty for stay/paused). */
  actions: ControlAction[];
  /** Human-readable reason, naming the metric and threshold. */
  reason: string;
  /** The metric values that triggered it (name → value). */
  metrics: Record<string, number>;
  /** The side-core count the policy aims for after this decision (if it has one). */
  targetSideCores?: number;
  /**
   * Knob changes to apply with this decision (e.g. `setPmdMaxSleep`: idle side cores sleep instead
   * of being released); applied through HostControl even when `actions` is empty.
   */
  knobs?: KnobAction[];
}

/** `HostEvent.data` of a decision event. */
export interface DecisionEventData {
  policy: string;
  decision: PolicyDecision;
  /** Actions actually applied after overrides and safety limits (may differ from decision.actions). */
  applied: ControlAction[];
  /** Why actions were dropped or altered, if they were. */
  limited?: string;
}

/** `HostEvent.data` of an audit event (one control change). */
export interface AuditEventData {
  action: ControlAction | KnobAction;
  ok: boolean;
  /** Refusal message from HostControl when !ok. */
  error?: string;
  /** Modelled reconfiguration cost in cycles. */
  costCycles?: number;
}

/** Operator overrides, honored by every policy. Core ids are physical core ids. */
export interface Overrides {
  /** Cores pinned as side cores: always side cores while pinned. */
  pinned: number[];
  /** Cores released to the VMs: never side cores while released. */
  released: number[];
  /** Side-core count kept within [min, max] inclusive, or null for no lock. */
  countLock: [number, number] | null;
  /** Loop paused: no policy changes are applied (operator overrides still are). */
  paused: boolean;
}

/** Limits nobody (policy or operator) can cross. */
export interface SafetyLimits {
  /** Minimum number of VM cores (≥ 1). */
  minVmCores: number;
  /** Maximum number of side cores. */
  maxSideCores: number;
  /** Minimum time between two policy-initiated changes of the side-core set, in ms (rate limit). */
  minChangeIntervalMs: number;
}

/** An operator command to the loop. */
export type OverrideCommand =
  | { kind: 'pin'; core: number }
  | { kind: 'release'; core: number }
  /** Remove a pin or a release of this core. */
  | { kind: 'clear'; core: number }
  | { kind: 'lockCount'; min: number; max: number }
  | { kind: 'unlockCount' }
  | { kind: 'pause' }
  | { kind: 'resume' };

/** Result of an override command: refusals explain the limit in words. */
export type OverrideResult = { ok: true; message: string } | { ok: false; error: string };

/** A policy configuration value. */
export type PolicyConfigValue = number | boolean | string;

/** A policy's configuration: field name → value. */
export type PolicyConfig = Record<string, PolicyConfigValue>;

/** Describes one config field so a UI can render and pre-validate an editor. */
export interface PolicyConfigField {
  key: string;
  label: string;
  description: string;
  type: 'number' | 'integer' | 'boolean';
  min?: number;
  max?: number;
  unit?: string;
}

/** A policy as offered to the console. */
export interface PolicyDescriptor {
  /** Registry name, e.g. 'iocm', 'iocm-classic', 'static' (parameterized names like 'static:K' take K from config). */
  name: string;
  description: string;
  defaults: PolicyConfig;
  fields: PolicyConfigField[];
}

/** A validation error naming the field. */
export interface ConfigError {
  field: string;
  message: string;
}

/** The loop's state, as shown in the console. */
export interface LoopStatus {
  /** ms since session start of the last epoch. */
  t: number;
  /** Policy registry name, e.g. 'iocm' or 'static:2'. */
  policy: string;
  config: PolicyConfig;
  epochMs: number;
  overrides: Overrides;
  limits: SafetyLimits;
  /** Side cores in force. */
  sideCores: number[];
  /** The last decision that was not a 'stay' (a change, revert, blocked or paused), if any; the latest stay is `lastStay`. */
  lastDecision: (PolicyDecision & { t: number }) | null;
  /**
   * The policy's latest stay that said something ("settled on 3 side cores …") after `lastDecision`,
   * whether or not the loop's rate limit let it become an event; null or absent when none (absent
   * from loops that predate it).
   */
  lastStay?: (PolicyDecision & { t: number }) | null;
  /** Number of control changes applied so far (policy + operator). */
  changes: number;
  /** Live runner only: running, paused by operator, stopped. */
  state?: 'running' | 'stopped';
  /** Live runner only: pacing factor (0 = as fast as possible). */
  speed?: number;
  /** Live runner only: scenario name and seed. */
  scenario?: string;
  seed?: number;
  /** The host source the loop runs over (the embedded model, a remote agent, or — inside an agent with --loop — its qemu or ovs driver) and its name. */
  source?: { kind: 'model' | 'agent' | 'qemu' | 'ovs'; name: string };
}
