import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64ToBytes, bytesToBase64, decodeWire, encodeWire } from './wire.ts';

describe('wire format', () => {
  it('base64 matches btoa and round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b64 = bytesToBase64(bytes);
        expect(b64).toBe(btoa(String.fromCharCode(...bytes)));
        expect(Array.from(base64ToBytes(b64))).toEqual(Array.from(bytes));
      }),
    );
  });

  it('carries Uint8Array inside JSON and rejects bad base64', () => {
    const msg = { id: 1, result: { ok: true, value: { fileName: 'a.csv', bytes: new Uint8Array([0, 1, 254, 255]) } } };
    const back = decodeWire(encodeWire(msg)) as typeof msg;
    expect(back.result.value.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.result.value.bytes)).toEqual([0, 1, 254, 255]);
    expect(() => decodeWire('{"x":{"$bytes":"@@@@"}}')).toThrow(SyntaxError);
    expect(() => decodeWire('{nope')).toThrow(SyntaxError);
    expect(decodeWire('{"x":{"$bytes":"AA==","y":1}}')).toEqual({ x: { $bytes: 'AA==', y: 1 } });
  });
});
