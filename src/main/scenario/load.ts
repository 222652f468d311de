/**
 * Scenario loading: JSON text → validated `Scenario`. The JSON Schema
 * (resources/scenarios/scenario.schema.json) checks shapes and ranges; the
 * cross-field rules it cannot express are checked here. Every error is a
 * `ScenarioError` naming the file, the JSON path (a JSON Pointer such as
 * `/vms/2/workload/kind`) and what was expected.
 */
import { readdirSync, existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Scenario, WorkloadKind } from '../../shared/scenario.ts';
import { UsageError } from '../../shared/errors.ts';
import { JsonSyntaxError, parseJsonText } from './json-locate.ts';
import { COST_DEFAULTS, COST_UNITS, checkScenario } from '../model/defaults.ts';
import { readSmallFile } from '../util/fs.ts';
import schema from '../../../resources/scenarios/scenario.schema.json' with { type: 'json' };

/** One problem found in a scenario. */
export interface ScenarioIssue {
  /** JSON Pointer into the document ('' = the whole document). */
  path: string;
  /** What was expected, and what was found. */
  message: string;
}

/**
 * A scenario that cannot be used. Extends the CLI's UsageError so any `iocm`
 * subcommand reports it on one line with exit code 2.
 */
export class ScenarioError extends UsageError {
  override name = 'ScenarioError';
  /** The file (or label) the scenario came from. */
  readonly file: string;
  /** JSON Pointer of the first problem; undefined for file-level errors (unreadable, not JSON). */
  readonly path: string | undefined;
  /** What was expected at `path` (the first problem). */
  readonly expected: string;
  /** All problems found (at least one). */
  readonly issues: ScenarioIssue[];
  /** 1-based line/column for JSON syntax errors. */
  readonly line?: number;
  readonly column?: number;

  constructor(
    file: string,
    detail: { path?: string; expected: string; issues?: ScenarioIssue[]; line?: number; column?: number },
  ) {
    const where =
      detail.line !== undefined ? `${file}:${detail.line}:${detail.column}` : detail.path !== undefined ? `${file}: ${detail.path || '/'}` : file;
    const more = detail.issues && detail.issues.length > 1 ? ` (and ${detail.issues.length - 1} more problem${detail.issues.length > 2 ? 's' : ''})` : '';
    super(`${where}: ${detail.expected}${more}`);
    this.file = file;
    this.path = detail.path;
    this.expected = detail.expected;
    this.issues = detail.issues ?? [{ path: detail.path ?? '', message: detail.expected }];
    if (detail.line !== undefined) {
      this.line = detail.line;
      this.column = detail.column;
    }
  }
}

/** Workload kinds that need a network device. */
const NET_KINDS: ReadonlySet<WorkloadKind> = new Set<WorkloadKind>(['net-stream', 'net-rr', 'kv', 'web']);

/** The scenario JSON Schema (draft 2020-12), as shipped in resources/scenarios. */
export const scenarioSchema: object = schema;

let validator: ValidateFunction | undefined;
function getValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
    validator = ajv.compile(schema);
  }
  return validator;
}

// ---------------------------------------------------------------- locations

/**
 * The directory holding the shipped scenarios. `IOCM_RESOURCES` (the
 * resources dir, e.g. an Electron app's `process.resourcesPath/resources`)
 * overrides it; otherwise the nearest `resources/scenarios` above this source
 * file (works from src/main/scenario under tsx and from out/main in a bundle).
 */
export function scenariosDir(): string {
  const env = process.env.IOCM_RESOURCES;
  if (env) return join(resolve(env), 'scenarios');
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'resources', 'scenarios');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Fall back to the working directory (e.g. run from the repository root).
  return join(process.cwd(), 'resources', 'scenarios');
}

/** True when `nameOrPath` is a file path rather than a shipped scenario's name. */
export function isScenarioPath(nameOrPath: string): boolean {
  return nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json') || isAbsolute(nameOrPath);
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** Names of the shipped scenarios (files in scenariosDir(), without `.json`), sorted. */
export function scenarioNames(): string[] {
  let entries: string[];
  try {
    entries = readdirSync(scenariosDir());
  } catch {
    return [];
  }
  return entries
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A shipped scenario, for listings. */
export interface ScenarioListing {
  name: string;
  description: string;
  file: string;
  /** Set when the shipped file does not validate. */
  error?: string;
  /** Total length of one pass through the phases, in seconds (when valid). */
  seconds?: number;
  cores?: number;
  vms?: number;
}

/** The shipped scenarios with their descriptions (invalid ones carry `error`). */
export function listScenarios(): ScenarioListing[] {
  const dir = scenariosDir();
  return scenarioNames().map((name) => {
    const file = join(dir, `${name}.json`);
    try {
      const s = loadScenario(file);
      return {
        name,
        description: s.description ?? '',
        file,
        seconds: scenarioSeconds(s),
        cores: s.host.cores,
        vms: s.vms.reduce((a, g) => a + g.count, 0),
      };
    } catch (e) {
      return { name, description: '', file, error: (e as Error).message };
    }
  });
}

/** Length of one pass through a scenario's phases, in seconds. */
export function scenarioSeconds(s: Scenario): number {
  return s.phases.reduce((a, p) => a + p.seconds, 0);
}

// ---------------------------------------------------------------- loading

/**
 * Load a scenario by shipped name (`default` → resources/scenarios/default.json)
 * or by path (anything with a slash or ending in `.json`). Throws ScenarioError.
 */
export function loadScenario(nameOrPath: string): Scenario {
  let file: string;
  if (isScenarioPath(nameOrPath)) {
    file = resolve(nameOrPath);
  } else {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(nameOrPath)) {
      throw new ScenarioError(nameOrPath, { expected: 'expected a scenario name (letters, digits, _ . -) or a path to a .json file' });
    }
    file = join(scenariosDir(), `${nameOrPath}.json`);
    if (!existsSync(file)) {
      const names = scenarioNames();
      const hint = suggest(nameOrPath, names);
      throw new ScenarioError(nameOrPath, {
        expected: `unknown scenario${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${names.join(', ') || '(none found in ' + scenariosDir() + ')'}, or a path to a .json file`,
      });
    }
  }
  const label = displayPath(file);
  let text: string;
  try {
    text = readSmallFile(file, 4 * 1024 * 1024, 'a scenario file');
  } catch (e) {
    throw new ScenarioError(label, { expected: `cannot read scenario file: ${(e as Error).message}` });
  }
  return parseScenario(text, label);
}

/**
 * Parse and validate a scenario from JSON text. `fileLabel` names the source
 * in errors and gives the default `name` (its base name without `.json`).
 */
export function parseScenario(json: string, fileLabel: string): Scenario {
  let value: unknown;
  try {
    value = parseJsonText(json);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw new ScenarioError(fileLabel, { expected: `invalid JSON: ${e.detail}`, line: e.line, column: e.column });
  }
  return validateScenario(value, fileLabel);
}

/** Validate an already-parsed value as a scenario (schema + cross-field rules). Throws ScenarioError. */
export function validateScenario(value: unknown, fileLabel: string): Scenario {
  const validate = getValidator();
  // Schema and cross-field problems in one report: the cross-field rules read any JSON value
  // (they skip what the schema already refuses), so a file needs one round of fixes, not two.
  const schemaIssues = validate(value) ? [] : dedupe((validate.errors ?? []).map(describeAjvError));
  const issues = [...schemaIssues, ...crossFieldIssues(value), ...costIssues(value)];
  if (issues.length > 0) throw new ScenarioError(fileLabel, { path: issues[0].path, expected: issues[0].message, issues });
  const s = value as Scenario;
  // Final guard: the model's own checks (limits that depend on resolved defaults, e.g. flows × depth).
  try {
    checkScenario(s);
  } catch (e) {
    const { path, message } = modelErrorToIssue((e as Error).message);
    throw new ScenarioError(fileLabel, { path, expected: message });
  }
  if (s.name === undefined) s.name = basename(fileLabel).replace(/\.json$/i, '') || 'scenario';
  return s;
}

/** A JSON object (not null, not an array). */
function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `host.costs`: names the model knows, with the right type (number ≥ 0 or boolean). Reads any JSON value. */
function costIssues(doc: unknown): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const costs = isObject(doc) && isObject(doc.host) && isObject(doc.host.costs) ? doc.host.costs : {};
  const known = Object.keys(COST_DEFAULTS);
  for (const [name, value] of Object.entries(costs)) {
    const path = `/host/costs/${pointerEscape(name)}`;
    if (!Object.hasOwn(COST_DEFAULTS, name)) {
      const hint = suggest(name, known);
      issues.push({ path, message: `unknown cost parameter "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${known.join(', ')}` });
      continue;
    }
    const def = (COST_DEFAULTS as unknown as Record<string, unknown>)[name];
    const unit = (COST_UNITS as unknown as Record<string, string>)[name];
    if (typeof def === 'boolean') {
      if (typeof value !== 'boolean') issues.push({ path, message: `expected true or false, got ${describeValue(value)}` });
    } else if (typeof value !== 'number' || !(value >= 0)) {
      issues.push({ path, message: `expected a number ≥ 0 (${unit}), got ${describeValue(value)}` });
    }
  }
  return issues;
}

/** "scenario vms[0].workload: msg" / "host.costs.x: msg" → JSON Pointer + message. */
function modelErrorToIssue(msg: string): ScenarioIssue {
  const m = /^(?:scenario )?([A-Za-z0-9_$.[\]-]*): ([\s\S]*)$/.exec(msg);
  if (!m) return { path: '', message: msg };
  const path = m[1] ? '/' + m[1].replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean).map(pointerEscape).join('/') : '';
  return { path, message: m[2] };
}

/**
 * The rules the schema cannot express. Reads any JSON value: a part of the wrong type (the
 * schema's to report) is skipped, so these run on a schema-invalid document too.
 */
function crossFieldIssues(doc: unknown): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  if (!isObject(doc)) return issues;
  const seen = new Map<string, number>();
  // Phase loads are checked against the group names only when every group has a string name
  // (else a group the schema refuses would make each load naming it "unknown" too).
  let allNamed = Array.isArray(doc.vms);
  (Array.isArray(doc.vms) ? (doc.vms as unknown[]) : []).forEach((g, i) => {
    if (!isObject(g)) return void (allNamed = false);
    if (typeof g.name !== 'string') allNamed = false;
    else {
      const prev = seen.get(g.name);
      if (prev !== undefined) issues.push({ path: `/vms/${i}/name`, message: `duplicate group name "${g.name}" (already used by /vms/${prev}/name); expected unique names` });
      else seen.set(g.name, i);
    }
    const kind = isObject(g.workload) ? g.workload.kind : undefined;
    const need = typeof kind === 'string' && NET_KINDS.has(kind as WorkloadKind) ? 'net' : kind === 'blk' ? 'blk' : null;
    if (!need || !Array.isArray(g.devices)) return;
    const kinds = (g.devices as unknown[]).map((d) => (isObject(d) ? d.kind : undefined));
    if (!kinds.includes(need)) {
      const named = [...new Set(kinds.filter((k): k is string => typeof k === 'string'))];
      const have = kinds.length === 0 ? 'no devices' : named.length ? `devices of kind ${named.join(', ')}` : 'no device of a known kind';
      issues.push({ path: `/vms/${i}/devices`, message: `workload "${String(kind)}" needs at least one "${need}" device; got ${have}` });
    }
  });
  if (!allNamed) return issues;
  const names = [...seen.keys()];
  (Array.isArray(doc.phases) ? (doc.phases as unknown[]) : []).forEach((p, i) => {
    if (!isObject(p) || !isObject(p.load)) return;
    for (const key of Object.keys(p.load)) {
      if (!seen.has(key)) {
        const hint = suggest(key, names);
        issues.push({
          path: `/phases/${i}/load/${pointerEscape(key)}`,
          message: `unknown group "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${names.join(', ')}`,
        });
      }
    }
  });
  return issues;
}

// ---------------------------------------------------------------- messages

function pointerEscape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  return String(v);
}

function typeName(t: string): string {
  switch (t) {
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    default:
      return t;
  }
}

function describeAjvError(e: ErrorObject): ScenarioIssue {
  const path = e.instancePath;
  const got = describeValue(e.data);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const hint = typeof e.data === 'string' ? suggest(e.data, allowed) : undefined;
      return { path, message: `expected one of ${allowed.join(', ')}, got ${got}${hint ? ` (did you mean "${hint}"?)` : ''}` };
    }
    case 'type': {
      const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
      return { path, message: `expected ${types.map(typeName).join(' or ')}, got ${got}` };
    }
    case 'required':
      return { path, message: `missing required property "${String(p.missingProperty)}"` };
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const known = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object).filter((k) => k !== '$schema');
      const hint = suggest(extra, known);
      return {
        path: `${path}/${pointerEscape(extra)}`,
        message: `unknown property "${extra}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${known.join(', ')}`,
      };
    }
    case 'minimum':
      return { path, message: `expected a number ≥ ${String(p.limit)}, got ${got}` };
    case 'maximum':
      return { path, message: `expected a number ≤ ${String(p.limit)}, got ${got}` };
    case 'exclusiveMinimum':
      return { path, message: `expected a number > ${String(p.limit)}, got ${got}` };
    case 'exclusiveMaximum':
      return { path, message: `expected a number < ${String(p.limit)}, got ${got}` };
    case 'minItems':
      return { path, message: `expected at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}, got ${Array.isArray(e.data) ? e.data.length : got}` };
    case 'minLength':
      return { path, message: `expected a non-empty string, got ${got}` };
    case 'pattern':
      return { path, message: `expected a name of letters, digits, '_', '.' or '-' (starting with a letter or digit), got ${got}` };
    default:
      return { path, message: `${e.message ?? 'invalid'}, got ${got}` };
  }
}

function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  const out: ScenarioIssue[] = [];
  for (const i of issues) {
    const k = i.path + '\u0000' + i.message;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(i);
    }
  }
  return out;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD > 0 && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = [];
  for (let i = 0; i <= m; i++) {
    d.push(new Array<number>(n + 1).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}
