/**
 * The policy interface: a policy is a pure function
 * (its state, a window of observed snapshots, the host's config, overrides, limits) → (new state, decision).
 * Policies never touch HostControl; the loop (src/main/loop) applies their actions.
 */
import type { HostConfig } from '../../shared/control.ts';
import type { ObjectiveGroup } from '../../shared/objective.ts';
import type { Observability, ObservedSnapshot } from '../../shared/observe.ts';
import type {
  ConfigError,
  Overrides,
  PolicyConfig,
  PolicyConfigField,
  PolicyDecision,
  SafetyLimits,
} from '../../shared/policy.ts';

/** What a policy sees at each epoch. */
export interface PolicyInput {
  /** ms since session start (end of the newest snapshot). */
  t: number;
  /** Epoch number from 0. */
  epoch: number;
  /**
   * Recent observed snapshots, oldest first, newest last. Empty at the epoch at t = 0 (before the
   * first interval), where a static policy configures the host. Observed fields only: a policy
   * cannot name a truth field (phase, load, score, queue wait, guest latency).
   */
  window: readonly ObservedSnapshot[];
  /** Which optional observed fields the host's source reports. */
  observability: Observability;
  /** VM groups with the operator's weights and workload classes, for the observed objective. */
  groups: readonly ObjectiveGroup[];
  /** The I/O configuration in force. */
  host: HostConfig;
  overrides: Overrides;
  limits: SafetyLimits;
}

/** A policy's output for one epoch. */
export interface PolicyStep<S> {
  state: S;
  decision: PolicyDecision;
}

/** A configured policy instance (pure: all mutable data lives in the state it returns). */
export interface Policy<S = unknown> {
  /** Full name, e.g. 'iocm' or 'static:2'. */
  readonly name: string;
  readonly config: PolicyConfig;
  /** Initial state for a host configuration. */
  init(host: HostConfig): S;
  /** Decide for one epoch. Must not mutate `state` or `input`. */
  decide(state: S, input: PolicyInput): PolicyStep<S>;
}

/** A config field with its default value. */
export interface FieldSpec extends PolicyConfigField {
  default: number | boolean;
}

/** A registry entry: how to describe, validate and create a policy. */
export interface PolicyEntry {
  name: string;
  description: string;
  defaults: PolicyConfig;
  fields: PolicyConfigField[];
  /** Errors naming the offending field; empty when valid. */
  validate(config: PolicyConfig): ConfigError[];
  /** Create an instance from a complete, valid config. */
  create(config: PolicyConfig): Policy;
}
