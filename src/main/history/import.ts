/**
 * Import of a JSON bundle or a standalone session file (SQLite) into a
 * history database, with validation: errors name the file, the place and what
 * is wrong. Nothing existing is overwritten: a session whose id is taken gets
 * a new id.
 */
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, type Stats } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { HistoryDb } from './store.ts';
import { HistoryError, openHistoryDatabase, wrapSqliteError } from './schema.ts';
import { BUNDLE_FORMAT, BUNDLE_VERSION } from './export.ts';
import { blobToValues, decodeSnapshot, parseShape, shapeValueCount, topValueIndex, type Shape } from './codec.ts';
import { CHUNK } from './rollup.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent } from '../../shared/policy.ts';
import { isValidSessionId, type ProgressFn, type SessionStatus } from './types.ts';
import type { Scenario } from '../../shared/scenario.ts';
import { checkScenario } from '../model/defaults.ts';
import { hostInfoSchema, hostSnapshotSchema, snapshotConsistencyProblem } from '../../shared/agent-protocol.ts';
import type { HostInfo } from '../../shared/control.ts';
import { fsErrorWords } from '../util/fs.ts';

const { MAX_STRING_LENGTH } = bufferConstants;

const num = z.number();
const latency = z.object({ p50: num, p99: num, p999: num }).passthrough();
const cycles = z.object({ guest: num, exit: num, io: num, emptyPoll: num, ctxSwitch: num, idle: num }).passthrough();

const snapshotSchema = z
  .object({
    seq: z.number().int().nonnegative(),
    t: num,
    intervalMs: z.number().positive(),
    hz: num,
    phase: z.string(),
    cores: z.array(z.object({ id: z.number().int(), role: z.enum(['vm', 'side']), cycles }).passthrough()),
    sideCores: z.array(z.object({ coreId: z.number().int(), queues: z.array(z.number().int()) }).passthrough()),
    queues: z.array(z.object({ id: z.number().int(), vm: z.number().int(), owner: z.number().int().nullable(), polling: z.boolean() }).passthrough()),
    vms: z.array(z.object({ id: z.number().int(), name: z.string(), group: z.string(), latencyUs: latency, load: num }).passthrough()),
    groups: z.array(z.object({ group: z.string(), latencyUs: latency, score: num }).passthrough()),
    totals: z.object({ score: num, sideCores: num, latencyUs: latency, cycles }).passthrough(),
  })
  .passthrough();

/**
 * Longest name (host, scenario, policy, version, ids) and longest free text (an error, an event's
 * message) an imported session may carry: what the console itself records is far shorter (the agent
 * protocol caps names at 200 characters), and one 50 MB name would make every session list of the
 * file too big to send.
 */
const NAME_MAX = 200;
const TEXT_MAX = 65_536;
/** Wall-clock times (unix ms) an imported session may have: from 1970 to the end of JavaScript's Date range. */
const WALL_MAX = 8.64e15;
const name = z.string().max(NAME_MAX);
const wall = z.number().int().min(0).max(WALL_MAX);

const eventSchema = z.object({
  // ms since the session's start, as the live path records them (none before 0).
  t: z.number().min(0),
  source: z.enum(['policy', 'operator', 'agent', 'system']),
  kind: z.enum(['decision', 'override', 'audit', 'connect', 'disconnect', 'error', 'phase', 'notice']),
  message: z.string().max(TEXT_MAX),
  data: z.record(z.string(), z.unknown()).optional(),
});

const sessionSchema = z.object({
  id: z.string().min(1),
  host: name,
  source: z.enum(['model', 'agent']),
  scenarioName: name.optional(),
  scenario: z.record(z.string(), z.unknown()).nullable().optional(),
  seed: z.number().nullable().optional(),
  policy: name.optional(),
  policyConfig: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
  appVersion: name.optional(),
  info: z.record(z.string(), z.unknown()).nullable().optional(),
  intervalMs: z.number().positive().nullable().optional(),
  startedAt: wall,
  endedAt: wall.nullable().optional(),
  status: z.enum(['recording', 'complete', 'interrupted', 'error']).optional(),
  error: z.string().max(TEXT_MAX).nullable().optional(),
  parentId: name.nullable().optional(),
}).refine((x) => x.endedAt === null || x.endedAt === undefined || x.endedAt >= x.startedAt, { message: 'endedAt is before startedAt', path: ['endedAt'] });

const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  session: sessionSchema,
  events: z.array(eventSchema),
  snapshots: z.array(snapshotSchema),
});

function zodMessage(file: string, err: z.ZodError): string {
  const issues = err.issues.slice(0, 5).map((i) => {
    const path = i.path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : `${s}.${String(p)}`), 'bundle');
    return `${path}: ${i.message}`;
  });
  return `${file} is not a valid session bundle: ${issues.join('; ')}${err.issues.length > 5 ? ` (and ${err.issues.length - 5} more)` : ''}`;
}

/** Deepest nesting a bundle may have (a real one is under 10). */
const MAX_DEPTH = 64;

/** Nesting depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

/** Result of an import. */
export interface ImportResult {
  /** Ids of the imported sessions: a new id where the original was taken or is not a valid id (`renamed` says which). */
  sessions: ImportedSession[];
}

/** One imported session. */
export interface ImportedSession {
  id: string;
  originalId: string;
  /** Why `id` differs from `originalId`: another session has that id, or it is not a valid id (VALID_ID_RULE in types.ts). */
  renamed?: 'taken' | 'invalid';
}

/** The largest JSON bundle: it is parsed whole, as one string, which V8 caps (about 512 MiB). */
export const MAX_BUNDLE_BYTES = MAX_STRING_LENGTH;

function fileKind(path: string): 'sqlite' | 'json' {
  let st: Stats;
  let fd: number;
  try {
    st = statSync(path);
    // A FIFO or a device would block or never end: only regular files are read.
    if (!st.isFile()) throw new HistoryError('invalid', `${path} is not a regular file`);
    if (st.size === 0) throw new HistoryError('invalid', `${path} is empty`);
    fd = openSync(path, 'r');
  } catch (err) {
    if (err instanceof HistoryError) throw err;
    // A path the user named that cannot be opened is theirs to fix (exit 2); an unknown error is the system's.
    const words = fsErrorWords(err);
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : words ? 'invalid' : 'io';
    throw new HistoryError(code, `${path}: ${words ?? (err as Error).message}`);
  }
  const buf = Buffer.alloc(16);
  let n: number;
  try {
    n = readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 16 && buf.toString('latin1') === 'SQLite format 3\u0000') return 'sqlite';
  if (st.size > MAX_BUNDLE_BYTES)
    throw new HistoryError(
      'invalid',
      `${path} is ${st.size} bytes: too large for a JSON bundle (at most ${Math.floor(MAX_BUNDLE_BYTES / 2 ** 20)} MiB, as it is parsed whole); export the session in the SQLite format (sessions export --format sqlite) and import that. Nothing was imported`,
    );
  return 'json';
}

/**
 * Import a bundle (.json) or a session file (SQLite) into `store`. Every refusal ends with
 * "nothing was imported": true of all of them (validation comes before any write, and the writes
 * are one transaction), and said once here rather than remembered at each of the many checks.
 */
export function importFile(store: HistoryDb, path: string, progress: ProgressFn = () => {}): ImportResult {
  try {
    return fileKind(path) === 'sqlite' ? importSqlite(store, path, progress) : importBundle(store, path, progress);
  } catch (err) {
    if (err instanceof HistoryError && !/nothing was imported\.?$/i.test(err.message)) throw new HistoryError(err.code, `${err.message}; nothing was imported`);
    throw err;
  }
}

/** The path of the first number in `v` that is not finite, or null (as deep as `v`: a bundle is depth-checked first, a layout's shape walked as deep by shapeValueCount). */
function nonFinite(v: unknown, at: string): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : at;
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = nonFinite(v[i], `${at}[${i}]`);
      if (r) return r;
    }
    return null;
  }
  for (const k of Object.keys(v)) {
    const r = nonFinite((v as Record<string, unknown>)[k], `${at}.${k}`);
    if (r) return r;
  }
  return null;
}

function importBundle(store: HistoryDb, path: string, progress: ProgressFn): ImportResult {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HistoryError('invalid', `${path} is neither an IOcm history/session file nor valid JSON (${(err as Error).message})`);
  }
  const depth = nestingDepth(raw, MAX_DEPTH);
  if (depth > MAX_DEPTH) throw new HistoryError('invalid', `${path} is nested more than ${MAX_DEPTH} levels deep; a session bundle never is. Nothing was imported`);
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) throw new HistoryError('invalid', zodMessage(path, parsed.error));
  const b = raw as { session: z.infer<typeof sessionSchema>; events: HostEvent[]; snapshots: HostSnapshot[] };
  for (let i = 1; i < b.snapshots.length; i++)
    if (b.snapshots[i].seq <= b.snapshots[i - 1].seq) throw new HistoryError('invalid', `${path}: bundle.snapshots[${i}].seq ${b.snapshots[i].seq} is not after the previous one`);
  // Snapshot times are ms since the session's start, in order: what the store's rollups and a
  // SQLite import (validateSession) take, so a bundle imports only what its SQLite export would.
  for (let i = 0; i < b.snapshots.length; i++) {
    const t = b.snapshots[i].t;
    const problem = t < 0 ? beforeStart(t) : i > 0 && t <= b.snapshots[i - 1].t ? notAfter(t, b.snapshots[i - 1].t) : null;
    if (problem) throw new HistoryError('invalid', `${path}: bundle.snapshots[${i}].t: ${problem}; nothing was imported`);
  }
  // Every number finite, unknown members too (JSON holds no NaN, but 1e400 parses as Infinity): what
  // a SQLite import takes of a snapshot's values; in the session (its host description, scenario,
  // config) and the events, stored as JSON, an Infinity would come back as null.
  const inf = nonFinite(raw, 'bundle');
  if (inf) throw new HistoryError('invalid', `${path}: ${inf} is not a finite number`);
  const m = b.session;
  checkRecordedScenario(path, m.id, m.source, m.scenario);
  const info = recordedInfo(m.info ?? null, (problem) => new HistoryError('invalid', `${path}: bundle.session.info: ${problem}; nothing was imported`));
  for (let i = 0; i < b.snapshots.length; i++) {
    const problem = recordedSnapshotProblem(b.snapshots[i], info);
    if (problem) throw new HistoryError('invalid', `${path}: bundle.snapshots[${i}] (seq ${b.snapshots[i].seq}): ${problem}; nothing was imported`);
  }
  let begun: string | null = null;
  let renamed: ImportedSession['renamed'];
  try {
    const id = store.transaction(() => {
      const named = importedId(m.id, (x) => store.db.prepare('SELECT 1 FROM sessions WHERE id = ?').get(x) !== undefined);
      renamed = named.renamed;
      const id = (begun = store.beginSession({
        id: named.id,
        host: m.host,
        source: m.source,
        scenario: (m.scenario as never) ?? null,
        scenarioName: m.scenarioName,
        seed: m.seed ?? null,
        policy: m.policy,
        policyConfig: m.policyConfig,
        appVersion: m.appVersion,
        info: (m.info as never) ?? null,
        intervalMs: m.intervalMs ?? undefined,
        startedAt: m.startedAt,
        parentId: m.parentId && isValidSessionId(m.parentId) ? m.parentId : null,
      }));
      const batch = 500;
      let ev = 0;
      for (let i = 0; i < b.snapshots.length || ev < b.events.length; i += batch) {
        const snaps = b.snapshots.slice(i, i + batch);
        const until = i + batch >= b.snapshots.length ? Infinity : snaps[snaps.length - 1].t;
        const evs: HostEvent[] = [];
        while (ev < b.events.length && b.events[ev].t <= until) evs.push(b.events[ev++]);
        store.append(id, snaps, evs);
        progress(Math.min(1, (i + batch) / Math.max(1, b.snapshots.length)), `${Math.min(i + batch, b.snapshots.length)} snapshots`);
      }
      // Nothing records an imported session: one still recording when exported is interrupted, as in a SQLite import.
      const status = m.status === 'recording' ? 'interrupted' : (m.status ?? 'complete');
      store.endSession(id, m.endedAt ?? m.startedAt, status as SessionStatus, m.error ?? null);
      if (m.endedAt === null || m.endedAt === undefined) store.db.prepare('UPDATE sessions SET ended_at = NULL WHERE id = ?').run(id);
      return id;
    });
    return { sessions: [{ id, originalId: m.id, ...(renamed ? { renamed } : {}) }] };
  } catch (err) {
    if (begun) store.abandonSession(begun);
    throw err;
  }
}

/**
 * A session's recorded host description, checked as the live agent link checks a hello's (null: none
 * recorded); `refuse` makes the error naming the problem.
 */
function recordedInfo(info: unknown, refuse: (problem: string) => Error): HostInfo | null {
  if (info === null || info === undefined) return null;
  const p = hostInfoSchema.safeParse(info);
  if (!p.success) throw refuse(issueText(p.error));
  return info as HostInfo;
}

/** A zod error's first issue, as `path: message`. */
function issueText(err: z.ZodError): string {
  const i = err.issues[0];
  const at = i.path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
  return `${at || 'the value'}: ${i.message}`;
}

/**
 * Why an imported snapshot is not one the console could have recorded (null when it could): what
 * the live agent link refuses (the snapshot schema: whole ids, no negative counter; a snapshot
 * contradicting itself: a queue owned by a core that is not a side core, an id listed twice) and a
 * core count other than the session's host description's (a recorded session holds one host).
 */
function recordedSnapshotProblem(s: unknown, info: HostInfo | null): string | null {
  const p = hostSnapshotSchema.safeParse(s);
  if (!p.success) return issueText(p.error);
  const snap = s as HostSnapshot;
  const c = snapshotConsistencyProblem(snap);
  if (c) return c;
  if (info && snap.cores.length !== info.cores) return `it has ${snap.cores.length} cores, the session's host description ${info.cores} (a recorded session holds one host)`;
  return null;
}

/** Session columns copied on import (a fixed list: never taken from the imported file's schema). */
const SESSION_COLS = [
  'host', 'source', 'scenario_name', 'scenario_json', 'seed', 'policy', 'policy_config', 'app_version', 'info_json', 'interval_ms',
  'started_at', 'ended_at', 'status', 'error', 'snapshot_count', 'event_count', 'decision_count', 't_first', 't_last', 'bytes', 'parent_id',
] as const;

/** Per-session tables copied on import, with their fixed columns (after `session`) and row order. */
const ROW_TABLES: readonly { table: string; cols: readonly string[]; order: string }[] = [
  { table: 'layouts', cols: ['id', 'shape'], order: 'id' },
  { table: 'snapshots', cols: ['seq', 't', 'layout', 'data'], order: 'seq' },
  { table: 'events', cols: ['t', 'source', 'kind', 'message', 'data'], order: 'rid' },
  { table: 'loads', cols: ['seq', 't', 'phase', 'loads'], order: 'seq' },
  { table: 'series', cols: ['idx', 'name'], order: 'idx' },
  { table: 'rollups', cols: ['series', 'res', 'chunk', 'data'], order: 'rid' },
  { table: 'rollup_progress', cols: ['res', 'until_bucket'], order: 'res' },
];

/** The id an imported session gets: its own when valid and free, else a fresh one, and why. */
function importedId(original: string, taken: (id: string) => boolean): { id: string; renamed?: 'taken' | 'invalid' } {
  // An id safe to show and to use in a file name (VALID_ID_RULE); other imported ids are replaced.
  const valid = isValidSessionId(original);
  const base = valid ? original : `imported-${randomBytes(4).toString('hex')}`;
  let id = base;
  while (taken(id)) id = `${base.slice(0, 110)}-${randomBytes(3).toString('hex')}`;
  return id === original ? { id } : { id, renamed: valid ? 'taken' : 'invalid' };
}

/**
 * Refuse a model session whose recorded scenario the model cannot run, with the check what-if
 * runs before a re-run (checkScenario): such a file would import and fail only at what-if.
 * Agent sessions and sessions without a recorded scenario are not re-run from it.
 */
function checkRecordedScenario(path: string, id: string, source: unknown, scenario: unknown): void {
  if (source !== 'model' || scenario === null || scenario === undefined) return;
  try {
    checkScenario(scenario as Scenario);
  } catch (err) {
    throw new HistoryError('invalid', `${path}: session ${JSON.stringify(id.slice(0, 80))}: its recorded scenario cannot be run by the model: ${(err as Error).message}; nothing was imported`);
  }
}

/** Quote an SQL identifier (names read from a file are only ever used quoted, to drop them in our private copy). */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Copy the file (and its -wal, whose transactions belong to it) into a private folder: the
 * source is never opened for writing, never checkpointed, never changed.
 */
function privateCopy(path: string): { dir: string; copy: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iocm-import-'));
  const copy = join(dir, 'session.db');
  try {
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`) && statSync(`${path}-wal`).isFile()) copyFileSync(`${path}-wal`, `${copy}-wal`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new HistoryError('io', `cannot read ${path}: ${(err as Error).message}`);
  }
  return { dir, copy };
}

/**
 * Prepare the private copy: replay its WAL, require real tables where ours are expected, and
 * drop every view and trigger (nothing from the file is ever run: a recursive view cannot hang
 * the import, a trigger cannot fire).
 */
function sanitizeCopy(path: string, copy: string): void {
  let raw: Database.Database;
  try {
    const nativeBinding = process.env.IOCM_SQLITE_NATIVE_BINDING;
    raw = new Database(copy, nativeBinding ? { nativeBinding } : {});
  } catch (err) {
    throw new HistoryError('corrupt', `${path}: cannot open the session file (${(err as Error).message}); nothing was imported`);
  }
  try {
    const objects = raw.prepare("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger')").all() as { type: string; name: string }[];
    for (const t of ['sessions', ...ROW_TABLES.map((r) => r.table)]) {
      const o = objects.find((x) => x.name.toLowerCase() === t);
      if (o && o.type !== 'table') throw new HistoryError('invalid', `${path}: '${t}' is a ${o.type}, not a table; this is not a session file IOcm wrote. Nothing was imported`);
    }
    for (const o of objects) if (o.type === 'trigger') raw.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(o.name)}`);
    for (const o of objects) if (o.type === 'view') raw.exec(`DROP VIEW IF EXISTS ${quoteIdent(o.name)}`);
    raw.pragma('journal_mode = DELETE');
  } catch (err) {
    if (err instanceof HistoryError) throw err;
    throw new HistoryError('invalid', `${path}: not a valid session file (${(err as Error).message}); nothing was imported`);
  } finally {
    raw.close();
  }
}

/** Fail unless `table` has every column we copy. */
function requireColumns(src: Database.Database, path: string, table: string, cols: readonly string[]): void {
  const have = new Set((src.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string }[]).map((c) => c.name));
  const missing = cols.filter((c) => !have.has(c));
  if (missing.length) throw new HistoryError('invalid', `${path}: table '${table}' lacks column(s) ${missing.join(', ')}; nothing was imported`);
}

/** An error reading the imported file, as the user should see it. */
function sourceError(path: string, err: unknown): Error {
  if (err instanceof HistoryError) return err;
  return new HistoryError('corrupt', `${path}: the session file is damaged or not one IOcm wrote (${(err as Error)?.message ?? String(err)}); nothing was imported`);
}

/**
 * Iterate rows of the imported file, turning its read errors into {@link sourceError}s. The
 * statement's iterator is closed however the loop ends (a later row that fails to write or
 * validate, a read error): left open, it keeps its connection busy, so closing it throws and
 * hides the real error (and leaves the private copy behind).
 */
function* guarded<T>(path: string, rows: Iterable<T>): Generator<T> {
  let it: Iterator<T>;
  try {
    it = rows[Symbol.iterator]();
  } catch (err) {
    throw sourceError(path, err);
  }
  let done = false;
  try {
    for (;;) {
      let n: IteratorResult<T>;
      try {
        n = it.next();
      } catch (err) {
        done = true;
        throw sourceError(path, err);
      }
      if (n.done) {
        done = true;
        return;
      }
      yield n.value;
    }
  } finally {
    if (!done) it.return?.();
  }
}

/** A check of one copied value: null when it is fine, else the problem in words. */
type Check = (v: unknown) => string | null;

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : Buffer.isBuffer(v) ? `a blob of ${v.byteLength} bytes` : String(v));
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const textOf =
  (max: number): Check =>
  (v) =>
    typeof v !== 'string' ? `${show(v)} is not text` : v.length > max ? `text of ${v.length} characters, more than the ${max} it may have` : null;
const text = textOf(TEXT_MAX);
const nameText = textOf(NAME_MAX);
const wallMs: Check = (v) => int(0)(v) ?? ((v as number) > WALL_MAX ? `${show(v)} is past the end of the dates a clock can show (${WALL_MAX} ms)` : null);
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? null : `${show(v)} is not one of ${allowed.join(', ')}`;
const int =
  (min = -Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    isInt(v) && v >= min ? null : `${show(v)} is not a whole number${min > -Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ''}`;
const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : `${show(v)} is not a finite number`);
/** Why a snapshot time `t` < 0 is refused, in words. */
const beforeStart = (t: number): string => `${t} is before the session's start (snapshot times are ms since it, ≥ 0)`;
/** Why a snapshot time `t` that does not come after the previous one's is refused, in words. */
const notAfter = (t: number, prev: number): string =>
  t < prev ? `${t} is before the previous snapshot's ${prev}` : `${t} is the previous snapshot's t too (times only go forward, as the live path records them)`;
/** A snapshot time: finite and not before the session's start. */
const sinceStart: Check = (v) => finite(v) ?? ((v as number) < 0 ? beforeStart(v as number) : null);
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : `${show(v)} is not a finite number > 0`);
const nullOr =
  (c: Check): Check =>
  (v) =>
    v === null ? null : c(v);
/** JSON text of an object (whose values pass `each`, when given). */
const jsonObject =
  (each?: (x: unknown) => boolean): Check =>
  (v) => {
    if (typeof v !== 'string') return `${show(v)} is not JSON text`;
    let o: unknown;
    try {
      o = JSON.parse(v);
    } catch (err) {
      return `not valid JSON (${(err as Error).message})`;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'JSON that is not an object';
    if (each && !Object.values(o).every(each)) return 'an object with a value of the wrong type';
    // 1e400 parses as Infinity, which the store would keep as null (its JSON): refused, as a bundle's.
    const inf = nonFinite(o, '$');
    if (inf) return `JSON with a number that is not finite at ${inf}`;
    return null;
  };
const blob =
  (bytes: number): Check =>
  (v) =>
    Buffer.isBuffer(v) && v.byteLength === bytes ? null : `${show(v)}, expected a blob of ${bytes} bytes`;

/** What every copied session column must hold (the SQLite types are not enforced: any value can be in any column). */
const SESSION_CHECKS: Record<(typeof SESSION_COLS)[number], Check> = {
  host: nameText,
  source: oneOf('model', 'agent'),
  scenario_name: nameText,
  scenario_json: nullOr(jsonObject()),
  seed: nullOr(int()),
  policy: nameText,
  policy_config: jsonObject((x) => typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string'),
  app_version: nameText,
  info_json: nullOr(jsonObject()),
  interval_ms: nullOr(positive),
  started_at: wallMs,
  ended_at: nullOr(wallMs),
  status: oneOf('recording', 'complete', 'interrupted', 'error'),
  error: nullOr(text),
  snapshot_count: int(0),
  event_count: int(0),
  decision_count: int(0),
  t_first: nullOr(finite),
  t_last: nullOr(finite),
  bytes: int(0),
  parent_id: nullOr(nameText),
};

/** What the copied columns of each per-session table must hold (layout shapes and snapshot blobs are checked apart, against each other). */
const ROW_CHECKS: Record<string, Record<string, Check>> = {
  layouts: { id: int() },
  snapshots: { seq: int(0), t: sinceStart, layout: int() },
  events: {
    t: sinceStart,
    source: oneOf('policy', 'operator', 'agent', 'system'),
    kind: oneOf('decision', 'override', 'audit', 'connect', 'disconnect', 'error', 'phase', 'notice'),
    message: text,
    data: nullOr(jsonObject()),
  },
  loads: { seq: int(0), t: sinceStart, phase: text, loads: jsonObject((x) => typeof x === 'number' && Number.isFinite(x)) },
  series: { idx: int(0), name: text },
  rollups: { series: int(0), res: int(1), chunk: int(0), data: blob(CHUNK * 20) },
  rollup_progress: { res: int(1), until_bucket: int() },
};

/**
 * Check every value of one session the import copies, before anything is written: types and
 * ranges, JSON columns parsed, blob sizes, snapshot times finite, ≥ 0 and in order, and the session's
 * counts and time span as its rows have them. Throws a HistoryError naming the table, the column,
 * the row and the problem.
 */
function validateSession(src: Database.Database, path: string, s: Record<string, unknown>): void {
  const sid = `session ${JSON.stringify(String(s.id).slice(0, 80))}`;
  const fail = (table: string, col: string, row: string, problem: string): never => {
    throw new HistoryError('invalid', `${path}: ${sid}: table '${table}', ${row}, column '${col}': ${problem}; nothing was imported`);
  };
  for (const c of SESSION_COLS) {
    const problem = SESSION_CHECKS[c](s[c]);
    if (problem) fail('sessions', c, `its row`, problem);
  }
  if (s.ended_at !== null && (s.ended_at as number) < (s.started_at as number)) fail('sessions', 'ended_at', 'its row', `${show(s.ended_at)} is before its started_at ${show(s.started_at)}`);
  for (const r of ROW_TABLES) {
    const checks = Object.entries(ROW_CHECKS[r.table]);
    const read = src.prepare(`SELECT ${checks.map(([c]) => c).join(', ')} FROM ${r.table} WHERE session = ? ORDER BY ${r.order}`).raw();
    let n = 0;
    for (const row of guarded(path, read.iterate(s.key) as Iterable<unknown[]>)) {
      n++;
      checks.forEach(([c, check], i) => {
        const problem = check(row[i]);
        if (problem) fail(r.table, c, `row ${n}`, problem);
      });
    }
  }
  // The session's own counts and span are what readers trust: they must agree with its rows.
  const agg = src
    .prepare(
      `SELECT (SELECT count(*) FROM snapshots WHERE session = @k) AS snaps, (SELECT count(*) FROM events WHERE session = @k) AS events,
        (SELECT count(*) FROM events WHERE session = @k AND kind = 'decision') AS decisions`,
    )
    .get({ k: s.key }) as { snaps: number; events: number; decisions: number };
  if (s.snapshot_count !== agg.snaps) fail('sessions', 'snapshot_count', 'its row', `${show(s.snapshot_count)}, but the file has ${agg.snaps} snapshots of it`);
  if (s.event_count !== agg.events) fail('sessions', 'event_count', 'its row', `${show(s.event_count)}, but the file has ${agg.events} events of it`);
  if (s.decision_count !== agg.decisions) fail('sessions', 'decision_count', 'its row', `${show(s.decision_count)}, but the file has ${agg.decisions} decision events of it`);
  let prev = -Infinity;
  let first: number | null = null;
  let n = 0;
  for (const [seq, t] of guarded(path, src.prepare('SELECT seq, t FROM snapshots WHERE session = ? ORDER BY seq').raw().iterate(s.key) as Iterable<[number, number]>)) {
    n++;
    if (t <= prev) fail('snapshots', 't', `row ${n} (seq ${seq})`, notAfter(t, prev));
    if (first === null) first = t;
    prev = t;
  }
  const last = n ? prev : null;
  if (s.t_first !== first) fail('sessions', 't_first', 'its row', `${show(s.t_first)}, but its first snapshot is at ${String(first)}`);
  if (s.t_last !== last) fail('sessions', 't_last', 'its row', `${show(s.t_last)}, but its last snapshot is at ${String(last)}`);
}

function importSqlite(store: HistoryDb, path: string, progress: ProgressFn): ImportResult {
  try {
    return importSqliteFile(store, path, progress);
  } catch (err) {
    // Errors of the target database were wrapped already; anything else came from the file.
    throw sourceError(path, err);
  }
}

function importSqliteFile(store: HistoryDb, path: string, progress: ProgressFn): ImportResult {
  const { dir, copy } = privateCopy(path);
  let src: Database.Database | null = null;
  try {
    sanitizeCopy(path, copy);
    try {
      src = openHistoryDatabase(copy);
    } catch (err) {
      if (err instanceof HistoryError) throw new HistoryError(err.code, err.message.replaceAll(copy, path));
      throw err;
    }
    const s0 = src;
    // Validation, all before anything is written to the target.
    const integrity = s0.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') throw new HistoryError('corrupt', `${path}: integrity check failed (${String(integrity)}); nothing was imported`);
    requireColumns(s0, path, 'sessions', ['key', 'id', ...SESSION_COLS]);
    for (const r of ROW_TABLES) requireColumns(s0, path, r.table, ['session', ...r.cols]);
    const sessions = s0.prepare(`SELECT key, id, ${SESSION_COLS.join(', ')} FROM sessions ORDER BY key`).all() as Record<string, unknown>[];
    if (sessions.length === 0) throw new HistoryError('invalid', `${path} holds no sessions`);
    for (const s of sessions) {
      if (typeof s.id !== 'string' || typeof s.key !== 'number') throw new HistoryError('invalid', `${path}: a session without a text id`);
      validateSession(s0, path, s);
      if (s.scenario_json !== null) {
        let scenario: unknown;
        try {
          scenario = JSON.parse(String(s.scenario_json));
        } catch (err) {
          throw new HistoryError('invalid', `${path}: session ${JSON.stringify(s.id.slice(0, 80))}: its recorded scenario is not valid JSON (${(err as Error).message}); nothing was imported`);
        }
        checkRecordedScenario(path, s.id, s.source, scenario);
      }
      const info = recordedInfo(s.info_json === null ? null : JSON.parse(String(s.info_json)), (problem) => new HistoryError('invalid', `${path}: session ${JSON.stringify(String(s.id).slice(0, 80))}: column 'info_json': ${problem}; nothing was imported`));
      const shapes = new Map<number, { shape: Shape; count: number; seqAt: number; tAt: number }>();
      const sess = `${path}: session ${JSON.stringify(s.id.slice(0, 80))}`;
      for (const l of s0.prepare('SELECT id, shape FROM layouts WHERE session = ?').all(s.key) as { id: number; shape: string }[]) {
        let shape: unknown;
        try {
          shape = parseShape(l.shape);
        } catch (err) {
          throw new HistoryError('invalid', `${sess} layout ${l.id} is not valid JSON (${(err as Error).message})`);
        }
        // A kept constant ({"$k": n}; the value placeholders are 0) is a number too.
        const inf = nonFinite(shape, '$');
        if (inf) throw new HistoryError('invalid', `${sess} layout ${l.id}: the constant at ${inf.replace(/\.\$k$/, '')} is not a finite number`);
        const seqAt = topValueIndex(shape, 'seq');
        const tAt = topValueIndex(shape, 't');
        if (seqAt < 0 || tAt < 0) throw new HistoryError('invalid', `${sess} layout ${l.id} is not a snapshot's (it has no 'seq' and 't' values)`);
        shapes.set(l.id, { shape, count: shapeValueCount(shape), seqAt, tAt });
      }
      for (const r of s0.prepare('SELECT seq, t, layout, data FROM snapshots WHERE session = ?').iterate(s.key) as Iterable<{ seq: number; t: number; layout: number; data: Buffer }>) {
        const lay = shapes.get(r.layout);
        if (lay === undefined) throw new HistoryError('invalid', `${sess} snapshot ${r.seq} refers to missing layout ${r.layout}`);
        const want = lay.count;
        const v = Buffer.isBuffer(r.data) && r.data.byteLength === want * 8 ? blobToValues(r.data) : null;
        if (v === null || v.length !== want) throw new HistoryError('invalid', `${sess} snapshot ${r.seq} has ${r.data?.byteLength ?? 0} bytes, its layout needs ${want * 8}`);
        // The values, as a bundle's JSON can hold them: finite numbers (a JSON export of a NaN is
        // null, which no import takes), and the snapshot's own seq and t those of its row.
        for (let i = 0; i < v.length; i++) {
          if (!Number.isFinite(v[i])) throw new HistoryError('invalid', `${sess} snapshot ${r.seq}: value ${i} of its data is ${String(v[i])}, not a finite number`);
        }
        if (v[lay.seqAt] !== r.seq || v[lay.tAt] !== r.t) throw new HistoryError('invalid', `${sess} snapshot ${r.seq}: its data says seq ${v[lay.seqAt]} and t ${v[lay.tAt]}, its row seq ${r.seq} and t ${r.t}`);
        const problem = recordedSnapshotProblem(decodeSnapshot(lay.shape, v), info);
        if (problem) throw new HistoryError('invalid', `${sess} snapshot ${r.seq}: ${problem}`);
      }
    }
    // Copy row values through fixed column lists, all in one transaction: a failure leaves the target as it was.
    const db = store.db;
    const out: ImportResult = { sessions: [] };
    const taken = db.prepare('SELECT 1 FROM sessions WHERE id = ?');
    const insSession = db.prepare(`INSERT INTO sessions (id, ${SESSION_COLS.join(', ')}) VALUES (?, ${SESSION_COLS.map(() => '?').join(', ')})`);
    const copies = ROW_TABLES.map((r) => ({
      read: s0.prepare(`SELECT ${r.cols.join(', ')} FROM ${r.table} WHERE session = ? ORDER BY ${r.order}`).raw(),
      write: db.prepare(`INSERT INTO ${r.table} (session, ${r.cols.join(', ')}) VALUES (?, ${r.cols.map(() => '?').join(', ')})`),
    }));
    try {
      store.transaction(() => {
        sessions.forEach((s, i) => {
          const original = s.id as string;
          const { id, renamed } = importedId(original, (x) => taken.get(x) !== undefined);
          const parent = typeof s.parent_id === 'string' && isValidSessionId(s.parent_id) ? s.parent_id : null;
          const values = SESSION_COLS.map((c) => (c === 'parent_id' ? parent : c === 'status' && s.status === 'recording' ? 'interrupted' : s[c]));
          const newKey = Number(insSession.run(id, ...(values as unknown[])).lastInsertRowid);
          copies.forEach((c, t) => {
            let n = 0;
            for (const row of guarded(path, c.read.iterate(s.key) as Iterable<unknown[]>)) {
              n++;
              try {
                c.write.run(newKey, ...row);
              } catch (err) {
                // A duplicate key is the file's (it lacks our unique indexes), not the target's.
                if (!String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) throw err;
                throw new HistoryError('invalid', `${path}: session ${JSON.stringify(original.slice(0, 80))}: table '${ROW_TABLES[t].table}', row ${n}: ${(err as Error).message} (a duplicate row); nothing was imported`);
              }
            }
          });
          // Files migrated from v1 have no rollups yet.
          store.ensureRollups(id);
          out.sessions.push({ id, originalId: original, ...(renamed ? { renamed } : {}) });
          progress((i + 1) / sessions.length, `session ${id}`);
        });
      });
    } catch (err) {
      throw wrapSqliteError(store.path, err);
    }
    return out;
  } finally {
    if (src?.open) src.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
