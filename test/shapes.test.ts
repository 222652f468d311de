/**
 * The published shapes, on the shipped scenarios, run through the host model
 * directly with static side-core settings (cores 0..K-1 as side cores).
 * ELVIS (ATC 2013): 1.2x-3x over vhost with many streaming VMs; polling lowers
 * request/response latency; side cores cost CPU-bound tenants a core each; on a
 * mixed host the best count is in between (IOcm, SYSTOR 2016).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createHostModel, maxSideCores } from '../src/main/model/index.ts';
import type { Scenario } from '../src/shared/scenario.ts';

const dir = new URL('../resources/scenarios/', import.meta.url);

function load(name: string): Scenario {
  return JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Scenario;
}

interface Run {
  score: number;
  bytesPerSec: number;
  groupP50: Record<string, number>;
}

/** Run `seconds` of simulated time with K static side cores, skipping `warm` intervals. */
function runStatic(sc: Scenario, k: number, seconds: number, loads?: Record<string, number>, warm = 2): Run {
  const m = createHostModel(sc, { seed: 7 });
  if (loads) m.setLoads(loads);
  if (k > 0) {
    const r = m.apply({ kind: 'setSideCores', cores: Array.from({ length: k }, (_, i) => i) });
    if (!r.ok) throw new Error(r.error);
  }
  const steps = Math.round(seconds * 10);
  let score = 0;
  let bytes = 0;
  let n = 0;
  const p50: Record<string, number> = {};
  for (let i = 0; i < steps; i++) {
    const s = m.step();
    if (i < warm) continue;
    n++;
    score += s.totals.score;
    bytes += s.totals.bytesPerSec;
    for (const g of s.groups) p50[g.group] = (p50[g.group] ?? 0) + g.latencyUs.p50;
  }
  for (const g of Object.keys(p50)) p50[g] /= n;
  return { score: score / n, bytesPerSec: bytes / n, groupP50: p50 };
}

function sweep(sc: Scenario, kmax: number, seconds: number, loads?: Record<string, number>): number[] {
  const out: number[] = [];
  for (let k = 0; k <= kmax; k++) out.push(runStatic(sc, k, seconds, loads).score);
  return out;
}

function argmax(xs: number[]): number {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[b]) b = i;
  return b;
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

describe('published shapes', () => {
  it('many streaming VMs: one side core beats vhost in throughput by at least 1.2x', () => {
    const sc = load('stream-many');
    const vhost = runStatic(sc, 0, 1.2);
    const side = runStatic(sc, 1, 1.2);
    expect(vhost.bytesPerSec).toBeGreaterThan(0);
    expect(side.bytesPerSec / vhost.bytesPerSec).toBeGreaterThanOrEqual(1.2);
  });

  it('few request/response VMs: side-core p50 latency is below vhost p50', () => {
    const sc = load('rr-few');
    const vhost = runStatic(sc, 0, 1);
    const side = runStatic(sc, 1, 1);
    expect(vhost.groupP50.rr).toBeGreaterThan(0);
    expect(side.groupP50.rr).toBeLessThan(vhost.groupP50.rr);
  });

  it('CPU-bound VMs with light I/O: each added side core lowers the score', () => {
    const scores = sweep(load('cpu-light-io'), 3, 0.8);
    for (let k = 1; k < scores.length; k++) expect(scores[k]).toBeLessThan(scores[k - 1]);
  });

  it('mixed host: the best static side-core count is neither 0 nor the maximum, and is a clear peak', () => {
    const sc = load('mixed');
    const kmax = maxSideCores(sc.host.cores);
    const scores = sweep(sc, kmax, 0.8);
    const best = argmax(scores);
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThan(kmax);
    // A peak, not a plateau: at least 2 % above both neighbours.
    expect(scores[best]).toBeGreaterThan(scores[best - 1] * 1.02);
    expect(scores[best]).toBeGreaterThan(scores[best + 1] * 1.02);
  });

  it('day: consecutive phases want different side-core counts', () => {
    const sc = load('day');
    const kmax = Math.min(5, maxSideCores(sc.host.cores));
    const bests = sc.phases.map((ph) => {
      const loads: Record<string, number> = {};
      for (const g of sc.vms) loads[g.name] = ph.load[g.name] ?? 1;
      return argmax(sweep(sc, kmax, 0.5, loads));
    });
    expect(sc.phases.length).toBeGreaterThanOrEqual(4);
    for (const ph of sc.phases) {
      expect(ph.seconds).toBeGreaterThanOrEqual(20);
      expect(ph.seconds).toBeLessThanOrEqual(60);
    }
    for (let i = 0; i < bests.length; i++) expect(bests[i]).not.toBe(bests[(i + 1) % bests.length]);
    expect(new Set(bests).size).toBeGreaterThanOrEqual(4);
  });
});
