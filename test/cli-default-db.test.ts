/**
 * The default history database: `$IOCM_DB` is a file the user named, as `--db` is, so a folder
 * of it that does not exist is refused (one line naming IOCM_DB and the folder, exit 2) by every
 * command that opens the default database, and nothing is created; the per-user default folder
 * ($XDG_DATA_HOME/iocm-console) is the app's own and is still created on first use. Real CLI
 * processes, real SQLite files; the desktop app's way in (the services opening
 * `defaultDbPath()` through HistoryClient) on the real history worker.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iocm, ROOT } from './cli-helpers.ts';
import { HistoryClient } from '../src/main/history/client.ts';
import { defaultDbPath } from '../src/main/history/paths.ts';
import { createServices } from '../src/main/services/index.ts';

let dir: string;
let bundle: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-default-db-'));
  const db = join(dir, 'src.db');
  const sim = await iocm(['simulate', '--scenario', 'rr-few', '--seconds', '0.5', '--record', db]);
  expect(sim.code, sim.stderr).toBe(0);
  const id = /recorded session (\S+)/.exec(sim.stderr)![1];
  bundle = join(dir, 'one.json');
  const exp = await iocm(['sessions', 'export', '--db', db, '--session', id, '--format', 'json', '--out', bundle]);
  expect(exp.code, exp.stderr).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `iocm serve` on a free port until its URL line (then SIGTERM) or its exit. */
function serve(env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'serve', '--port', '0', '--scenario', 'rr-few'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('\n')) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('$IOCM_DB in a folder that does not exist', () => {
  it('is refused by every command that opens the default database, naming IOCM_DB and the folder; nothing is created', async () => {
    const folder = join(dir, 'no', 'such');
    const env = { IOCM_DB: join(folder, 'h.db') };
    const line = `IOCM_DB=${env.IOCM_DB}: its folder ${folder} does not exist (create it, or point IOCM_DB at a file in a folder that exists)`;
    const runs: [string, Promise<{ code: number | null; stdout: string; stderr: string }>][] = [
      ['serve', serve(env)],
      ['sessions import', iocm(['sessions', 'import', '--in', bundle], env)],
      ['sessions list', iocm(['sessions', 'list'], env)],
      ['sessions show', iocm(['sessions', 'show', '--session', 'x'], env)],
      ['whatif', iocm(['whatif', '--session', 'x', '--policy', 'vhost'], env)],
      ['calibrate', iocm(['calibrate', '--session', 'x'], env)],
    ];
    for (const [what, p] of runs) {
      const r = await p;
      expect(r.stderr, what).toMatch(new RegExp(`^iocm ${what.split(' ')[0]}: (\\w+: )?${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
      expect(r.code, what).toBe(2);
      expect(r.stdout, what).toBe('');
    }
    expect(existsSync(join(dir, 'no'))).toBe(false);
  }, 120_000);

  it('turns the history off in the console services (the desktop app) with the same words, creating nothing', async () => {
    const folder = join(dir, 'gone');
    const prev = process.env.IOCM_DB;
    process.env.IOCM_DB = join(folder, 'h.db');
    const words = `IOCM_DB=${join(folder, 'h.db')}: its folder ${folder} does not exist`;
    try {
      await expect(HistoryClient.open({ path: defaultDbPath() })).rejects.toThrow(words);
      // As src/main/index.ts builds them: the console runs on the model, with history off and why.
      const services = createServices({ dbPath: defaultDbPath(), scenario: 'rr-few', seed: 1, speed: 4 });
      try {
        await services.boot();
        const st = await services.api.getState();
        if (!st.ok) throw new Error(st.error.message);
        expect(st.value.connection.kind).toBe('model');
        expect(st.value.recording.error).toBe(`History is off: ${words} (create it, or point IOCM_DB at a file in a folder that exists)`);
      } finally {
        await services.shutdown();
      }
    } finally {
      if (prev === undefined) delete process.env.IOCM_DB;
      else process.env.IOCM_DB = prev;
    }
    expect(existsSync(folder)).toBe(false);
  }, 30_000);
});

describe('the per-user default database', () => {
  it('has its folder created on first use, by serve and by sessions import', async () => {
    const xdg = join(dir, 'xdg-serve');
    const r = await serve({ IOCM_DB: undefined, XDG_DATA_HOME: xdg });
    expect(r.stdout, r.stderr).toMatch(/^IOcm Console: http:\/\/127\.0\.0\.1:\d+\/#token=/);
    expect(r.code).toBe(0);
    expect(existsSync(join(xdg, 'iocm-console', 'history.db'))).toBe(true);
    const xdg2 = join(dir, 'xdg-import', 'deeper');
    const imp = await iocm(['sessions', 'import', '--in', bundle], { IOCM_DB: undefined, XDG_DATA_HOME: xdg2 });
    expect(imp.code, imp.stderr).toBe(0);
    expect(existsSync(join(xdg2, 'iocm-console', 'history.db'))).toBe(true);
    // $IOCM_DB in a folder that exists: the file is created there, as before.
    const named = join(dir, 'named.db');
    const imp2 = await iocm(['sessions', 'import', '--in', bundle], { IOCM_DB: named });
    expect(imp2.code, imp2.stderr).toBe(0);
    expect(existsSync(named)).toBe(true);
  }, 120_000);
});
