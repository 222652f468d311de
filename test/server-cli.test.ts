/**
 * `iocm serve` as a process: prints one line with http://127.0.0.1:PORT/#token=…, serves
 * with 401 for a wrong token, and shuts down cleanly on SIGTERM (exit 0, history database
 * closed with the session ended). Bad arguments exit with code 2.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { healthzWhileAlive } from './cli-helpers.ts';
import { DEFAULT_RENDERER_DIR, rendererWarning } from '../src/main/cli/commands/serve.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'iocm.mjs');

describe('iocm serve (process)', () => {
  it('prints the tokened URL, refuses a wrong token and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iocm-serve-cli-'));
    const db = join(dir, 'history.db');
    try {
      const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--scenario', 'rr-few', '--speed', '10', '--db', db], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let errText = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (errText += String(d)));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const t0 = Date.now();
      while (!/\n/.test(out)) {
        if (Date.now() - t0 > 30_000) throw new Error(`no URL line; stderr: ${errText}`);
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${errText}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const m = /http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]+)/.exec(out);
      expect(m, out).not.toBeNull();
      expect(out.trim().split('\n')).toHaveLength(1);
      const [, port, token] = m!;
      expect((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Bearer x${token}` } })).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(errText).toMatch(/history database closed/);
      // Unbuilt pages are said at start (the page would answer 503), built ones are not.
      expect(errText.includes("warning: the console's pages are not built")).toBe(!existsSync(join(DEFAULT_RENDERER_DIR, 'index.html')));
      // The database is consistent and the session was ended by the clean shutdown.
      const conn = new Database(db, { readonly: true });
      try {
        expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
        const rows = conn.prepare('SELECT ended_at, status, snapshot_count FROM sessions').all() as {
          ended_at: number | null;
          status: string;
          snapshot_count: number;
        }[];
        expect(rows.length).toBe(1);
        expect(typeof rows[0].ended_at).toBe('number');
        expect(rows[0].status).not.toBe('recording');
        expect(rows[0].snapshot_count).toBeGreaterThan(0);
      } finally {
        conn.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps serving when its stdout and stderr go away (serve | head -1), and SIGHUP ends the session cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iocm-serve-cli-'));
    const db = join(dir, 'history.db');
    try {
      // A free port chosen here: the URL line is written into a pipe nobody reads.
      const port = await new Promise<number>((r) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const p = (probe.address() as { port: number }).port;
          probe.close(() => r(p));
        });
      });
      const child = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--scenario', 'rr-few', '--speed', '10', '--db', db], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      // The reader goes away before the first line: every write of the server meets EPIPE.
      child.stdout.destroy();
      child.stderr.destroy();
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const status = await healthzWhileAlive(child, port, 'server');
      expect(status).toBe(401);
      await new Promise((r) => setTimeout(r, 2000));
      expect(child.exitCode).toBeNull();
      child.kill('SIGHUP');
      expect(await exited).toBe(0);
      const conn = new Database(db, { readonly: true });
      try {
        const rows = conn.prepare('SELECT status, snapshot_count FROM sessions').all() as { status: string; snapshot_count: number }[];
        expect(rows).toHaveLength(1);
        expect(rows[0].status).toBe('complete');
        expect(rows[0].snapshot_count).toBeGreaterThan(0);
      } finally {
        conn.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns with how to build the pages when they are missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iocm-serve-pages-'));
    try {
      expect(rendererWarning(dir)).toMatch(/not built .*index\.html is missing.*503.*npm run build:renderer.*npm run serve/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits with code 2 and a clear message for bad arguments', async () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'serve', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const host = run('--host', '0.0.0.0', '--port', '0');
    expect(host.status).toBe(2);
    expect(host.stderr).toMatch(/loopback/);
    const port = run('--port', '70000');
    expect(port.status).toBe(2);
    expect(port.stderr).toMatch(/--port/);
    // The live runner's pacing range (0.25–64, or 0), refused before anything starts.
    const slow = run('--port', '0', '--speed', '0.1');
    expect(slow.status).toBe(2);
    expect(slow.stderr).toMatch(/--speed: speed 0\.1 is out of range/);
    const dir = mkdtempSync(join(tmpdir(), 'iocm-serve-cli-'));
    try {
      const scen = run('--port', '0', '--scenario', 'no-such-scenario', '--db', join(dir, 'h.db'));
      expect(scen.status).toBe(2);
      expect(scen.stderr).toMatch(/no-such-scenario/);
      // A side-core count the host cannot take: refused as `iocm simulate` refuses it, before any database exists.
      const big = run('--port', '0', '--scenario', 'rr-few', '--policy', 'static:99', '--db', join(dir, 'p.db'));
      expect(big.status).toBe(2);
      expect(big.stderr.trim()).toBe('iocm serve: static:K: K must be at most 5 on a 6-core host (at least one VM core), got 99');
      expect(existsSync(join(dir, 'p.db'))).toBe(false);
      // A --db in a folder that does not exist: refused with simulate --record's words; nothing created.
      const nodir = join(dir, 'no', 'such', 'x.db');
      const db = run('--port', '0', '--scenario', 'rr-few', '--db', nodir);
      expect(db.status).toBe(2);
      expect(db.stderr.trim()).toBe(`iocm serve: --db: the folder of ${nodir} does not exist`);
      expect(existsSync(join(dir, 'no'))).toBe(false);
      // A port in use: exit 2 in one line, and no session recorded (the port is tried before the model boots).
      const holder = createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
      const taken = (holder.address() as { port: number }).port;
      try {
        const busy = run('--port', String(taken), '--scenario', 'rr-few', '--db', join(dir, 'busy.db'));
        expect(busy.status).toBe(2);
        expect(busy.stderr.trim()).toBe(`iocm serve: port ${taken} is in use; pick another with --port, or --port 0 for a free one`);
        if (existsSync(join(dir, 'busy.db'))) {
          const d = new Database(join(dir, 'busy.db'), { readonly: true });
          expect(d.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
          d.close();
        }
      } finally {
        await new Promise<void>((r) => holder.close(() => r()));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
