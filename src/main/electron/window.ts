/**
 * The console window: hardened webPreferences (context isolation, sandbox, no Node
 * integration, no webviews), remembered size and position (window-state.ts), and the
 * OS theme as background colour so there is no white flash in dark mode.
 */
import { BrowserWindow, nativeTheme, screen } from 'electron';
import { join } from 'node:path';
import { APP_ORIGIN } from './security.ts';
import { MIN_WINDOW, fitToDisplays, loadWindowState, saveWindowState, type WindowState } from './window-state.ts';

/** Options of {@link createConsoleWindow}. */
export interface ConsoleWindowOptions {
  preloadPath: string;
  /** Electron's userData directory (window-state.json lives there). */
  userData: string;
  /** Dev server URL under `electron-vite dev`; otherwise the app scheme is used. */
  devUrl?: string | null;
}

/** Create, restore and show the console window. */
export function createConsoleWindow(opts: ConsoleWindowOptions): BrowserWindow {
  const stateFile = join(opts.userData, 'window-state.json');
  const saved = fitToDisplays(loadWindowState(stateFile), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...(saved.x !== undefined && saved.y !== undefined ? { x: saved.x, y: saved.y } : {}),
    width: saved.width,
    height: saved.height,
    minWidth: MIN_WINDOW.width,
    minHeight: MIN_WINDOW.height,
    show: false,
    title: 'IOcm Console',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#15181d' : '#f6f7f9',
    webPreferences: {
      preload: opts.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  if (saved.maximized) win.maximize();

  let timer: ReturnType<typeof setTimeout> | null = null;
  const snapshot = (): WindowState => {
    const b = win.getNormalBounds();
    return { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() };
  };
  const save = (): void => {
    if (win.isDestroyed()) return;
    const e = saveWindowState(stateFile, snapshot());
    if (e) console.warn(`iocm: could not save the window position: ${e.message}`);
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('close', () => {
    if (timer) clearTimeout(timer);
    save();
  });
  win.once('ready-to-show', () => win.show());

  void win.loadURL(opts.devUrl ?? `${APP_ORIGIN}/index.html`);
  return win;
}
