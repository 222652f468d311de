/**
 * Spawning worker threads that run TypeScript sources under plain Node (tsx)
 * as well as bundled JavaScript in the Electron build.
 *
 * Node 20 does not carry tsx's module hooks into worker threads, so for a
 * `.ts` entry we add `--import tsx` to the worker's execArgv.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** execArgv that loads tsx in a worker when the entry is TypeScript. */
export function workerExecArgv(entry: URL | string): string[] {
  const href = typeof entry === 'string' ? entry : entry.href;
  const base = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  if (!/\.(c|m)?ts$/.test(href)) return base;
  if (base.some((a) => a.includes('tsx'))) return base;
  const tsxEsm = pathToFileURL(require.resolve('tsx/esm')).href;
  return [...base, '--import', tsxEsm];
}

/** Start a worker thread on `entry` (a .ts source under tsx, or a .js bundle). */
export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  return new Worker(entry, { ...options, execArgv: options.execArgv ?? workerExecArgv(entry) });
}
