/**
 * The transport-facing side of the services: `call` a whitelisted method, `subscribe`
 * to an event stream. Both transports (Electron IPC in src/main/electron/ipc.ts and the
 * WebSocket server here) validate with the shared zod schemas through {@link dispatch},
 * so a payload is accepted or refused identically whichever way it came.
 */
import { EVENT_NAMES, METHOD_NAMES, err, type EventName, type IocmApi, type MethodName, type Result, type Unsubscribe } from '../../shared/api.ts';
import { validateArgs } from '../../shared/api-schema.ts';
import type { ClaimedExport, ExportSource } from '../services/exports.ts';

export type { ClaimedExport, ExportSource };

/** What a transport needs from the services. */
export interface ApiBackend {
  /** Call a method with already-validated arguments. */
  call(method: MethodName, args: unknown): Promise<Result<unknown>>;
  /** Subscribe to an event stream. */
  subscribe(event: EventName, cb: (payload: unknown) => void): Unsubscribe;
  /** Exported files (downloads in headless mode, the save dialog in the desktop app). */
  claimExport?(exportId: string): ClaimedExport | null;
}

/** Adapt an object implementing IocmApi (e.g. the services) and its export store to {@link ApiBackend}. */
export function backendFromApi(api: IocmApi, exports?: ExportSource): ApiBackend {
  const methods = api as unknown as Record<MethodName, (args?: unknown) => Promise<Result<unknown>>>;
  return {
    call: (method, args) => methods[method](args),
    subscribe: (event, cb) => api.on(event, cb as never),
    ...(exports ? { claimExport: (id: string) => exports.claim(id) } : {}),
  };
}

/**
 * Validate and run one request: unknown methods → `not-found`, bad arguments →
 * `invalid-argument` naming the field, a thrown error → `internal`. Never throws.
 */
export async function dispatch(backend: ApiBackend, method: unknown, args: unknown): Promise<Result<unknown>> {
  if (typeof method !== 'string') return err('invalid-argument', "The request has no 'method' name.", 'method');
  const valid = validateArgs(method, args);
  if (!valid.ok) return valid;
  try {
    const res = await backend.call(method as MethodName, valid.value);
    if (!res || typeof res !== 'object' || typeof (res as { ok?: unknown }).ok !== 'boolean') {
      return err('internal', `The host answered ${method} with something that is not a result.`);
    }
    return res;
  } catch (e) {
    return err('internal', `${method} failed: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** The method whitelist as a set. */
export const METHOD_SET: ReadonlySet<string> = new Set(METHOD_NAMES);
/** The event whitelist as a set. */
export const EVENT_SET: ReadonlySet<string> = new Set(EVENT_NAMES);
