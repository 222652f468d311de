/**
 * scripts/build-once.ts with real processes: several that find the output stale at once build it
 * once; a lock left by a killed process is taken over; a reader never finds a half-written
 * output; a failed build keeps the previous one and frees the lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const CHILD = join(ROOT, 'test', 'fixtures', 'build-once-child.ts');

let dir: string;
let out: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-once-'));
  out = join(dir, 'out');
  log = join(dir, 'log');
  writeFileSync(log, '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(mode = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run-ts.mjs'), CHILD, out, log, ...(mode ? [mode] : [])], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => res({ code, stdout, stderr }));
  });
}

const builders = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);
/** Nothing but the output itself left next to it (no lock, no temporary directories). */
const leftovers = (): string[] => readdirSync(dir).filter((n) => n !== 'out' && n !== 'log');

describe('buildOnce', () => {
  it('builds once when four processes find the output stale at the same moment', async () => {
    const rs = await Promise.all([run(), run(), run(), run()]);
    for (const r of rs) expect(r.code, r.stderr).toBe(0);
    expect(builders()).toHaveLength(1);
    expect(rs.filter((r) => r.stdout.startsWith('built')).length).toBe(1);
    expect(rs.filter((r) => r.stdout.startsWith('up to date')).length).toBe(3);
    expect(readFileSync(join(out, 'done'), 'utf8')).toBe(builders()[0]);
    expect(leftovers()).toEqual([]);
  });

  it('takes over a lock whose process is gone', async () => {
    // A real pid that no longer exists: a process that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${out}.lock`, gone);
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^built/);
    expect(existsSync(join(out, 'done'))).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('never shows a reader a half-written output while rebuilding', async () => {
    expect((await run()).code).toBe(0);
    let seen = 0;
    let half = 0;
    let rebuilding = true;
    const p = Promise.all([run('force'), run('force')]).finally(() => (rebuilding = false));
    while (rebuilding) {
      // The swap is two renames: the output may be missing for an instant, never incomplete.
      let names: string[] = [];
      try {
        names = readdirSync(out);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // between the two renames
      }
      if (names.length > 0) {
        seen++;
        if (!names.includes('done') || !names.includes('part')) half++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const r of await p) expect(r.code, r.stderr).toBe(0);
    expect(builders()).toHaveLength(3); // forced: both built, one after the other
    expect(seen).toBeGreaterThan(10);
    expect(half).toBe(0);
    expect(leftovers()).toEqual([]);
  });

  it('keeps the previous output and frees the lock when a build fails', async () => {
    expect((await run()).code).toBe(0);
    const before = readFileSync(join(out, 'done'), 'utf8');
    rmSync(join(out, 'done')); // stale again, but `part` from the good build stays
    writeFileSync(join(out, 'done-was'), before);
    const r = await run('fail');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the build failed on purpose/);
    expect(readFileSync(join(out, 'done-was'), 'utf8')).toBe(before);
    expect(leftovers()).toEqual([]);
    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^built/);
  });
});
