/**
 * Spawning worker threads that run TypeScript sources under plain Node (tsx)
 * as well as bundled JavaScript in the Electron build.
 *
 * Node 20.20 does not carry tsx's module hooks into a worker's entry, not even
 * with `--import tsx` in its execArgv, so a `.ts` entry starts through
 * ./ts-worker-boot.mjs, which registers tsx inside the worker and then imports
 * the entry (passed as `workerData.__entry`). A `.js` entry is spawned as is.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when `entry` is a TypeScript source that needs the tsx bootstrap. */
export function isTsEntry(entry: URL): boolean {
  return /\.(c|m)?ts$/.test(entry.pathname);
}

/** Start a worker thread on `entry` (a .ts source under tsx, or a .js bundle). */
export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!isTsEntry(entry)) return new Worker(entry, options);
  const data = (options.workerData ?? {}) as Record<string, unknown>;
  if (typeof data !== 'object' || Array.isArray(data)) throw new TypeError('spawnWorker: workerData of a .ts entry must be a plain object');
  return new Worker(new URL('./ts-worker-boot.mjs', import.meta.url), { ...options, workerData: { ...data, __entry: entry.href } });
}
