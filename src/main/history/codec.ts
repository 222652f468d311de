/**
 * Snapshot codec: a HostSnapshot (or any JSON-like object) ⇄ a *shape* (the
 * object with every measurement replaced by a placeholder, as JSON text) plus a
 * Float64Array of the measurements in traversal order.
 *
 * Why: a session stores one shape per distinct structure (the structure changes
 * only when the I/O configuration changes) and one compact binary row per
 * snapshot, exact to the bit (Float64 keeps every JS number, NaN and -0
 * included). The same shape also yields the *series plan*: which value index
 * feeds which named series (`core.3.io`, `vm.0.latencyUs.p99`, ...).
 *
 * Encoding rules: numbers become `0` in the shape and go to `values`, except
 * identity numbers (keys in {@link KEPT_KEYS} and the numeric members of a
 * `queues` array), which stay in the shape as `{"$k": n}` so that series can be
 * named from the shape alone. Strings, booleans and null stay in the shape.
 * Keys keep their order, so decoding rebuilds an equal object.
 */

/** Numeric keys kept in the shape (identities and constants), not stored as values. */
export const KEPT_KEYS: ReadonlySet<string> = new Set(['id', 'coreId', 'vm', 'device', 'owner', 'intervalMs', 'hz']);

/** A snapshot split into its structure and its numbers. */
export interface EncodedSnapshot {
  /** JSON text of the structure (numbers replaced by placeholders). */
  shape: string;
  /** The measurements in traversal order. */
  values: Float64Array;
}

function kept(n: number): string {
  return `{"$k":${JSON.stringify(n)}}`;
}

function enc(v: unknown, key: string, out: string[], vals: number[]): void {
  switch (typeof v) {
    case 'number':
      if (KEPT_KEYS.has(key) && Number.isFinite(v) && !Object.is(v, -0)) out.push(kept(v));
      else {
        out.push('0');
        vals.push(v);
      }
      return;
    case 'string':
      out.push(JSON.stringify(v));
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'object': {
      if (v === null) {
        out.push('null');
        return;
      }
      if (Array.isArray(v)) {
        out.push('[');
        const keepNums = key === 'queues';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(',');
          const e: unknown = v[i];
          if (keepNums && typeof e === 'number' && Number.isFinite(e) && !Object.is(e, -0)) out.push(kept(e));
          else if (e === undefined) out.push('null');
          else enc(e, '', out, vals);
        }
        out.push(']');
        return;
      }
      out.push('{');
      let first = true;
      const o = v as Record<string, unknown>;
      for (const k in o) {
        const e = o[k];
        if (e === undefined || typeof e === 'function') continue;
        out.push(first ? JSON.stringify(k) : ',' + JSON.stringify(k), ':');
        first = false;
        enc(e, k, out, vals);
      }
      out.push('}');
      return;
    }
    default:
      // undefined / function / symbol / bigint at the top level: not JSON-like.
      throw new TypeError(`cannot encode a value of type ${typeof v}`);
  }
}

/** Split a JSON-like object into shape + values. */
export function encodeSnapshot(snapshot: unknown): EncodedSnapshot {
  const out: string[] = [];
  const vals: number[] = [];
  enc(snapshot, '', out, vals);
  return { shape: out.join(''), values: Float64Array.from(vals) };
}

/** A parsed shape (the template decoding walks). */
export type Shape = unknown;

/** Parse a shape's JSON text. */
export function parseShape(shape: string): Shape {
  return JSON.parse(shape) as Shape;
}

function isKept(t: object): t is { $k: number } {
  return '$k' in t && Object.keys(t).length === 1;
}

function dec(t: unknown, vals: Float64Array, pos: { i: number }): unknown {
  if (typeof t === 'number') {
    if (pos.i >= vals.length) throw new RangeError('snapshot blob is shorter than its shape');
    return vals[pos.i++];
  }
  if (t === null || typeof t !== 'object') return t;
  if (Array.isArray(t)) {
    const a = new Array<unknown>(t.length);
    for (let i = 0; i < t.length; i++) a[i] = dec(t[i], vals, pos);
    return a;
  }
  if (isKept(t)) return t.$k;
  const o: Record<string, unknown> = {};
  const src = t as Record<string, unknown>;
  for (const k in src) o[k] = dec(src[k], vals, pos);
  return o;
}

/** Rebuild the object from a parsed shape and its values; throws if they do not fit together. */
export function decodeSnapshot<T = unknown>(shape: Shape, values: Float64Array): T {
  const pos = { i: 0 };
  const o = dec(shape, values, pos);
  if (pos.i !== values.length) throw new RangeError(`snapshot blob has ${values.length - pos.i} values more than its shape`);
  return o as T;
}

/**
 * Index in the values of a top-level member of a shape (e.g. a snapshot's `seq` or `t`), or -1
 * when the shape has no such member or keeps it in the shape.
 */
export function topValueIndex(shape: Shape, key: string): number {
  if (shape === null || typeof shape !== 'object' || Array.isArray(shape) || isKept(shape)) return -1;
  let n = 0;
  for (const k in shape as Record<string, unknown>) {
    const t = (shape as Record<string, unknown>)[k];
    if (k === key) return typeof t === 'number' ? n : -1;
    n += shapeValueCount(t);
  }
  return -1;
}

/** Number of values a shape expects. */
export function shapeValueCount(shape: Shape): number {
  let n = 0;
  const walk = (t: unknown): void => {
    if (typeof t === 'number') n++;
    else if (t !== null && typeof t === 'object') {
      if (Array.isArray(t)) for (const e of t) walk(e);
      else if (!isKept(t)) for (const k in t as Record<string, unknown>) walk((t as Record<string, unknown>)[k]);
    }
  };
  walk(shape);
  return n;
}

/** Values blob (Float64Array) → bytes for SQLite, little-endian native copy. */
export function valuesToBlob(values: Float64Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** SQLite blob → Float64Array (copies when the buffer is not 8-byte aligned). */
export function blobToValues(blob: Uint8Array): Float64Array {
  if (blob.byteLength % 8 !== 0) throw new RangeError(`snapshot blob of ${blob.byteLength} bytes is not a multiple of 8`);
  if (blob.byteOffset % 8 === 0) return new Float64Array(blob.buffer, blob.byteOffset, blob.byteLength / 8);
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float64Array(copy.buffer);
}

// ---------------------------------------------------------------------------
// Series plan

/**
 * Which series a shape's values feed. `src[i] >= 0`: series `names[i]` is
 * `values[src[i]]`; `src[i] === -1`: it is the constant `consts[i]` (derived
 * from the structure, e.g. `core.3.side` from the core's role).
 */
export interface SeriesPlan {
  names: string[];
  src: Int32Array;
  consts: Float64Array;
  /** VM name → VM id, for series aliases (`vm.web-1.x` → `vm.0.x`). */
  vmIds: Record<string, number>;
}

const SECTION_ENTITY: Record<string, { prefix: string; idKey: string }> = {
  cores: { prefix: 'core', idKey: 'id' },
  sideCores: { prefix: 'side', idKey: 'coreId' },
  queues: { prefix: 'queue', idKey: 'id' },
  vms: { prefix: 'vm', idKey: 'id' },
  groups: { prefix: 'group', idKey: 'group' },
};

function entityId(e: Record<string, unknown>, idKey: string): string | null {
  const v = e[idKey];
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && isKept(v)) return String(v.$k);
  return null;
}

/** Build the series plan of a parsed shape (see docs/history.md for the names). */
export function seriesPlan(shape: Shape): SeriesPlan {
  const names: string[] = [];
  const src: number[] = [];
  const consts: number[] = [];
  const vmIds: Record<string, number> = {};
  let pos = 0;
  const add = (name: string, s: number, c = 0): void => {
    names.push(name);
    src.push(s);
    consts.push(c);
  };
  /** Walk any value, assigning value indices; `name` null = counted but not a series. */
  const walk = (t: unknown, name: string | null, flattenCycles: boolean): void => {
    if (typeof t === 'number') {
      if (name !== null) add(name, pos);
      pos++;
      return;
    }
    if (t === null || typeof t !== 'object') return;
    if (Array.isArray(t)) {
      for (const e of t) walk(e, null, false);
      return;
    }
    if (isKept(t)) return;
    const o = t as Record<string, unknown>;
    for (const k in o) {
      const child = name === null ? null : flattenCycles && k === 'cycles' ? name : `${name}.${k}`;
      walk(o[k], child, false);
    }
  };
  if (shape === null || typeof shape !== 'object' || Array.isArray(shape)) throw new TypeError('snapshot shape is not an object');
  const top = shape as Record<string, unknown>;
  for (const section in top) {
    const t = top[section];
    const ent = SECTION_ENTITY[section];
    if (ent && Array.isArray(t)) {
      for (const e of t) {
        if (e === null || typeof e !== 'object' || Array.isArray(e)) {
          walk(e, null, false);
          continue;
        }
        const eo = e as Record<string, unknown>;
        const id = entityId(eo, ent.idKey);
        const base = id === null ? null : `${ent.prefix}.${id}`;
        if (section === 'vms' && id !== null && typeof eo.name === 'string') vmIds[eo.name] = Number(id);
        for (const k in eo) {
          const v = eo[k];
          if (base !== null && section === 'cores' && k === 'role') add(`${base}.side`, -1, v === 'side' ? 1 : 0);
          if (base !== null && section === 'queues' && k === 'polling') add(`${base}.polling`, -1, v === true ? 1 : 0);
          if (k === ent.idKey || k === 'queues') {
            walk(v, null, false);
            continue;
          }
          walk(v, base === null ? null : section === 'cores' && k === 'cycles' ? base : `${base}.${k}`, false);
        }
      }
    } else if (section === 'totals') {
      walk(t, 'totals', false);
    } else {
      // seq, t, intervalMs, hz, phase and unknown sections: not series.
      walk(t, null, false);
    }
  }
  return { names, src: Int32Array.from(src), consts: Float64Array.from(consts), vmIds };
}

/**
 * Canonical series name: accepts aliases `latencyP50|P99|P999` for
 * `latencyUs.p50|p99|p999` and VM names for VM ids (`vm.web-1.x`).
 */
export function canonicalSeriesName(name: string, vmIds: Record<string, number>): string {
  let n = name.replace(/\.latencyP(50|99|999)$/, '.latencyUs.p$1');
  if (n.startsWith('vm.')) {
    for (const [vmName, id] of Object.entries(vmIds)) {
      const p = `vm.${vmName}.`;
      if (n.startsWith(p)) {
        n = `vm.${id}.` + n.slice(p.length);
        break;
      }
    }
  }
  return n;
}

// ---------------------------------------------------------------------------
// Fast repeated encoding

/**
 * A compiled shape node. One monomorphic layout for every kind (k: 0 extracted number, 1 kept
 * number, 2 literal, 3 array, 4 object) so the walk's property reads stay fast.
 */
interface Node {
  k: 0 | 1 | 2 | 3 | 4;
  /** k 0: the key is one of KEPT_KEYS (the value was extracted only because it is NaN/±Infinity/-0). */
  kept: boolean;
  /** k 1: the kept number; k 2: the literal. */
  v: number | string | boolean | null;
  /** k 3: items; k 4: values (by `keys`). */
  items: Node[];
  keys: string[];
}

function node(k: Node['k'], kept: boolean, v: Node['v'], items: Node[], keys: string[]): Node {
  return { k, kept, v, items, keys };
}

const NO_NODES: Node[] = [];
const NO_KEYS: string[] = [];

function compile(t: unknown, key = ''): Node {
  if (typeof t === 'number') return node(0, KEPT_KEYS.has(key), null, NO_NODES, NO_KEYS);
  if (t === null || typeof t !== 'object') return node(2, false, t as string | boolean | null, NO_NODES, NO_KEYS);
  if (Array.isArray(t)) return node(3, false, null, t.map((e) => compile(e)), NO_KEYS);
  if (isKept(t)) return node(1, false, t.$k, NO_NODES, NO_KEYS);
  const o = t as Record<string, unknown>;
  const keys = Object.keys(o);
  return node(4, false, null, keys.map((k) => compile(o[k], k)), keys);
}

/** Walk `v` along a compiled shape, writing numbers to out; false if `v` does not have this shape. */
function extract(n: Node, v: unknown, key: string, out: Float64Array, pos: { i: number }): boolean {
  switch (n.k) {
    case 0:
      if (typeof v !== 'number') return false;
      if (n.kept && Number.isFinite(v) && !Object.is(v, -0)) return false;
      if (pos.i >= out.length) return false;
      out[pos.i++] = v;
      return true;
    case 1:
      return v === n.v && !Object.is(v, -0);
    case 2:
      return v === n.v || (n.v === null && v === undefined && key === '');
    case 3: {
      const items = n.items;
      if (!Array.isArray(v) || v.length !== items.length) return false;
      const keepNums = key === 'queues';
      for (let i = 0; i < v.length; i++) {
        const item = items[i];
        if (keepNums && item.k === 1) {
          if (v[i] !== item.v) return false;
        } else if (!extract(item, v[i], '', out, pos)) return false;
      }
      return true;
    }
    case 4: {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      const keys = n.keys;
      const vals = n.items;
      let i = 0;
      for (const k in o) {
        const e = o[k];
        if (e === undefined || typeof e === 'function') continue;
        if (keys[i] !== k) return false;
        if (!extract(vals[i], e, k, out, pos)) return false;
        i++;
      }
      return i === keys.length;
    }
  }
}

/** Result of {@link SnapshotEncoder.encode}. */
export interface EncodedRow {
  /** Shape id (0, 1, ... in order of first appearance). */
  shape: number;
  /** The shape's JSON text when this is its first appearance, else null. */
  newShape: string | null;
  values: Float64Array;
}

/**
 * Encodes a stream of snapshots: the shape of the previous snapshot is
 * compiled and reused, so a snapshot with an unchanged structure costs one
 * walk writing into a Float64Array (no strings). Falls back to the full
 * encoder when the structure changed. Shape ids are stable per encoder.
 */
export class SnapshotEncoder {
  private ids = new Map<string, number>();
  private compiled: { node: Node; count: number; id: number }[] = [];
  private last = -1;

  /** Allocates the output of one snapshot (default: a new Float64Array). */
  alloc: (n: number) => Float64Array = (n) => new Float64Array(n);
  /** Gives back the last allocation (a shape that did not fit). */
  free: (v: Float64Array) => void = () => {};

  private tryShape(k: number, s: unknown): EncodedRow | null {
    const c = this.compiled[k];
    const out = this.alloc(c.count);
    const pos = { i: 0 };
    if (extract(c.node, s, '', out, pos) && pos.i === c.count) return { shape: c.id, newShape: null, values: out };
    this.free(out);
    return null;
  }

  /** Encode one snapshot. */
  encode(s: unknown): EncodedRow {
    // The previous structure first, then up to 8 other known ones (a configuration that came back).
    const tried = this.last;
    if (tried >= 0) {
      const hit = this.tryShape(tried, s);
      if (hit) return hit;
      for (let k = this.compiled.length - 1, n = 0; k >= 0 && n < 8; k--, n++) {
        if (k === tried) continue;
        const h = this.tryShape(k, s);
        if (h) {
          this.last = k;
          return h;
        }
      }
    }
    const e = encodeSnapshot(s);
    let id = this.ids.get(e.shape);
    let newShape: string | null = null;
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(e.shape, id);
      newShape = e.shape;
      const shape = parseShape(e.shape);
      this.compiled[id] = { node: compile(shape), count: e.values.length, id };
    }
    this.last = id;
    const out = this.alloc(e.values.length);
    out.set(e.values);
    return { shape: id, newShape, values: out };
  }
}
