/**
 * Crash safety and a full disk, with real processes and real files:
 * - a recording child is SIGKILLed mid-session; reopening passes
 *   PRAGMA integrity_check and at most the last second is lost;
 * - a child recording under a file-size limit (ulimit -f) gets a clear error,
 *   stops recording and keeps running; what was stored stays readable.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { HistoryClient } from '../src/main/history/client.ts';

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
});
