import { describe, expect, it } from 'vitest';
import { FRAME_BUDGET_MS, pendingFrameJobs, queueFrameJob, cancelFrameJob, yieldNextFrame } from './frame-queue.ts';

const frame = () => new Promise((r) => setTimeout(r, 40));

describe('frame queue', () => {
  it('keeps only the latest job per key and runs them in later frames', async () => {
    const ran: string[] = [];
    const a = {};
    const b = {};
    queueFrameJob(a, () => ran.push('a1'));
    queueFrameJob(a, () => ran.push('a2'));
    queueFrameJob(b, () => ran.push('b'));
    expect(pendingFrameJobs()).toBe(2);
    expect(ran).toEqual([]);
    await frame();
    expect(ran).toEqual(['a2', 'b']);
  });

  it('stops a frame when the budget is spent and continues in the next', async () => {
    const ran: number[] = [];
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    for (let i = 0; i < 3; i++) queueFrameJob({}, () => (busy(FRAME_BUDGET_MS + 1), ran.push(i)));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([0]);
    await frame();
    await frame();
    expect(ran).toEqual([0, 1, 2]);
    const k = {};
    queueFrameJob(k, () => ran.push(99));
    cancelFrameJob(k);
    await frame();
    expect(ran).not.toContain(99);
  });

  it('yields the frame after other work, then runs', async () => {
    const ran: string[] = [];
    yieldNextFrame();
    queueFrameJob({}, () => ran.push('x'));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([]);
    await frame();
    expect(ran).toEqual(['x']);
  });
});
