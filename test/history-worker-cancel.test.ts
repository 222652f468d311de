/**
 * The history worker forgets an operation id when its operation ends: a cancel that reaches the
 * worker after the export it was meant for has finished (a synchronous export only sees messages
 * once done) must not cancel the next operation that uses the same id. The real worker thread
 * on a real SQLite file, spoken to through its message protocol (./protocol.ts).
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { HistoryDb } from '../src/main/history/store.ts';
import { spawnWorker } from '../src/main/util/worker.ts';
import { SyntheticHostGen } from '../src/main/history/testing.ts';
import type { FromWorker, ToWorker } from '../src/main/history/protocol.ts';

let dir: string;
let worker: Worker | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-wcancel-'));
});
afterEach(async () => {
  await worker?.terminate();
  worker = null;
  rmSync(dir, { recursive: true, force: true });
});

function startWorker(path: string): Promise<Worker> {
  const w = spawnWorker(new URL('../src/main/history/history-worker.ts', import.meta.url), { workerData: { path, options: { repair: false } } });
  return new Promise((resolve, reject) => {
    w.once('message', (m: FromWorker) => (m.type === 'ready' ? resolve(w) : reject(new Error(JSON.stringify(m)))));
    w.once('error', reject);
  });
}

function call(w: Worker, id: number, method: string, args: unknown, opId?: string): Promise<FromWorker & { type: 'result' }> {
  return new Promise((resolve) => {
    const on = (m: FromWorker): void => {
      if (m.type === 'result' && m.id === id) {
        w.off('message', on);
        resolve(m);
      }
    };
    w.on('message', on);
    w.postMessage({ type: 'call', id, method, args, opId } satisfies ToWorker);
  });
}

describe('history worker operation ids', () => {
  it('a cancel that arrives after its export ended does not cancel the next export with the same id', async () => {
    const path = join(dir, 'h.db');
    const db = new HistoryDb(path);
    const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
    const sid = db.beginSession({ host: 'h', source: 'model', startedAt: 1_700_000_000_000, policy: 'iocm', intervalMs: 100 });
    db.append(sid, Array.from({ length: 30 }, () => gen.next()), []);
    db.endSession(sid, 1_700_000_010_000);
    db.close();
    const w = (worker = await startWorker(path));

    const first = await call(w, 1, 'exportSession', { sessionId: sid, format: 'csv', out: join(dir, 'a.csv') }, 'op-x');
    expect(first.ok).toBe(true);
    // The cancel for op-x comes too late: the export is done.
    w.postMessage({ type: 'cancel', opId: 'op-x' } satisfies ToWorker);
    const second = await call(w, 2, 'exportSession', { sessionId: sid, format: 'csv', out: join(dir, 'b.csv') }, 'op-x');
    expect(second.ok ? null : second.error.message).toBeNull();
    expect(existsSync(join(dir, 'b.csv'))).toBe(true);
    // The connection is still usable.
    expect((await call(w, 3, 'getSession', { id: sid })).ok).toBe(true);
  });
});
