/**
 * The history database file: identity checks, pragmas and versioned
 * migrations (PRAGMA user_version). A file is ours when its application_id is
 * {@link APP_ID} and it has a `meta` table saying format=iocm-history; any other
 * non-empty file is refused with a clear error *before* anything is written to
 * it (no pragma that writes, no migration).
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** PRAGMA application_id of an IOcm history file ('IOCM' in ASCII). */
export const APP_ID = 0x494f434d;

/** Error opening or using a history file; the message names the file and what is wrong. */
export class HistoryError extends Error {
  override name = 'HistoryError';
  /** A machine-readable reason. */
  readonly code: 'not-sqlite' | 'foreign' | 'corrupt' | 'too-new' | 'not-found' | 'invalid' | 'io' | 'full';
  /** The request's field that is wrong (a what-if's policy or one of its settings, e.g. 'k'), when one is. */
  readonly field?: string;
  /**
   * What is wrong with `field`, in its own words (the first of the policy's ConfigErrors): without
   * the policy's name or the other errors the message lists, for the console to show under the field.
   */
  readonly fieldMessage?: string;
  constructor(code: HistoryError['code'], message: string, field?: string, fieldMessage?: string) {
    super(message);
    this.code = code;
    if (field !== undefined) this.field = field;
    if (fieldMessage !== undefined) this.fieldMessage = fieldMessage;
  }
}

/** One schema version: SQL and/or a JS step, applied in a transaction. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The migrations, oldest first. Never edit a released entry: add a new one.
 * v1 is the first schema (recording without rollups); v2 adds what-if lineage,
 * the series catalog and the multi-resolution rollups (filled for existing
 * sessions by the store's rollup repair on first open).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'sessions, layouts, snapshots, events, offered loads',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL,
  source TEXT NOT NULL,
  scenario_name TEXT NOT NULL DEFAULT '',
  scenario_json TEXT,
  seed INTEGER,
  policy TEXT NOT NULL DEFAULT '',
  policy_config TEXT NOT NULL DEFAULT '{}',
  app_version TEXT NOT NULL DEFAULT '',
  info_json TEXT,
  interval_ms REAL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  status TEXT NOT NULL,
  error TEXT,
  snapshot_count INTEGER NOT NULL DEFAULT 0,
  event_count INTEGER NOT NULL DEFAULT 0,
  decision_count INTEGER NOT NULL DEFAULT 0,
  t_first REAL,
  t_last REAL,
  bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_started ON sessions(started_at);
CREATE TABLE layouts (session INTEGER NOT NULL, id INTEGER NOT NULL, shape TEXT NOT NULL, PRIMARY KEY (session, id)) WITHOUT ROWID;
CREATE TABLE snapshots (
  rid INTEGER PRIMARY KEY,
  session INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  t REAL NOT NULL,
  layout INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX snapshots_seq ON snapshots(session, seq);
CREATE INDEX snapshots_t ON snapshots(session, t);
CREATE TABLE events (
  rid INTEGER PRIMARY KEY,
  session INTEGER NOT NULL,
  t REAL NOT NULL,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  data TEXT
);
CREATE INDEX events_t ON events(session, t);
CREATE INDEX events_kind ON events(session, kind, t);
CREATE TABLE loads (session INTEGER NOT NULL, seq INTEGER NOT NULL, t REAL NOT NULL, phase TEXT NOT NULL, loads TEXT NOT NULL, PRIMARY KEY (session, seq)) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    description: 'what-if lineage (parent_id), series catalog, multi-resolution rollups',
    sql: `
ALTER TABLE sessions ADD COLUMN parent_id TEXT;
CREATE TABLE series (session INTEGER NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (session, idx)) WITHOUT ROWID;
CREATE UNIQUE INDEX series_name ON series(session, name);
CREATE TABLE rollups (
  rid INTEGER PRIMARY KEY,
  session INTEGER NOT NULL,
  series INTEGER NOT NULL,
  res INTEGER NOT NULL,
  chunk INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX rollups_key ON rollups(session, series, res, chunk);
CREATE TABLE rollup_progress (session INTEGER NOT NULL, res INTEGER NOT NULL, until_bucket INTEGER NOT NULL, PRIMARY KEY (session, res)) WITHOUT ROWID;
`,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** Options for {@link openHistoryDatabase}. */
export interface OpenOptions {
  readonly?: boolean;
  /** Path of a better-sqlite3 native build (Electron ABI); default from env IOCM_SQLITE_NATIVE_BINDING. */
  nativeBinding?: string;
  /** Apply migrations up to this version only (tests of old schemas). */
  targetVersion?: number;
}

function describeSqliteError(path: string, err: unknown): HistoryError {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return new HistoryError('corrupt', `${path}: the database file is corrupt or not a database (${e.message}); nothing was changed`);
  if (code === 'SQLITE_FULL') return new HistoryError('full', `${path}: disk full or file size limit reached (${e.message})`);
  if (code.startsWith('SQLITE_IOERR'))
    return new HistoryError('full', `${path}: cannot write to the database file: disk full, file size limit reached or I/O error (${code}: ${e.message})`);
  if (code.startsWith('SQLITE_CANTOPEN')) return new HistoryError('io', `${path}: cannot open the database file (${e.message})`);
  return new HistoryError('io', `${path}: ${e.message ?? String(err)}`);
}

/** Wrap a better-sqlite3 error in a HistoryError naming the file. */
export function wrapSqliteError(path: string, err: unknown): Error {
  if (err instanceof HistoryError) return err;
  if ((err as { code?: string }).code?.startsWith?.('SQLITE')) return describeSqliteError(path, err);
  return err as Error;
}

/** Check the first bytes of an existing non-empty file. */
function checkHeader(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    if (n < 16 || buf.toString('latin1') !== SQLITE_MAGIC)
      throw new HistoryError('not-sqlite', `${path} is not an IOcm history database (not an SQLite file); nothing was changed`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Open (creating if needed) a history database: refuses foreign, corrupt or
 * too-new files without writing to them; sets WAL + synchronous=NORMAL and
 * migrates an older schema of ours.
 */
export function openHistoryDatabase(path: string, opts: OpenOptions = {}): Database.Database {
  const st = path !== ':memory:' && existsSync(path) ? statSync(path) : null;
  // A directory would reach checkHeader's read as a raw EISDIR (a stack trace, exit 1, in the CLI).
  if (st?.isDirectory()) throw new HistoryError('not-sqlite', `${path} is a directory, not an IOcm history database; nothing was changed`);
  const exists = st !== null && st.size > 0;
  if (opts.readonly && !exists) throw new HistoryError('not-found', `${path}: no such history database`);
  if (exists) checkHeader(path);
  const nativeBinding = opts.nativeBinding ?? process.env.IOCM_SQLITE_NATIVE_BINDING;
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly, ...(nativeBinding ? { nativeBinding } : {}) });
  } catch (err) {
    throw wrapSqliteError(path, err);
  }
  try {
    // One read transaction: the header pragmas and the table list from the same moment
    // (another process may be creating the schema right now).
    const ours = db.transaction(() => identify(db, path))();
    if (opts.readonly) {
      if (!ours) throw new HistoryError('foreign', `${path} is empty, not an IOcm history database`);
      return db;
    }
    setWal(db);
    db.pragma('synchronous = NORMAL');
    // 32 MiB page cache: recording interleaves snapshot blobs with rollup/index pages.
    db.pragma('cache_size = -32768');
    db.pragma('foreign_keys = OFF');
    migrate(db, opts.targetVersion ?? SCHEMA_VERSION, path);
    return db;
  } catch (err) {
    db.close();
    throw wrapSqliteError(path, err);
  }
}

/**
 * Switch to WAL. SQLite answers this pragma's SQLITE_BUSY at once, without the busy handler,
 * when another process holds a lock on the file (seen with four processes creating one file
 * at the same moment), so retry for up to 5 s, as the busy timeout would have waited.
 */
function setWal(db: Database.Database): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 250) throw err;
      Atomics.wait(sleeper, 0, 0, 20);
    }
  }
}

/**
 * Whether the open file is ours (true) or empty (false); throws when it is foreign,
 * damaged or too new. Call it inside a transaction so that its reads agree.
 */
function identify(db: Database.Database, path: string): boolean {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  if (appId !== APP_ID) {
    if (tables.length > 0 || version !== 0)
      throw new HistoryError(
        'foreign',
        `${path} is not an IOcm history database (application_id ${appId}, tables: ${tables.slice(0, 8).join(', ') || 'none'}); nothing was changed`,
      );
    return false;
  }
  if (!tables.includes('meta')) throw new HistoryError('corrupt', `${path}: IOcm history database without its meta table; nothing was changed`);
  const fmt = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined;
  if (fmt?.value !== 'iocm-history') throw new HistoryError('foreign', `${path}: meta table does not say format=iocm-history; nothing was changed`);
  if (version > SCHEMA_VERSION)
    throw new HistoryError('too-new', `${path} has history schema v${version}, newer than this app's v${SCHEMA_VERSION}; update the app`);
  return true;
}

/**
 * Apply pending migrations up to `target`, each in its own write transaction taken before
 * reading the version (BEGIN IMMEDIATE): two processes opening a new file at once then
 * migrate it one after the other, the second finding nothing left to do.
 */
export function migrate(db: Database.Database, target: number = SCHEMA_VERSION, path = db.name): void {
  // Up to date (the usual open): no write lock taken.
  if ((db.pragma('user_version', { simple: true }) as number) >= target) return;
  for (const m of MIGRATIONS) {
    if (m.version > target) break;
    db.transaction(() => {
      identify(db, path);
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
      db.exec(m.sql);
      if (m.version === 1) {
        db.pragma(`application_id = ${APP_ID}`);
        db.prepare("INSERT INTO meta (key, value) VALUES ('format', 'iocm-history')").run();
      }
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
