/**
 * Typed policy configuration: field specs with defaults, generic validation
 * (type, integer, range) and merging of partial configs over defaults.
 */
import type { ConfigError, PolicyConfig, PolicyConfigField } from '../../shared/policy.ts';
import type { FieldSpec, PolicyEntry } from './types.ts';

/** Defaults of a field list. */
export function defaultsOf(fields: readonly FieldSpec[]): PolicyConfig {
  const out: PolicyConfig = {};
  for (const f of fields) out[f.key] = f.default;
  return out;
}

/** The UI-facing part of field specs (without defaults). */
export function describeFields(fields: readonly FieldSpec[]): PolicyConfigField[] {
  return fields.map(({ default: _d, ...rest }) => rest);
}

/** Validate `config` against `fields`: unknown keys, types, integers and ranges. */
export function validateFields(fields: readonly FieldSpec[], config: PolicyConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  const known = new Set(fields.map((f) => f.key));
  for (const k of Object.keys(config)) {
    if (!known.has(k)) errors.push({ field: k, message: `unknown setting '${k}' (known: ${[...known].join(', ') || 'none'})` });
  }
  for (const f of fields) {
    const v = config[f.key];
    if (v === undefined) continue;
    if (f.type === 'boolean') {
      if (typeof v !== 'boolean') errors.push({ field: f.key, message: `${f.label} must be true or false` });
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      errors.push({ field: f.key, message: `${f.label} must be a finite number` });
      continue;
    }
    if (f.type === 'integer' && !Number.isInteger(v)) errors.push({ field: f.key, message: `${f.label} must be a whole number` });
    if (f.min !== undefined && v < f.min) errors.push({ field: f.key, message: `${f.label} must be ≥ ${f.min}${f.unit ? ' ' + f.unit : ''} (got ${v})` });
    if (f.max !== undefined && v > f.max) errors.push({ field: f.key, message: `${f.label} must be ≤ ${f.max}${f.unit ? ' ' + f.unit : ''} (got ${v})` });
  }
  return errors;
}

/**
 * An order two settings must keep: `low` below `high` (`strict`) or at most `high`. Settings that
 * each pass their own range can still contradict each other (an "add" threshold above the matching
 * "remove" one makes a policy ask for both); these are checked on the merged config.
 */
export interface FieldOrder {
  low: string;
  high: string;
  strict: boolean;
}

/**
 * Errors of `orders` on `config` merged over `defaults`, for pairs whose own values are valid.
 * The error names the setting the caller changed (given, and not its default); both when both or neither were.
 */
export function validateOrders(fields: readonly FieldSpec[], orders: readonly FieldOrder[], config: PolicyConfig, bad: ReadonlySet<string>): ConfigError[] {
  const errors: ConfigError[] = [];
  const byKey = new Map(fields.map((f) => [f.key, f]));
  for (const o of orders) {
    if (bad.has(o.low) || bad.has(o.high)) continue;
    const lo = byKey.get(o.low);
    const hi = byKey.get(o.high);
    if (!lo || !hi) throw new Error(`policy config order names an unknown field: ${o.low} / ${o.high}`);
    const a = (config[o.low] ?? lo.default) as number;
    const b = (config[o.high] ?? hi.default) as number;
    if (o.strict ? a < b : a <= b) continue;
    const show = (f: FieldSpec, v: number): string => `${f.label} (${v}${f.unit && f.unit !== 'fraction' ? ' ' + f.unit : ''})`;
    // The setting the caller changed: given and not its default (a form sends every setting). When
    // both or neither were changed, both are named.
    const changed = (k: string, f: FieldSpec): boolean => config[k] !== undefined && config[k] !== f.default;
    const cl = changed(o.low, lo);
    const ch = changed(o.high, hi);
    const message = `${show(lo, a)} must be ${o.strict ? 'below' : 'at most'} ${show(hi, b)}`;
    if (cl || !ch) errors.push({ field: o.low, message });
    if (ch || !cl) errors.push({ field: o.high, message });
  }
  return errors;
}

/** The config part of a registry entry (defaults, UI fields, validation), all from one field list and the orders its settings must keep. */
export function configSpec(fields: readonly FieldSpec[], orders: readonly FieldOrder[] = []): Pick<PolicyEntry, 'defaults' | 'fields' | 'validate'> {
  return {
    defaults: defaultsOf(fields),
    fields: describeFields(fields),
    validate: (c) => {
      const errors = validateFields(fields, c);
      return errors.concat(validateOrders(fields, orders, c, new Set(errors.map((e) => e.field))));
    },
  };
}

/** Read a numeric config value (validated beforehand). */
export function num(config: PolicyConfig, key: string): number {
  return config[key] as number;
}
