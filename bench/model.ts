/**
 * Model benchmark: how fast the host model runs the default scenario, against
 * a bare typed-array heap event loop measured in the same run.
 *
 * Keys: model.eventsPerSec (model events per wall second, default scenario),
 * model.bareHeapEventsPerSec (bare heap push/pop loop with trivial work),
 * model.ratio (= eventsPerSec / bareHeapEventsPerSec; floor 0.25),
 * model.realTimeFactor (simulated seconds per wall second, default scenario in
 * its default vhost configuration; floor 10), plus the same factor with one
 * side core and for big-64 (floor 1) for information.
 * Wall-clock timing lives here, not in the model (bench code is not the model).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createHostModel } from '../src/main/model/index.ts';
import { EventHeap } from '../src/main/model/heap.ts';
import { Rng } from '../src/main/model/rng.ts';
import type { Scenario } from '../src/shared/scenario.ts';

function loadScenario(name: string): Scenario {
  return JSON.parse(readFileSync(new URL(`../resources/scenarios/${name}.json`, import.meta.url), 'utf8')) as Scenario;
}

/** Run `seconds` of simulated time; returns wall seconds and events. */
function runModel(sc: Scenario, seconds: number, sideCores: number[]): { wall: number; events: number } {
  const m = createHostModel(sc, { seed: 1 });
  if (sideCores.length > 0) {
    const r = m.apply({ kind: 'setSideCores', cores: sideCores });
    if (!r.ok) throw new Error(r.error);
  }
  m.step(); // first interval outside the timing (start-up transient, JIT)
  const e0 = m.eventsProcessed;
  const steps = Math.round(seconds * 10);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) m.step();
  const wall = (performance.now() - t0) / 1000;
  return { wall, events: m.eventsProcessed - e0 };
}

/**
 * A bare event loop on the same typed-array heap: `pending` events in flight,
 * each pop schedules one new event of the same shape (time, entity, kind) a
 * pseudo-random delay later; the "work" is a counter update per kind.
 */
export function bareHeapLoop(events: number, pending = 64): { wall: number; events: number } {
  const heap = new EventHeap(1024);
  const rng = new Rng(1);
  const delays = new Float64Array(4096);
  for (let i = 0; i < delays.length; i++) delays[i] = 1 + rng.next() * 10000;
  for (let i = 0; i < pending; i++) heap.push(delays[i], i, i & 7);
  const counts = new Float64Array(8);
  let k = 0;
  const t0 = performance.now();
  for (let n = 0; n < events; n++) {
    heap.pop();
    counts[heap.lastKind]++;
    heap.push(heap.lastTime + delays[k++ & 4095], heap.lastEnt, (heap.lastKind + 1) & 7);
  }
  const wall = (performance.now() - t0) / 1000;
  if (counts[0] < 0) throw new Error('unreachable');
  return { wall, events };
}

/** The model's benchmark figures (see the module comment). Best of 3 interleaved rounds (the machine is shared). */
export async function benchModel(): Promise<Record<string, number>> {
  const def = loadScenario('default');
  runModel(def, 0.5, []); // warm-up (JIT)
  bareHeapLoop(500_000);
  let best = { wall: Infinity, events: 0 };
  let bestBare = 0;
  const simSeconds = 2;
  for (let round = 0; round < 3; round++) {
    const r = runModel(def, simSeconds, []);
    if (r.wall < best.wall) best = r;
    const b = bareHeapLoop(Math.max(1_000_000, r.events));
    bestBare = Math.max(bestBare, b.events / b.wall);
  }
  const side = runModel(def, 1, [0]);
  const big = runModel(loadScenario('big-64'), 0.5, []);
  const eventsPerSec = best.events / best.wall;
  return {
    'model.eventsPerSec': eventsPerSec,
    'model.bareHeapEventsPerSec': bestBare,
    'model.ratio': eventsPerSec / bestBare,
    'model.realTimeFactor': simSeconds / best.wall,
    'model.realTimeFactorOneSideCore': 1 / side.wall,
    'model.eventsPerSimSecond': best.events / simSeconds,
    'model.big64RealTimeFactor': 0.5 / big.wall,
  };
}
