import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { locateJsonError, lineColumn } from './json-locate.ts';

describe('locateJsonError agrees with JSON.parse', () => {
  it('valid JSON (any value, any indentation) → null', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (v, indent) => {
        expect(locateJsonError(JSON.stringify(v, null, indent))).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('text JSON.parse rejects → a problem with a position inside (or at the end of) the text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', 'x', '//', "'", '\n'), (v, at, insert) => {
        const text = JSON.stringify(v, null, 1);
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + insert + text.slice(i);
        let parses = true;
        try {
          JSON.parse(mutated);
        } catch {
          parses = false;
        }
        const p = locateJsonError(mutated);
        expect(p === null).toBe(parses);
        if (p) {
          expect(p.offset).toBeGreaterThanOrEqual(0);
          expect(p.offset).toBeLessThanOrEqual(mutated.length);
          expect(lineColumn(mutated, p.offset)).toEqual({ line: p.line, column: p.column });
        }
      }),
      { numRuns: 500 },
    );
  });
});
