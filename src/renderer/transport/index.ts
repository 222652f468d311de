/**
 * The renderer's way to the host: `getApi()` returns `window.iocm` (IPC, set by the
 * preload in the desktop app) when present, otherwise a WebSocket client to the
 * headless server using the token from the page's URL fragment (`#token=…`, which the
 * browser never sends to any server). The token is then kept in sessionStorage (scoped to
 * this origin and tab, so a reload works) and removed from the address bar. The views and
 * stores see the same IocmApi either way.
 */
import type { IocmApi, Unsubscribe } from '../../shared/api.ts';
import type { IocmShell } from '../../shared/shell.ts';
import { createWsClient, type ConnectionState, type WsApi } from './ws-client.ts';

export type { ConnectionState } from './ws-client.ts';

let api: IocmApi | null = null;
let ws: WsApi | null = null;

const TOKEN_KEY = 'iocm.token';

/** The ws:// URL of the API for a page at `loc`. */
export function wsUrlFor(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/** The token in a location fragment ('#token=abc' or '#/view?token=abc' → 'abc'), or null. */
export function tokenFromHash(hash: string): string | null {
  const m = /[#&?]token=([0-9A-Za-z_-]{1,512})/.exec(hash);
  return m ? m[1] : null;
}

/** Read the token from the fragment (then drop it from the address bar) or from this tab's storage. */
function pageToken(w: { location: Location; sessionStorage?: Storage; history?: History }): string {
  const fromHash = tokenFromHash(w.location.hash);
  if (fromHash) {
    try {
      w.sessionStorage?.setItem(TOKEN_KEY, fromHash);
      w.history?.replaceState(null, '', `${w.location.pathname}${w.location.search}#/`);
    } catch {
      // storage disabled: the token lives only in this page
    }
    return fromHash;
  }
  try {
    return w.sessionStorage?.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** The page's API (created once). */
export function getApi(): IocmApi {
  if (api) return api;
  const w = globalThis as unknown as { iocm?: IocmApi; location?: Location; sessionStorage?: Storage; history?: History };
  if (w.iocm) {
    api = w.iocm;
    return api;
  }
  if (!w.location) throw new Error('No window.iocm and no page location: cannot reach the host.');
  ws = createWsClient({ url: wsUrlFor(w.location), token: pageToken({ location: w.location, sessionStorage: w.sessionStorage, history: w.history }) });
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
