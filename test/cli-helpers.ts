/** Helpers for CLI tests: spawn the real `iocm` (node bin/iocm.mjs) and collect its output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** Repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What a CLI run produced. */
export interface CliRun {
  code: number | null;
  /** The signal that ended it, when it did not exit by itself. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/iocm.mjs ...args` from the repository root (or `cwd`). */
export function iocm(args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Poll http://127.0.0.1:PORT/healthz until it answers (any status), failing when `child` exits
 * first or after 30 s; returns the status. For a server whose output nobody reads.
 */
export async function healthzWhileAlive(child: { exitCode: number | null }, port: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (Date.now() - t0 > 30_000) throw new Error(`the ${what} never answered`);
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode} without its output`);
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 0) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
}
