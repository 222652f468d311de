/**
 * Crash safety and a full disk, with real processes and real files:
 * - a recording child is SIGKILLed mid-session; reopening passes
 *   PRAGMA integrity_check and at most the last second is lost;
 * - a child recording under a file-size limit (ulimit -f) gets a clear error,
 *   stops recording and keeps running; what was stored stays readable;
 * - a session another live process records is neither deleted nor pruned; a recorder whose
 *   session row disappears anyway stops with an error instead of writing rows of no session.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { HistoryClient } from '../src/main/history/client.ts';
import { iocm } from './cli-helpers.ts';

const root = resolve(import.meta.dirname, '..');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-crash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function child(db: string, mode: string, shellPrefix = ''): { lines: string[]; proc: ReturnType<typeof spawn>; exited: Promise<{ code: number | null; signal: string | null }>; waitFor: (re: RegExp, ms: number) => Promise<string> } {
  const cmd = `${shellPrefix} exec node bin/run-ts.mjs src/main/history/child-recorder.ts '${db}' ${mode}`;
  const proc = spawn('bash', ['-c', cmd], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.re.test(line)) w.resolve(line);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const waitFor = (re: RegExp, ms: number): Promise<string> =>
    new Promise((res, rej) => {
      const found = lines.find((l) => re.test(l));
      if (found) return res(found);
      const to = setTimeout(() => rej(new Error(`timeout waiting for ${re} (stdout: ${lines.slice(-5).join(' | ')}; stderr: ${stderr.slice(-500)})`)), ms);
      waiters.push({ re, resolve: (l) => (clearTimeout(to), res(l)) });
    });
  return { lines, proc, exited, waitFor };
}

describe('history crash safety', () => {
  it('SIGKILL mid-session: integrity ok, at most the last second lost', async () => {
    const db = join(dir, 'h.db');
    const c = child(db, 'crash');
    const session = (await c.waitFor(/^session /, 30_000)).split(' ')[1];
    await c.waitFor(/^t 3000$/, 30_000);
    c.proc.kill('SIGKILL');
    const { signal } = await c.exited;
    expect(signal).toBe('SIGKILL');
    const handed = Math.max(...c.lines.filter((l) => l.startsWith('t ')).map((l) => Number(l.slice(2))));
    expect(handed).toBeGreaterThanOrEqual(3000);

    // Raw check first, on the file as the crash left it.
    const raw = new Database(db);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    const client = await HistoryClient.open({ path: db, repair: true });
    try {
      expect(await client.integrityCheck()).toBe('ok');
      const s = await client.getSession(session);
      expect(s.status).toBe('interrupted');
      expect(s.t1).toBeGreaterThanOrEqual(handed - 1000);
      const snaps = await client.snapshotsBySeq(session, 0, 1e6);
      expect(snaps.length).toBe(s.snapshots);
      expect(snaps.map((x) => x.seq)).toEqual(snaps.map((_, i) => i));
      // The rollups were completed by the repair.
      const q = await client.querySeries({ sessionId: session, series: ['totals.score'], t0: 0, t1: s.t1, points: 2 });
      expect(q.resolutionMs).toBe(1000);
      expect(q.series[0].values.filter((v) => !Number.isNaN(v)).length).toBe(Math.floor(s.t1 / 1000) + (s.t1 % 1000 ? 1 : 0));
    } finally {
      await client.close();
    }
  });

  it('full disk (file-size limit): clear error, recording stops, the process keeps running, data stays readable', async () => {
    const db = join(dir, 'h.db');
    // 4096 blocks of 1 KiB (bash) = 4 MiB per file.
    const c = child(db, 'fill', "trap '' XFSZ; ulimit -f 4096;");
    const err = await c.waitFor(/^error /, 120_000);
    expect(err).toMatch(/recording of session .* stopped: .*h\.db: (disk full|cannot write to the database file: disk full, file size limit)/);
    await c.waitFor(/^alive$/, 30_000);
    await c.waitFor(/^done$/, 30_000);
    expect((await c.exited).code).toBe(0);

    const client = await HistoryClient.open({ path: db, repair: true });
    try {
      expect(await client.integrityCheck()).toBe('ok');
      const [s] = await client.listSessions();
      expect(['error', 'interrupted']).toContain(s.status);
      expect(s.snapshots).toBeGreaterThan(10);
      const snaps = await client.snapshotsBySeq(s.id, 0, 1e6);
      expect(snaps.length).toBe(s.snapshots);
    } finally {
      await client.close();
    }
  });

  it('SIGKILL after more than 64 s of session time: the next open repairs it and the next process records into the same file', async () => {
    // Issue 10 item 4: rebuilding the rollups of a long interrupted session read and wrote on one
    // connection ("This database connection is busy executing a query"); the file could no longer record.
    const db = join(dir, 'h.db');
    const c = child(db, 'fast');
    const session = (await c.waitFor(/^session /, 30_000)).split(' ')[1];
    const line = await c.waitFor(/^flushed (\d{6,})$/, 120_000);
    c.proc.kill('SIGKILL');
    await c.exited;
    const flushed = Number(line.split(' ')[1]);
    expect(flushed).toBeGreaterThan(64_000 * 1.5);

    const client = await HistoryClient.open({ path: db, repair: true });
    try {
      expect(await client.integrityCheck()).toBe('ok');
      const s = await client.getSession(session);
      expect(s.status).toBe('interrupted');
      expect(s.t1).toBeGreaterThanOrEqual(flushed);
      const q = await client.querySeries({ sessionId: session, series: ['totals.score'], t0: 0, t1: s.t1, points: 2 });
      expect(q.series[0].values.some((v) => !Number.isNaN(v))).toBe(true);
    } finally {
      await client.close();
    }
    // The next process records into the same file.
    const next = child(db, 'crash');
    const second = (await next.waitFor(/^session /, 30_000)).split(' ')[1];
    await next.waitFor(/^t 1000$/, 30_000);
    next.proc.kill('SIGTERM');
    await next.exited;
    expect(next.lines.some((l) => l.startsWith('error'))).toBe(false);
    expect(second).not.toBe(session);
  }, 180_000);

  it('a second process opening the file while the first records leaves the live session alone and records its own', async () => {
    // Issue 10 item 4: the second process's repair marked the first's live session interrupted.
    const db = join(dir, 'h.db');
    const a = child(db, 'crash');
    const first = (await a.waitFor(/^session /, 30_000)).split(' ')[1];
    await a.waitFor(/^t 1000$/, 30_000);
    const b = child(db, 'crash');
    const second = (await b.waitFor(/^session /, 30_000)).split(' ')[1];
    await b.waitFor(/^t 1000$/, 30_000);
    const client = await HistoryClient.open({ path: db, repair: true });
    try {
      expect((await client.getSession(first)).status).toBe('recording');
      expect((await client.getSession(second)).status).toBe('recording');
    } finally {
      await client.close();
    }
    // The first keeps recording after the second process's open.
    const lastA = Math.max(...a.lines.filter((l) => l.startsWith('t ')).map((l) => Number(l.slice(2))));
    await a.waitFor(new RegExp(`^t ${lastA + 1000}$`), 30_000);
    for (const c of [a, b]) {
      expect(c.lines.some((l) => l.startsWith('error')), c.lines.filter((l) => l.startsWith('error')).join('\n')).toBe(false);
      c.proc.kill('SIGKILL');
      await c.exited;
    }
    // Both were killed: the next open marks both interrupted.
    const after = await HistoryClient.open({ path: db, repair: true });
    try {
      expect(await after.integrityCheck()).toBe('ok');
      expect((await after.getSession(first)).status).toBe('interrupted');
      expect((await after.getSession(second)).status).toBe('interrupted');
    } finally {
      await after.close();
    }
  }, 120_000);

  it('another live process records a session: `iocm sessions delete` and retention refuse it; once that process is dead it can be deleted', async () => {
    // Review 8 item 2: the delete removed the live session and the console went on writing rows of no session.
    const db = join(dir, 'h.db');
    const c = child(db, 'crash');
    const session = (await c.waitFor(/^session /, 30_000)).split(' ')[1];
    await c.waitFor(/^t 1000$/, 30_000);

    const refused = await iocm(['sessions', 'delete', '--db', db, '--session', session]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toBe(`iocm sessions: session '${session}' is being recorded by another process (pid ${c.proc.pid}); stop it first\n`);
    // Retention that would remove everything keeps it too.
    const client = await HistoryClient.open({ path: db });
    try {
      expect(await client.applyRetention({ maxBytes: 0, maxAgeMs: 0 })).toEqual([]);
      expect((await client.getSession(session)).status).toBe('recording');
    } finally {
      await client.close();
    }
    // The recorder was not disturbed.
    const last = Math.max(...c.lines.filter((l) => l.startsWith('t ')).map((l) => Number(l.slice(2))));
    await c.waitFor(new RegExp(`^t ${last + 500}$`), 30_000);
    c.proc.kill('SIGKILL');
    await c.exited;
    expect(c.lines.filter((l) => l.startsWith('error'))).toEqual([]);

    // Left 'recording' by a dead process: deleting it is allowed, and takes every row of it.
    const raw = new Database(db, { readonly: true });
    const key = raw.prepare('SELECT key FROM sessions WHERE id = ?').pluck().get(session) as number;
    expect(raw.prepare('SELECT status FROM sessions WHERE key = ?').pluck().get(key)).toBe('recording');
    raw.close();
    const deleted = await iocm(['sessions', 'delete', '--db', db, '--session', session]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(new RegExp(`^deleted session ${session} `));
    const after = new Database(db, { readonly: true });
    try {
      for (const t of ['snapshots', 'events', 'rollups', 'series', 'layouts']) expect(after.prepare(`SELECT count(*) FROM ${t} WHERE session = ?`).pluck().get(key), t).toBe(0);
      expect(after.prepare('SELECT count(*) FROM meta WHERE key = ?').pluck().get(`recording:${key}`)).toBe(0);
    } finally {
      after.close();
    }
  }, 120_000);

  it('a recorder whose session row another process deleted anyway reports an error and writes no more rows', async () => {
    // As an older version's `sessions delete` did: every row of the session, from another process.
    const db = join(dir, 'h.db');
    const c = child(db, 'crash');
    const session = (await c.waitFor(/^session /, 30_000)).split(' ')[1];
    await c.waitFor(/^t 1000$/, 30_000);
    const raw = new Database(db);
    raw.pragma('busy_timeout = 5000');
    const key = raw.prepare('SELECT key FROM sessions WHERE id = ?').pluck().get(session) as number;
    raw.transaction(() => {
      for (const t of ['snapshots', 'events', 'loads', 'layouts', 'series', 'rollups', 'rollup_progress']) raw.prepare(`DELETE FROM ${t} WHERE session = ?`).run(key);
      raw.prepare('DELETE FROM sessions WHERE key = ?').run(key);
    })();
    const err = await c.waitFor(/^error /, 30_000);
    expect(err).toBe(`error recording of session ${session} stopped: ${db}: session '${session}' was deleted (or ended) by another process while this one was recording it`);
    // The process keeps running (it still hands snapshots to its recorder) and nothing more is written.
    const last = Math.max(...c.lines.filter((l) => l.startsWith('t ')).map((l) => Number(l.slice(2))));
    await c.waitFor(new RegExp(`^t ${last + 1000}$`), 30_000);
    expect(c.proc.exitCode).toBe(null);
    const counts = (): number[] => ['snapshots', 'events', 'loads', 'layouts', 'series', 'rollups', 'rollup_progress'].map((t) => raw.prepare(`SELECT count(*) FROM ${t} WHERE session = ?`).pluck().get(key) as number);
    expect(counts()).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(raw.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    c.proc.kill('SIGKILL');
    await c.exited;
    expect(counts()).toEqual([0, 0, 0, 0, 0, 0, 0]);
    raw.close();
  }, 120_000);
});
