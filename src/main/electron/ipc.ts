/**
 * The IPC transport of IocmApi in the desktop app.
 * - Registers one `ipcMain.handle` channel per whitelisted method (iocm:call:<method>)
 *   and nothing else; every call's sender frame must be the app's own page
 *   (iocm://app/…), otherwise it gets an `unauthorized` error.
 * - Every payload is validated with the shared zod schemas ({@link dispatch}).
 * - `saveFile` is answered here with a native save dialog (bytes from the page, or an
 *   exported file by its `exportId`, copied from disk so its size never matters).
 * - Events from the services are coalesced by {@link EventBatcher} (a few messages per
 *   second) and sent to the window on iocm:event:<event>.
 * - The shell's own channels: the OS theme (get + push).
 */
import { ipcMain, nativeTheme, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, err, type EventName, type Unsubscribe } from '../../shared/api.ts';
import { validateArgs } from '../../shared/api-schema.ts';
import { SHELL_CHANNELS, eventChannel, methodChannel, type MenuCommand, type Theme } from '../../shared/shell.ts';
import { dispatch, type ApiBackend } from '../server/backend.ts';
import { EventBatcher } from '../server/batcher.ts';
import { saveWithDialog } from './dialogs.ts';
import { isAppFrameUrl } from './security.ts';

/** True when an IPC message comes from the app's own top-level page in our window. */
function senderOk(event: IpcMainInvokeEvent, getWindow: () => BrowserWindow | null): boolean {
  const win = getWindow();
  if (!win || win.isDestroyed() || event.sender !== win.webContents) return false;
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  return isAppFrameUrl(frame.url);
}

/** The current OS theme. */
export function currentTheme(): Theme {
  return nativeTheme.shouldUseDarkColors ? 'dark' : 'light';
}

/** Installed IPC: sends shell messages, and removes everything on dispose. */
export interface IpcBridge {
  sendMenu(cmd: MenuCommand): void;
  dispose(): void;
}

/** Register the whitelisted channels on `backend`; events go to `getWindow()`. */
export function registerIpc(backend: ApiBackend, getWindow: () => BrowserWindow | null, flushMs?: number): IpcBridge {
  const send = (channel: string, payload: unknown): void => {
    const win = getWindow();
    if (win && !win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(channel, payload);
  };
  const batcher = new EventBatcher((event, payload) => send(eventChannel(event), payload), flushMs);

  for (const method of METHOD_NAMES) {
    ipcMain.handle(methodChannel(method), async (event, args: unknown) => {
      if (!senderOk(event, getWindow)) return err('unauthorized', 'This window is not allowed to use the console API.');
      if (method === 'saveFile') {
        const valid = validateArgs('saveFile', args);
        if (!valid.ok) return valid;
        const a = valid.value as { fileName?: string; bytes?: Uint8Array; exportId?: string };
        if (a.bytes) return saveWithDialog(getWindow(), { fileName: a.fileName ?? 'export', bytes: a.bytes });
        // An exported file: copied from the services' temp folder to where the user chooses.
        const file = a.exportId && backend.claimExport ? backend.claimExport(a.exportId) : null;
        if (!file) return err('not-found', 'That export is no longer available (exports wait a few minutes); export again.', 'exportId');
        try {
          return await saveWithDialog(getWindow(), { fileName: a.fileName ?? file.fileName, path: file.path });
        } finally {
          file.release();
        }
      }
      return dispatch(backend, method, args);
    });
  }
  ipcMain.handle(SHELL_CHANNELS.getTheme, (event) => (senderOk(event, getWindow) ? currentTheme() : null));

  const subs: Unsubscribe[] = EVENT_NAMES.map((name: EventName) => backend.subscribe(name, (p) => batcher.push(name, p as never)));
  const onTheme = (): void => send(SHELL_CHANNELS.theme, currentTheme());
  nativeTheme.on('updated', onTheme);

  return {
    sendMenu: (cmd) => send(SHELL_CHANNELS.menu, cmd),
    dispose: () => {
      for (const u of subs) u();
      batcher.close();
      nativeTheme.off('updated', onTheme);
      for (const method of METHOD_NAMES) ipcMain.removeHandler(methodChannel(method));
      ipcMain.removeHandler(SHELL_CHANNELS.getTheme);
    },
  };
}
