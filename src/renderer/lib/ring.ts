/**
 * Bounded ring buffers for live chart data. Fixed capacity, preallocated typed
 * arrays: memory stays flat however long the console runs.
 */

/** A ring of rows, each with the same named numeric columns (plus time). */
export class SeriesRing {
  /** Capacity in rows. */
  readonly capacity: number;
  readonly columns: readonly string[];
  private readonly t: Float64Array;
  private readonly data: Float64Array[];
  private head = 0;
  private count = 0;

  constructor(capacity: number, columns: readonly string[]) {
    if (!(capacity >= 1)) throw new Error('ring capacity must be at least 1');
    this.capacity = capacity;
    this.columns = columns;
    this.t = new Float64Array(capacity);
    this.data = columns.map(() => new Float64Array(capacity));
  }

  /** Rows held. */
  get length(): number {
    return this.count;
  }

  /** Append a row (values in column order); overwrites the oldest when full. */
  push(t: number, values: ArrayLike<number>): void {
    const i = this.head;
    this.t[i] = t;
    for (let c = 0; c < this.data.length; c++) this.data[c][i] = values[c] ?? 0;
    this.head = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Drop every row. */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private index(k: number): number {
    return (this.head - this.count + k + this.capacity) % this.capacity;
  }

  /** Times, oldest first. */
  times(): number[] {
    const out = new Array<number>(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.t[this.index(k)];
    return out;
  }

  /** One column, oldest first. */
  column(name: string): number[] {
    const c = this.columns.indexOf(name);
    if (c < 0) throw new Error(`no column '${name}'`);
    const col = this.data[c];
    const out = new Array<number>(this.count);
    for (let k = 0; k < this.count; k++) out[k] = col[this.index(k)];
    return out;
  }

  /** [t, value] pairs of a column, oldest first (the shape ECharts time axes take). */
  pairs(name: string): [number, number][] {
    const c = this.columns.indexOf(name);
    if (c < 0) throw new Error(`no column '${name}'`);
    const col = this.data[c];
    const out = new Array<[number, number]>(this.count);
    for (let k = 0; k < this.count; k++) {
      const i = this.index(k);
      out[k] = [this.t[i], col[i]];
    }
    return out;
  }

  /**
   * Row index (0 = oldest) whose `name` column equals `value`, for a column that ascends with
   * the rows (such as a sequence number); -1 when absent. Binary search.
   */
  findAscending(name: string, value: number): number {
    const col = this.data[this.columns.indexOf(name)];
    if (!col) throw new Error(`no column '${name}'`);
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = col[this.index(mid)];
      if (v === value) return mid;
      if (v < value) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Time of row k (0 = oldest). */
  timeAt(k: number): number {
    return this.t[this.index(k)];
  }

  /** Time of the newest row (-Infinity when empty). */
  lastTime(): number {
    return this.count === 0 ? -Infinity : this.t[(this.head - 1 + this.capacity) % this.capacity];
  }

  /** Last value of a column (NaN when empty). */
  last(name: string): number {
    if (this.count === 0) return NaN;
    const c = this.columns.indexOf(name);
    return this.data[c][(this.head - 1 + this.capacity) % this.capacity];
  }
}

/** A bounded list (oldest dropped first) for events. */
export class BoundedList<T> {
  private items: T[] = [];
  constructor(readonly capacity: number) {}
  push(...xs: T[]): void {
    this.items.push(...xs);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }
  clear(): void {
    this.items = [];
  }
  toArray(): readonly T[] {
    return this.items;
  }
  get length(): number {
    return this.items.length;
  }
}
