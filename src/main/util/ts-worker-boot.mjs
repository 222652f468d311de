// Bootstrap for running a TypeScript worker entry under plain Node 20: tsx's
// loader given through a worker's execArgv (--import) does not reach the
// worker's entry module on Node 20.20, so the worker registers tsx itself and
// then imports the real entry (workerData.__entry, a file: URL).
// Used by spawnWorker (./worker.ts) for .ts entries; bundled .js entries run directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
