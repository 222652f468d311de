/**
 * IocmApi over WebSocket (headless mode; the server is src/main/server). Requests are
 * `{id, method, args}` frames answered by `{id, result}`; events arrive as
 * `{event, payload}` (already batched by the server). See src/shared/wire.ts.
 *
 * - Reconnects with exponential backoff (250 ms doubling to 10 s, reset on success).
 * - Authenticates with the token as a WebSocket subprotocol (`iocm-token.<token>` next to
 *   `iocm.v1`): never a cookie, never in the URL (docs/security.md).
 * - Reports its connection state (`connecting`, `open`, `reconnecting`, `unauthorized`,
 *   `no-token`, `closed`); when a connection fails before opening, it probes the server over
 *   HTTP and stops retrying on 401 (a wrong or expired token). With no token at all (a page
 *   opened without its `#token=…`) it does not connect: the state is `no-token` from the start,
 *   so the page can say what is missing rather than that the token is wrong.
 * - Requests made while disconnected wait for the connection (up to the request timeout);
 *   a long operation (a request with an `opId`: export, what-if) waits as long as its progress
 *   keeps arriving (each progress event under its opId restarts the timeout); requests in flight when the connection drops resolve with an `internal` error, since
 *   it is unknown whether they ran. Nothing throws: every call resolves to a Result.
 *
 * DOM-free apart from the WebSocket constructor (injectable, so tests run it under Node).
 */
import { createApiClient, err, type EventName, type IocmApi, type MethodName, type Result, type Unsubscribe } from '../../shared/api.ts';
import { WS_SUBPROTOCOL, WS_TOKEN_PREFIX, decodeWire, encodeWire } from '../../shared/wire.ts';

/** The connection's state. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'no-token' | 'closed';

/** The subset of the WebSocket API the client uses (browser WebSocket or the `ws` package). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

/** Options of {@link createWsClient}. */
export interface WsClientOptions {
  /** ws://host:port/ws */
  url: string;
  /** The server's token (sent as a subprotocol on the upgrade and as a Bearer header on the probe). */
  token: string;
  /** WebSocket constructor (default: globalThis.WebSocket). */
  WebSocketImpl?: new (url: string, protocols?: string[]) => WebSocketLike;
  /** An HTTP URL answering 401 for a bad token (default: derived from `url`: /healthz); null to skip the probe. */
  probeUrl?: string | null;
  /** First reconnect delay, ms (default 250). */
  initialBackoffMs?: number;
  /** Longest reconnect delay, ms (default 10 000). */
  maxBackoffMs?: number;
  /**
   * How long a request may wait for a connection and its answer, ms (default 30 000); for a long
   * operation (args with an `opId`), how long it may go without a progress event.
   */
  requestTimeoutMs?: number;
}

/** IocmApi over WebSocket, plus connection control. */
export type WsApi = IocmApi & {
  /** The connection's state now. */
  connectionState(): ConnectionState;
  /** Called on every state change; returns an unsubscribe function. */
  onConnectionState(cb: (state: ConnectionState) => void): Unsubscribe;
  /** Close for good (no reconnect). */
  close(): void;
};

interface Pending {
  method: MethodName;
  args: unknown;
  resolve: (r: Result<unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
  sent: boolean;
  /** The long operation's id (args.opId), whose progress events keep the request alive. */
  opId?: string;
}

const OPEN = 1;

/** The answer to every request of a client made without a token. */
const NO_TOKEN = "This page's link carries no token: open the URL the console server printed when it started (npm run serve or iocm serve); it ends with #token=….";

/** Derive the HTTP probe URL from a ws:// URL. */
function defaultProbeUrl(wsUrl: string): string | null {
  try {
    const u = new URL(wsUrl);
    u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
    u.pathname = '/healthz';
    u.search = '';
    return u.toString();
  } catch {
    return null;
  }
}

/** Create the client; it connects at once. */
export function createWsClient(opts: WsClientOptions): WsApi {
  const Impl = opts.WebSocketImpl ?? (globalThis as unknown as { WebSocket: new (url: string, protocols?: string[]) => WebSocketLike }).WebSocket;
  const protocols = [WS_SUBPROTOCOL, `${WS_TOKEN_PREFIX}${opts.token}`];
  const initialBackoff = opts.initialBackoffMs ?? 250;
  const maxBackoff = opts.maxBackoffMs ?? 10_000;
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  const probeUrl = opts.probeUrl === undefined ? defaultProbeUrl(opts.url) : opts.probeUrl;

  let ws: WebSocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let backoff = initialBackoff;
  let everOpened = false;
  let closedForGood = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const stateListeners = new Set<(s: ConnectionState) => void>();

  const setState = (s: ConnectionState): void => {
    if (s === state) return;
    state = s;
    for (const cb of [...stateListeners]) cb(s);
  };

  const finish = (id: number, r: Result<unknown>): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(r);
  };

  const expire = (id: number, method: MethodName): ReturnType<typeof setTimeout> =>
    setTimeout(() => finish(id, err('internal', `No answer to '${method}' within ${Math.round(timeoutMs / 1000)} s (connection: ${state}).`)), timeoutMs);

  /** A long operation still running on the host (its progress arrived): restart its request's timeout. */
  const keepAlive = (payload: unknown): void => {
    const opId = (payload as { opId?: unknown } | null)?.opId;
    if (typeof opId !== 'string') return;
    for (const [id, p] of pending) {
      if (p.opId !== opId) continue;
      clearTimeout(p.timer);
      p.timer = expire(id, p.method);
    }
  };

  const sendPending = (id: number, p: Pending): void => {
    if (!ws || ws.readyState !== OPEN || p.sent) return;
    try {
      ws.send(encodeWire({ id, method: p.method, args: p.args }));
      p.sent = true;
    } catch (e) {
      finish(id, err('internal', `Could not send the request: ${(e as Error).message}`));
    }
  };

  const onMessage = (data: unknown): void => {
    let msg: Record<string, unknown>;
    try {
      msg = decodeWire(typeof data === 'string' ? data : String(data)) as Record<string, unknown>;
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.event === 'string') {
      if (msg.event === 'progress') keepAlive(msg.payload);
      const set = listeners.get(msg.event as EventName);
      if (set) {
        for (const cb of [...set]) {
          try {
            cb(msg.payload);
          } catch (e) {
            console.error(`iocm: a '${msg.event}' subscriber failed`, e);
          }
        }
      }
      return;
    }
    if (typeof msg.id === 'number' && msg.result && typeof msg.result === 'object') {
      finish(msg.id, msg.result as Result<unknown>);
    }
  };

  const scheduleReconnect = (): void => {
    if (closedForGood || reconnectTimer) return;
    const delay = backoff;
    backoff = Math.min(maxBackoff, backoff * 2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, delay);
  };

  const probeThenReconnect = async (): Promise<void> => {
    if (probeUrl && typeof fetch === 'function') {
      try {
        const res = await fetch(probeUrl, { credentials: 'omit', headers: { Authorization: `Bearer ${opts.token}` } });
        if (res.status === 401) {
          closedForGood = true;
          setState('unauthorized');
          for (const id of [...pending.keys()]) finish(id, err('unauthorized', 'The server refused the token. Open the URL printed by iocm serve (it carries the token after #).'));
          return;
        }
      } catch {
        // server down: keep retrying
      }
    }
    if (!closedForGood) scheduleReconnect();
  };

  function connect(): void {
    if (closedForGood) return;
    setState(everOpened ? 'reconnecting' : 'connecting');
    let sock: WebSocketLike;
    try {
      sock = new Impl(opts.url, protocols);
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    let opened = false;
    sock.onopen = () => {
      opened = true;
      everOpened = true;
      backoff = initialBackoff;
      setState('open');
      for (const [id, p] of pending) sendPending(id, p);
    };
    sock.onmessage = (ev) => onMessage(ev.data);
    sock.onerror = () => {};
    sock.onclose = () => {
      if (ws === sock) ws = null;
      for (const [id, p] of [...pending]) {
        if (p.sent) finish(id, err('internal', `The connection to the host was lost while '${p.method}' was running; it may or may not have taken effect.`));
      }
      if (closedForGood) return;
      setState(everOpened ? 'reconnecting' : 'connecting');
      if (!opened) void probeThenReconnect();
      else scheduleReconnect();
    };
  }

  const invoke = (method: MethodName, args: unknown): Promise<Result<unknown>> =>
    new Promise((resolve) => {
      if (closedForGood) {
        if (state === 'no-token') resolve(err('unauthorized', NO_TOKEN));
        else resolve(err(state === 'unauthorized' ? 'unauthorized' : 'not-ready', state === 'unauthorized' ? 'The server refused the token in the URL.' : 'The connection is closed.'));
        return;
      }
      const id = nextId++;
      const opId = (args as { opId?: unknown } | null | undefined)?.opId;
      const p: Pending = { method, args, resolve, sent: false, timer: expire(id, method), ...(typeof opId === 'string' ? { opId } : {}) };
      pending.set(id, p);
      sendPending(id, p);
    });

  const subscribe = (event: EventName, cb: (payload: unknown) => void): Unsubscribe => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(cb);
    return () => {
      set.delete(cb);
    };
  };

  const api = createApiClient(invoke, subscribe) as WsApi;
  api.connectionState = () => state;
  api.onConnectionState = (cb) => {
    stateListeners.add(cb);
    return () => {
      stateListeners.delete(cb);
    };
  };
  api.close = () => {
    closedForGood = true;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = null;
    for (const id of [...pending.keys()]) finish(id, err('not-ready', 'The connection was closed.'));
    ws?.close(1000, 'client closed');
    ws = null;
    setState('closed');
  };

  if (opts.token === '') {
    // Every request would be refused: say the token is missing instead of probing for a 401.
    closedForGood = true;
    state = 'no-token';
  } else connect();
  return api;
}
