/**
 * Model benchmark: how fast the host model runs the default scenario, against
 * a bare typed-array heap event loop measured in the same run.
 *
 * Keys (the harness bench/index.ts prefixes them with `model.`):
 * eventsPerSec (model events per second of this process's CPU, default scenario),
 * bareHeapEventsPerSec (bare heap pop/push loop with trivial work, same measure),
 * ratio (= eventsPerSec / bareHeapEventsPerSec; floor 0.35),
 * realTimeFactor (simulated seconds per CPU second, default scenario in its
 * default vhost configuration; floor 25), realTimeFactorOneSideCore,
 * big64RealTimeFactor (floor 1 for the renderer benchmark), eventsPerSimSecond,
 * and the wall-clock versions wallEventsPerSec, wallRatio, wallRealTimeFactor.
 * Timing (performance.now, process.cpuUsage) lives here, not in the model (bench code is not the model).
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

/** CPU seconds used by this process so far (user + system). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Run `seconds` of simulated time; returns wall and CPU seconds and events. */
function runModel(sc: Scenario, seconds: number, sideCores: number[]): { wall: number; cpu: number; events: number } {
  const m = createHostModel(sc, { seed: 1 });
  if (sideCores.length > 0) {
    const r = m.apply({ kind: 'setSideCores', cores: sideCores });
    if (!r.ok) throw new Error(r.error);
  }
  m.step(); // first interval outside the timing (start-up transient)
  const e0 = m.eventsProcessed;
  const steps = Math.round(seconds * 10);
  const c0 = cpuSeconds();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) m.step();
  const wall = (performance.now() - t0) / 1000;
  return { wall, cpu: cpuSeconds() - c0, events: m.eventsProcessed - e0 };
}

/**
 * A bare event loop on the same typed-array heap: `pending` events in flight,
 * each pop schedules one new event of the same shape (time, entity, kind) a
 * pseudo-random delay later; the "work" is a counter update per kind.
 */
export function bareHeapLoop(events: number, pending = 64): { wall: number; cpu: number; events: number } {
  const heap = new EventHeap(1024);
  const rng = new Rng(1);
  const delays = new Float64Array(4096);
  for (let i = 0; i < delays.length; i++) delays[i] = 1 + rng.next() * 10000;
  for (let i = 0; i < pending; i++) heap.push(delays[i], i, i & 7);
  const counts = new Float64Array(8);
  let k = 0;
  const c0 = cpuSeconds();
  const t0 = performance.now();
  for (let n = 0; n < events; n++) {
    heap.pop();
    counts[heap.lastKind]++;
    heap.push(heap.lastTime + delays[k++ & 4095], heap.lastEnt, (heap.lastKind + 1) & 7);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  if (counts[0] < 0) throw new Error('unreachable');
  return { wall, cpu, events };
}

/**
 * The model's benchmark figures (see the module comment). The machine is shared by several
 * developers, so rates use the CPU time this process spent (user + system: what one core of this
 * machine does; equal to wall time on an idle core), best of 5 interleaved rounds. The same
 * figures from wall-clock time are reported too (`wall*`).
 */
export async function benchModel(): Promise<Record<string, number>> {
  const def = loadScenario('default');
  runModel(def, 0.5, []); // warm-up (JIT)
  bareHeapLoop(500_000);
  const simSeconds = 2;
  let bestCpu = Infinity;
  let bestWall = Infinity;
  let events = 0;
  let bareCpu = 0;
  let bareWall = 0;
  for (let round = 0; round < 5; round++) {
    const r = runModel(def, simSeconds, []);
    bestCpu = Math.min(bestCpu, r.cpu);
    bestWall = Math.min(bestWall, r.wall);
    events = r.events;
    const b = bareHeapLoop(Math.max(1_000_000, r.events));
    bareCpu = Math.max(bareCpu, b.events / b.cpu);
    bareWall = Math.max(bareWall, b.events / b.wall);
  }
  const side = runModel(def, 1, [0]);
  const big = runModel(loadScenario('big-64'), 0.5, []);
  const eventsPerSec = events / bestCpu;
  return {
    eventsPerSec,
    bareHeapEventsPerSec: bareCpu,
    ratio: eventsPerSec / bareCpu,
    realTimeFactor: simSeconds / bestCpu,
    realTimeFactorOneSideCore: 1 / side.cpu,
    big64RealTimeFactor: 0.5 / big.cpu,
    eventsPerSimSecond: events / simSeconds,
    wallEventsPerSec: events / bestWall,
    wallRatio: events / bestWall / bareWall,
    wallRealTimeFactor: simSeconds / bestWall,
  };
}
