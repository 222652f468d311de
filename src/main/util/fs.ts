/**
 * File-system helpers shared by src/main areas.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Create a folder and its missing parents, like `mkdirSync(dir, { recursive: true })`, but never
 * hanging: under /proc, where mkdir answers ENOENT below a folder that exists, Node 20's recursive
 * mkdir retries forever at 100 % CPU (`iocm evaluate --out /proc/x`, `--db /proc/x/h.db`). The
 * missing levels are made one by one, so such a path fails at once with that error. Throws the
 * fs error (`code` ENOENT, EACCES, …; ENOTDIR when `dir` exists and is not a folder).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      // Made meanwhile by another process: fine.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a folder, '${dir}'`), { code: 'ENOTDIR' });
}
