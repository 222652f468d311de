/**
 * The renderer's handle on the IocmApi. main.ts installs the transport's API
 * (window.iocm over IPC, or the WebSocket client); tests install an in-memory one.
 */
import type { IocmApi } from '../shared/api.ts';

let current: IocmApi | null = null;

/** Install the API the stores use. */
export function setApi(api: IocmApi): void {
  current = api;
}

/** The installed API; throws if main.ts (or the test) has not installed one. */
export function useApi(): IocmApi {
  if (!current) throw new Error('IocmApi not installed: call setApi() first');
  return current;
}

let opCounter = 0;
/** A fresh operation id for long operations (export, what-if). */
export function newOpId(prefix: string): string {
  opCounter++;
  const rnd = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID().slice(0, 8) : String(opCounter);
  return `${prefix}-${opCounter}-${rnd}`;
}
