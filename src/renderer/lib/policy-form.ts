/**
 * A policy's settings as a form: the typed fields of a policy descriptor (src/shared/policy.ts)
 * as text the admin edits, checked before sending (checkField) and with the host's field errors
 * put back under the field they name. One implementation for every form that takes a policy
 * (Controls' policy form, the Sessions what-if); drawn by components/PolicyFields.vue.
 */
import { reactive } from 'vue';
import type { ApiError } from '../../shared/api.ts';
import type { PolicyConfig, PolicyDescriptor } from '../../shared/policy.ts';
import { checkField } from './metrics.ts';

/** The state and actions of one policy form. */
export interface PolicyForm {
  /** Field key → what is typed (text; an empty field stays empty, never sent as 0) or a checkbox's state. */
  readonly values: Record<string, string | boolean>;
  /** Field key → why its value cannot be sent (checked here or refused by the host). */
  readonly errors: Record<string, string>;
  /** Fill the form with `p`'s fields: `current` where it has the key, else the policy's defaults. Clears errors. */
  load(p: PolicyDescriptor | null, current?: PolicyConfig): void;
  /** Set one field (what the input typed); its error is cleared. */
  set(key: string, value: string | boolean): void;
  /** The config to send, or null when a field is wrong (its error is set). */
  collect(p: PolicyDescriptor): PolicyConfig | null;
  /** Put a host's refusal under the field it names ('config.<key>'); true when it was placed. */
  placeError(e: ApiError, p: PolicyDescriptor | null): boolean;
}

/** A new policy form (reactive; one per form on the page). */
export function usePolicyForm(): PolicyForm {
  const values = reactive<Record<string, string | boolean>>({});
  const errors = reactive<Record<string, string>>({});
  const clear = (o: Record<string, unknown>): void => {
    for (const k of Object.keys(o)) delete o[k];
  };
  return {
    values,
    errors,
    load(p, current) {
      clear(values);
      clear(errors);
      if (!p) return;
      const from = current ?? p.defaults;
      for (const f of p.fields) {
        const v = from[f.key] ?? p.defaults[f.key];
        values[f.key] = f.type === 'boolean' ? v === true : String(v ?? '');
      }
    },
    set(key, value) {
      values[key] = value;
      delete errors[key];
    },
    collect(p) {
      const config: PolicyConfig = {};
      let bad = false;
      for (const f of p.fields) {
        const r = checkField(f, values[f.key] ?? '');
        if ('error' in r) {
          errors[f.key] = r.error;
          bad = true;
        } else {
          delete errors[f.key];
          config[f.key] = r.value;
        }
      }
      return bad ? null : config;
    },
    placeError(e, p) {
      const m = /^config\.(.+)$/.exec(e.field ?? '');
      if (!m || !p?.fields.some((f) => f.key === m[1])) return false;
      errors[m[1]] = e.message;
      return true;
    },
  };
}

/**
 * Of a collected config, what differs from the policy's defaults, and `keep` always (a count such
 * as static's K, which the policy needs given): what a request sends when the host's own
 * defaults for it should apply to the rest.
 */
export function changedSettings(p: PolicyDescriptor, config: PolicyConfig, keep: readonly string[] = ['k']): PolicyConfig {
  const out: PolicyConfig = {};
  for (const [k, v] of Object.entries(config)) if (keep.includes(k) || p.defaults[k] !== v) out[k] = v;
  return out;
}
