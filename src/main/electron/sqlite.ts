/**
 * better-sqlite3 inside Electron needs a native build for Electron's ABI, which is
 * not what `npm install` builds (that one is for Node's ABI and is what the tests and
 * the headless server use). The desktop app therefore looks for an Electron-ABI build
 * at native/electron/better_sqlite3.node (built by scripts/build-electron-sqlite.sh)
 * and hands it to better-sqlite3 through its `nativeBinding` option; node_modules is
 * never touched.
 *
 * No electron import.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where scripts/build-electron-sqlite.sh puts the Electron-ABI build, relative to the project root. */
export const ELECTRON_SQLITE_RELPATH = join('native', 'electron', 'better_sqlite3.node');

/** Environment variable through which the path reaches the services and their worker threads. */
export const SQLITE_BINDING_ENV = 'IOCM_SQLITE_NATIVE_BINDING';

/** Result of the lookup. */
export type SqliteBinding = { ok: true; path: string } | { ok: false; path: string; message: string };

/** Find the Electron-ABI better-sqlite3 build under `appRoot`; explain how to build it when missing. */
export function findElectronSqliteBinding(appRoot: string): SqliteBinding {
  const path = join(appRoot, ELECTRON_SQLITE_RELPATH);
  if (existsSync(path)) return { ok: true, path };
  return {
    ok: false,
    path,
    message:
      `History recording is off: the desktop app needs better-sqlite3 built for Electron at\n${path}\n\n` +
      `Build it once with:  bash scripts/build-electron-sqlite.sh\n` +
      `(on a machine that can download Electron's headers; see README "Desktop app").\n\n` +
      `The headless console (npm run serve) records history without it.`,
  };
}
