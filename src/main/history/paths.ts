/**
 * Where the history database lives by default, and the app version stored in
 * each session. No electron import: the desktop app and the CLI share this.
 */
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
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
