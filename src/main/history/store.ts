/**
 * HistoryDb: the synchronous history store on one better-sqlite3 connection.
 * It runs inside the history worker (./history-worker.ts); the main thread
 * talks to it through ./client.ts. Tests may use it directly.
 *
 * Storage (see docs/history.md): one row per snapshot (a Float64 blob of its
 * values + the id of its shape in `layouts`), events, run-length offered loads,
 * a series catalog and columnar rollup chunks (./rollup.ts).
 */
import { controlTrails } from './control-trail.ts';
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent } from '../../shared/policy.ts';
import type { HostInfo } from '../../shared/control.ts';
import { SnapshotEncoder, shapeValueCount, parseShape, seriesPlan, decodeSnapshot, blobToValues, valuesToBlob, canonicalSeriesName, type SeriesPlan, type Shape } from './codec.ts';
import { openHistoryDatabase, HistoryError, wrapSqliteError, type OpenOptions } from './schema.ts';
import { CHUNK, RollupBuilder, resolutionsFor, emptyBuckets, addValue, mergeByTime, decodeChunkInto, type Buckets } from './rollup.ts';
import type { HistorySession, SessionStart, SessionStatus, RetentionPolicy, RemovedSession, SeriesData, SeriesRequest, SessionFilter } from './types.ts';
import { appVersion } from './paths.ts';

interface SessionRow {
  key: number;
  id: string;
  host: string;
  source: string;
  scenario_name: string;
  scenario_json: string | null;
  seed: number | null;
  policy: string;
  policy_config: string;
  app_version: string;
  info_json: string | null;
  interval_ms: number | null;
  started_at: number;
  ended_at: number | null;
  status: string;
  error: string | null;
  snapshot_count: number;
  event_count: number;
  decision_count: number;
  t_first: number | null;
  t_last: number | null;
  bytes: number;
  parent_id: string | null;
}

interface LayoutEntry {
  shape: Shape;
  plan: SeriesPlan;
  /** Session series index per plan entry (recording / queries). */
  seriesIdx: Int32Array | null;
  /** Scratch for gathered values. */
  scratch: Float64Array;
  /** Number of values a snapshot of this layout has. */
  count: number;
}

interface RecState {
  key: number;
  id: string;
  /** Encoder of append() (objects); its shape ids are the layout ids. */
  encoder: SnapshotEncoder;
  /** 'objects' (append) or 'encoded' (appendRecorded): a session is fed one way only. */
  mode: 'objects' | 'encoded' | null;
  layouts: Map<number, LayoutEntry>;
  series: Map<string, number>;
  rollup: RollupBuilder | null;
  resolutions: number[];
  intervalMs: number | null;
  lastLoads: string;
  snapshotCount: number;
  eventCount: number;
  decisionCount: number;
  tFirst: number | null;
  tLast: number | null;
  bytes: number;
  lastSeq: number;
}

/** A batch encoded by the caller (see HistoryDb.appendRecorded). */
export interface RecordedBatch {
  /** New layouts: [shape id, shape JSON]. */
  shapes: [number, string][];
  rows: { seq: number; t: number; shape: number; values: Float64Array }[];
  /** Offered-load changes (loads = JSON of group → load). */
  loads: { seq: number; t: number; phase: string; loads: string }[];
  events: HostEvent[];
  /** Snapshot interval (first batch; decides the rollup resolutions). */
  intervalMs?: number;
}

/** A decoded snapshot with its position. */
export interface StoredSnapshot {
  seq: number;
  t: number;
  snapshot: HostSnapshot;
}

/** Options of {@link HistoryDb}. */
export interface HistoryDbOptions extends OpenOptions {
  /** Mark sessions left 'recording' by a dead process as interrupted and complete their rollups. */
  repair?: boolean;
}

/** Session time at which a session's recording begins: its first snapshot's interval start (0 for one recorded from its host's start). */
function recordedOffset(r: SessionRow): number {
  return r.t_first === null ? 0 : Math.max(0, r.t_first - (r.interval_ms ?? 0));
}

function newId(startedAt: number): string {
  const d = new Date(startedAt);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${randomBytes(3).toString('hex')}`;
}

/** Series values of one snapshot into `out` (plan order): a value or the plan's constant. */
function gather(src: Int32Array, consts: Float64Array, values: Float64Array, out: Float64Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const j = src[i];
    out[i] = j >= 0 ? values[j] : consts[i];
  }
}

/** Per-group offered load of a snapshot: group → load of its first VM. */
export function offeredLoads(s: HostSnapshot): Record<string, number> {
  const loads: Record<string, number> = {};
  if (Array.isArray(s.vms)) for (const v of s.vms) if (!(v.group in loads)) loads[v.group] = v.load;
  return loads;
}

/** meta key marking the process that records a session (`recording:<session key>` → `{pid, host}`). */
const OWNER_PREFIX = 'recording:';

/** This process's owner marker. */
function ownerMarker(): string {
  return JSON.stringify({ pid: process.pid, host: hostname() });
}

/** The pid of the process that wrote an owner marker when it still runs (same machine, pid alive), else null. */
function liveOwnerPid(value: string | undefined): number | null {
  if (!value) return null;
  let pid: number;
  try {
    const o = JSON.parse(value) as { pid?: unknown; host?: unknown };
    if (typeof o.pid !== 'number' || o.host !== hostname()) return null;
    pid = o.pid;
  } catch {
    return null;
  }
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** True when the process that wrote an owner marker still runs (same machine, pid alive). */
function ownerAlive(value: string | undefined): boolean {
  return liveOwnerPid(value) !== null;
}

/** Snapshots read per page when a session is scanned while writing on the same connection. */
const SCAN_PAGE = 256;

/**
 * A series query returns at most this many buckets per point asked for (the largest ratio between
 * adjacent rollup resolutions, so only the coarsest one is ever capped).
 */
const MAX_BUCKETS_PER_POINT = 10;

/** Parse a JSON column of a stored row; a corrupt one is a HistoryError naming the database, the session and the column. */
function storedJson(path: string, sessionId: string, column: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HistoryError('corrupt', `${path}: session '${sessionId}': its ${column} is not valid JSON (${(err as Error).message}); the database is damaged`);
  }
}

/** The synchronous history store. */
export class HistoryDb {
  readonly db: Database.Database;
  readonly path: string;
  private rec = new Map<number, RecState>();
  private layoutCache = new Map<number, Map<number, LayoutEntry>>();
  private stmts: Record<string, Database.Statement>;

  constructor(path: string, opts: HistoryDbOptions = {}) {
    this.path = path;
    this.db = openHistoryDatabase(path, opts);
    const p = (sql: string): Database.Statement => this.db.prepare(sql);
    this.stmts = {
      insSnap: p('INSERT INTO snapshots (session, seq, t, layout, data) VALUES (?, ?, ?, ?, ?)'),
      insEvent: p('INSERT INTO events (session, t, source, kind, message, data) VALUES (?, ?, ?, ?, ?, ?)'),
      insLayout: p('INSERT INTO layouts (session, id, shape) VALUES (?, ?, ?)'),
      insSeries: p('INSERT INTO series (session, idx, name) VALUES (?, ?, ?)'),
      insLoads: p('INSERT OR REPLACE INTO loads (session, seq, t, phase, loads) VALUES (?, ?, ?, ?, ?)'),
      insChunk: p('INSERT OR REPLACE INTO rollups (session, series, res, chunk, data) VALUES (?, ?, ?, ?, ?)'),
      setProgress: p('INSERT OR REPLACE INTO rollup_progress (session, res, until_bucket) VALUES (?, ?, ?)'),
      updCounts: p(
        'UPDATE sessions SET snapshot_count = ?, event_count = ?, decision_count = ?, t_first = ?, t_last = ?, bytes = ?, interval_ms = coalesce(interval_ms, ?) WHERE key = ?',
      ),
      byId: p('SELECT * FROM sessions WHERE id = ?'),
      stillRecorded: p("UPDATE sessions SET status = status WHERE key = ? AND id = ? AND status = 'recording'"),
      layout: p('SELECT shape FROM layouts WHERE session = ? AND id = ?'),
    };
    if (opts.repair && !opts.readonly) this.repair();
    else if (!opts.readonly) this.completeMissingRollups();
  }

  /** Build rollups of finished sessions that have none (files migrated from schema v1). */
  completeMissingRollups(): void {
    const missing = this.db
      .prepare("SELECT key FROM sessions WHERE snapshot_count > 0 AND status != 'recording' AND key NOT IN (SELECT session FROM rollup_progress)")
      .all() as { key: number }[];
    for (const m of missing) if (!this.rec.has(m.key)) this.rebuildRollups(m.key);
  }

  // -------------------------------------------------------------------------
  // sessions

  private row(id: string): SessionRow {
    const r = this.stmts.byId.get(id) as SessionRow | undefined;
    if (!r) throw new HistoryError('not-found', `no session '${id}' in ${this.path}`);
    return r;
  }

  private toSession(r: SessionRow): HistorySession {
    const scenario = r.scenario_json ? (storedJson(this.path, r.id, 'scenario_json', r.scenario_json) as HistorySession['scenarioJson']) : null;
    return {
      id: r.id,
      host: r.host,
      source: r.source === 'agent' ? 'agent' : 'model',
      scenario: r.scenario_name,
      policy: r.policy,
      startedAt: r.started_at,
      recordedFrom: r.started_at + recordedOffset(r),
      endedAt: r.ended_at,
      durationMs: r.t_last === null ? 0 : Math.max(0, r.t_last - recordedOffset(r)),
      snapshots: r.snapshot_count,
      decisions: r.decision_count,
      parentId: r.parent_id,
      policyConfig: storedJson(this.path, r.id, 'policy_config', r.policy_config) as HistorySession['policyConfig'],
      info: r.info_json ? (storedJson(this.path, r.id, 'info_json', r.info_json) as HistorySession['info']) : null,
      appVersion: r.app_version,
      t0: r.t_first ?? 0,
      t1: r.t_last ?? 0,
      scenarioJson: scenario,
      seed: r.seed,
      status: r.status as SessionStatus,
      error: r.error,
      intervalMs: r.interval_ms,
      bytes: r.bytes,
      events: r.event_count,
    };
  }

  /** Sessions, newest first. */
  listSessions(filter: SessionFilter = {}): HistorySession[] {
    const rows = this.db.prepare('SELECT * FROM sessions ORDER BY key DESC').all() as SessionRow[];
    // Newest recording first: by when its recorded time begins (recordedFrom), which for a recording
    // started on a running host is later than the session's t = 0; ties newest-made first (the
    // sort is stable).
    let out = rows.map((r) => this.toSession(r)).sort((a, b) => b.recordedFrom - a.recordedFrom);
    if (filter.search) {
      const s = filter.search.toLowerCase();
      // The policies a session ran after its first count too (its control trail, as the list labels it):
      // read only for the sessions the cheap fields do not match.
      const hit = (x: HistorySession): boolean => [x.id, x.host, x.scenario, x.policy].some((f) => f.toLowerCase().includes(s));
      const trails = controlTrails(this, out.filter((x) => !hit(x)).map((x) => x.id));
      out = out.filter((x) => hit(x) || trails[x.id]?.policies.some((p) => p.toLowerCase().includes(s)));
    }
    const off = filter.offset ?? 0;
    return out.slice(off, filter.limit === undefined ? undefined : off + filter.limit);
  }

  /** One session's metadata. */
  getSession(id: string): HistorySession {
    return this.toSession(this.row(id));
  }

  /** Start recording a session; returns its id. */
  beginSession(meta: SessionStart): string {
    let id = meta.id ?? newId(meta.startedAt);
    while (this.stmts.byId.get(id)) id = newId(meta.startedAt);
    const res = this.db
      .prepare(
        `INSERT INTO sessions (id, host, source, scenario_name, scenario_json, seed, policy, policy_config, app_version, info_json, interval_ms, started_at, status, parent_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'recording', ?)`,
      )
      .run(
        id,
        meta.host,
        meta.source,
        meta.scenario?.name ?? meta.scenarioName ?? '',
        meta.scenario ? JSON.stringify(meta.scenario) : null,
        meta.seed ?? null,
        meta.policy ?? '',
        JSON.stringify(meta.policyConfig ?? {}),
        meta.appVersion ?? appVersion(),
        meta.info ? JSON.stringify(meta.info) : null,
        meta.intervalMs ?? meta.info?.intervalMs ?? null,
        meta.startedAt,
        meta.parentId ?? null,
      );
    const key = Number(res.lastInsertRowid);
    // Mark this process as the session's recorder, so another process opening the file does not
    // take the live session for one left behind by a crash.
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(`${OWNER_PREFIX}${key}`, ownerMarker());
    this.rec.set(key, this.newRecState(key, id, meta.intervalMs ?? meta.info?.intervalMs ?? null));
    return id;
  }

  private newRecState(key: number, id: string, intervalMs: number | null): RecState {
    const st: RecState = {
      key,
      id,
      encoder: new SnapshotEncoder(),
      mode: null,
      layouts: new Map(),
      series: new Map(),
      rollup: null,
      resolutions: [],
      intervalMs,
      lastLoads: '',
      snapshotCount: 0,
      eventCount: 0,
      decisionCount: 0,
      tFirst: null,
      tLast: null,
      bytes: 0,
      lastSeq: -1,
    };
    if (intervalMs !== null) this.startRollup(st, intervalMs);
    return st;
  }

  private startRollup(st: RecState, intervalMs: number): void {
    st.intervalMs = intervalMs;
    st.resolutions = resolutionsFor(intervalMs);
    const key = st.key;
    st.rollup = new RollupBuilder(st.resolutions, {
      chunk: (series, res, chunk, blob) => {
        this.stmts.insChunk.run(key, series, res, chunk, blob);
        st.bytes += blob.byteLength;
      },
      progress: (res, until) => void this.stmts.setProgress.run(key, res, until),
    });
  }

  private recState(id: string): RecState {
    for (const st of this.rec.values()) if (st.id === id) return st;
    throw new HistoryError('invalid', `session '${id}' is not being recorded here`);
  }

  /** Ids of the sessions this store is recording. */
  recordingIds(): string[] {
    return [...this.rec.values()].map((s) => s.id);
  }

  /** Store a new layout (shape) of a recording session under `id` and map its series. */
  private registerLayout(st: RecState, id: number, shapeText: string): void {
    if (st.layouts.has(id)) throw new HistoryError('invalid', `layout ${id} of session ${st.id} declared twice`);
    this.stmts.insLayout.run(st.key, id, shapeText);
    st.bytes += shapeText.length;
    st.layouts.set(id, this.mapLayout(st, shapeText));
  }

  /** Parse a layout and map its series to session series indexes, adding new names to the catalog. */
  private mapLayout(st: RecState, shapeText: string): LayoutEntry {
    const shape = parseShape(shapeText);
    const plan = seriesPlan(shape);
    const idx = new Int32Array(plan.names.length);
    for (let i = 0; i < plan.names.length; i++) {
      let k = st.series.get(plan.names[i]);
      if (k === undefined) {
        k = st.series.size;
        st.series.set(plan.names[i], k);
        this.stmts.insSeries.run(st.key, k, plan.names[i]);
      }
      idx[i] = k;
    }
    return { shape, plan, seriesIdx: idx, scratch: new Float64Array(plan.names.length), count: shapeValueCount(shape) };
  }

  private useMode(st: RecState, mode: 'objects' | 'encoded'): void {
    if (st.mode !== null && st.mode !== mode) throw new HistoryError('invalid', `session ${st.id} is fed ${st.mode}; cannot mix with ${mode}`);
    st.mode = mode;
  }

  private appendOne(st: RecState, s: HostSnapshot): void {
    if (st.rollup === null) this.startRollup(st, s.intervalMs > 0 ? s.intervalMs : 100);
    const r = st.encoder.encode(s);
    if (r.newShape !== null) this.registerLayout(st, r.shape, r.newShape);
    this.appendValues(st, s.seq, s.t, r.shape, r.values);
    const loads = JSON.stringify(offeredLoads(s));
    const lk = `${s.phase}\u0000${loads}`;
    if (lk !== st.lastLoads) {
      this.stmts.insLoads.run(st.key, s.seq, s.t, s.phase ?? '', loads);
      st.lastLoads = lk;
    }
  }

  /** Store one encoded snapshot and feed its series to the rollups. */
  private appendValues(st: RecState, seq: number, t: number, layoutId: number, values: Float64Array): void {
    const entry = st.layouts.get(layoutId);
    if (!entry) throw new HistoryError('invalid', `snapshot ${seq} of session ${st.id} refers to undeclared layout ${layoutId}`);
    if (values.length !== entry.count)
      throw new HistoryError('invalid', `snapshot ${seq} of session ${st.id} has ${values.length} values; layout ${layoutId} has ${entry.count}`);
    const blob = valuesToBlob(values);
    this.stmts.insSnap.run(st.key, seq, t, layoutId, blob);
    gather(entry.plan.src, entry.plan.consts, values, entry.scratch);
    st.rollup!.add(t, entry.seriesIdx!, entry.scratch, entry.scratch.length, st.series.size);
    st.lastSeq = seq;
    st.snapshotCount++;
    if (st.tFirst === null) st.tFirst = t;
    st.tLast = t;
    st.bytes += blob.byteLength + 32;
  }

  /**
   * Append a batch encoded by the caller (the main-thread Recorder, or the
   * bench): new layouts (shape id → JSON text, ids in order from 0), encoded
   * snapshots, offered-load changes and events, in one transaction.
   */
  appendRecorded(id: string, batch: RecordedBatch): void {
    const st = this.recState(id);
    let seq = st.lastSeq;
    for (const r of batch.rows) {
      if (typeof r.seq !== 'number' || typeof r.t !== 'number' || !Number.isFinite(r.t)) throw new HistoryError('invalid', 'snapshot without numeric seq and t');
      if (r.seq <= seq) throw new HistoryError('invalid', `snapshot seq ${r.seq} after seq ${seq}: out of order or duplicate`);
      seq = r.seq;
    }
    try {
      this.db.transaction(() => {
        this.checkStillRecorded(st);
        this.useMode(st, 'encoded');
        if (st.rollup === null) this.startRollup(st, batch.intervalMs ?? 100);
        for (const [lid, text] of batch.shapes) this.registerLayout(st, lid, text);
        for (const r of batch.rows) this.appendValues(st, r.seq, r.t, r.shape, r.values);
        for (const l of batch.loads) this.stmts.insLoads.run(st.key, l.seq, l.t, l.phase, l.loads);
        this.insertEvents(st, batch.events);
        this.stmts.updCounts.run(st.snapshotCount, st.eventCount, st.decisionCount, st.tFirst, st.tLast, st.bytes, st.intervalMs, st.key);
      })();
    } catch (err) {
      throw wrapSqliteError(this.path, err);
    }
  }

  /**
   * First statement of a batch's transaction: the session's row must still be there, as this
   * recording. Another process (an older version, or SQL by hand) may have deleted it; writing on
   * would leave rows of a session nothing lists or removes. A write (a no-op UPDATE), so it takes
   * the write lock: nothing can delete the row between this check and the batch's commit.
   */
  private checkStillRecorded(st: RecState): void {
    const found = this.stmts.stillRecorded.run(st.key, st.id).changes;
    if (found === 0) throw new HistoryError('not-found', `${this.path}: session '${st.id}' was deleted (or ended) by another process while this one was recording it`);
  }

  private insertEvents(st: RecState, events: readonly HostEvent[]): void {
    for (const e of events) {
      const data = e.data === undefined ? null : JSON.stringify(e.data);
      this.stmts.insEvent.run(st.key, e.t, e.source, e.kind, e.message, data);
      st.eventCount++;
      if (e.kind === 'decision') st.decisionCount++;
      st.bytes += 48 + e.message.length + (data?.length ?? 0);
    }
  }

  /** Append snapshots and events of a recording session in one transaction. */
  append(id: string, snapshots: readonly HostSnapshot[], events: readonly HostEvent[]): void {
    const st = this.recState(id);
    let seq = st.lastSeq;
    for (const s of snapshots) {
      if (typeof s?.seq !== 'number' || typeof s.t !== 'number' || !Number.isFinite(s.t)) throw new HistoryError('invalid', 'snapshot without numeric seq and t');
      if (s.seq <= seq) throw new HistoryError('invalid', `snapshot seq ${s.seq} after seq ${seq}: out of order or duplicate`);
      seq = s.seq;
    }
    try {
      this.db.transaction(() => {
        this.checkStillRecorded(st);
        if (snapshots.length) this.useMode(st, 'objects');
        for (const s of snapshots) this.appendOne(st, s);
        this.insertEvents(st, events);
        this.stmts.updCounts.run(st.snapshotCount, st.eventCount, st.decisionCount, st.tFirst, st.tLast, st.bytes, st.intervalMs, st.key);
      })();
    } catch (err) {
      throw wrapSqliteError(this.path, err);
    }
  }

  /** End a recording session: store the last rollup chunks and the end time. */
  endSession(id: string, endedAt: number, status: SessionStatus = 'complete', error: string | null = null, info?: HostInfo | null): void {
    const st = this.recState(id);
    this.rec.delete(st.key);
    try {
      this.db.transaction(() => {
        // Its row deleted meanwhile: the last rollup chunks would be rows of no session.
        this.checkStillRecorded(st);
        st.rollup?.finish();
        this.stmts.updCounts.run(st.snapshotCount, st.eventCount, st.decisionCount, st.tFirst, st.tLast, st.bytes, st.intervalMs, st.key);
        this.db.prepare('UPDATE sessions SET ended_at = ?, status = ?, error = ? WHERE key = ?').run(endedAt, status, error, st.key);
        if (info) this.db.prepare('UPDATE sessions SET info_json = ? WHERE key = ?').run(JSON.stringify(info), st.key);
        this.dropOwnMarker(st.key);
      })();
    } catch (err) {
      if (err instanceof HistoryError && err.code === 'not-found') this.dropOwnMarker(st.key);
      throw err;
    }
  }

  /** Remove this process's owner marker of session `key` (not one another process wrote since: a deleted session's key may be reused). */
  private dropOwnMarker(key: number): void {
    this.db.prepare('DELETE FROM meta WHERE key = ? AND value = ?').run(`${OWNER_PREFIX}${key}`, ownerMarker());
  }

  /** Stop recording a session after a failure, keeping what was stored; best effort (the disk may be full). */
  failSession(id: string, message: string): void {
    const st = [...this.rec.values()].find((s) => s.id === id);
    if (!st) return;
    this.rec.delete(st.key);
    try {
      const started = this.db.prepare('SELECT started_at FROM sessions WHERE key = ? AND id = ?').pluck().get(st.key, st.id) as number | undefined;
      if (started !== undefined)
        this.db.prepare("UPDATE sessions SET ended_at = ?, status = 'error', error = ? WHERE key = ?").run(started + Math.round(st.tLast ?? 0), message, st.key);
      this.dropOwnMarker(st.key);
    } catch {
      // Disk full: the session stays 'recording' in the file; repair marks it interrupted later.
    }
  }

  /** Forget the recording state of a session whose writes were rolled back (failed import). */
  abandonSession(id: string): void {
    for (const [k, st] of this.rec)
      if (st.id === id) {
        this.rec.delete(k);
        // No longer recorded here (a cancelled what-if deletes it next).
        try {
          this.dropOwnMarker(k);
        } catch {
          // Best effort: the disk may be full.
        }
      }
  }

  /** Build the rollups of a session that has none yet (imported from a v1 file). */
  ensureRollups(id: string): void {
    const r = this.row(id);
    if (r.snapshot_count > 0 && !this.db.prepare('SELECT 1 FROM rollup_progress WHERE session = ?').get(r.key)) this.rebuildRollups(r.key);
  }

  /**
   * The pid of another live process recording the session `key` (status 'recording' and an owner
   * marker whose process still runs: the rule {@link repair} uses), else null. A session left
   * 'recording' by a dead process has none.
   */
  private otherRecorder(key: number, status: string): number | null {
    if (status !== 'recording' || this.rec.has(key)) return null;
    const owner = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(`${OWNER_PREFIX}${key}`) as string | undefined;
    return liveOwnerPid(owner);
  }

  /** Delete a session and all its data. */
  deleteSession(id: string): HistorySession {
    const r = this.row(id);
    if (this.rec.has(r.key)) throw new HistoryError('invalid', `session '${id}' is being recorded; stop it first`);
    const pid = this.otherRecorder(r.key, r.status);
    if (pid !== null)
      throw new HistoryError('invalid', `session '${id}' is being recorded by ${pid === process.pid ? 'another connection of this process' : `another process (pid ${pid})`}; stop it first`);
    this.db.transaction(() => {
      for (const t of ['snapshots', 'events', 'loads', 'layouts', 'series', 'rollups', 'rollup_progress'])
        this.db.prepare(`DELETE FROM ${t} WHERE session = ?`).run(r.key);
      this.db.prepare('DELETE FROM sessions WHERE key = ?').run(r.key);
      this.db.prepare('DELETE FROM meta WHERE key = ?').run(`${OWNER_PREFIX}${r.key}`);
    })();
    this.layoutCache.delete(r.key);
    return this.toSession(r);
  }

  /** Remove the oldest sessions beyond the limits; returns what was removed (tell the user). */
  applyRetention(policy: RetentionPolicy, nowMs: number): RemovedSession[] {
    const rows = this.db.prepare('SELECT key, id, host, started_at, bytes, status FROM sessions ORDER BY started_at ASC, key ASC').all() as SessionRow[];
    const removed: RemovedSession[] = [];
    let total = rows.reduce((s, r) => s + r.bytes, 0);
    for (const r of rows) {
      // Being recorded, here or by another live process: never removed.
      if (this.rec.has(r.key) || this.otherRecorder(r.key, r.status) !== null) continue;
      let reason: RemovedSession['reason'] | null = null;
      if (policy.maxAgeMs !== undefined && r.started_at < nowMs - policy.maxAgeMs) reason = 'age';
      else if (policy.maxBytes !== undefined && total > policy.maxBytes) reason = 'size';
      if (!reason) continue;
      this.deleteSession(r.id);
      total -= r.bytes;
      removed.push({ id: r.id, host: r.host, startedAt: r.started_at, bytes: r.bytes, reason });
    }
    return removed;
  }

  /**
   * Sessions left 'recording' by a process that died: complete rollups, mark interrupted.
   * A session whose recording process still runs (another process on the same file) is left alone.
   */
  repair(): string[] {
    const rows = this.db.prepare("SELECT * FROM sessions WHERE status = 'recording'").all() as SessionRow[];
    const owner = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    const fixed: string[] = [];
    for (const r of rows) {
      if (this.rec.has(r.key)) continue;
      if (ownerAlive(owner.get(`${OWNER_PREFIX}${r.key}`) as string | undefined)) continue;
      this.db.transaction(() => {
        this.rebuildRollups(r.key);
        this.db.prepare("UPDATE sessions SET status = 'interrupted', ended_at = ? WHERE key = ? AND status = 'recording'").run(r.started_at + Math.round(r.t_last ?? 0), r.key);
        this.db.prepare('DELETE FROM meta WHERE key = ?').run(`${OWNER_PREFIX}${r.key}`);
      })();
      fixed.push(r.id);
    }
    this.completeMissingRollups();
    return fixed;
  }

  /** Recompute a session's series catalog and rollups from its snapshots. */
  rebuildRollups(key: number): void {
    const r = this.db.prepare('SELECT * FROM sessions WHERE key = ?').get(key) as SessionRow;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM rollups WHERE session = ?').run(key);
      this.db.prepare('DELETE FROM rollup_progress WHERE session = ?').run(key);
      this.db.prepare('DELETE FROM series WHERE session = ?').run(key);
      const first = this.db.prepare('SELECT data, layout FROM snapshots WHERE session = ? ORDER BY seq LIMIT 1').get(key) as { data: Buffer; layout: number } | undefined;
      if (!first) return;
      let interval = r.interval_ms;
      if (interval === null) interval = (this.decodeRow(key, first.layout, first.data) as HostSnapshot).intervalMs;
      const st = this.newRecState(key, r.id, interval);
      const bytesBefore = st.bytes;
      const shapes = new Map<number, LayoutEntry>();
      for (const lr of this.db.prepare('SELECT id, shape FROM layouts WHERE session = ?').all(key) as { id: number; shape: string }[]) {
        shapes.set(lr.id, this.mapLayout(st, lr.shape));
      }
      // Read in pages, never iterating while the rollup sink writes on this connection
      // ("This database connection is busy executing a query").
      const page = this.db.prepare('SELECT seq, t, layout, data FROM snapshots WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?');
      for (let after = -1; ; ) {
        const rows = page.all(key, after, SCAN_PAGE) as { seq: number; t: number; layout: number; data: Buffer }[];
        if (rows.length === 0) break;
        for (const row of rows) {
          const e = shapes.get(row.layout);
          if (!e) throw new HistoryError('corrupt', `${this.path}: snapshot refers to missing layout ${row.layout}`);
          gather(e.plan.src, e.plan.consts, blobToValues(row.data), e.scratch);
          st.rollup!.add(row.t, e.seriesIdx!, e.scratch, e.scratch.length, st.series.size);
        }
        after = rows[rows.length - 1].seq;
      }
      st.rollup!.finish();
      this.db.prepare('UPDATE sessions SET bytes = bytes + ? WHERE key = ?').run(st.bytes - bytesBefore, key);
    })();
  }

  // -------------------------------------------------------------------------
  // reading

  /** Session key by id. */
  keyOf(id: string): number {
    return this.row(id).key;
  }

  private layoutEntry(key: number, layout: number): LayoutEntry {
    let m = this.layoutCache.get(key);
    if (!m) this.layoutCache.set(key, (m = new Map()));
    let e = m.get(layout);
    if (!e) {
      const r = this.stmts.layout.get(key, layout) as { shape: string } | undefined;
      if (!r) throw new HistoryError('corrupt', `${this.path}: layout ${layout} of a snapshot is missing`);
      const shape = parseShape(r.shape);
      const plan = seriesPlan(shape);
      e = { shape, plan, seriesIdx: null, scratch: new Float64Array(plan.names.length), count: shapeValueCount(shape) };
      m.set(layout, e);
    }
    return e;
  }

  private decodeRow(key: number, layout: number, data: Buffer): HostSnapshot {
    return decodeSnapshot<HostSnapshot>(this.layoutEntry(key, layout).shape, blobToValues(data));
  }

  /** The snapshot covering session time t: the first with snapshot.t ≥ t (the last one if t is past the end). */
  seek(id: string, t: number): StoredSnapshot | null {
    const key = this.keyOf(id);
    const r = (this.db.prepare('SELECT seq, t, layout, data FROM snapshots WHERE session = ? AND t >= ? ORDER BY t LIMIT 1').get(key, t) ??
      this.db.prepare('SELECT seq, t, layout, data FROM snapshots WHERE session = ? ORDER BY t DESC LIMIT 1').get(key)) as
      | { seq: number; t: number; layout: number; data: Buffer }
      | undefined;
    return r ? { seq: r.seq, t: r.t, snapshot: this.decodeRow(key, r.layout, r.data) } : null;
  }

  /** Snapshots with t in (after, until], at most `limit`, in order. */
  snapshotsBetween(id: string, after: number, until: number, limit = 10_000): HostSnapshot[] {
    const key = this.keyOf(id);
    const rows = this.db
      .prepare('SELECT layout, data FROM snapshots WHERE session = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?')
      .all(key, after, until, limit) as { layout: number; data: Buffer }[];
    return rows.map((r) => this.decodeRow(key, r.layout, r.data));
  }

  /** The last snapshot with t' < t, or null. */
  prevSnapshot(id: string, t: number): StoredSnapshot | null {
    const key = this.keyOf(id);
    const r = this.db.prepare('SELECT seq, t, layout, data FROM snapshots WHERE session = ? AND t < ? ORDER BY t DESC LIMIT 1').get(key, t) as
      | { seq: number; t: number; layout: number; data: Buffer }
      | undefined;
    return r ? { seq: r.seq, t: r.t, snapshot: this.decodeRow(key, r.layout, r.data) } : null;
  }

  /** Snapshots by seq range [from, to). */
  snapshotsBySeq(id: string, from: number, to: number): HostSnapshot[] {
    const key = this.keyOf(id);
    const rows = this.db.prepare('SELECT layout, data FROM snapshots WHERE session = ? AND seq >= ? AND seq < ? ORDER BY seq').all(key, from, to) as {
      layout: number;
      data: Buffer;
    }[];
    return rows.map((r) => this.decodeRow(key, r.layout, r.data));
  }

  /**
   * Every snapshot of a session in seq order, read in pages of `page` rows (memory stays bounded on
   * long sessions). Pages follow the last seq read, so a session whose seq starts far from 0 or has
   * gaps (an agent's: its host's numbering, link gaps) costs one query per page.
   */
  *allSnapshots(id: string, page = 1000): Generator<HostSnapshot> {
    const key = this.keyOf(id);
    const q = this.db.prepare('SELECT seq, layout, data FROM snapshots WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?');
    for (let after = -Infinity; ; ) {
      const rows = q.all(key, after, page) as { seq: number; layout: number; data: Buffer }[];
      for (const r of rows) yield this.decodeRow(key, r.layout, r.data);
      if (rows.length < page) return;
      after = rows[rows.length - 1].seq;
    }
  }

  /** Events with t in (after, until], in recorded order. */
  eventsBetween(id: string, after: number, until: number): HostEvent[] {
    const key = this.keyOf(id);
    const rows = this.db.prepare('SELECT t, source, kind, message, data FROM events WHERE session = ? AND t > ? AND t <= ? ORDER BY t, rid').all(key, after, until) as {
      t: number;
      source: HostEvent['source'];
      kind: HostEvent['kind'];
      message: string;
      data: string | null;
    }[];
    return rows.map((r) => {
      const e: HostEvent = { t: r.t, source: r.source, kind: r.kind, message: r.message };
      if (r.data !== null) e.data = storedJson(this.path, id, 'events.data', r.data) as HostEvent['data'];
      return e;
    });
  }

  /** Time of the next (dir 1, t' > t) or previous (dir -1, t' < t) event of these kinds, or null. */
  findEvent(id: string, t: number, dir: 1 | -1, kinds: string[]): number | null {
    const key = this.keyOf(id);
    const marks = kinds.map(() => '?').join(',');
    const sql =
      dir > 0
        ? `SELECT t FROM events WHERE session = ? AND kind IN (${marks}) AND t > ? ORDER BY t LIMIT 1`
        : `SELECT t FROM events WHERE session = ? AND kind IN (${marks}) AND t < ? ORDER BY t DESC LIMIT 1`;
    const r = this.db.prepare(sql).get(key, ...kinds, t) as { t: number } | undefined;
    return r ? r.t : null;
  }

  /** Offered load changes of a session (run-length: a row where phase or loads changed). */
  loads(id: string): { seq: number; t: number; phase: string; loads: Record<string, number> }[] {
    const key = this.keyOf(id);
    return (this.db.prepare('SELECT seq, t, phase, loads FROM loads WHERE session = ? ORDER BY seq').all(key) as { seq: number; t: number; phase: string; loads: string }[]).map(
      (r) => ({ seq: r.seq, t: r.t, phase: r.phase, loads: storedJson(this.path, id, 'loads.loads', r.loads) as Record<string, number> }),
    );
  }

  /** Series names of a session. */
  seriesNames(id: string): string[] {
    const key = this.keyOf(id);
    return (this.db.prepare('SELECT name FROM series WHERE session = ? ORDER BY idx').all(key) as { name: string }[]).map((r) => r.name);
  }

  private vmIds(key: number): Record<string, number> {
    const r = this.db.prepare('SELECT id FROM layouts WHERE session = ? ORDER BY id LIMIT 1').get(key) as { id: number } | undefined;
    return r ? this.layoutEntry(key, r.id).plan.vmIds : {};
  }

  private progress(key: number, res: number): number {
    const r = this.db.prepare('SELECT until_bucket FROM rollup_progress WHERE session = ? AND res = ?').get(key, res) as { until_bucket: number } | undefined;
    return r ? r.until_bucket : 0;
  }

  /**
   * Work done by series queries since this connection opened: stored rollup chunk rows and
   * snapshot rows read, output buckets allocated. Tests use it to check that a query's cost
   * follows the rows present and the points asked for, not the time span.
   */
  readonly queryWork = { rows: 0, buckets: 0 };

  /** Raw values of series (session series idx) for snapshots with t in [t0, t1). */
  private rawPoints(key: number, names: string[], t0: number, t1: number, each: (t: number, i: number, v: number) => void, inclusive = false): void {
    const stmt = this.db.prepare(`SELECT t, layout, data FROM snapshots WHERE session = ? AND t >= ? AND t ${inclusive ? '<=' : '<'} ? ORDER BY t`);
    const posCache = new Map<number, Int32Array>();
    for (const row of stmt.iterate(key, t0, t1) as Iterable<{ t: number; layout: number; data: Buffer }>) {
      this.queryWork.rows++;
      let pos = posCache.get(row.layout);
      const e = this.layoutEntry(key, row.layout);
      if (!pos) {
        pos = Int32Array.from(names.map((n) => e.plan.names.indexOf(n)));
        posCache.set(row.layout, pos);
      }
      const values = blobToValues(row.data);
      for (let i = 0; i < pos.length; i++) {
        const p = pos[i];
        if (p < 0) continue;
        each(row.t, i, e.plan.src[p] >= 0 ? values[e.plan.src[p]] : e.plan.consts[p]);
      }
    }
  }

  /**
   * Add to `out` (output bucket i covers `origin + i·width ≤ t < origin + (i+1)·width`) the values
   * with `lo ≤ t < hi` (`t ≤ hi` when `hiIn`) from level `level` down: the level's stored rollup
   * buckets that lie wholly inside the range and below its progress, and the rest — the part
   * before the first whole bucket, the part after the last, the buckets not stored yet — from the
   * next finer level (raw snapshots below level 0), in time order so `last` stays the latest. So
   * the range's edges are exact whatever the buckets' alignment. Sparse: it visits the chunk rows
   * and snapshot rows present, never the empty buckets of the time span. A stored chunk that does
   * not decode is a HistoryError 'corrupt' naming the database, session `id` and series.
   */
  private accumulate(id: string, key: number, series: number[], names: string[], resolutions: number[], level: number, lo: number, hi: number, hiIn: boolean, out: Buckets[], origin: number, width: number): void {
    if (hiIn ? lo > hi : lo >= hi) return;
    if (level < 0) {
      this.rawPoints(
        key,
        names,
        lo,
        hi,
        (t, i, v) => {
          const o = Math.floor((t - origin) / width);
          if (o >= 0 && o < out[i].n) addValue(out[i], o, v);
        },
        hiIn,
      );
      return;
    }
    const res = resolutions[level];
    // Bucket b holds b·res ≤ t < (b+1)·res: the whole ones inside the range, stored so far.
    const first = Math.ceil(lo / res);
    const last = Math.min(Math.floor(hi / res) - 1, this.progress(key, res) - 1);
    if (first > last) return this.accumulate(id, key, series, names, resolutions, level - 1, lo, hi, hiIn, out, origin, width);
    this.accumulate(id, key, series, names, resolutions, level - 1, lo, first * res, false, out, origin, width);
    const stmt = this.db.prepare('SELECT chunk, data FROM rollups WHERE session = ? AND series = ? AND res = ? AND chunk >= ? AND chunk <= ? ORDER BY chunk');
    for (let i = 0; i < series.length; i++) {
      if (series[i] < 0) continue;
      for (const r of stmt.iterate(key, series[i], res, Math.floor(first / CHUNK), Math.floor(last / CHUNK)) as Iterable<{ chunk: number; data: Buffer }>) {
        this.queryWork.rows++;
        const part = emptyBuckets(r.chunk * CHUNK, CHUNK);
        try {
          decodeChunkInto(part, r.chunk, r.data);
        } catch (err) {
          // A wrong-size (or NULL) blob already stored: say where, as storedJson does for JSON columns.
          throw new HistoryError('corrupt', `${this.path}: session '${id}': its rollup of series '${names[i]}' (resolution ${res} ms, chunk ${r.chunk}) is unreadable (${(err as Error).message}); the database is damaged`);
        }
        mergeByTime(out[i], origin, width, part, res, first, last);
      }
    }
    this.accumulate(id, key, series, names, resolutions, level - 1, (last + 1) * res, hi, hiIn, out, origin, width);
  }

  /**
   * A set of series over [t0, t1] at about `points` points: the coarsest
   * resolution that still gives ≥ points buckets (raw snapshots otherwise), at most
   * MAX_BUCKETS_PER_POINT · points buckets, each holding only values inside [t0, t1].
   */
  querySeries(q: SeriesRequest): SeriesData {
    const r = this.row(q.sessionId);
    if (!(q.t1 >= q.t0)) throw new HistoryError('invalid', `series range: t1 (${q.t1}) is before t0 (${q.t0})`);
    if (!(q.points >= 1)) throw new HistoryError('invalid', `series points must be ≥ 1 (got ${q.points})`);
    const key = r.key;
    const vmIds = this.vmIds(key);
    const names = q.series.map((s) => canonicalSeriesName(s, vmIds));
    const idxRows = this.db.prepare('SELECT idx, name FROM series WHERE session = ?').all(key) as { idx: number; name: string }[];
    const byName = new Map(idxRows.map((x) => [x.name, x.idx]));
    const unknown = q.series.filter((_, i) => !byName.has(names[i]));
    if (unknown.length && idxRows.length)
      throw new HistoryError('invalid', `unknown series ${unknown.map((u) => `'${u}'`).join(', ')} in session '${q.sessionId}' (e.g. ${idxRows.slice(0, 3).map((x) => x.name).join(', ')})`);
    const series = names.map((n) => byName.get(n) ?? -1);
    const resolutions = resolutionsFor(r.interval_ms ?? 100);
    // Bound the range by the recorded data: session times start at 0, and nothing lies past the
    // last snapshot (a huge range once allocated buckets for all of it: "Invalid typed array length").
    const t0 = Math.max(q.t0, Math.min(0, r.t_first ?? 0));
    const t1 = Math.max(t0, Math.min(q.t1, r.t_last ?? t0));
    let level = -1;
    for (let l = resolutions.length - 1; l >= 0; l--) {
      if (Math.floor((t1 - t0) / resolutions[l]) >= q.points) {
        level = l;
        break;
      }
    }
    if (level < 0) {
      const t: number[] = [];
      const values = names.map(() => [] as number[]);
      let lastT = NaN;
      this.rawPoints(
        key,
        names,
        t0,
        t1,
        (tt, i, v) => {
          if (tt !== lastT) {
            t.push(tt);
            for (const a of values) a.push(NaN);
            lastT = tt;
          }
          values[i][values[i].length - 1] = v;
        },
        true,
      );
      return { t, resolutionMs: r.interval_ms ?? 0, series: q.series.map((k, i) => ({ key: k, values: values[i], min: values[i], max: values[i], last: values[i] })) };
    }
    const res = resolutions[level];
    const b0 = Math.floor(t0 / res);
    const b1 = Math.max(b0, Math.floor(t1 / res));
    // The coarsest resolution can still give any number of buckets (a session spanning 1e12 ms:
    // 1.7e7 of 60 s): merge k of them per point, so a query never holds more than
    // MAX_BUCKETS_PER_POINT · points buckets per series, whatever the time span. The merged
    // buckets start at the range's first bucket, not at multiples of k, so none spills past it.
    const cap = MAX_BUCKETS_PER_POINT * q.points;
    const k = b1 - b0 + 1 > cap ? Math.ceil((b1 - b0 + 1) / cap) : 1;
    const width = res * k;
    const origin = b0 * res;
    const n = Math.floor((b1 - b0) / k) + 1;
    const buckets = series.map(() => emptyBuckets(0, n));
    this.queryWork.buckets += series.length * n;
    // Only the values in [t0, t1]: the first bucket starts at t0 and the last ends at t1, even
    // where a bucket of this resolution reaches past them.
    this.accumulate(q.sessionId, key, series, names, resolutions, level, t0, t1, true, buckets, origin, width);
    const t = Array.from({ length: n }, (_, i) => (i === 0 ? t0 : origin + i * width));
    return {
      t,
      resolutionMs: width,
      series: q.series.map((k, i) => {
        const b = buckets[i];
        const avg = Array.from(b.sum, (s, j) => (b.count[j] ? s / b.count[j] : NaN));
        return { key: k, values: avg, min: Array.from(b.min), max: Array.from(b.max), last: Array.from(b.last) };
      }),
    };
  }

  /** Run `fn` in a write transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Close the connection (ends nothing: call endSession first). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
