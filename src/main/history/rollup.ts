/**
 * Multi-resolution rollups: per series, per resolution (1 s, 10 s, 60 s; only
 * those coarser than the snapshot interval), buckets of min/max/avg/last/count.
 * Bucket b of resolution r holds the snapshots with b·r ≤ t < (b+1)·r (t in ms
 * since session start). Buckets are stored columnar: one row per (session,
 * series, resolution, chunk of {@link CHUNK} buckets) holding a compact blob,
 * so a whole-day query of one series reads a few dozen rows.
 *
 * Bucket numbers are computed in JS (Math.floor) and stored as integers;
 * nothing does integer arithmetic on REAL-bound values in SQL.
 */

/** Rollup resolutions in ms, finest first. */
export const RESOLUTIONS: readonly number[] = [1000, 10_000, 60_000];

/** Buckets per stored chunk row. */
export const CHUNK = 64;

/** The resolutions used for a session with this snapshot interval (strictly coarser than it). */
export function resolutionsFor(intervalMs: number): number[] {
  return RESOLUTIONS.filter((r) => r > intervalMs);
}

/** Buckets of one series over [b0, b0 + n): NaN / count 0 where empty. */
export interface Buckets {
  b0: number;
  n: number;
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  last: Float64Array;
  count: Float64Array;
}

/** Empty buckets. */
export function emptyBuckets(b0: number, n: number): Buckets {
  const nan = (): Float64Array => new Float64Array(n).fill(NaN);
  return { b0, n, min: nan(), max: nan(), sum: new Float64Array(n), last: nan(), count: new Float64Array(n) };
}

/** Add one value to bucket i. */
export function addValue(b: Buckets, i: number, v: number): void {
  if (Number.isNaN(v)) return;
  if (b.count[i] === 0) {
    b.min[i] = v;
    b.max[i] = v;
  } else {
    if (v < b.min[i]) b.min[i] = v;
    if (v > b.max[i]) b.max[i] = v;
  }
  b.sum[i] += v;
  b.last[i] = v;
  b.count[i]++;
}

/** Columns of bucket statistics (Buckets, and the builder's per-resolution chunk arrays). */
interface BucketStats {
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  last: Float64Array;
  count: Float64Array;
}

/** Merge the non-empty bucket `src[j]` into `dst[i]` (`src` covers the later part of `dst[i]`'s time). */
function mergeBucket(dst: BucketStats, i: number, src: BucketStats, j: number): void {
  if (dst.count[i] === 0) {
    dst.min[i] = src.min[j];
    dst.max[i] = src.max[j];
  } else {
    if (src.min[j] < dst.min[i]) dst.min[i] = src.min[j];
    if (src.max[j] > dst.max[i]) dst.max[i] = src.max[j];
  }
  dst.sum[i] += src.sum[j];
  dst.last[i] = src.last[j];
  dst.count[i] += src.count[j];
}

/**
 * Merge the non-empty buckets of `fine` (resolution `fineRes` ms) whose bucket numbers lie in
 * [lo, hi] into `out`, whose bucket i covers [origin + (out.b0 + i)·width, origin + (out.b0 + i + 1)·width)
 * ms (`origin` and `width` multiples of `fineRes`). Visits `fine.n` buckets, whatever the time they span.
 */
export function mergeByTime(out: Buckets, origin: number, width: number, fine: Buckets, fineRes: number, lo: number, hi: number): void {
  for (let j = 0; j < fine.n; j++) {
    const b = fine.b0 + j;
    if (fine.count[j] === 0 || b < lo || b > hi) continue;
    const i = Math.floor((b * fineRes - origin) / width) - out.b0;
    if (i < 0 || i >= out.n) continue;
    mergeBucket(out, i, fine, j);
  }
}

/**
 * Chunk blob: Float32 min[CHUNK], max[CHUNK], avg[CHUNK], last[CHUNK], then
 * Uint32 count[CHUNK] (20 bytes per bucket). Float32 is enough to draw; exact
 * values come from the raw snapshots.
 */
export function encodeChunk(min: ArrayLike<number>, max: ArrayLike<number>, sum: ArrayLike<number>, last: ArrayLike<number>, count: ArrayLike<number>, off: number): Buffer {
  const buf = Buffer.alloc(CHUNK * 20);
  const f = new Float32Array(buf.buffer, buf.byteOffset, CHUNK * 4);
  const c = new Uint32Array(buf.buffer, buf.byteOffset + CHUNK * 16, CHUNK);
  for (let i = 0; i < CHUNK; i++) {
    const n = count[off + i];
    c[i] = n;
    f[i] = n ? min[off + i] : NaN;
    f[CHUNK + i] = n ? max[off + i] : NaN;
    f[2 * CHUNK + i] = n ? sum[off + i] / n : NaN;
    f[3 * CHUNK + i] = n ? last[off + i] : NaN;
  }
  return buf;
}

/** Copy a stored chunk (chunk number `chunk`) into buckets `out` where they overlap. */
export function decodeChunkInto(out: Buckets, chunk: number, blob: Uint8Array): void {
  if (blob.byteLength !== CHUNK * 20) throw new RangeError(`rollup chunk of ${blob.byteLength} bytes, expected ${CHUNK * 20}`);
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  const f = new Float32Array(copy.buffer, 0, CHUNK * 4);
  const c = new Uint32Array(copy.buffer, CHUNK * 16, CHUNK);
  const base = chunk * CHUNK;
  for (let k = 0; k < CHUNK; k++) {
    const i = base + k - out.b0;
    if (i < 0 || i >= out.n) continue;
    const n = c[k];
    if (!n) continue;
    out.count[i] = n;
    out.min[i] = f[k];
    out.max[i] = f[CHUNK + k];
    out.sum[i] = f[2 * CHUNK + k] * n;
    out.last[i] = f[3 * CHUNK + k];
  }
}

/** Where completed chunk rows go. */
export interface RollupSink {
  chunk(series: number, res: number, chunk: number, blob: Buffer): void;
  /** All buckets below `untilBucket` of resolution `res` are stored. */
  progress(res: number, untilBucket: number): void;
}

interface ResState {
  res: number;
  /** Current bucket (-1 before the first value). */
  cur: number;
  /** Per series, CHUNK buckets each: min, max, sum, last, count. */
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  last: Float64Array;
  count: Float64Array;
  /** Series with a value in the current chunk. */
  touched: Uint8Array;
}

/** Stats of the open bucket of the finest level, interleaved per series: min, max, sum, last, count. */
const OPEN = 5;

/**
 * Builds the rollups of one session incrementally while it is recorded (or
 * rebuilt): feed values in time order; completed chunk rows go to the sink.
 * Preallocated per-series buffers; no allocation per value.
 */
export class RollupBuilder {
  private states: ResState[];
  private capacity = 0;
  /** Open bucket of level 0 (contiguous, so the per-snapshot loop is cache-friendly). */
  private open = new Float64Array(0);

  constructor(resolutions: readonly number[], private sink: RollupSink) {
    this.states = resolutions.map((res) => ({
      res,
      cur: -1,
      min: new Float64Array(0),
      max: new Float64Array(0),
      sum: new Float64Array(0),
      last: new Float64Array(0),
      count: new Float64Array(0),
      touched: new Uint8Array(0),
    }));
  }

  private grow(n: number): void {
    if (n <= this.capacity) return;
    const cap = Math.max(n, this.capacity * 2, 64);
    for (const s of this.states) {
      const g = (a: Float64Array, fill: number): Float64Array => {
        const b = new Float64Array(cap * CHUNK).fill(fill);
        b.set(a);
        return b;
      };
      s.min = g(s.min, NaN);
      s.max = g(s.max, NaN);
      s.sum = g(s.sum, 0);
      s.last = g(s.last, NaN);
      s.count = g(s.count, 0);
      const t = new Uint8Array(cap);
      t.set(s.touched);
      s.touched = t;
    }
    const o = new Float64Array(cap * OPEN);
    o.set(this.open);
    this.open = o;
    this.capacity = cap;
  }

  private flushChunk(s: ResState, chunk: number, complete: boolean): void {
    for (let k = 0; k < this.capacity; k++) {
      if (!s.touched[k]) continue;
      const off = k * CHUNK;
      this.sink.chunk(k, s.res, chunk, encodeChunk(s.min, s.max, s.sum, s.last, s.count, off));
      s.min.fill(NaN, off, off + CHUNK);
      s.max.fill(NaN, off, off + CHUNK);
      s.sum.fill(0, off, off + CHUNK);
      s.last.fill(NaN, off, off + CHUNK);
      s.count.fill(0, off, off + CHUNK);
      s.touched[k] = 0;
    }
    this.sink.progress(s.res, complete ? (chunk + 1) * CHUNK : s.cur + 1);
  }

  /** Move level 0's open bucket into its chunk arrays and reset it. */
  private commitOpen(): void {
    const s = this.states[0];
    if (s.cur < 0) return;
    const o = this.open;
    const pos = s.cur % CHUNK;
    for (let k = 0; k < this.capacity; k++) {
      const k5 = k * OPEN;
      const c = o[k5 + 4];
      if (c === 0) continue;
      const j = k * CHUNK + pos;
      s.min[j] = o[k5];
      s.max[j] = o[k5 + 1];
      s.sum[j] = o[k5 + 2];
      s.last[j] = o[k5 + 3];
      s.count[j] = c;
      s.touched[k] = 1;
      o[k5 + 2] = 0;
      o[k5 + 4] = 0;
    }
  }

  /** Make bucket b current at level l (flushing the chunk if b is in a later one). */
  private advance(l: number, b: number): void {
    const s = this.states[l];
    if (s.cur >= 0 && b > s.cur) {
      if (l === 0) this.commitOpen();
      this.closeBucket(l);
      if (Math.floor(b / CHUNK) !== Math.floor(s.cur / CHUNK)) this.flushChunk(s, Math.floor(s.cur / CHUNK), true);
    }
    if (b > s.cur) s.cur = b;
  }

  /** Level l's current bucket is complete: merge it into level l+1 (rollups are built finest first). */
  private closeBucket(l: number): void {
    if (l + 1 >= this.states.length) return;
    const s = this.states[l];
    const up = this.states[l + 1];
    this.advance(l + 1, Math.floor((s.cur * s.res) / up.res));
    const pos = s.cur % CHUNK;
    const upPos = up.cur % CHUNK;
    for (let k = 0; k < this.capacity; k++) {
      const j = k * CHUNK + pos;
      if (s.count[j] === 0) continue;
      mergeBucket(up, k * CHUNK + upPos, s, j);
      up.touched[k] = 1;
    }
  }

  /**
   * Add the values of one snapshot at time t: `series[i]` (session series
   * index) has value `values[i]`, for i < n. Only the finest resolution is
   * updated per value; coarser ones are merged when a finer bucket closes.
   */
  add(t: number, series: Int32Array, values: Float64Array, n: number, maxSeries: number): void {
    if (this.states.length === 0) return;
    this.grow(maxSeries);
    this.advance(0, Math.floor(t / this.states[0].res));
    const o = this.open;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== v) continue; // NaN
      const k5 = series[i] * OPEN;
      const c = o[k5 + 4];
      if (c === 0) {
        o[k5] = v;
        o[k5 + 1] = v;
      } else {
        if (v < o[k5]) o[k5] = v;
        if (v > o[k5 + 1]) o[k5 + 1] = v;
      }
      o[k5 + 2] += v;
      o[k5 + 3] = v;
      o[k5 + 4] = c + 1;
    }
  }

  /** Store the open (partial) chunks: the session ended. */
  finish(): void {
    if (this.states.length) this.commitOpen();
    for (let l = 0; l < this.states.length; l++) if (this.states[l].cur >= 0) this.closeBucket(l);
    for (const s of this.states) if (s.cur >= 0) this.flushChunk(s, Math.floor(s.cur / CHUNK), false);
  }
}
