import { describe, it, expect } from 'vitest';
import { ReplayCursor, type ReplaySource, type ReplayTimer } from './replay.ts';
import type { HistorySession } from './types.ts';

/** A timer driven by hand: `advance(ms)` moves the clock and runs the interval callback once. */
function manualTimer(): ReplayTimer & { advance(ms: number): void } {
  let now = 0;
  let fn: (() => void) | null = null;
  return {
    now: () => now,
    setInterval: (f) => ((fn = f), 1),
    clearInterval: () => void (fn = null),
    advance(ms) {
      now += ms;
      fn?.();
    },
  };
}

const session = { id: 's1', t0: 100, t1: 10_000, intervalMs: 100 } as HistorySession;

describe('ReplayCursor', () => {
  it('a read that fails while playing pauses the cursor and is reported, not left unhandled', async () => {
    let fail = false;
    const source: ReplaySource = {
      getSession: async () => session,
      seek: async () => null,
      snapshotsBetween: async () => {
        if (fail) throw new Error('history database is closed');
        return [];
      },
      prevSnapshot: async () => null,
      eventsBetween: async () => [],
      findEvent: async () => null,
    };
    const timer = manualTimer();
    const errors: string[] = [];
    const cursor = await ReplayCursor.open(source, 's1', { timer, onBatch: () => {}, onError: (m) => errors.push(m) });
    cursor.play();
    timer.advance(500);
    await cursor.idle();
    expect(cursor.state()).toMatchObject({ playing: true, t: 500 });
    fail = true;
    timer.advance(500);
    await cursor.idle();
    await new Promise((r) => setImmediate(r));
    expect(cursor.state()).toMatchObject({ playing: false, t: 500 });
    expect(errors).toEqual(['replay of session s1 stopped at 500 ms: history database is closed']);
    // The cursor still works afterwards.
    fail = false;
    expect((await cursor.step(1)).t).toBe(500);
  });
});
