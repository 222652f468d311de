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
 * file", "N bytes; `what` is at most M MiB", "a symbolic link loop …": {@link fsErrorWords}), for the caller to put after the file's name.
 */
export function readSmallFile(path: string, maxBytes: number, what: string): string {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error('is a directory, expected a .json file');
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`${st.size} bytes; ${what} is at most ${maxBytes / (1024 * 1024)} MiB`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    const words = fsErrorWords(e);
    if (words) throw new Error(words, { cause: e });
    throw e;
  }
}

/**
 * The words for an error of opening or stat-ing a path the user named ("no such file",
 * "permission denied", "a symbolic link loop (…)", …), or null for another error. A symlink loop
 * is its own case: `existsSync` is false for one, which read as "no such file".
 */
export function fsErrorWords(e: unknown): string | null {
  switch ((e as NodeJS.ErrnoException)?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'a symbolic link loop (too many levels of symbolic links)';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return null;
  }
}
