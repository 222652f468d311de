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

/** The config part of a registry entry (defaults, UI fields, validation), all from one field list. */
export function configSpec(fields: readonly FieldSpec[]): Pick<PolicyEntry, 'defaults' | 'fields' | 'validate'> {
  return { defaults: defaultsOf(fields), fields: describeFields(fields), validate: (c) => validateFields(fields, c) };
}

/** Read a numeric config value (validated beforehand). */
export function num(config: PolicyConfig, key: string): number {
  return config[key] as number;
}
