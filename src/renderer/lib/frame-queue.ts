/**
 * Spreads chart redraws over animation frames: each chart queues its latest update
 * (newer ones replace older ones), and each frame runs queued updates only while the
 * frame's budget lasts (always at least one). Two or three charts refreshed by the same
 * 10 Hz batch then draw in consecutive frames instead of one long frame.
 */

type Job = () => void;

const pending = new Map<object, Job>();
let scheduled = false;
/** Work allowed per frame before the rest waits for the next frame, ms. */
export const FRAME_BUDGET_MS = 3;

const raf: (cb: () => void) => void =
  typeof requestAnimationFrame === 'function' ? (cb) => requestAnimationFrame(() => cb()) : (cb) => setTimeout(cb, 16);
const now: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

let yieldNext = false;

/**
 * Tell the queue that the coming frame already carries other work (a telemetry batch was just
 * applied to the DOM): queued chart draws wait one frame so the two do not add up.
 */
export function yieldNextFrame(): void {
  yieldNext = true;
}

function run(): void {
  scheduled = false;
  if (yieldNext) {
    yieldNext = false;
    schedule();
    return;
  }
  const start = now();
  for (const [key, job] of pending) {
    pending.delete(key);
    job();
    if (now() - start >= FRAME_BUDGET_MS) break;
  }
  if (pending.size) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  raf(run);
}

/** Queue `job` for `key` (replacing a queued one for the same key). */
export function queueFrameJob(key: object, job: Job): void {
  pending.delete(key);
  pending.set(key, job);
  schedule();
}

/** Drop a queued job (component unmounted). */
export function cancelFrameJob(key: object): void {
  pending.delete(key);
}

/** Jobs waiting (tests). */
export function pendingFrameJobs(): number {
  return pending.size;
}
