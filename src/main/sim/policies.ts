/**
 * The policy registry shared by every command (`simulate`, `sweep`,
 * `evaluate`, `whatif`) and the console: a map from a policy name to a
 * factory. A policy spec is `name` or `name:arg` (e.g. `vhost`, `static:3`).
 *
 * Built in here: `vhost` and `static:K`. Other policies (iocm, iocm-classic,
 * ovs-auto-lb, spdk-dynamic) are added with `registerPolicy()`; see
 * src/main/sim/CONTEXT.md for how.
 */
import { UsageError } from '../cli/errors.ts';
import type { ControllerFactory, PolicyContext } from './controller.ts';
import { staticController } from './static.ts';

/** A bad policy spec. Extends UsageError so the CLI reports it with exit code 2. */
export class PolicyError extends UsageError {
  override name = 'PolicyError';
}

/** A registered policy. */
export interface PolicyDefinition {
  /** Name before the colon, e.g. "static". */
  name: string;
  /** How to write it, e.g. "static:K". */
  usage: string;
  /** One line for help texts. */
  summary: string;
  /** 'none': no `:arg`; 'required': must have one; 'optional': may have one. */
  arg: 'none' | 'required' | 'optional';
  /**
   * Check the argument for a host with `cores` cores (throw PolicyError with a
   * clear message) and return a factory for controllers.
   */
  prepare(arg: string | undefined, cores: number): ControllerFactory;
}

/** A parsed, validated policy spec. */
export interface ParsedPolicy {
  /** The spec as normalised, e.g. "static:2". */
  spec: string;
  name: string;
  arg: string | undefined;
  /** Build the controller for one run. */
  create: ControllerFactory;
}

const registry = new Map<string, PolicyDefinition>();

/** Add (or replace) a policy in the registry. */
export function registerPolicy(def: PolicyDefinition): void {
  registry.set(def.name, def);
}

/** Registered policies, in registration order. */
export function listPolicies(): PolicyDefinition[] {
  return [...registry.values()];
}

/** The usages of all registered policies, e.g. "vhost, static:K, iocm". */
export function policyUsages(): string {
  return listPolicies()
    .map((p) => p.usage)
    .join(', ');
}

/**
 * Parse a policy spec for a host with `cores` cores. Throws PolicyError
 * (exit code 2 in the CLI) naming what was wrong.
 */
export function parsePolicy(spec: string, cores: number): ParsedPolicy {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const arg = colon < 0 ? undefined : text.slice(colon + 1);
  const def = registry.get(name);
  if (!def) throw new PolicyError(`unknown policy '${spec}'; expected one of ${policyUsages()}`);
  if (def.arg === 'none' && arg !== undefined) throw new PolicyError(`policy '${name}' takes no argument, got '${spec}'`);
  if (def.arg === 'required' && (arg === undefined || arg === '')) throw new PolicyError(`policy '${name}' needs an argument: ${def.usage}`);
  const create = def.prepare(arg, cores);
  return { spec: arg === undefined ? name : `${name}:${arg}`, name, arg, create };
}

/** Parse K of `static:K`: an integer in 0..cores-1. */
export function parseSideCoreCount(arg: string | undefined, cores: number, usage = 'static:K'): number {
  const max = cores - 1;
  if (arg === undefined || !/^\d+$/.test(arg)) {
    throw new PolicyError(`${usage}: expected K to be an integer from 0 to ${max} (side cores on a ${cores}-core host), got '${arg ?? ''}'`);
  }
  const k = Number(arg);
  if (k > max) throw new PolicyError(`${usage}: K must be at most ${max} on a ${cores}-core host (at least one VM core), got ${k}`);
  return k;
}

registerPolicy({
  name: 'vhost',
  usage: 'vhost',
  summary: 'no side cores: per-device vhost I/O threads on the VM cores, notification-driven',
  arg: 'none',
  prepare: () => (ctx: PolicyContext) => staticController('vhost', 0, ctx),
});

registerPolicy({
  name: 'static',
  usage: 'static:K',
  summary: 'K dedicated side cores (the highest core ids), queues spread round-robin, polling on',
  arg: 'required',
  prepare: (arg, cores) => {
    const k = parseSideCoreCount(arg, cores);
    return (ctx: PolicyContext) => staticController(`static:${k}`, k, ctx);
  },
});
