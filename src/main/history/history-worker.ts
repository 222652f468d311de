/**
 * The history worker thread: owns the better-sqlite3 connection (HistoryDb),
 * batches recorded snapshots/events into transactions (every 250 ms or 512
 * rows) and answers queries, exports, imports and what-if runs for the
 * main-thread HistoryClient (./client.ts). Protocol: ./protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryDb, type HistoryDbOptions } from './store.ts';
import { HistoryError } from './schema.ts';
import { exportSession } from './export.ts';
import { importFile } from './import.ts';
import { controlTrails } from './control-trail.ts';
import type { ToWorker, FromWorker, SerializedError } from './protocol.ts';
import type { RecordedBatch } from './store.ts';

const port = parentPort!;
const { path, options } = workerData as { path: string; options: HistoryDbOptions };

const FLUSH_MS = 250;
// Commits bound what a crash can lose by time (FLUSH_MS); the row cap only matters when a session is
// recorded faster than real time, where fewer, larger transactions commit ~25 % more rows per second
// (measured: 3000 snapshots of a 32-core host, 128 → 512 rows per transaction). 512 rows of a
// 64-core/128-VM host (~27 KB each) are ~14 MB pending.
const FLUSH_ROWS = 512;

function serialize(err: unknown): SerializedError {
  const e = err as Error & { code?: string };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), code: e instanceof HistoryError ? e.code : undefined, ...(e instanceof HistoryError && e.field !== undefined ? { field: e.field } : {}), ...(e instanceof HistoryError && e.fieldMessage !== undefined ? { fieldMessage: e.fieldMessage } : {}) };
}

function post(m: FromWorker): void {
  port.postMessage(m);
}

let store: HistoryDb;
try {
  store = new HistoryDb(path, options);
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'openError', error: serialize(err) });
  process.exit(0);
}

const pending = new Map<string, RecordedBatch>();
const failed = new Set<string>();
let pendingRows = 0;
let timer: NodeJS.Timeout | null = null;
/** Operation ids of calls now running, and those of them a cancel has reached. A cancel for an id
 * that is not running (it arrived after its operation ended: a synchronous export only sees
 * messages once it is done) is dropped, and both sets forget an id when its operation ends, so a
 * later operation with the same id is not cancelled at once. */
const running = new Set<string>();
const cancelled = new Set<string>();

function flushAll(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  pendingRows = 0;
  for (const [id, p] of pending) {
    pending.delete(id);
    if (failed.has(id)) continue;
    try {
      store.appendRecorded(id, p);
    } catch (err) {
      failed.add(id);
      const e = serialize(err);
      const message = `recording of session ${id} stopped: ${e.message}`;
      // Its row gone (deleted by another process) or there but no longer recording (ended by one):
      // the console says which, and does not claim that what was recorded is kept when it is not.
      let removed: boolean | undefined;
      if (e.code === 'not-found') {
        try {
          store.getSession(id);
          removed = false;
        } catch {
          removed = true;
        }
      }
      store.failSession(id, message);
      post({ type: 'recError', sessionId: id, message, cause: { ...(e.code !== undefined ? { code: e.code } : {}), ...(removed !== undefined ? { removed } : {}) } });
    }
  }
}

type Handler = (args: never, opId: string | undefined) => unknown;

const handlers: Record<string, Handler> = {
  flush: () => null,
  listSessions: (a: Parameters<HistoryDb['listSessions']>[0]) => store.listSessions(a),
  getSession: (a: { id: string }) => store.getSession(a.id),
  controlTrails: (a: { ids: string[] }) => controlTrails(store, a.ids),
  beginSession: (a: Parameters<HistoryDb['beginSession']>[0]) => {
    const id = store.beginSession(a);
    failed.delete(id);
    return id;
  },
  endSession: (a: { id: string; endedAt: number; info?: import('../../shared/control.ts').HostInfo | null }) => {
    if (failed.has(a.id)) return store.getSession(a.id);
    store.endSession(a.id, a.endedAt, 'complete', null, a.info);
    return store.getSession(a.id);
  },
  deleteSession: (a: { id: string }) => store.deleteSession(a.id),
  applyRetention: (a: { policy: Parameters<HistoryDb['applyRetention']>[0]; now: number }) => store.applyRetention(a.policy, a.now),
  seek: (a: { id: string; t: number }) => store.seek(a.id, a.t),
  snapshotsBetween: (a: { id: string; after: number; until: number; limit?: number }) => store.snapshotsBetween(a.id, a.after, a.until, a.limit),
  prevSnapshot: (a: { id: string; t: number }) => store.prevSnapshot(a.id, a.t),
  snapshotsBySeq: (a: { id: string; from: number; to: number }) => store.snapshotsBySeq(a.id, a.from, a.to),
  eventsBetween: (a: { id: string; after: number; until: number }) => store.eventsBetween(a.id, a.after, a.until),
  findEvent: (a: { id: string; t: number; dir: 1 | -1; kinds: string[] }) => store.findEvent(a.id, a.t, a.dir, a.kinds),
  loads: (a: { id: string }) => store.loads(a.id),
  seriesNames: (a: { id: string }) => store.seriesNames(a.id),
  querySeries: (a: Parameters<HistoryDb['querySeries']>[0]) => store.querySeries(a),
  repair: () => store.repair(),
  integrityCheck: () => store.db.pragma('integrity_check', { simple: true }),
  exportSession: (a: Parameters<typeof exportSession>[1], opId) =>
    exportSession(
      store,
      a,
      (fraction, message) => opId && post({ type: 'progress', opId, fraction, message }),
      () => !!opId && cancelled.has(opId),
    ),
  importFile: (a: { path: string }, opId) => importFile(store, a.path, (fraction, message) => opId && post({ type: 'progress', opId, fraction, message })),
  whatIf: async (a: import('./whatif.ts').WhatIfRequest, opId) => {
    const { runWhatIfInStore } = await import('./whatif.ts');
    const began = Date.now();
    return runWhatIfInStore(
      store,
      a,
      (fraction, message) => opId && post({ type: 'progress', opId, fraction, message }),
      () => !!opId && cancelled.has(opId),
      () => flushAll(),
      // The re-run ends when it finishes: its start on the client's clock (which owns session
      // times) plus the time it took.
      () => (a.startedAt ?? began) + (Date.now() - began),
    );
  },
};

port.on('message', async (m: ToWorker) => {
  if (m.type === 'rec') {
    if (failed.has(m.sessionId)) return;
    const b = m.batch;
    let p = pending.get(m.sessionId);
    if (!p) pending.set(m.sessionId, (p = { shapes: [], rows: [], loads: [], events: [], intervalMs: b.intervalMs }));
    for (const x of b.shapes) p.shapes.push(x);
    for (const x of b.rows) p.rows.push(x);
    for (const x of b.loads) p.loads.push(x);
    for (const x of b.events) p.events.push(x);
    pendingRows += b.rows.length + b.events.length;
    if (pendingRows >= FLUSH_ROWS) flushAll();
    else if (!timer) timer = setTimeout(flushAll, FLUSH_MS);
    return;
  }
  if (m.type === 'cancel') {
    if (running.has(m.opId)) cancelled.add(m.opId);
    return;
  }
  if (m.type === 'close') {
    flushAll();
    store.close();
    post({ type: 'closed' });
    return;
  }
  // call
  flushAll();
  const h = handlers[m.method];
  if (m.opId) running.add(m.opId);
  try {
    if (!h) throw new HistoryError('invalid', `unknown history method '${m.method}'`);
    const value = await h(m.args as never, m.opId);
    post({ type: 'result', id: m.id, ok: true, value });
  } catch (err) {
    post({ type: 'result', id: m.id, ok: false, error: serialize(err) });
  } finally {
    if (m.opId) {
      running.delete(m.opId);
      cancelled.delete(m.opId);
    }
  }
});
