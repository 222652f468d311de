/**
 * A small, strict flag parser for `iocm` subcommands, with one-line errors
 * (UsageError → exit code 2) that name the flag and what was expected:
 * unknown flags (with a suggestion), missing values, non-numeric or
 * out-of-range numbers. Accepts `--flag value` and `--flag=value`.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_PROFILE, OBSERVABILITY_PROFILE_NAMES } from '../../shared/observe.ts';
import { UsageError } from './errors.ts';
import { clip } from './format.ts';

/** How one flag is parsed. */
export interface FlagSpec {
  type: 'string' | 'number' | 'integer' | 'boolean';
  /** Help text (one line). */
  help: string;
  /** Name of the value in help, e.g. "N". */
  value?: string;
  /** Numbers: inclusive minimum. */
  min?: number;
  /** Numbers: exclusive minimum. */
  above?: number;
  /** Numbers: inclusive maximum. */
  max?: number;
  /** Strings: the accepted values (anything else is refused, naming them). */
  choices?: readonly string[];
}

/** `--observe PROFILE`: what the policies see of the host (src/shared/observe.ts). */
export const OBSERVE_FLAG: FlagSpec = {
  type: 'string',
  value: 'PROFILE',
  choices: OBSERVABILITY_PROFILE_NAMES,
  help: `what the policies see: ${OBSERVABILITY_PROFILE_NAMES.join(' | ')} (default: ${DEFAULT_PROFILE}, a stock QEMU/KVM host; full = every counter, for research)`,
};

/** Parsed flags: name (as written, without dashes) → value; `_` holds positionals. */
export interface ParsedFlags {
  values: Record<string, string | number | boolean | undefined>;
  positionals: string[];
  /** --help or -h was given. */
  help: boolean;
}

/**
 * Parse `argv` against `spec` (keys are flag names without `--`).
 * `maxPositionals` (default 0) limits bare arguments.
 */
export function parseFlags(argv: readonly string[], spec: Record<string, FlagSpec>, maxPositionals = 0): ParsedFlags {
  const values: ParsedFlags['values'] = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--?/, '');
    const s = spec[name];
    if (!s) {
      const hint = closest(name, Object.keys(spec));
      throw new UsageError(`unknown option '${clip(eq < 0 ? arg : arg.slice(0, eq))}'${hint ? ` (did you mean '--${hint}'?)` : ''}; expected one of ${Object.keys(spec).map((k) => '--' + k).join(', ')}`);
    }
    if (values[name] !== undefined && s.type !== 'boolean') throw new UsageError(`option '--${name}' given more than once`);
    if (s.type === 'boolean') {
      if (eq >= 0) {
        const v = arg.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`option '--${name}' is a switch: expected no value (or =true/=false), got '${clip(v)}'`);
        values[name] = v === 'true';
      } else values[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`option '--${name}' needs a value${s.value ? ` (${s.value})` : ''}`);
      raw = next;
      i++;
    }
    values[name] = s.type === 'string' ? checkString(name, raw, s) : parseNumber(name, raw, s);
  }
  if (positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${clip(positionals[maxPositionals])}'`);
  }
  return { values, positionals, help };
}

function checkString(name: string, raw: string, s: FlagSpec): string {
  if (raw === '') throw new UsageError(`option '--${name}' needs a non-empty value`);
  if (s.choices && !s.choices.includes(raw)) throw new UsageError(`option '--${name}' must be one of ${s.choices.join(', ')}, got '${clip(raw)}'`);
  return raw;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function parseNumber(name: string, raw: string, s: FlagSpec): number {
  const trimmed = raw.trim();
  const what = s.type === 'integer' ? 'an integer' : 'a number';
  // decimal digits only: '0x10' is 16 to Number(), and '1e3' is no way to write a count
  const range = rangeText(s);
  const expected = `expected ${what}${range ? ` ${range}` : ''}`;
  if (!(s.type === 'integer' ? INTEGER : DECIMAL).test(trimmed)) throw new UsageError(`option '--${name}' ${expected}, got '${clip(raw)}'`);
  const n = Number(trimmed);
  // Well formed but past what a double holds ('1e400' is Infinity to Number()): it is a number,
  // so say what is wrong with it rather than that it is not one.
  if (!Number.isFinite(n)) throw new UsageError(`option '--${name}' ${expected}, got '${clip(raw)}': out of range (not a finite number)`);
  if (s.type === 'integer' && !Number.isSafeInteger(n)) throw new UsageError(`option '--${name}' ${expected}, got '${clip(raw)}': out of range (integers up to ±${Number.MAX_SAFE_INTEGER})`);
  if ((s.min !== undefined && n < s.min) || (s.above !== undefined && n <= s.above) || (s.max !== undefined && n > s.max)) {
    throw new UsageError(`option '--${name}' expected ${what} ${range}, got '${clip(raw)}'`);
  }
  return n;
}

function rangeText(s: FlagSpec): string {
  const parts: string[] = [];
  if (s.min !== undefined) parts.push(`≥ ${s.min}`);
  if (s.above !== undefined) parts.push(`> ${s.above}`);
  if (s.max !== undefined) parts.push(`≤ ${s.max}`);
  return parts.join(' and ');
}

/** Help lines for a spec: `  --name VALUE   help`. */
export function flagHelp(spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([k, s]) => [`--${k}${s.type === 'boolean' ? '' : ' ' + (s.value ?? 'VALUE')}`, s.help]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n');
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = lev(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Optimal-string-alignment distance (edits and adjacent transpositions). */
function lev(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * A comma-separated list flag (`--policies a,b`): items trimmed, empty items dropped. Refuses
 * (UsageError, exit 2) a list with no item and an item given twice, naming the flag, so
 * `--policies iocm,iocm` does not run the same policy twice.
 */
export function listFlag(value: unknown, flag: string, dflt: readonly string[]): string[];
export function listFlag(value: unknown, flag: string): string[] | undefined;
export function listFlag(value: unknown, flag: string, dflt?: readonly string[]): string[] | undefined {
  if (value === undefined) return dflt === undefined ? undefined : [...dflt];
  const items = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${flag}: the list is empty; expected comma-separated names`);
  const seen = new Set<string>();
  for (const x of items) {
    if (seen.has(x)) throw new UsageError(`--${flag}: '${x}' is given twice`);
    seen.add(x);
  }
  return items;
}

/**
 * A file the user named (`--record DB`, `--db FILE`) must go into a folder that exists: the CLI
 * never creates folders for it, so a mistyped path is an error, not a database somewhere
 * unexpected. Throws UsageError `<label>: the folder of <shown> does not exist` (exit 2).
 */
export function requireFolderOf(path: string, label: string, shown: string = path): void {
  if (!existsSync(dirname(resolve(path)))) throw new UsageError(`${label}: the folder of ${shown} does not exist`);
}
