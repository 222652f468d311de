/**
 * File-system helpers shared by src/main areas.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
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

/**
 * Read a small JSON or text file the user named, as UTF-8: only a regular file (a FIFO or a device
 * would block or never end) of at most `maxBytes`. Throws an Error whose message says why in words
 * ("no such file", "permission denied", "is a directory, expected a .json file", "not a regular
 * file", "N bytes; `what` is at most M MiB"), for the caller to put after the file's name.
 */
export function readSmallFile(path: string, maxBytes: number, what: string): string {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error('is a directory, expected a .json file');
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`${st.size} bytes; ${what} is at most ${maxBytes / (1024 * 1024)} MiB`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('no such file', { cause: e });
    if (code === 'EACCES') throw new Error('permission denied', { cause: e });
    throw e;
  }
}
