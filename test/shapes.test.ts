/**
 * The shipped scenarios, and the shapes report (src/main/model/shapes.ts): these tests check that
 * the report is computed correctly — its figures are the model's, its verdicts follow from them,
 * it reports shapes that do not hold as not holding — not that any shape holds (which shapes
 * hold under the sourced costs is what the report says; docs/model.md, "Shapes report").
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createHostModel } from '../src/main/model/index.ts';
import { evaluateShape, runStatic, shapesMarkdown, shapesReport, stream64k, verdict, type ShapeResult } from '../src/main/model/shapes.ts';
import type { Scenario } from '../src/shared/scenario.ts';

const dir = new URL('../resources/scenarios/', import.meta.url);

function load(name: string): Scenario {
  return JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Scenario;
}

describe('shipped scenarios', () => {
  const names = ['default', 'stream-many', 'rr-few', 'memcached', 'apache', 'fio-randread', 'cpu-light-io', 'mixed', 'day', 'big-64'];
  it('ships every named scenario with name, description, host, vms and phases', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'scenario.schema.json');
    for (const n of names) expect(files).toContain(`${n}.json`);
    for (const n of names) {
      const sc = load(n);
      expect(sc.name).toBe(n);
      expect(typeof sc.description).toBe('string');
      expect(sc.host.cores).toBeGreaterThanOrEqual(2);
      expect(sc.vms.length).toBeGreaterThan(0);
      expect(sc.phases.length).toBeGreaterThan(0);
      expect(() => createHostModel(sc, { seed: 1 })).not.toThrow();
    }
    expect(load('default').host.cores).toBe(16);
    expect(load('big-64').host.cores).toBe(64);
    expect(load('big-64').vms.reduce((a, g) => a + g.count, 0)).toBe(128);
  });
});

describe('shapes report', () => {
  const opts = { seconds: 0.5, seed: 7 };

  it('stream gains are the ratio of the model\'s own throughputs, and the verdict follows from them', () => {
    const sc = load('stream-many');
    const r = evaluateShape('stream-small', sc, opts);
    const v = runStatic(sc, 0, opts);
    const one = runStatic(sc, 1, opts);
    expect(r.value).toBe(one.bytesPerSec / v.bytesPerSec);
    expect(r.holds).toBe(r.value >= 1.2);
    const big = evaluateShape('stream-64k', sc, opts);
    expect(big.value).toBe(runStatic(stream64k(sc), 1, opts).bytesPerSec / runStatic(stream64k(sc), 0, opts).bytesPerSec);
    expect(big.holds).toBe(big.value >= 1.2);
  });

  it('rr latency compares the rr group\'s p50 with and without a side core', () => {
    const sc = load('rr-few');
    const r = evaluateShape('rr-latency', sc, opts);
    const a = runStatic(sc, 0, opts).groupP50.rr;
    const b = runStatic(sc, 1, opts).groupP50.rr;
    expect(a).toBeGreaterThan(0);
    expect(r.value).toBe(b / a);
    expect(r.holds).toBe(b < a);
  });

  it('cpu-bound holds exactly when scores fall at every step', () => {
    const r = evaluateShape('cpu-bound', load('cpu-light-io'), opts);
    const scores = r.detail.scores as number[];
    expect(scores).toHaveLength(4);
    expect(r.holds).toBe(scores[1] < scores[0] && scores[2] < scores[1] && scores[3] < scores[2]);
  });

  it('the verdict of a shape moves with the cost that drives it (exit cost → stream gain)', () => {
    const sc = load('stream-many');
    const cheap = evaluateShape('stream-small', sc, { ...opts, costs: { exitIndirectCycles: 0 } });
    const dear = evaluateShape('stream-small', sc, { ...opts, costs: { exitIndirectCycles: 20000 } });
    expect(dear.value).toBeGreaterThan(cheap.value);
  });

  it('reports a shape that does not hold as not holding (markdown **no**), and one that holds as yes', () => {
    const rows: ShapeResult[] = [
      { id: 'a', claim: 'c', source: 's', scenario: 'x', metric: 'm', value: 0.7, threshold: 1.2, test: '>=', holds: verdict(0.7, '>=', 1.2), detail: {} },
      { id: 'b', claim: 'c', source: 's', scenario: 'x', metric: 'm', value: 0.5, threshold: 1, test: '<', holds: verdict(0.5, '<', 1), detail: {} },
    ];
    const md = shapesMarkdown(rows);
    expect(md).toMatch(/\| a \|.*\| \*\*no\*\* \|/);
    expect(md).toMatch(/\| b \|.*\| yes \|/);
  });

  it('shapesReport evaluates the asked shapes on the named scenarios and refuses a missing one', () => {
    const res = shapesReport({ 'rr-few': load('rr-few') }, { ...opts, only: ['rr-latency'] });
    expect(res.map((r) => r.id)).toEqual(['rr-latency']);
    expect(() => shapesReport({}, { ...opts, only: ['rr-latency'] })).toThrow(/rr-few/);
  });
});
