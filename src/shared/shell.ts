/**
 * What the desktop shell (Electron main process) tells the renderer beyond the
 * IocmApi: application-menu commands and the OS light/dark theme. Exposed by the
 * preload as `window.iocmShell`; absent in headless (browser) mode, where the
 * renderer follows `prefers-color-scheme` and has no native menu.
 *
 * Shared layer: no node, electron or DOM imports.
 */

/** Console views the View menu can switch to. */
export type ConsoleView = 'overview' | 'side-cores' | 'vms' | 'decisions' | 'sessions';

/** The View menu's entries in order. */
export const CONSOLE_VIEWS = ['overview', 'side-cores', 'vms', 'decisions', 'sessions'] as const satisfies readonly ConsoleView[];

/** A command from the application menu that the renderer carries out. */
export type MenuCommand =
  /** Show a view. */
  | { kind: 'view'; view: ConsoleView }
  /** File → Export…: open the export dialog for the session in view (or the live one). */
  | { kind: 'export' };

/** The OS colour scheme. */
export type Theme = 'light' | 'dark';

/** `window.iocmShell` in the desktop app. */
export interface IocmShell {
  /** The OS theme now. */
  getTheme(): Promise<Theme>;
  /** Called when the OS theme changes; returns an unsubscribe function. */
  onTheme(cb: (theme: Theme) => void): () => void;
  /** Called for each application-menu command; returns an unsubscribe function. */
  onMenu(cb: (cmd: MenuCommand) => void): () => void;
}

/** IPC channel names the shell and preload share (not part of IocmApi). */
export const SHELL_CHANNELS = {
  getTheme: 'iocm-shell:get-theme',
  theme: 'iocm-shell:theme',
  menu: 'iocm-shell:menu',
} as const;

/** IPC channel of an IocmApi method (`ipcMain.handle`). */
export function methodChannel(method: string): string {
  return `iocm:call:${method}`;
}

/** IPC channel of an IocmApi event stream (`webContents.send`). */
export function eventChannel(event: string): string {
  return `iocm:event:${event}`;
}
