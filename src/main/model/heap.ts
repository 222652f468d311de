/**
 * The model's event queue: a binary min-heap on typed arrays (event time in a
 * Float64Array, entity and kind in Int32Arrays). No object per event; the
 * arrays grow by doubling only when full.
 */
export class EventHeap {
  /** Event times (ascending at the root). */
  times: Float64Array;
  /** Entity index of each event (core, entity, VM or queue id by kind). */
  ents: Int32Array;
  /** Kind code (and optional token bits) of each event. */
  kinds: Int32Array;
  /** Number of events queued. */
  size = 0;
  /** Fields of the event last returned by pop(). */
  lastTime = 0;
  lastEnt = 0;
  lastKind = 0;

  constructor(capacity = 1024) {
    this.times = new Float64Array(capacity);
    this.ents = new Int32Array(capacity);
    this.kinds = new Int32Array(capacity);
  }

  /** Time of the earliest event (Infinity when empty). */
  peekTime(): number {
    return this.size > 0 ? this.times[0] : Infinity;
  }

  /** Queue an event. */
  push(time: number, ent: number, kind: number): void {
    if (this.size === this.times.length) this.grow();
    const times = this.times;
    const ents = this.ents;
    const kinds = this.kinds;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p];
      if (pt <= time) break;
      times[i] = pt;
      ents[i] = ents[p];
      kinds[i] = kinds[p];
      i = p;
    }
    times[i] = time;
    ents[i] = ent;
    kinds[i] = kind;
  }

  /** Remove the earliest event into lastTime/lastEnt/lastKind. Returns false when empty. */
  pop(): boolean {
    if (this.size === 0) return false;
    const times = this.times;
    const ents = this.ents;
    const kinds = this.kinds;
    this.lastTime = times[0];
    this.lastEnt = ents[0];
    this.lastKind = kinds[0];
    const n = --this.size;
    if (n === 0) return true;
    const t = times[n];
    const e = ents[n];
    const k = kinds[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && times[c + 1] < times[c]) c++;
      if (times[c] >= t) break;
      times[i] = times[c];
      ents[i] = ents[c];
      kinds[i] = kinds[c];
      i = c;
    }
    times[i] = t;
    ents[i] = e;
    kinds[i] = k;
    return true;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    const e = new Int32Array(cap);
    e.set(this.ents);
    const k = new Int32Array(cap);
    k.set(this.kinds);
    this.times = t;
    this.ents = e;
    this.kinds = k;
  }
}
