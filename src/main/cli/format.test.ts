import { describe, it, expect } from 'vitest';
import { table, compact, fixed, round, roundDeep, ProgressBar } from './format.ts';

describe('format helpers', () => {
  it('fixed: about 4 significant digits, no trailing zeros', () => {
    expect([0, 1, 1.5, 0.1234, 12.345, 123.45, 1234.5, -2.5, -0.0001].map(fixed)).toEqual(['0', '1', '1.5', '0.123', '12.35', '123.5', '1235', '-2.5', '0']);
  });
  it('compact: K, M, G', () => {
    expect([999, 12345, 123456, 1234567, 12345678, 2.5e9].map(compact)).toEqual(['999', '12.3 K', '123 K', '1.23 M', '12.3 M', '2.50 G']);
  });
  it('round and roundDeep', () => {
    expect(round(1.23456)).toBe(1.235);
    expect(Object.is(round(-0.0001), 0)).toBe(true);
    expect(roundDeep({ a: [1.11111, { b: 2.22222 }], s: 'x', n: null })).toEqual({ a: [1.111, { b: 2.222 }], s: 'x', n: null });
  });
  it('table aligns columns (left for listed ones, right for the rest)', () => {
    const t = table([['name', 'n', 'note'], ['a', '10', 'x'], ['bbb', '2', 'long note']], { left: [0, 2] });
    expect(t.split('\n')).toEqual(['name   n  note', '────  ──  ─────────', 'a     10  x', 'bbb    2  long note', '']);
  });
  it('progress bar: sparse lines when not a TTY, in-place redraw on a TTY', () => {
    const out: string[] = [];
    const stream = { write: (s: string) => (out.push(s), true), isTTY: false } as unknown as NodeJS.WritableStream;
    const bar = new ProgressBar(stream, 'x', 10);
    for (let i = 1; i <= 100; i++) bar.update(i, 100);
    expect(out).toHaveLength(11);
    expect(out.at(-1)).toBe('x [##########] 100% \n');
    const tty: string[] = [];
    const ttyStream = { write: (s: string) => (tty.push(s), true), isTTY: true } as unknown as NodeJS.WritableStream;
    const b2 = new ProgressBar(ttyStream, 'y', 4);
    b2.update(1, 2);
    b2.update(1, 2);
    b2.update(2, 2);
    b2.done();
    expect(tty).toEqual(['\r\x1b[2Ky [##--]  50% ', '\r\x1b[2Ky [####] 100% ', '\r\x1b[2K']);
  });
});
