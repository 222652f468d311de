/**
 * Where the history database lives by default, and the app version stored in
 * each session. No electron import: the desktop app and the CLI share this.
 */
import { homedir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The user's default history database: env IOCM_DB if set; else
 * Linux `$XDG_DATA_HOME/iocm-console/history.db` (or ~/.local/share/...),
 * macOS `~/Library/Application Support/iocm-console/history.db`,
 * Windows `%APPDATA%\iocm-console\history.db`.
 */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.IOCM_DB) return env.IOCM_DB;
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'iocm-console', 'history.db');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'iocm-console', 'history.db');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'iocm-console', 'history.db');
}

/**
 * Why the default database cannot be opened, in one line, or null. `$IOCM_DB` is a file the user
 * named, as `--db` is: its folder must exist and is never created (a mistyped folder would
 * otherwise leave a new database somewhere unexpected). The per-user default is the app's own
 * file, and its folder is created on first use, so it never has a problem here.
 */
export function defaultDbProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  if (!env.IOCM_DB) return null;
  const folder = dirname(resolve(env.IOCM_DB));
  if (existsSync(folder)) return null;
  return `IOCM_DB=${env.IOCM_DB}: its folder ${folder} does not exist (create it, or point IOCM_DB at a file in a folder that exists)`;
}

let cachedVersion: string | null = null;

/** The app's version from package.json (found by walking up from this file); '' if not found. */
export function appVersion(): string {
  if (cachedVersion !== null) return cachedVersion;
  cachedVersion = '';
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 6; i++) {
      const p = join(dir, 'package.json');
      if (existsSync(p)) {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'iocm-console') {
          cachedVersion = pkg.version ?? '';
          break;
        }
      }
      dir = dirname(dir);
    }
  } catch {
    // leave ''
  }
  return cachedVersion;
}
