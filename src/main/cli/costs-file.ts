/**
 * `--costs FILE`: a costs block (e.g. what `iocm calibrate` wrote) applied to the scenario of a
 * run. The file is a scenario-like `{"host":{"costs":{...}}}` or a bare costs object; every name
 * and value is validated (unknown names, non-numbers and values out of range are usage errors).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';
import { resolveCosts } from '../model/defaults.ts';
import type { CostOverrides, Scenario } from '../../shared/scenario.ts';

/** The help line of a `--costs FILE` flag. */
export const COSTS_FILE_HELP = 'JSON file with cost overrides ({"host":{"costs":{...}}} or a bare costs object), e.g. from iocm calibrate';

/** Read and validate a costs file. */
export function readCostsFile(path: string): CostOverrides {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--costs ${path}: ${(e as Error).message}`);
  }
  const obj = doc as { host?: { costs?: unknown } } | null;
  const costs = obj && typeof obj === 'object' && obj.host && typeof obj.host === 'object' ? obj.host.costs : doc;
  if (!costs || typeof costs !== 'object' || Array.isArray(costs)) throw new UsageError(`--costs ${path}: expected an object of cost overrides`);
  try {
    resolveCosts(costs as CostOverrides);
  } catch (e) {
    throw new UsageError(`--costs ${path}: ${(e as Error).message}`);
  }
  return costs as CostOverrides;
}

/** The scenario with the file's costs over its own `host.costs` (a new object; the input is not changed). */
export function withCostsFile(scenario: Scenario, path: string | undefined): Scenario {
  if (path === undefined) return scenario;
  const costs = readCostsFile(path);
  return { ...scenario, host: { ...scenario.host, costs: { ...scenario.host.costs, ...costs } } };
}
