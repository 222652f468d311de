import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { COST_SOURCES } from '../model/defaults.ts';
import { Rng } from '../model/rng.ts';
import { evaluateShape } from '../model/shapes.ts';
import { defaultVariedCosts, holdShare, latinHypercube, runSensitivity, sensitivityMarkdown, tornadoRows, tornadoSvg } from './sensitivity.ts';
import { shortenPhases } from './sweep.ts';
import type { Scenario } from '../../shared/scenario.ts';

const load = (n: string): Scenario => JSON.parse(readFileSync(new URL(`../../../resources/scenarios/${n}.json`, import.meta.url), 'utf8')) as Scenario;

describe('latin hypercube', () => {
  it('puts exactly one sample in each of n strata of every range', () => {
    const params = defaultVariedCosts();
    const n = 7;
    const s = latinHypercube(params, n, new Rng(3));
    expect(s).toHaveLength(n);
    for (const p of params) {
      const [lo, hi] = COST_SOURCES[p].range;
      const strata = s.map((c) => Math.min(n - 1, Math.floor((((c[p] as number) - lo) / (hi - lo || 1)) * n)));
      if (hi > lo) expect(new Set(strata).size).toBe(n);
      for (const c of s) {
        expect(c[p] as number).toBeGreaterThanOrEqual(lo);
        expect(c[p] as number).toBeLessThanOrEqual(hi);
      }
    }
  });

  it('varies only published and inferred costs by default', () => {
    for (const p of defaultVariedCosts()) expect(['published', 'inferred']).toContain(COST_SOURCES[p].basis);
    expect(defaultVariedCosts()).not.toContain('guestChunkCycles');
  });
});

describe('runSensitivity', () => {
  it('evaluates base, low and high per cost and the hypercube, with the model really run at those costs', () => {
    const rr = load('rr-few');
    const res = runSensitivity({
      scenarios: { 'rr-few': rr },
      shapes: ['rr-latency'],
      rankingScenario: shortenPhases(rr, 0.5),
      policies: ['vhost', 'static:1'],
      params: ['wakeupLatencyUs', 'exitIndirectCycles'],
      lhsSamples: 2,
      seed: 1,
      shapeSeconds: 0.4,
    });
    expect(res.variants.map((v) => v.kind)).toEqual(['low', 'high', 'low', 'high', 'lhs', 'lhs']);
    const lo = res.variants[0];
    expect(lo.costs).toEqual({ wakeupLatencyUs: COST_SOURCES.wakeupLatencyUs.range[0] });
    // The recorded value is what the shapes report gives at those costs.
    expect(lo.shapes['rr-latency'].value).toBe(evaluateShape('rr-latency', rr, { seconds: 0.4, seed: 1, costs: lo.costs }).value);
    // Both paths wait for wake-ups (vhost: the I/O thread and the halted vCPU; side core: the vCPU only),
    // so the ratio moves toward 1/2 as the wake-up latency grows.
    expect(res.variants[1].shapes['rr-latency'].value).not.toBe(lo.shapes['rr-latency'].value);
    expect(res.base.ranking.sort()).toEqual(['static:1', 'vhost']);
    const rows = tornadoRows(res, 'rr-latency');
    expect(rows[0].swing).toBeGreaterThanOrEqual(rows[1].swing);
    expect(holdShare(res, 'rr-latency')).toBeGreaterThanOrEqual(0);
    const svg = tornadoSvg(res, 'rr-latency');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('wakeupLatencyUs');
    const md = sensitivityMarkdown(res, new Map([['rr-latency', 'x.svg']]), { seed: 1, rankingScenario: 'rr-few' });
    expect(md).toMatch(/\| rr-latency \| [0-9.]+ \| (yes|no) \| \d+ % \| \d+ % \|/);
    expect(md).toContain('![rr-latency](x.svg)');
  });

  it('says "–", not "0 %", for a kind of variant it did not run (no hypercube samples)', () => {
    const rr = load('rr-few');
    const res = runSensitivity({ scenarios: { 'rr-few': rr }, shapes: ['rr-latency'], rankingScenario: null, policies: [], params: ['wakeupLatencyUs'], lhsSamples: 0, seed: 1, shapeSeconds: 0.2 });
    const md = sensitivityMarkdown(res, new Map(), { seed: 1, rankingScenario: 'rr-few' });
    expect(md).toMatch(/\| rr-latency \| [0-9.]+ \| (yes|no) \| \d+ % \| – \|/);
  });

  it('refuses an unknown cost or a shape without its scenario', () => {
    const base = { shapes: ['rr-latency'] as const, rankingScenario: null, policies: [], seed: 1, lhsSamples: 0 };
    expect(() => runSensitivity({ ...base, scenarios: { 'rr-few': load('rr-few') }, params: ['nope' as never] })).toThrow(/nope/);
    expect(() => runSensitivity({ ...base, scenarios: {} })).toThrow(/rr-few/);
  });
});
