/**
 * Ctrl-C (SIGINT) or SIGTERM on a real `iocm whatif` process while the re-run is going: the what-if
 * is cancelled as the API's signal cancels it, so nothing half-written stays in the history file
 * (it left a session in status 'recording' with partial snapshots, listed under the original);
 * one line says so and the exit code is 128 + the signal's number.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryDb } from '../src/main/history/store.ts';
import { createHostModel } from '../src/main/model/index.ts';
import { loadScenario } from '../src/main/scenario/load.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { ROOT, type CliRun } from './cli-helpers.ts';

let dir: string;
let db: string;
let baseId: string;
/** Intervals of the recorded session: a what-if of it runs for seconds, in 20 slices. */
const N = 2000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-whatif-signal-'));
  db = join(dir, 'h.db');
  // A model session of N intervals: 100 real intervals of 'mixed', recorded over and over (each
  // time with its own seq and t). Re-running it steps the model N times.
  const scenario = loadScenario('mixed');
  const m = createHostModel(scenario, { seed: 3 });
  const h = new HistoryDb(db);
  baseId = h.beginSession({ host: 'mixed', source: 'model', scenario, seed: 3, policy: 'vhost', startedAt: Date.UTC(2026, 0, 1), intervalMs: 100, info: m.info() });
  const cycle: HostSnapshot[] = [];
  for (let i = 0; i < 100; i++) cycle.push(m.step());
  for (let k = 0; k < N; k += cycle.length) h.append(baseId, cycle.map((s, i) => ({ ...s, seq: k + i, t: (k + i) * 100 })), []);
  h.endSession(baseId, Date.UTC(2026, 0, 1) + N * 100);
  h.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `iocm whatif --progress` and send `sig` once its first progress line shows the re-run going. */
function whatifStoppedBy(sig: NodeJS.Signals): Promise<CliRun & { progressLines: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'whatif', '--db', db, '--session', baseId, '--policy', 'static:2', '--progress'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    let progressLines = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      progressLines = (stderr.match(/^what-if \[/gm) ?? []).length;
      if (!sent && progressLines > 0) {
        sent = true;
        child.kill(sig);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, progressLines }));
  });
}

/** Sessions and snapshot rows in the history file now. */
function stored(): { sessions: { id: string; status: string; parentId: string | null }[]; snapshotRows: number } {
  const h = new HistoryDb(db, { readonly: true });
  try {
    const sessions = h.listSessions().map((s) => ({ id: s.id, status: s.status, parentId: s.parentId }));
    const snapshotRows = h.db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number;
    return { sessions, snapshotRows };
  } finally {
    h.close();
  }
}

describe('iocm whatif stopped by a signal', () => {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${sig} while it runs: cancelled, the partial re-run removed, one line, exit ${code}`, async () => {
      const r = await whatifStoppedBy(sig);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, r.stderr).toBe(code);
      // It was running (a progress line of 20) when the signal came, and did not finish.
      expect(r.progressLines).toBeGreaterThan(0);
      expect(r.stderr).not.toMatch(/ 100% /);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('what-if ['));
      expect(lines).toEqual([`iocm whatif: cancelled by ${sig}: the partial re-run of session ${baseId} was removed, nothing was stored`]);
      // Only the recording is left: no what-if session (complete or 'recording'), no snapshots of one.
      const now = stored();
      expect(now.sessions).toEqual([{ id: baseId, status: 'complete', parentId: null }]);
      expect(now.snapshotRows).toBe(N);
    }, 120_000);
  }
});
