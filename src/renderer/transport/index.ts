/**
 * The renderer's way to the host: `getApi()` returns `window.iocm` (IPC, set by the
 * preload in the desktop app) when present, otherwise a WebSocket client to the
 * headless server using the token from the page's URL (`?token=…`). The views and
 * stores see the same IocmApi either way.
 */
import type { IocmApi, Unsubscribe } from '../../shared/api.ts';
import type { IocmShell } from '../../shared/shell.ts';
import { createWsClient, type ConnectionState, type WsApi } from './ws-client.ts';

export type { ConnectionState } from './ws-client.ts';

let api: IocmApi | null = null;
let ws: WsApi | null = null;

/** The ws:// URL of the API for a page at `loc` (the token comes from the page's query string). */
export function wsUrlFor(loc: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws?token=${encodeURIComponent(token)}`;
}

/** The page's API (created once). */
export function getApi(): IocmApi {
  if (api) return api;
  const w = globalThis as unknown as { iocm?: IocmApi; location?: Location };
  if (w.iocm) {
    api = w.iocm;
    return api;
  }
  if (!w.location) throw new Error('No window.iocm and no page location: cannot reach the host.');
  ws = createWsClient({ url: wsUrlFor(w.location) });
  api = ws;
  return api;
}

/** The transport in use: 'ipc' (desktop) or 'websocket' (headless). */
export function transportKind(): 'ipc' | 'websocket' {
  getApi();
  return ws ? 'websocket' : 'ipc';
}

/** Connection state now ('open' for IPC, which cannot drop). */
export function connectionState(): ConnectionState {
  getApi();
  return ws ? ws.connectionState() : 'open';
}

/** Follow the connection state (never changes for IPC). */
export function onConnectionState(cb: (state: ConnectionState) => void): Unsubscribe {
  getApi();
  return ws ? ws.onConnectionState(cb) : () => {};
}

/** The desktop shell's theme and menu commands, or null in a browser. */
export function getShell(): IocmShell | null {
  return (globalThis as unknown as { iocmShell?: IocmShell }).iocmShell ?? null;
}
