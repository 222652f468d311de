/**
 * Export of one session: CSV (long or wide), a JSON bundle, or a standalone
 * SQLite file. Runs in the history worker on the store's connection; writes
 * stream to disk in chunks, so memory stays flat for long sessions (the JSON
 * bundle too: it is written snapshot by snapshot).
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { HistoryDb } from './store.ts';
import { HistoryError, openHistoryDatabase } from './schema.ts';
import { blobToValues, parseShape, seriesPlan, type SeriesPlan } from './codec.ts';
import type { ExportOptions, ProgressFn } from './types.ts';

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

/** Split a series name into entity and metric ('core.3.io' → ['core.3', 'io'], 'totals.score' → ['totals', 'score']). */
export function splitSeries(name: string): [string, string] {
  const parts = name.split('.');
  if (parts[0] === 'totals') return ['totals', parts.slice(1).join('.')];
  return [parts.slice(0, 2).join('.'), parts.slice(2).join('.')];
}

/**
 * A text cell of a CSV file: names come from recorded or imported sessions, so a cell that a
 * spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a leading
 * apostrophe, and a cell with a comma, quote or line break is quoted (RFC 4180).
 */
export function csvText(s: string): string {
  let v = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  if (/[",\r\n]/.test(v)) v = `"${v.replace(/"/g, '""')}"`;
  return v;
}

function csvNum(v: number): string {
  return Number.isFinite(v) ? String(v) : '';
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
      else rows = exportCsv(store, key, session.startedAt, opts.csvLayout ?? 'long', w, progress, aborted, session.snapshots);
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

function* snapshotRows(store: HistoryDb, key: number): Generator<{ seq: number; t: number; layout: number; data: Buffer }> {
  yield* store.db.prepare('SELECT seq, t, layout, data FROM snapshots WHERE session = ? ORDER BY seq').iterate(key) as Iterable<{
    seq: number;
    t: number;
    layout: number;
    data: Buffer;
  }>;
}

function plansOf(store: HistoryDb, key: number): Map<number, SeriesPlan> {
  const m = new Map<number, SeriesPlan>();
  for (const r of store.db.prepare('SELECT id, shape FROM layouts WHERE session = ?').all(key) as { id: number; shape: string }[]) m.set(r.id, seriesPlan(parseShape(r.shape)));
  return m;
}

function exportCsv(store: HistoryDb, key: number, startedAt: number, layout: 'long' | 'wide', w: FileWriter, progress: ProgressFn, aborted: () => boolean, total: number): number {
  const plans = plansOf(store, key);
  let rows = 0;
  let n = 0;
  if (layout === 'long') {
    const csvNames = new Map<number, string[]>();
    w.write('time,unix_ms,t_ms,series,value\n');
    for (const r of snapshotRows(store, key)) {
      const plan = plans.get(r.layout)!;
      const values = blobToValues(r.data);
      const unix = Math.round(startedAt + r.t);
      const head = `${new Date(unix).toISOString()},${unix},${r.t},`;
      const names = csvNames.get(r.layout) ?? csvNames.set(r.layout, plan.names.map(csvText)).get(r.layout)!;
      for (let i = 0; i < plan.names.length; i++) {
        w.write(`${head}${names[i]},${csvNum(plan.src[i] >= 0 ? values[plan.src[i]] : plan.consts[i])}\n`);
        rows++;
      }
      if (++n % 1000 === 0) {
        progress(n / Math.max(1, total), `${n} snapshots`);
        if (aborted()) return rows;
      }
    }
    return rows;
  }
  // wide: one row per time per entity, one column per metric (union over entities; blank where absent)
  const names = (store.db.prepare('SELECT name FROM series WHERE session = ? ORDER BY idx').all(key) as { name: string }[]).map((r) => r.name);
  const metrics: string[] = [];
  const metricCol = new Map<string, number>();
  for (const nm of names) {
    const [, m] = splitSeries(nm);
    if (!metricCol.has(m)) {
      metricCol.set(m, metrics.length);
      metrics.push(m);
    }
  }
  w.write(`time,unix_ms,t_ms,entity,${metrics.map(csvText).join(',')}\n`);
  const prepared = new Map<number, { entities: string[]; cells: { ent: number; col: number; plan: number }[] }>();
  for (const r of snapshotRows(store, key)) {
    const plan = plans.get(r.layout)!;
    let prep = prepared.get(r.layout);
    if (!prep) {
      const entities: string[] = [];
      const entIdx = new Map<string, number>();
      const cells: { ent: number; col: number; plan: number }[] = [];
      plan.names.forEach((nm, i) => {
        const [e, m] = splitSeries(nm);
        if (!entIdx.has(e)) {
          entIdx.set(e, entities.length);
          entities.push(e);
        }
        cells.push({ ent: entIdx.get(e)!, col: metricCol.get(m)!, plan: i });
      });
      prepared.set(r.layout, (prep = { entities: entities.map(csvText), cells }));
    }
    const values = blobToValues(r.data);
    const grid: string[][] = prep.entities.map(() => new Array<string>(metrics.length).fill(''));
    for (const c of prep.cells) grid[c.ent][c.col] = csvNum(plan.src[c.plan] >= 0 ? values[plan.src[c.plan]] : plan.consts[c.plan]);
    const unix = Math.round(startedAt + r.t);
    const head = `${new Date(unix).toISOString()},${unix},${r.t},`;
    for (let e = 0; e < prep.entities.length; e++) {
      w.write(`${head}${prep.entities[e]},${grid[e].join(',')}\n`);
      rows++;
    }
    if (++n % 1000 === 0) {
      progress(n / Math.max(1, total), `${n} snapshots`);
      if (aborted()) return rows;
    }
  }
  return rows;
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
