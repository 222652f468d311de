/**
 * Build a directory at most once when several processes find it stale at the same moment
 * (parallel test files each start `npm run serve`, a developer runs `npm run serve` beside
 * `npm test`), and never let a reader see a half-written one:
 *
 * - one process builds, under a lock file next to the output (`<out>.lock`, created
 *   exclusively, holding its pid); the others wait for it, then check staleness again;
 * - a lock whose process is gone (killed mid-build) is taken over;
 * - the build writes a fresh sibling directory that replaces the output by rename, so a
 *   server already serving the old one keeps whole files until the swap.
 */
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BuildOnceOptions {
  /** The directory the build produces. */
  outDir: string;
  /** Why `outDir` must be (re)built, or null when it is up to date. */
  stale(): string | null;
  /** Produce the output in `tmpDir` (empty or missing). */
  build(tmpDir: string): Promise<void>;
  /** How long to wait for another process's build (default 10 minutes). */
  waitMs?: number;
  /** Told when this process waits for another one, or builds. */
  log?: (msg: string) => void;
}

/** Whether process `pid` is alive (EPERM: it exists under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock: true when taken, false when a live process holds it. */
function tryLock(lock: string): boolean {
  try {
    const fd = openSync(lock, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let holder: number;
  try {
    holder = Number(readFileSync(lock, 'utf8'));
  } catch {
    return false; // released between our open and read: try again on the next round
  }
  // An empty file is a holder between its open and its write: treat it as alive.
  if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
    rmSync(lock, { force: true });
  }
  return false;
}

/**
 * Make `outDir` up to date: returns the reason it was built by this process, or null when it
 * was already up to date (possibly after waiting for another process that built it).
 */
export async function buildOnce(opts: BuildOnceOptions): Promise<string | null> {
  const { outDir } = opts;
  const lock = `${outDir}.lock`;
  const deadline = Date.now() + (opts.waitMs ?? 600_000);
  mkdirSync(dirname(outDir), { recursive: true });
  let told = false;
  for (;;) {
    if (opts.stale() === null) return null;
    if (tryLock(lock)) break;
    if (Date.now() > deadline) throw new Error(`waited ${opts.waitMs ?? 600_000} ms for the build of ${outDir} held by ${lock}`);
    if (!told) {
      opts.log?.(`waiting for another process to build ${outDir}…`);
      told = true;
    }
    await sleep(200);
  }
  const tmp = join(dirname(outDir), `.${basename(outDir)}-${process.pid}`);
  const old = `${tmp}-old`;
  try {
    // Stale again under the lock? Another process may have built it since our last check.
    const reason = opts.stale();
    if (reason === null) return null;
    opts.log?.(`building ${outDir} (${reason})…`);
    rmSync(tmp, { recursive: true, force: true });
    await opts.build(tmp);
    if (existsSync(outDir)) renameSync(outDir, old);
    try {
      renameSync(tmp, outDir);
    } catch (e) {
      if (existsSync(old)) renameSync(old, outDir); // put the previous build back
      throw e;
    }
    rmSync(old, { recursive: true, force: true });
    return reason;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    try {
      unlinkSync(lock);
    } catch {
      // already gone
    }
  }
}
