/**
 * What the preload (src/preload/index.ts) puts on `window` in the desktop app.
 * Both are absent in headless mode (a browser talking WebSocket): use
 * src/renderer/transport `getApi()` rather than reading `window.iocm` directly.
 */
import type { IocmApi } from '../shared/api.ts';
import type { IocmShell } from '../shared/shell.ts';

declare global {
  interface Window {
    /** The console API over IPC (desktop app only). */
    iocm?: IocmApi;
    /** Theme and menu commands from the desktop shell (desktop app only). */
    iocmShell?: IocmShell;
  }
}

export {};
