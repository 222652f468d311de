/**
 * Worker thread of `runMany` (sweep.ts): receives {id, spec}, runs it with
 * runOne, posts progress (at most ~20 per run) and the result.
 */
import { parentPort } from 'node:worker_threads';
import { runOne, type RunSpec, type SweepWorkerMessage } from './sweep.ts';

const port = parentPort;
if (!port) throw new Error('sweep-worker must run in a worker thread');
port.on('message', (m: { id: number; spec: RunSpec }) => {
  const post = (msg: SweepWorkerMessage): void => port.postMessage(msg);
  try {
    let last = 0;
    const result = runOne(m.spec, (done, total) => {
      if (done - last >= total / 20 || done === total) {
        last = done;
        post({ type: 'progress', id: m.id, done, total });
      }
    });
    post({ type: 'result', id: m.id, result });
  } catch (err) {
    post({ type: 'error', id: m.id, message: (err as Error).message });
  }
});
