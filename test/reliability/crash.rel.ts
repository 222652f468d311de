/**
 * Faults with real processes and real files:
 * - a recording process SIGKILLed 20 times at random moments (seeded): every time the file
 *   passes integrity_check, at most 1 s of what was handed to the recorder is lost, and the
 *   next process records into the same file;
 * - two processes recording into one database at once, a third reading it;
 * - disk full (ulimit -f): a clear error, the process keeps running, the data stays readable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryClient } from '../../src/main/history/client.ts';
import { prng } from '../../src/main/history/testing.ts';
import { figure } from './figures.ts';

const root = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'iocm-rel-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder(db: string, mode: string, shellPrefix = '') {
  const proc = spawn('bash', ['-c', `${shellPrefix} exec node bin/run-ts.mjs src/main/history/child-recorder.ts '${db}' ${mode}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let gone: number | string | null = null;
  const exited = new Promise<void>((r) => proc.on('exit', (code, sig) => ((gone = sig ?? code ?? 'exited'), r())));
  const waitFor = async (re: RegExp, ms: number): Promise<string> => {
    const t0 = Date.now();
    for (;;) {
      const l = lines.find((x) => re.test(x));
      if (l) return l;
      if (gone !== null) throw new Error(`the recorder exited (${gone}) before printing ${re}; last lines ${lines.slice(-3).join(' | ')}; stderr: ${stderr}`);
      if (Date.now() - t0 > ms) throw new Error(`timeout waiting for ${re}; last lines ${lines.slice(-3).join(' | ')}; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { proc, lines, exited, waitFor };
}

const handedMax = (lines: string[]): number => Math.max(-1, ...lines.filter((l) => l.startsWith('t ')).map((l) => Number(l.slice(2))));

describe('faults', () => {
  it('SIGKILL of a recording process 20 times at random moments', async () => {
    const db = join(dir, 'kill.db');
    const rnd = prng(4242);
    let maxLoss = 0;
    let sessions = 0;
    for (let round = 0; round < 20; round++) {
      const c = recorder(db, 'crash');
      const session = (await c.waitFor(/^session /, 60_000)).split(' ')[1];
      // A random moment: 0.3 to 3 s after the first snapshot.
      await c.waitFor(/^t \d+$/, 60_000);
      await new Promise((r) => setTimeout(r, 300 + Math.floor(rnd() * 2700)));
      c.proc.kill('SIGKILL');
      await c.exited;
      const handed = handedMax(c.lines);
      const raw = new Database(db, { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true }), `round ${round}`).toBe('ok');
      raw.close();
      const client = await HistoryClient.open({ path: db, repair: true });
      try {
        const s = await client.getSession(session);
        expect(s.status).toBe('interrupted');
        const lost = handed - (s.snapshots ? s.t1 : -100);
        maxLoss = Math.max(maxLoss, lost);
        expect(lost, `round ${round}: handed ${handed}, stored up to ${s.t1}`).toBeLessThanOrEqual(1000);
        sessions = (await client.listSessions()).length;
      } finally {
        await client.close();
      }
    }
    expect(sessions).toBe(20);
    figure('SIGKILL x20 while recording', { rounds: 20, maxLostMs: maxLoss, sessions });
  });

  it('two processes record into one database while a third reads it', async () => {
    const db = join(dir, 'two.db');
    const a = recorder(db, 'crash');
    const b = recorder(db, 'crash');
    const ids = [(await a.waitFor(/^session /, 60_000)).split(' ')[1], (await b.waitFor(/^session /, 60_000)).split(' ')[1]];
    await a.waitFor(/^t 3000$/, 60_000);
    await b.waitFor(/^t 3000$/, 60_000);
    const reader = await HistoryClient.open({ path: db, repair: true });
    let reads = 0;
    try {
      for (let i = 0; i < 20; i++) {
        for (const id of ids) {
          const s = await reader.getSession(id);
          expect(s.status).toBe('recording');
          await reader.snapshotsBySeq(id, 0, 50);
          reads++;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await reader.close();
    }
    for (const c of [a, b]) {
      c.proc.kill('SIGTERM');
      await c.exited;
      expect(c.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    }
    const after = await HistoryClient.open({ path: db, repair: true });
    try {
      expect(await after.integrityCheck()).toBe('ok');
      for (const id of ids) expect((await after.getSession(id)).snapshots).toBeGreaterThan(30);
    } finally {
      await after.close();
    }
    figure('two processes, one database', { recorders: 2, reads, errors: 0 });
  });

  it('disk full: a clear error, the process keeps running, the data stays readable', async () => {
    const db = join(dir, 'full.db');
    const c = recorder(db, 'fill', "trap '' XFSZ; ulimit -f 4096;");
    const err = await c.waitFor(/^error /, 180_000);
    expect(err).toMatch(/disk full|file size limit/);
    await c.waitFor(/^done$/, 60_000);
    await c.exited;
    const client = await HistoryClient.open({ path: db, repair: true });
    try {
      expect(await client.integrityCheck()).toBe('ok');
      const [s] = await client.listSessions();
      expect(s.snapshots).toBeGreaterThan(10);
      figure('disk full (ulimit -f 4 MiB)', { storedSnapshots: s.snapshots, status: s.status, processAlive: c.lines.includes('alive') });
    } finally {
      await client.close();
    }
  });
});
