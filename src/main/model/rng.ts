/**
 * Seeded pseudo-random numbers for the host model: xoshiro128** on 32-bit
 * integers, seeded through splitmix32. No Math.random anywhere in the model.
 */

/** splitmix32 step: a well-mixed 32-bit integer from a 32-bit state. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128** generator; same seed → same sequence on every platform. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seed with any finite number (its 32-bit integer part and high bits are mixed in). */
  constructor(seed: number) {
    const lo = seed | 0;
    const hi = Math.floor(seed / 4294967296) | 0;
    this.s0 = splitmix32(lo);
    this.s1 = splitmix32(this.s0 ^ hi);
    this.s2 = splitmix32(this.s1 + 1);
    this.s3 = splitmix32(this.s2 + 2);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * Next 32-bit integer, signed (the same bits as nextU32). A signed int32 is a small integer to
   * V8, so returning it from a call that is not inlined allocates nothing; an unsigned one ≥ 2^31
   * or a double is boxed in a new HeapNumber (hot callers use `(nextI32() >>> 0) / 2^32`).
   */
  nextI32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    return this.nextI32() >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return (this.nextI32() >>> 0) / 4294967296;
  }

  /** Exponentially distributed value with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Poisson-distributed count with the given mean (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 30) {
      const l = Math.exp(-mean);
      let k = 0;
      let p = this.next();
      while (p > l) {
        k++;
        p *= this.next();
      }
      return k;
    }
    // Box-Muller normal approximation.
    const u = 1 - this.next();
    const v = this.next();
    const n = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const k = Math.round(mean + n * Math.sqrt(mean));
    return k < 0 ? 0 : k;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
