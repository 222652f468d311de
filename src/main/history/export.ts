/**
 * Export of one session: CSV (long or wide; ./export-csv.ts), a JSON bundle, or a standalone
 * SQLite file. Runs in the history worker on the store's connection; writes
 * stream to disk in chunks, so memory stays flat for long sessions (the JSON
 * bundle too: it is written snapshot by snapshot).
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { HistoryDb } from './store.ts';
import { HistoryError, openHistoryDatabase } from './schema.ts';
import { exportCsv } from './export-csv.ts';
import type { ExportOptions, ProgressFn } from './types.ts';

export { csvText } from './export-csv.ts';

/** Format name of JSON bundles. */
export const BUNDLE_FORMAT = 'iocm-session-bundle';
/** Version of the JSON bundle format. */
export const BUNDLE_VERSION = 1;

class FileWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(private fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Create `out` exclusively: an existing file is never opened for writing, so it is never overwritten or removed. */
function createOut(out: string): number {
  try {
    return openSync(out, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new HistoryError('invalid', `${out} exists; nothing was overwritten (choose another --out)`);
    // The path the user chose is unusable (no such folder, no permission): bad input, like an existing file.
    throw new HistoryError('invalid', `cannot create ${out}: ${code ?? (err as Error).message}`);
  }
}

/** Export one session to `opts.out` (which must not exist; a failed or cancelled export leaves no file). Returns the path and the rows written. */
export function exportSession(store: HistoryDb, opts: ExportOptions, progress: ProgressFn = () => {}, aborted: () => boolean = () => false): { path: string; rows: number } {
  const session = store.getSession(opts.sessionId);
  if (opts.format !== 'csv' && opts.format !== 'json' && opts.format !== 'sqlite')
    throw new HistoryError('invalid', `unknown export format '${String(opts.format)}' (csv, json or sqlite)`);
  const key = store.keyOf(opts.sessionId);
  // From here on the file is ours: whatever fails removes it.
  const fd = createOut(opts.out);
  try {
    if (opts.format === 'sqlite') {
      closeSync(fd);
      return exportSqlite(store, key, opts.out, progress);
    }
    const w = new FileWriter(fd);
    let rows = 0;
    try {
      if (opts.format === 'json') rows = exportJson(store, opts.sessionId, key, w, progress, aborted);
      else rows = exportCsv(store, key, session.startedAt, session.info, opts.csvLayout ?? 'long', w, progress, aborted, session.snapshots);
    } finally {
      w.close();
    }
    if (aborted()) throw new HistoryError('invalid', 'export cancelled');
    return { path: opts.out, rows };
  } catch (err) {
    for (const f of [opts.out, `${opts.out}-wal`, `${opts.out}-shm`]) rmSync(f, { force: true });
    throw err;
  }
}

/** The metadata part of a bundle. */
export function bundleSession(store: HistoryDb, id: string): Record<string, unknown> {
  const s = store.getSession(id);
  return {
    id: s.id,
    host: s.host,
    source: s.source,
    scenarioName: s.scenario,
    scenario: s.scenarioJson,
    seed: s.seed,
    policy: s.policy,
    policyConfig: s.policyConfig,
    appVersion: s.appVersion,
    info: s.info,
    intervalMs: s.intervalMs,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    status: s.status,
    error: s.error,
    parentId: s.parentId,
  };
}

function exportJson(store: HistoryDb, id: string, key: number, w: FileWriter, progress: ProgressFn, aborted: () => boolean): number {
  const meta = bundleSession(store, id);
  const events = store.eventsBetween(id, -Infinity, Infinity);
  w.write(`{"format":${JSON.stringify(BUNDLE_FORMAT)},"version":${BUNDLE_VERSION},"session":${JSON.stringify(meta)},"events":${JSON.stringify(events)},"snapshots":[`);
  const total = store.getSession(id).snapshots;
  let n = 0;
  const batch = 500;
  for (let seq = 0; ; ) {
    const rows = store.db.prepare('SELECT seq FROM snapshots WHERE session = ? AND seq >= ? ORDER BY seq LIMIT 1').get(key, seq) as { seq: number } | undefined;
    if (!rows) break;
    const snaps = store.snapshotsBySeq(id, rows.seq, rows.seq + batch);
    for (const s of snaps) w.write((n++ ? ',' : '') + JSON.stringify(s));
    seq = rows.seq + batch;
    progress(n / Math.max(1, total), `${n} snapshots`);
    if (aborted()) break;
  }
  w.write(']}\n');
  return n;
}

const COPY_TABLES: Record<string, [string, string]> = {
  layouts: ['session, id, shape', 'id'],
  snapshots: ['session, seq, t, layout, data', 'rid'],
  events: ['session, t, source, kind, message, data', 'rid'],
  loads: ['session, seq, t, phase, loads', 'seq'],
  series: ['session, idx, name', 'idx'],
  rollups: ['session, series, res, chunk, data', 'rid'],
  rollup_progress: ['session, res, until_bucket', 'res'],
};

/** Copy one session's rows from schema `from` (key `fromKey`) to schema `to` (key `toKey`). */
export function copySessionRows(db: Database.Database, from: string, fromKey: number, to: string, toKey: number): void {
  for (const [table, [cols, order]] of Object.entries(COPY_TABLES)) {
    const sel = cols.replace(/^session/, '? AS session');
    db.prepare(`INSERT INTO ${to}.${table} (${cols}) SELECT ${sel} FROM ${from}.${table} WHERE session = ? ORDER BY ${order}`).run(toKey, fromKey);
  }
}

function exportSqlite(store: HistoryDb, key: number, out: string, progress: ProgressFn): { path: string; rows: number } {
  // Create an empty history file with the current schema, then copy the session's rows into it.
  const fresh = openHistoryDatabase(out);
  fresh.close();
  const db = store.db;
  db.prepare('ATTACH DATABASE ? AS xout').run(out);
  try {
    db.transaction(() => {
      db.prepare('INSERT INTO xout.sessions SELECT * FROM main.sessions WHERE key = ?').run(key);
      copySessionRows(db, 'main', key, 'xout', key);
    })();
  } finally {
    db.prepare('DETACH DATABASE xout').run();
  }
  // Make it one self-contained file (no -wal next to it).
  const f = new Database(out);
  f.pragma('journal_mode = DELETE');
  f.close();
  progress(1, 'done');
  return { path: out, rows: store.getSession(store.db.prepare('SELECT id FROM sessions WHERE key = ?').pluck().get(key) as string).snapshots };
}
