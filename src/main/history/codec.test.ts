import { describe, it, expect } from 'vitest';
import { encodeSnapshot, decodeSnapshot, parseShape, seriesPlan, canonicalSeriesName, shapeValueCount, valuesToBlob, blobToValues } from './codec.ts';
import { SyntheticHostGen } from './testing.ts';

describe('snapshot codec', () => {
  it('round-trips a snapshot exactly, through a blob', () => {
    const gen = new SyntheticHostGen({ cores: 8, vms: 4, queuesPerVm: 2, intervalMs: 100 });
    for (let i = 0; i < 50; i++) {
      const s = gen.next();
      const { shape, values } = encodeSnapshot(s);
      const back = decodeSnapshot(parseShape(shape), blobToValues(valuesToBlob(values)));
      expect(JSON.stringify(back)).toBe(JSON.stringify(s));
    }
  });

  it('keeps NaN, -0 and Infinity exact and keeps key order', () => {
    const o = { b: NaN, a: -0, c: [Infinity, { id: 3, x: 1.5 }], s: 'x', n: null, f: false };
    const e = encodeSnapshot(o);
    const back = decodeSnapshot<typeof o>(parseShape(e.shape), e.values);
    expect(Object.keys(back)).toEqual(['b', 'a', 'c', 's', 'n', 'f']);
    expect(back.b).toBeNaN();
    expect(Object.is(back.a, -0)).toBe(true);
    expect(back.c).toEqual([Infinity, { id: 3, x: 1.5 }]);
    expect(shapeValueCount(parseShape(e.shape))).toBe(e.values.length);
  });

  it('shares one shape across snapshots with the same configuration', () => {
    const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100, phaseMs: 1e9 });
    const a = encodeSnapshot(gen.next());
    const b = encodeSnapshot(gen.next());
    expect(b.shape).toBe(a.shape);
    expect(b.values).not.toEqual(a.values);
  });

  it('rejects a blob that does not fit the shape', () => {
    const e = encodeSnapshot({ a: 1, b: 2 });
    expect(() => decodeSnapshot(parseShape(e.shape), e.values.subarray(0, 1))).toThrow(/shorter/);
    expect(() => decodeSnapshot(parseShape(e.shape), new Float64Array(3))).toThrow(/more than/);
  });

  it('names series for totals, cores, side cores, queues, vms and groups', () => {
    const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
    const s = gen.next();
    const e = encodeSnapshot(s);
    const plan = seriesPlan(parseShape(e.shape));
    const get = (name: string): number => {
      const i = plan.names.indexOf(name);
      expect(i, name).toBeGreaterThanOrEqual(0);
      return plan.src[i] >= 0 ? e.values[plan.src[i]] : plan.consts[i];
    };
    expect(get('totals.score')).toBe(s.totals.score);
    expect(get('totals.latencyUs.p99')).toBe(s.totals.latencyUs.p99);
    expect(get('totals.cycles.io')).toBe(s.totals.cycles.io);
    expect(get('core.3.io')).toBe(s.cores[3].cycles.io);
    expect(get('core.3.side')).toBe(1);
    expect(get('core.0.side')).toBe(0);
    expect(get(`side.${s.sideCores[0].coreId}.workCycles`)).toBe(s.sideCores[0].workCycles);
    expect(get('queue.1.requests')).toBe(s.queues[1].requests);
    expect(get('queue.1.polling')).toBe(1);
    expect(get('vm.1.latencyUs.p99')).toBe(s.vms[1].latencyUs.p99);
    expect(get('group.kv.score')).toBe(s.groups[1].score);
    expect(plan.names).not.toContain('totals.seq');
    expect(plan.names.some((n) => n.endsWith('.id'))).toBe(false);
    expect(canonicalSeriesName('vm.kv-1.latencyP99', plan.vmIds)).toBe('vm.1.latencyUs.p99');
    expect(canonicalSeriesName('totals.latencyP50', plan.vmIds)).toBe('totals.latencyUs.p50');
  });
});

describe('SnapshotEncoder', () => {
  it('gives the same values and shapes as the full encoder, reusing shape ids', async () => {
    const { SnapshotEncoder } = await import('./codec.ts');
    const gen = new SyntheticHostGen({ cores: 8, vms: 5, queuesPerVm: 2, intervalMs: 100, phaseMs: 700 });
    const enc = new SnapshotEncoder();
    const shapes: string[] = [];
    for (let i = 0; i < 400; i++) {
      const s = gen.next();
      const full = encodeSnapshot(s);
      const r = enc.encode(s);
      if (r.newShape !== null) {
        expect(r.shape).toBe(shapes.length);
        shapes.push(r.newShape);
      }
      expect(shapes[r.shape]).toBe(full.shape);
      expect(r.values).toEqual(full.values);
    }
    expect(shapes.length).toBeGreaterThan(1);
    // A changed literal or kept id is a different shape.
    const a = { id: 1, x: 2, s: 'a' };
    const e2 = new SnapshotEncoder();
    expect(e2.encode(a).shape).toBe(0);
    expect(e2.encode({ id: 2, x: 2, s: 'a' }).shape).toBe(1);
    expect(e2.encode({ id: 2, x: 2, s: 'b' }).shape).toBe(2);
    expect(e2.encode({ id: 2, x: 5, s: 'b' })).toMatchObject({ shape: 2, newShape: null });
    expect(e2.encode({ id: 2, s: 'b', x: 5 }).shape).toBe(3);
  });
});

describe('SnapshotEncoder structural checks', () => {
  it('falls back to a new shape for every structural change and agrees with the full encoder', async () => {
    const { SnapshotEncoder } = await import('./codec.ts');
    const base = () => ({ seq: 1, t: 2, cores: [{ id: 0, role: 'vm', cycles: { a: 1 } }], sideCores: [{ coreId: 3, queues: [1, 2] }], list: [1, null], s: 'x' });
    const variants: ((o: ReturnType<typeof base>) => unknown)[] = [
      (o) => o,
      (o) => ({ ...o, extra: 5 }),
      (o) => ({ ...o, cores: [...o.cores, { id: 1, role: 'vm', cycles: { a: 2 } }] }),
      (o) => ({ ...o, cores: [{ ...o.cores[0], role: 'side' }] }),
      (o) => ({ ...o, cores: [{ ...o.cores[0], id: 7 }] }),
      (o) => ({ ...o, cores: [{ ...o.cores[0], id: NaN }] }),
      (o) => ({ ...o, cores: [{ ...o.cores[0], id: -0 }] }),
      (o) => ({ ...o, sideCores: [{ coreId: 3, queues: [1, 5] }] }),
      (o) => ({ ...o, list: [1, undefined] }),
      (o) => ({ ...o, list: [1, 2] }),
      (o) => ({ ...o, s: 'y' }),
      (o) => ({ ...o, t: 'late' }),
      (o) => ({ t: o.t, seq: o.seq, cores: o.cores, sideCores: o.sideCores, list: o.list, s: o.s }),
      (o) => ({ ...o, cores: { 0: o.cores[0] } }),
    ];
    for (const v of variants) {
      const enc = new SnapshotEncoder();
      enc.encode(base());
      const x = v(base());
      const full = encodeSnapshot(x);
      const r = enc.encode(x);
      const sameShape = full.shape === encodeSnapshot(base()).shape;
      expect(r.newShape === null, String(v)).toBe(sameShape);
      if (r.newShape !== null) expect(r.newShape).toBe(full.shape);
      expect(Array.from(r.values)).toEqual(Array.from(full.values));
    }
  });
});
