/**
 * Worker-thread entry of the live runner (LiveRunner in ./live.ts): runs a
 * LiveCore (host model + IOcm loop), paced by performance.now() (the only
 * clock; the core itself is deterministic given its inputs), posting a
 * TelemetryBatch every `batchMs` and answering commands. Protocol: CONTEXT.md.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { LiveCore } from './live-core.ts';
import type { LiveCommand, LiveEvent, LiveStartOptions } from './live-protocol.ts';

const port = parentPort;
if (!port) throw new Error('live-worker must run in a worker thread');
const post = (m: LiveEvent): void => port.postMessage(m);

let core: LiveCore | null = null;
let start: LiveStartOptions | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let lastBatch = 0;
/**
 * A batch is posted and not yet acknowledged. At most one is in flight, so a main thread slower
 * than the worker (speed 0 on a big host, a loaded machine) is never buried under a queue of
 * batches it cannot take: meanwhile a paced worker keeps simulating into its next batch, and one
 * running as fast as possible waits. Batches that answer a command are posted regardless.
 */
let inFlight = false;

function boot(o: LiveStartOptions): void {
  // Build first: a scenario that fails to start leaves the running host and its options in place.
  const next = new LiveCore({ ...o, now: () => performance.now() });
  start = o;
  core = next;
  post({ type: 'ready', info: core.info, config: core.config(), status: core.status() });
  lastBatch = performance.now();
  schedule();
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  if (!core || core.stopped) return;
  // As fast as possible: yield to the event loop between ticks (and wait for the main thread to
  // take the last batch); otherwise tick every 20 ms.
  if (core.speed === 0 && inFlight) return;
  timer = setTimeout(loop, core.speed === 0 ? 0 : 20);
}

/** Post what is new; unless `always` (a command's answer), not while a batch is in flight. */
function flush(always = false): void {
  if (!core || (inFlight && !always)) return;
  const b = core.takeBatch();
  if (b) {
    post({ type: 'batch', batch: b, config: core.config() });
    inFlight = true;
  }
  lastBatch = performance.now();
}

function loop(): void {
  if (!core) return;
  try {
    core.tick();
    if (performance.now() - lastBatch >= (start?.batchMs ?? 200)) flush();
  } catch (err) {
    post({ type: 'error', message: `live host failed: ${(err as Error).message}` });
    core.stopped = true;
    return;
  }
  schedule();
}

port.on('message', (m: LiveCommand) => {
  try {
    switch (m.type) {
      case 'start':
        boot(m.options);
        return;
      case 'restart': {
        if (!start) throw new Error('not started');
        if (core) flush(true);
        boot({ ...start, ...(m.scenario ? { scenario: m.scenario } : {}), ...(m.seed !== undefined ? { seed: m.seed } : {}) });
        return;
      }
      case 'override': {
        const r = core!.override(m.cmd);
        flush(true);
        post({ type: 'reply', id: m.id, result: r });
        return;
      }
      case 'setPolicy': {
        const errors = core!.setPolicy(m.name, m.config);
        flush(true);
        post({ type: 'reply', id: m.id, result: errors });
        return;
      }
      case 'setSpeed': {
        const e = core!.setSpeed(m.speed);
        post({ type: 'reply', id: m.id, result: e });
        flush(true);
        schedule();
        return;
      }
      case 'setLimits': {
        const errors = core!.setLimits(m.limits);
        flush(true);
        post({ type: 'reply', id: m.id, result: errors });
        return;
      }
      case 'status':
        post({ type: 'reply', id: m.id, result: core!.status() });
        return;
      case 'ack':
        inFlight = false;
        if (!timer) schedule(); // a worker running as fast as possible waited for this
        return;
      case 'stop':
        if (core) {
          core.tick();
          core.stopped = true;
          flush(true);
        }
        if (timer) clearTimeout(timer);
        post({ type: 'reply', id: m.id, result: null });
        return;
    }
  } catch (err) {
    const id = 'id' in m ? (m as { id: number }).id : -1;
    if (id >= 0) post({ type: 'reply', id, result: null, error: (err as Error).message });
    else post({ type: 'error', message: (err as Error).message });
  }
});

if (workerData && (workerData as { options?: LiveStartOptions }).options) boot((workerData as { options: LiveStartOptions }).options);
