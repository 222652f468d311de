/**
 * `--costs FILE`: a costs block (e.g. what `iocm calibrate` wrote) applied to the scenario of a
 * run. The file is a scenario-like `{"host":{"costs":{...}}}` or a bare costs object; every name
 * and value is validated (unknown names, non-numbers and values out of range are usage errors).
 */
import { UsageError } from './errors.ts';
import { resolveCosts, withCosts } from '../model/defaults.ts';
import { readSmallFile } from '../util/fs.ts';
import { JsonSyntaxError, parseJsonText } from '../scenario/json-locate.ts';
import type { CostOverrides, Scenario } from '../../shared/scenario.ts';

/** The help line of a `--costs FILE` flag. */
export const COSTS_FILE_HELP = 'JSON file with cost overrides ({"host":{"costs":{...}}} or a bare costs object), e.g. from iocm calibrate';

/** A costs block is a few hundred bytes; a file larger than this is not one. */
const MAX_BYTES = 1024 * 1024;

/** Read and validate a costs file (a regular file of at most 1 MiB: a FIFO or a device would block or never end). */
export function readCostsFile(path: string): CostOverrides {
  let text: string;
  try {
    text = readSmallFile(path, MAX_BYTES, 'a costs file');
  } catch (e) {
    throw new UsageError(`--costs ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseJsonText(text);
  } catch (e) {
    // One line with where it broke, as for a scenario file: `--costs FILE:LINE:COLUMN: invalid JSON: …`.
    if (e instanceof JsonSyntaxError) throw new UsageError(e.at(`--costs ${path}`));
    throw e;
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
  return path === undefined ? scenario : withCosts(scenario, readCostsFile(path));
}
