/**
 * The history API for the main (serving) thread: HistoryClient talks to the
 * history worker (./history-worker.ts), which owns the SQLite connection, so
 * no SQLite work ever runs on the caller's thread. Recorder.record() is O(1)
 * and non-blocking; batches are posted every `batchMs`.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../util/worker.ts';
import { HistoryError } from './schema.ts';
import type { FromWorker, RecordingErrorCause, SerializedError, ToWorker } from './protocol.ts';
export type { RecordingErrorCause } from './protocol.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent } from '../../shared/policy.ts';
import type { HostInfo } from '../../shared/control.ts';
import type { SessionControl } from '../../shared/api.ts';
import type { HistorySession, RemovedSession, RetentionPolicy, SeriesData, SeriesRequest, SessionFilter, SessionStart, ExportOptions, ProgressFn } from './types.ts';
import { offeredLoads, type StoredSnapshot, type RecordedBatch } from './store.ts';
import { SnapshotEncoder } from './codec.ts';
import type { ImportResult } from './import.ts';
import type { WhatIfRequest, WhatIfResult } from './whatif.ts';
import { defaultDbPath, defaultDbProblem } from './paths.ts';

/** Options of {@link HistoryClient.open}. */
export interface HistoryOptions {
  /** Database file; default {@link defaultDbPath}(). */
  path?: string;
  /** Worker entry (the built bundle in Electron); default ./history-worker.ts. */
  workerUrl?: URL;
  /** Complete sessions left 'recording' by a crashed process (set by the process that records). */
  repair?: boolean;
  /** Retention applied on open and when a recording starts. */
  retention?: RetentionPolicy;
  /** Wall clock (unix ms) for startedAt/endedAt and retention; default Date.now. */
  clock?: () => number;
  /** better-sqlite3 native build for Electron's ABI. */
  nativeBinding?: string;
  /** Notified when retention removes sessions (also those removed while opening). */
  onNotice?: (message: string, removed: RemovedSession[]) => void;
}

/** Options of a long operation. */
export interface OpOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

function toError(e: SerializedError): Error {
  if (e.name === 'HistoryError') return new HistoryError((e.code ?? 'io') as HistoryError['code'], e.message, e.field, e.fieldMessage);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

let opCounter = 0;

/** Async access to a history database through its worker. */
export class HistoryClient {
  private nextId = 1;
  private calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private progress = new Map<string, ProgressFn>();
  private recErrorListeners: ((sessionId: string, message: string) => void)[] = [];
  private noticeListeners: ((message: string, removed: RemovedSession[]) => void)[] = [];
  private recorders = new Map<string, Recorder>();
  private closed = false;
  private closedPromise: Promise<void> | null = null;
  readonly clock: () => number;

  private constructor(
    private worker: Worker,
    readonly path: string,
    private opts: HistoryOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => this.failAll(new HistoryError('io', `history worker for ${path} exited`)));
  }

  /**
   * Open (creating if needed) a history database in a new worker, creating its folder unless it is
   * the file `$IOCM_DB` names (see {@link defaultDbProblem}). Rejects with a HistoryError for
   * foreign/corrupt files and for `$IOCM_DB` in a folder that does not exist.
   */
  static async open(opts: HistoryOptions = {}): Promise<HistoryClient> {
    const path = opts.path ?? defaultDbPath();
    // The file $IOCM_DB names goes into a folder that exists (the desktop app then says history is
    // off, and why); only the per-user default's folder is created here.
    const problem = path === defaultDbPath() ? defaultDbProblem() : null;
    if (problem) throw new HistoryError('io', problem);
    if (path !== ':memory:') {
      const { dirname } = await import('node:path');
      const { makeDirs } = await import('../util/fs.ts');
      try {
        makeDirs(dirname(path));
      } catch (e) {
        throw new HistoryError('io', `${path}: cannot create its folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    const entry = opts.workerUrl ?? new URL('./history-worker.ts', import.meta.url);
    const workerData = { path, options: { repair: !!opts.repair, nativeBinding: opts.nativeBinding } };
    const worker = spawnWorker(entry, { workerData });
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: FromWorker): void => {
        worker.off('message', onMsg);
        worker.off('error', onErr);
        if (m.type === 'ready') resolve();
        else if (m.type === 'openError') {
          void worker.terminate();
          reject(toError(m.error));
        } else reject(new HistoryError('io', `history worker: unexpected first message ${m.type}`));
      };
      const onErr = (err: Error): void => {
        worker.off('message', onMsg);
        reject(err);
      };
      worker.on('message', onMsg);
      worker.on('error', onErr);
    });
    const client = new HistoryClient(worker, path, opts);
    if (opts.onNotice) client.onNotice(opts.onNotice);
    if (opts.retention) await client.applyRetention(opts.retention);
    return client;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'result') {
      const c = this.calls.get(m.id);
      if (!c) return;
      this.calls.delete(m.id);
      if (m.ok) c.resolve(m.value);
      else c.reject(toError(m.error));
    } else if (m.type === 'progress') {
      this.progress.get(m.opId)?.(m.fraction, m.message);
    } else if (m.type === 'recError') {
      this.recorders.get(m.sessionId)?.fail(m.message, m.cause ?? {});
      for (const l of this.recErrorListeners) l(m.sessionId, m.message);
    }
  }

  private failAll(err: Error): void {
    for (const c of this.calls.values()) c.reject(err);
    this.calls.clear();
  }

  /** Send a raw recording batch (used by Recorder). */
  post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.closed) this.worker.postMessage(m, transfer);
  }

  /** Call a worker method. */
  call<T>(method: string, args: unknown, op: OpOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new HistoryError('io', `history database ${this.path} is closed`));
    const id = this.nextId++;
    let opId: string | undefined;
    if (op.onProgress || op.signal) {
      opId = `op${++opCounter}`;
      if (op.onProgress) this.progress.set(opId, op.onProgress);
      if (op.signal?.aborted) return Promise.reject(new HistoryError('invalid', 'cancelled'));
      op.signal?.addEventListener('abort', () => this.post({ type: 'cancel', opId: opId! }), { once: true });
    }
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ type: 'call', id, method, args, opId });
    }).finally(() => {
      if (opId) this.progress.delete(opId);
    });
  }

  /** Called when a recording stops because of an error (e.g. disk full). */
  onRecordingError(fn: (sessionId: string, message: string) => void): void {
    this.recErrorListeners.push(fn);
  }

  /** Called when retention removed sessions (tell the user). */
  onNotice(fn: (message: string, removed: RemovedSession[]) => void): void {
    this.noticeListeners.push(fn);
  }

  /** Sessions, newest first, filtered by search text and paged. */
  listSessions(filter: SessionFilter = {}): Promise<HistorySession[]> {
    return this.call('listSessions', filter);
  }
  /** One session's metadata; rejects with HistoryError 'not-found' for an unknown id. */
  getSession(id: string): Promise<HistorySession> {
    return this.call('getSession', { id });
  }

  /** Policy changes and operator overrides of sessions, by id (control-trail.ts). */
  controlTrails(ids: readonly string[]): Promise<Record<string, SessionControl>> {
    return this.call('controlTrails', { ids });
  }
  /** Delete a session and all its data (not one being recorded); resolves to what was deleted. */
  deleteSession(id: string): Promise<HistorySession> {
    return this.call('deleteSession', { id });
  }
  /** Remove the oldest sessions beyond the limits; notifies onNotice listeners and returns the removed sessions. */
  async applyRetention(policy: RetentionPolicy): Promise<RemovedSession[]> {
    const removed = await this.call<RemovedSession[]>('applyRetention', { policy, now: this.clock() });
    if (removed.length) {
      const msg = `history retention removed ${removed.length} old session(s): ${removed.map((r) => `${r.id} (${r.host}, ${new Date(r.startedAt).toISOString()}, ${r.reason})`).join('; ')}`;
      for (const l of this.noticeListeners) l(msg, removed);
    }
    return removed;
  }
  /** The snapshot covering session time t (see HistoryDb.seek). */
  seek(id: string, t: number): Promise<StoredSnapshot | null> {
    return this.call('seek', { id, t });
  }
  /** Snapshots with t in (after, until], at most `limit`, in order. */
  snapshotsBetween(id: string, after: number, until: number, limit?: number): Promise<HostSnapshot[]> {
    return this.call('snapshotsBetween', { id, after, until, limit });
  }
  /** The last snapshot before session time t. */
  prevSnapshot(id: string, t: number): Promise<StoredSnapshot | null> {
    return this.call('prevSnapshot', { id, t });
  }
  /** Snapshots by seq range [from, to). */
  snapshotsBySeq(id: string, from: number, to: number): Promise<HostSnapshot[]> {
    return this.call('snapshotsBySeq', { id, from, to });
  }
  /** Events with t in (after, until], in recorded order (the audit log). */
  eventsBetween(id: string, after: number, until: number): Promise<HostEvent[]> {
    return this.call('eventsBetween', { id, after, until });
  }
  /** Time of the next (dir 1) or previous (dir -1) event of these kinds, or null. */
  findEvent(id: string, t: number, dir: 1 | -1, kinds: string[]): Promise<number | null> {
    return this.call('findEvent', { id, t, dir, kinds });
  }
  /** Offered-load changes of a session (what a what-if re-runs). */
  loads(id: string): Promise<{ seq: number; t: number; phase: string; loads: Record<string, number> }[]> {
    return this.call('loads', { id });
  }
  /** Series names of a session (canonical names, e.g. 'core.3.io'). */
  seriesNames(id: string): Promise<string[]> {
    return this.call('seriesNames', { id });
  }
  /** Series over [t0, t1] at about `points` points, from the coarsest rollup that gives enough buckets. */
  querySeries(q: SeriesRequest): Promise<SeriesData> {
    return this.call('querySeries', q);
  }
  /** Export a session as CSV, a JSON bundle or a standalone SQLite file; progress and AbortSignal supported. */
  exportSession(opts: ExportOptions, op: OpOptions = {}): Promise<{ path: string; rows: number }> {
    return this.call('exportSession', opts, op);
  }
  /** Import a JSON bundle or a session file (validated); resolves to the new session ids. */
  importFile(path: string, op: OpOptions = {}): Promise<ImportResult> {
    return this.call('importFile', { path }, op);
  }
  /** Re-run a session under another policy (see ./whatif.ts); progress and AbortSignal supported. */
  whatIf(req: WhatIfRequest, op: OpOptions = {}): Promise<WhatIfResult> {
    return this.call('whatIf', { ...req, startedAt: req.startedAt ?? this.clock() }, op);
  }
  /** PRAGMA integrity_check of the database ('ok' when sound). */
  integrityCheck(): Promise<string> {
    return this.call('integrityCheck', null);
  }

  /** Start recording a session (applies retention first). */
  async startRecording(meta: Omit<SessionStart, 'startedAt'> & { startedAt?: number }, opts: { batchMs?: number } = {}): Promise<Recorder> {
    if (this.opts.retention) await this.applyRetention(this.opts.retention);
    const id = await this.call<string>('beginSession', { ...meta, startedAt: meta.startedAt ?? this.clock() });
    const r = new Recorder(this, id, opts.batchMs ?? 100);
    this.recorders.set(id, r);
    return r;
  }

  /** @internal */
  forget(id: string): void {
    this.recorders.delete(id);
  }

  /** End open recordings, flush and close the database and its worker. */
  close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closedPromise = (async () => {
      for (const r of [...this.recorders.values()]) await r.close().catch(() => undefined);
      await new Promise<void>((resolve) => {
        const onMsg = (m: FromWorker): void => {
          if (m.type === 'closed') resolve();
        };
        this.worker.on('message', onMsg);
        this.worker.once('exit', () => resolve());
        this.worker.postMessage({ type: 'close' } satisfies ToWorker);
      });
      this.closed = true;
      await this.worker.terminate();
    })();
    return this.closedPromise;
  }
}

/**
 * Records one session: record()/recordEvent() only queue; record() encodes
 * the snapshot into a Float64Array with a compiled shape (tens of µs, no
 * strings while the structure is unchanged), and batches are posted to the
 * worker every `batchMs` (or at 64 snapshots) with the value buffers
 * transferred, not cloned. The worker commits every 250 ms.
 */
export class Recorder {
  private encoder = new SnapshotEncoder();
  /** The batch's value arena: snapshots are views into a few large buffers, transferred together. */
  private arena = new Float64Array(0);
  private arenaUsed = 0;
  private batch: RecordedBatch = { shapes: [], rows: [], loads: [], events: [] };
  private transfer: ArrayBuffer[] = [];
  private lastLoads = '';
  private intervalSent = false;
  private timer: NodeJS.Timeout | null = null;
  private errorMessage: string | null = null;
  private listeners: ((message: string, cause: RecordingErrorCause) => void)[] = [];
  private ended: Promise<HistorySession> | null = null;

  constructor(
    private client: HistoryClient,
    readonly sessionId: string,
    private batchMs: number,
  ) {
    this.encoder.alloc = (n) => {
      if (this.arenaUsed + n > this.arena.length) {
        this.arena = new Float64Array(Math.max(n, 64 * n));
        this.arenaUsed = 0;
        this.transfer.push(this.arena.buffer as ArrayBuffer);
      }
      const v = this.arena.subarray(this.arenaUsed, this.arenaUsed + n);
      this.arenaUsed += n;
      return v;
    };
    this.encoder.free = (v) => {
      if (v.buffer === this.arena.buffer && v.byteOffset / 8 + v.length === this.arenaUsed) this.arenaUsed -= v.length;
    };
  }

  /** Why recording stopped (null while it works). */
  get error(): string | null {
    return this.errorMessage;
  }

  /** Called once if recording stops with an error (the app keeps running); `cause` says why (the session was removed…). */
  onError(fn: (message: string, cause: RecordingErrorCause) => void): void {
    this.listeners.push(fn);
  }

  /** @internal */
  fail(message: string, cause: RecordingErrorCause = {}): void {
    if (this.errorMessage) return;
    this.errorMessage = message;
    this.batch = { shapes: [], rows: [], loads: [], events: [] };
    this.transfer = [];
    this.arena = new Float64Array(0);
    this.arenaUsed = 0;
    for (const l of this.listeners) l(message, cause);
  }

  /** Queue a snapshot. */
  record(s: HostSnapshot): void {
    if (this.errorMessage || this.ended) return;
    const r = this.encoder.encode(s);
    const b = this.batch;
    if (r.newShape !== null) b.shapes.push([r.shape, r.newShape]);
    b.rows.push({ seq: s.seq, t: s.t, shape: r.shape, values: r.values });
    if (!this.intervalSent) {
      b.intervalMs = s.intervalMs;
      this.intervalSent = true;
    }
    const loads = JSON.stringify(offeredLoads(s));
    const key = `${s.phase}\u0000${loads}`;
    if (key !== this.lastLoads) {
      b.loads.push({ seq: s.seq, t: s.t, phase: s.phase ?? '', loads });
      this.lastLoads = key;
    }
    if (b.rows.length >= 64) this.post();
    else this.schedule();
  }

  /** Queue an event. */
  recordEvent(e: HostEvent): void {
    if (this.errorMessage || this.ended) return;
    this.batch.events.push(e);
    this.schedule();
  }

  private schedule(): void {
    if (!this.timer) this.timer = setTimeout(() => this.post(), this.batchMs);
  }

  private post(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const b = this.batch;
    if (!b.rows.length && !b.events.length && !b.shapes.length) return;
    this.client.post({ type: 'rec', sessionId: this.sessionId, batch: b }, this.transfer);
    this.batch = { shapes: [], rows: [], loads: [], events: [] };
    this.transfer = [];
    // The arena went with the batch: the next snapshot starts a new one.
    this.arena = new Float64Array(0);
    this.arenaUsed = 0;
  }

  /** Resolves when everything queued so far is committed. */
  async flush(): Promise<void> {
    this.post();
    await this.client.call('flush', null);
  }

  /**
   * Flush, end the session (endedAt from the client's clock) and return its
   * metadata. `info`: the host description, if it was not known at the start.
   */
  close(info?: HostInfo | null): Promise<HistorySession> {
    if (!this.ended) {
      this.post();
      this.ended = this.client.call<HistorySession>('endSession', { id: this.sessionId, endedAt: this.client.clock(), info }).finally(() => this.client.forget(this.sessionId));
    }
    return this.ended;
  }
}
