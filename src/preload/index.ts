/**
 * Sandboxed preload (built as CommonJS: out/preload/index.cjs). Exposes
 * - `window.iocm`: the IocmApi over the whitelisted IPC channels only
 *   (iocm:call:<method> for METHOD_NAMES, iocm:event:<event> for EVENT_NAMES);
 * - `window.iocmShell`: the OS theme and application-menu commands.
 * Nothing else from Electron or Node reaches the page. Imports only electron and src/shared.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, createApiClient, err, type EventName, type Result } from '../shared/api.ts';
import { SHELL_CHANNELS, eventChannel, methodChannel, type IocmShell, type MenuCommand, type Theme } from '../shared/shell.ts';

const methods: ReadonlySet<string> = new Set(METHOD_NAMES);
const events: ReadonlySet<string> = new Set(EVENT_NAMES);

/** Subscribers per event stream; one ipcRenderer listener per stream, added on first use. */
const listeners = new Map<EventName, Set<(payload: unknown) => void>>();

function subscribe(event: EventName, cb: (payload: unknown) => void): () => void {
  if (!events.has(event) || typeof cb !== 'function') return () => {};
  let set = listeners.get(event);
  if (!set) {
    const created = new Set<(payload: unknown) => void>();
    listeners.set(event, created);
    set = created;
    ipcRenderer.on(eventChannel(event), (_e: IpcRendererEvent, payload: unknown) => {
      for (const fn of [...created]) {
        try {
          fn(payload);
        } catch (e) {
          console.error(`iocm: a '${event}' subscriber failed`, e);
        }
      }
    });
  }
  set.add(cb);
  return () => {
    set.delete(cb);
  };
}

function invoke(method: string, args: unknown): Promise<Result<unknown>> {
  if (!methods.has(method)) return Promise.resolve(err('not-found', `Unknown request '${String(method).slice(0, 100)}'.`));
  return ipcRenderer.invoke(methodChannel(method), args) as Promise<Result<unknown>>;
}

function shellListener<T>(channel: string, cb: (value: T) => void): () => void {
  const fn = (_e: IpcRendererEvent, value: T): void => cb(value);
  ipcRenderer.on(channel, fn);
  return () => {
    ipcRenderer.removeListener(channel, fn);
  };
}

const shell: IocmShell = {
  getTheme: () => ipcRenderer.invoke(SHELL_CHANNELS.getTheme) as Promise<Theme>,
  onTheme: (cb) => shellListener<Theme>(SHELL_CHANNELS.theme, cb),
  onMenu: (cb) => shellListener<MenuCommand>(SHELL_CHANNELS.menu, cb),
};

contextBridge.exposeInMainWorld('iocm', createApiClient(invoke as never, subscribe as never));
contextBridge.exposeInMainWorld('iocmShell', shell);
