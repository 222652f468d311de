// Bootstrap for the loop's TypeScript worker entries under plain Node 20: tsx's
// loader passed through a worker's execArgv does not reach the worker's entry on
// Node 20.20, so the worker registers tsx itself and imports the real entry
// (workerData.__entry, a file: URL). Bundled .js entries are spawned directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
