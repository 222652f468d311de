/**
 * The desktop app's lifecycle (Electron main process): single-instance lock,
 * security hardening, the iocm:// renderer protocol, the services (started through
 * the `start` callback so this module stays independent of how they are built), IPC,
 * the application menu, the window, and a clean shutdown (services.shutdown() closes
 * the history database) before the process exits.
 */
import { app, dialog, type BrowserWindow } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiBackend } from '../server/backend.ts';
import { registerIpc, type IpcBridge } from './ipc.ts';
import { installMenu } from './menu.ts';
import type { AppPaths } from './paths.ts';
import { hardenSession, hardenWebContents, registerAppScheme, serveRenderer, trustedDevRendererUrl } from './security.ts';
import { SQLITE_BINDING_ENV, findElectronSqliteBinding, type SqliteBinding } from './sqlite.ts';
import { createConsoleWindow } from './window.ts';

/** Running services as the shell sees them. */
export interface DesktopServices {
  backend: ApiBackend;
  /** Stop the loop and close the history database. */
  shutdown(): Promise<void>;
}

/** What the shell passes to the services' factory. */
export interface DesktopContext {
  paths: AppPaths;
  /** Electron's userData directory (the history DB lives there). */
  userData: string;
  /** The Electron-ABI better-sqlite3 build, if present. */
  sqlite: SqliteBinding;
}

/** Options of {@link startDesktopApp}. */
export interface DesktopOptions {
  paths: AppPaths;
  start(ctx: DesktopContext): Promise<DesktopServices>;
}

const SHUTDOWN_TIMEOUT_MS = 5000;

/** Run the desktop app. Call once from src/main/index.ts. */
export function startDesktopApp(opts: DesktopOptions): void {
  registerAppScheme();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.setName('IOcm Console');

  let win: BrowserWindow | null = null;
  let services: DesktopServices | null = null;
  let ipc: IpcBridge | null = null;
  let quitting = false;

  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents));

  const fail = (title: string, message: string): void => {
    dialog.showErrorBox(title, message);
    app.exit(1);
  };

  app.whenReady().then(async () => {
    const { paths } = opts;
    const devUrl = trustedDevRendererUrl(process.env, app.isPackaged);
    if (!devUrl && !existsSync(join(paths.rendererDir, 'index.html'))) {
      fail('IOcm Console', `The console's pages are missing (${paths.rendererDir}). Run: npx electron-vite build`);
      return;
    }
    hardenSession();
    serveRenderer(paths.rendererDir);

    const sqlite = findElectronSqliteBinding(paths.appRoot);
    if (sqlite.ok) process.env[SQLITE_BINDING_ENV] = sqlite.path;
    try {
      services = await opts.start({ paths, userData: app.getPath('userData'), sqlite });
    } catch (e) {
      fail('IOcm Console could not start', (e as Error)?.stack ?? String(e));
      return;
    }

    ipc = registerIpc(services.backend, () => win);
    const backend = services.backend;
    installMenu({
      dev: !app.isPackaged,
      send: (cmd) => ipc?.sendMenu(cmd),
      pauseLoop: () => void backend.call('pauseLoop', {}),
      resumeLoop: () => void backend.call('resumeLoop', {}),
    });
    win = createConsoleWindow({ preloadPath: paths.preloadPath, userData: app.getPath('userData'), devUrl });
    win.on('closed', () => {
      win = null;
    });
    if (!sqlite.ok) {
      void dialog.showMessageBox(win, { type: 'warning', title: 'History recording is off', message: sqlite.message });
    }
  });

  app.on('window-all-closed', () => app.quit());

  app.on('before-quit', (event) => {
    if (quitting || !services) return;
    event.preventDefault();
    quitting = true;
    ipc?.dispose();
    const done = services.shutdown().catch((e) => console.error('iocm: shutdown failed', e));
    const timeout = new Promise((r) => setTimeout(r, SHUTDOWN_TIMEOUT_MS));
    void Promise.race([done, timeout]).then(() => app.quit());
  });
}
