import { describe, it, expect } from 'vitest';
import { EventHeap } from './heap.ts';
import { Rng } from './rng.ts';

describe('EventHeap', () => {
  it('pops events in time order and keeps entity/kind with their time', () => {
    const h = new EventHeap(4);
    const rng = new Rng(3);
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = Math.floor(rng.next() * 1e6);
      times.push(t);
      h.push(t, i, i % 7);
    }
    expect(h.size).toBe(1000);
    let last = -Infinity;
    const seen = new Set<number>();
    while (h.pop()) {
      expect(h.lastTime).toBeGreaterThanOrEqual(last);
      expect(times[h.lastEnt]).toBe(h.lastTime);
      expect(h.lastKind).toBe(h.lastEnt % 7);
      seen.add(h.lastEnt);
      last = h.lastTime;
    }
    expect(seen.size).toBe(1000);
    expect(h.pop()).toBe(false);
    expect(h.peekTime()).toBe(Infinity);
  });

  it('interleaves pushes and pops correctly', () => {
    const h = new EventHeap(2);
    h.push(5, 1, 0);
    h.push(1, 2, 0);
    h.pop();
    expect(h.lastEnt).toBe(2);
    h.push(3, 3, 0);
    h.push(0, 4, 0);
    expect(h.peekTime()).toBe(0);
    const order: number[] = [];
    while (h.pop()) order.push(h.lastEnt);
    expect(order).toEqual([4, 3, 1]);
  });
});
