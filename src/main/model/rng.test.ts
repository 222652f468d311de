import { describe, it, expect } from 'vitest';
import { Rng } from './rng.ts';

describe('Rng (xoshiro128**)', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 20 }, () => a.nextU32());
    const xb = Array.from({ length: 20 }, () => b.nextU32());
    const xc = Array.from({ length: 20 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('produces uniform floats in [0,1) with the right mean', () => {
    const r = new Rng(1);
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < 100000; i++) {
      const x = r.next();
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      sum += x;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / 100000).toBeCloseTo(0.5, 2);
  });

  it('draws Poisson counts with the requested mean (small and large)', () => {
    const r = new Rng(9);
    for (const mean of [0.5, 3, 80]) {
      let s = 0;
      for (let i = 0; i < 20000; i++) s += r.poisson(mean);
      expect(s / 20000).toBeGreaterThan(mean * 0.95);
      expect(s / 20000).toBeLessThan(mean * 1.05);
    }
    expect(r.poisson(0)).toBe(0);
  });

  it('nextI32, nextU32 and next draw the same bits from one sequence (nextI32 signed: no boxing)', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(42);
    let negatives = 0;
    for (let i = 0; i < 10_000; i++) {
      const s = a.nextI32();
      const u = b.nextU32();
      const f = c.next();
      expect(Number.isInteger(s) && s >= -(2 ** 31) && s < 2 ** 31).toBe(true);
      expect(u).toBe(s >>> 0);
      expect(f).toBe(u / 4294967296);
      if (s < 0) negatives++;
    }
    // About half the draws have the top bit set: that is where the signed form differs.
    expect(negatives).toBeGreaterThan(4500);
    expect(negatives).toBeLessThan(5500);
  });
});
