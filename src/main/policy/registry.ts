/**
 * The policy registry: name → {description, defaults, fields, validate, create}.
 * Names accepted by `createPolicy`: 'vhost', 'static:K', 'iocm', 'iocm-classic',
 * 'ovs-auto-lb' (optionally 'ovs-auto-lb:K'), 'spdk-dynamic'.
 */
import { UsageError } from '../../shared/errors.ts';
import type { ConfigError, PolicyConfig, PolicyDescriptor } from '../../shared/policy.ts';
import { ovsEntry, spdkEntry, staticEntry, vhostEntry } from './baselines.ts';
import { classicEntry } from './classic.ts';
import { iocmEntry } from './iocm.ts';
import type { Policy, PolicyEntry } from './types.ts';

/** Every registered policy, by registry name. */
export const POLICY_REGISTRY: Readonly<Record<string, PolicyEntry>> = Object.freeze({
  [iocmEntry.name]: iocmEntry,
  [classicEntry.name]: classicEntry,
  [vhostEntry.name]: vhostEntry,
  [staticEntry.name]: staticEntry,
  [ovsEntry.name]: ovsEntry,
  [spdkEntry.name]: spdkEntry,
});

/** The policies `iocm evaluate` compares (static counts are added per scenario). */
export const EVALUATED_POLICIES = ['iocm', 'iocm-classic', 'vhost', 'ovs-auto-lb', 'spdk-dynamic'] as const;

/** Thrown for an unknown policy name or an invalid config; `errors` name the fields. Bad input: the CLI exits 2. */
export class PolicyConfigError extends UsageError {
  override name = 'PolicyConfigError';
  constructor(
    message: string,
    readonly errors: ConfigError[],
  ) {
    super(message);
  }
}

/** Descriptors for the console (name, description, defaults, fields). */
export function listPolicies(): PolicyDescriptor[] {
  return Object.values(POLICY_REGISTRY).map((e) => ({ name: e.name, description: e.description, defaults: { ...e.defaults }, fields: e.fields.map((f) => ({ ...f })) }));
}

/** "k: …; targetBusy, saturatedBusy: …": each message once, after the fields it names (an order between two settings names both). */
export function configErrorText(errors: readonly ConfigError[]): string {
  const byMessage = new Map<string, string[]>();
  for (const e of errors) {
    const fields = byMessage.get(e.message);
    if (fields) fields.push(e.field);
    else byMessage.set(e.message, [e.field]);
  }
  return [...byMessage].map(([m, f]) => `${f.join(', ')}: ${m}`).join('; ');
}

/** Split 'static:3' into the entry and the config implied by the suffix. */
export function resolvePolicyName(spec: string): { entry: PolicyEntry; implied: PolicyConfig } {
  const m = /^([a-z][a-z0-9-]*)(?::(.*))?$/.exec(spec.trim());
  const known = Object.keys(POLICY_REGISTRY).map((n) => (n === 'static' || n === 'ovs-auto-lb' ? `${n}:K` : n));
  if (!m) throw new PolicyConfigError(`bad policy name '${spec}' (expected one of ${known.join(', ')})`, [{ field: 'policy', message: 'bad name' }]);
  const entry = POLICY_REGISTRY[m[1]];
  if (!entry) throw new PolicyConfigError(`unknown policy '${spec}' (expected one of ${known.join(', ')})`, [{ field: 'policy', message: `unknown policy '${m[1]}'` }]);
  const implied: PolicyConfig = {};
  if (m[2] !== undefined) {
    if (!('k' in entry.defaults)) throw new PolicyConfigError(`policy '${m[1]}' takes no ':K' suffix`, [{ field: 'policy', message: 'no suffix allowed' }]);
    if (!/^\d+$/.test(m[2])) throw new PolicyConfigError(`bad side-core count in '${spec}' (expected a whole number ≥ 0, e.g. ${m[1]}:2)`, [{ field: 'k', message: 'must be a whole number ≥ 0' }]);
    implied.k = Number(m[2]);
  }
  return { entry, implied };
}

/** Full config of a policy spec: defaults ← name suffix ← overrides; validated. */
export function resolvePolicyConfig(spec: string, config: PolicyConfig = {}): { entry: PolicyEntry; config: PolicyConfig } {
  const { entry, implied } = resolvePolicyName(spec);
  // 'static' has no default count: it comes from the name's suffix or from config.k (the console's
  // form sends the name and its fields), and is missing only when neither gives it.
  if (entry === staticEntry && implied.k === undefined && config.k === undefined) {
    throw new PolicyConfigError(`'static' needs a side-core count, e.g. static:2 (or config k)`, [{ field: 'k', message: 'missing: give a side-core count, e.g. static:2' }]);
  }
  // Two counts that disagree (static:2 with config k 3) are refused, not resolved in favour of one.
  if (implied.k !== undefined && config.k !== undefined && config.k !== implied.k) {
    throw new PolicyConfigError(`'${spec.trim()}' says K = ${implied.k} but config k is ${JSON.stringify(config.k)}: give the count once`, [{ field: 'k', message: `disagrees with the count in the name '${spec.trim()}' (K = ${implied.k})` }]);
  }
  const errors = entry.validate({ ...implied, ...config });
  if (errors.length > 0) throw new PolicyConfigError(`invalid ${entry.name} config: ${configErrorText(errors)}`, errors);
  return { entry, config: { ...entry.defaults, ...implied, ...config } };
}

/** Create a policy from a spec like 'iocm' or 'static:2' and optional config overrides. */
export function createPolicy(spec: string, config: PolicyConfig = {}): Policy {
  const r = resolvePolicyConfig(spec, config);
  return r.entry.create(r.config);
}

/** What {@link policyConfigForHost} needs to know of a host (a HostInfo will do). */
export interface PolicyHost {
  source?: string;
  observability?: { profile: string };
}

/**
 * A policy's config adjusted to the host it runs on. On a real OVS-DPDK host (an agent's host
 * declaring the `ovs` profile) `ovs-auto-lb` means OVS's own behaviour: `native` is set unless the
 * config says otherwise, so the baseline leaves the PMD set and pmd-auto-lb to OVS and only
 * watches. The model under `--observe ovs` keeps the emulation.
 */
export function policyConfigForHost(spec: string, config: PolicyConfig, host: PolicyHost | undefined): PolicyConfig {
  const { entry } = resolvePolicyName(spec);
  if (entry === ovsEntry && host?.source === 'agent' && host.observability?.profile === 'ovs' && config.native === undefined) return { ...config, native: true };
  return config;
}

/**
 * Resolve a policy spec for a host with `cores` cores: like {@link resolvePolicyConfig}, and a
 * fixed count (`static:K`, `ovs-auto-lb:K`) must leave at least one VM core (not checked for a
 * native `ovs-auto-lb`, which sets no count). `host` adjusts the config ({@link policyConfigForHost}).
 */
export function resolvePolicyForHost(spec: string, cores: number, config: PolicyConfig = {}, host?: PolicyHost): { entry: PolicyEntry; config: PolicyConfig; name: string } {
  const r = resolvePolicyConfig(spec, policyConfigForHost(spec, config, host));
  const k = r.config.k;
  if (typeof k === 'number' && 'k' in r.entry.defaults && r.config.native !== true && k > cores - 1) {
    throw new PolicyConfigError(`${r.entry.name}:K: K must be at most ${cores - 1} on a ${cores}-core host (at least one VM core), got ${k}`, [{ field: 'k', message: `K must be at most ${cores - 1} on a ${cores}-core host (at least one VM core), got ${k}` }]);
  }
  return { ...r, name: r.entry.create(r.config).name };
}

/** How to write each policy, e.g. "iocm, iocm-classic, vhost, static:K, ovs-auto-lb[:K], spdk-dynamic". */
export function policyUsages(): string {
  return Object.keys(POLICY_REGISTRY)
    .map((n) => (n === 'static' ? 'static:K' : n === 'ovs-auto-lb' ? 'ovs-auto-lb[:K]' : n))
    .join(', ');
}
