/**
 * Log-linear latency histogram (HDR-like): values in nanoseconds, exact below
 * 64 ns, then 32 linear sub-buckets per power of two (≤ 3 % relative error),
 * up to 2^31 ns (≈ 2.1 s; larger values are clamped). Preallocated; record()
 * takes a count so a batch of requests with one latency is one call.
 */

const SUB = 32;
const LINEAR = 64;
/** Number of buckets. */
export const HIST_BUCKETS = LINEAR + 25 * SUB;
const MAX_NS = 2147483647;

/** Bucket index of a latency in ns. */
export function bucketOf(ns: number): number {
  let v = ns <= 0 ? 0 : ns >= MAX_NS ? MAX_NS : Math.floor(ns);
  if (v < LINEAR) return v;
  const e = 31 - Math.clz32(v);
  v = (v >>> (e - 5)) - SUB;
  return LINEAR + (e - 6) * SUB + v;
}

/** Representative value (bucket midpoint) in ns of a bucket. */
export function bucketValue(idx: number): number {
  if (idx < LINEAR) return idx;
  const e = 6 + Math.floor((idx - LINEAR) / SUB);
  const mant = (idx - LINEAR) % SUB;
  const width = 2 ** (e - 5);
  return (SUB + mant) * width + width / 2;
}

/** A latency histogram over one interval (or merged over many). */
export class LatencyHistogram {
  /** Counts per bucket. */
  readonly counts = new Float64Array(HIST_BUCKETS);
  /** Total count. */
  total = 0;
  /** Lowest and highest bucket that may be non-zero (lo > hi when empty). */
  lo = HIST_BUCKETS;
  hi = -1;

  /** Record `count` samples of latency `ns`. */
  record(ns: number, count: number): void {
    const b = bucketOf(ns);
    this.counts[b] += count;
    this.total += count;
    if (b < this.lo) this.lo = b;
    if (b > this.hi) this.hi = b;
  }

  /** Add another histogram's counts into this one. */
  merge(other: LatencyHistogram): void {
    if (other.total === 0) return;
    const a = this.counts;
    const b = other.counts;
    const lo = other.lo;
    const hi = other.hi;
    for (let i = lo; i <= hi; i++) a[i] += b[i];
    this.total += other.total;
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
  }

  /** Value in ns at quantile q (0..1); 0 when empty. */
  quantile(q: number): number {
    if (this.total <= 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.total - 1e-9));
    let acc = 0;
    const c = this.counts;
    for (let i = this.lo; i <= this.hi; i++) {
      acc += c[i];
      if (acc >= target) return bucketValue(i);
    }
    return bucketValue(this.hi);
  }

  /** Clear all counts. */
  reset(): void {
    if (this.total === 0 && this.hi < 0) return;
    if (this.hi >= this.lo) this.counts.fill(0, this.lo, this.hi + 1);
    this.total = 0;
    this.lo = HIST_BUCKETS;
    this.hi = -1;
  }
}
