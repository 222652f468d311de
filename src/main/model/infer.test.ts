/**
 * Scenario inference from a recording, checked against model recordings whose scenario is known:
 * the inference reads only the observed view (the `qemu` profile a stock host reports), and a
 * replica of the inferred scenario under the recorded side cores must deliver what was recorded.
 * `default` shaped the inference; the hold-out scenarios (test/fixtures/holdout) were not looked at
 * while writing it and get the same bounds.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHostModel } from './host-model.ts';
import { ScenarioInference, type InferredScenario } from './infer.ts';
import { WORKLOAD_DEFAULTS } from './defaults.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostInfo } from '../../shared/control.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const load = (path: string): Scenario => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Scenario;

/** Record `seconds` of `sc` with `side` side cores from interval `switchAt` on; infer; replay the replica. */
function roundTrip(sc: Scenario, seconds: number, side: number, switchAt = 0): { inf: InferredScenario; delivered: Map<string, number>; sideBySeq: number[][]; recordedSide: number[][] } {
  const m = createHostModel(sc, { seed: 3 });
  const N = sc.host.cores;
  const inf = new ScenarioInference(m.info(), 'x');
  const recordedSide: number[][] = [];
  for (let i = 0; i < seconds * 10; i++) {
    if (i === switchAt && side > 0) m.apply({ kind: 'setSideCores', cores: Array.from({ length: side }, (_, k) => N - side + k) });
    const s = m.step();
    recordedSide.push(s.sideCores.map((c) => c.coreId));
    inf.add(s);
  }
  const r = inf.result();
  const rep = createHostModel(r.scenario, { seed: 4 });
  const delivered = new Map<string, number>();
  const sideBySeq: number[][] = [];
  let k = 0;
  for (let i = 0; i < seconds * 10; i++) {
    while (k < r.schedule.length && r.schedule[k].seq <= i) {
      const ch = r.schedule[k++];
      expect(rep.apply({ kind: 'setSideCores', cores: ch.sideCores })).toMatchObject({ ok: true });
      ch.owners.forEach((core, queue) => core !== null && expect(rep.apply({ kind: 'assignQueue', queue, core })).toMatchObject({ ok: true }));
    }
    rep.setLoads(r.loads[i]);
    const s = rep.step();
    sideBySeq.push(s.sideCores.map((c) => c.coreId));
    for (const v of s.vms) delivered.set(v.group, (delivered.get(v.group) ?? 0) + (v.requestsPerSec * s.intervalMs) / 1000 / seconds);
  }
  return { inf: r, delivered, sideBySeq, recordedSide };
}

describe('ScenarioInference', () => {
  for (const [path, seconds, side] of [
    ['resources/scenarios/default.json', 5, 0],
    ['resources/scenarios/default.json', 5, 2],
    ['test/fixtures/holdout/two-tier.json', 4, 1],
    ['test/fixtures/holdout/storage-burst.json', 4, 0],
  ] as const) {
    it(`${path} with ${side} side core(s): the host's layout, workload kinds and guest cycles per request, and a replica delivering what was recorded`, () => {
      const sc = load(path);
      const { inf, delivered, sideBySeq, recordedSide } = roundTrip(sc, seconds, side, 10);
      expect(inf.scenario.host).toEqual({ cores: sc.host.cores, ghz: sc.host.ghz });
      expect(inf.scenario.vms.map((g) => [g.name, g.count, g.vcpus, g.devices.map((d) => [d.kind, d.queues ?? 1])])).toEqual(sc.vms.map((g) => [g.name, g.count, g.vcpus, g.devices.map((d) => [d.kind, d.queues ?? 1])]));
      expect(inf.scenario.vms.map((g) => g.workload.kind)).toEqual(sc.vms.map((g) => g.workload.kind));
      expect(inf.loads).toHaveLength(seconds * 10);
      // The recorded side cores, replayed interval by interval.
      expect(sideBySeq).toEqual(recordedSide);
      for (const g of sc.vms) {
        const got = inf.scenario.vms.find((x) => x.name === g.name)!.workload;
        const rec = inf.recorded.find((x) => x.group === g.name)!;
        if (g.workload.kind === 'cpu' || rec.requestsPerSec === 0) continue;
        const truth = g.workload.guestCyclesPerRequest ?? WORKLOAD_DEFAULTS[g.workload.kind].guestCyclesPerRequest;
        // Guest-mode cycles split by vCPU run time: within 5 % of the application's cycles per request.
        expect(Math.abs(got.guestCyclesPerRequest! / truth - 1), `${g.name} guest cycles per request ${got.guestCyclesPerRequest} vs ${truth}`).toBeLessThan(0.05);
        // The replica offers what was delivered: each group within 3 % of its recorded request rate.
        expect(Math.abs(delivered.get(g.name)! / rec.requestsPerSec - 1), `${g.name} delivered ${delivered.get(g.name)} vs recorded ${rec.requestsPerSec}`).toBeLessThan(0.03);
      }
    });
  }

  it('uses only what the host observes: the truth fields of a recording (phase, load, score, latency) do not change the result', () => {
    const sc = load('resources/scenarios/mixed.json');
    const m = createHostModel(sc, { seed: 1 });
    const a = new ScenarioInference(m.info(), 'x');
    const b = new ScenarioInference(m.info(), 'x');
    for (let i = 0; i < 20; i++) {
      const s = m.step();
      a.add(s);
      const blank = structuredClone(s);
      blank.phase = '';
      blank.totals.score = 0;
      for (const v of blank.vms) {
        v.load = 0;
        v.guestCyclesPerSec = 0;
        v.latencyUs = { p50: 0, p99: 0, p999: 0 };
      }
      for (const q of blank.queues) q.waitCycles = 0;
      blank.groups = [];
      b.add(blank);
    }
    expect(b.result()).toEqual(a.result());
  });

  it('a host that declares no workload kind gets one from its devices and bytes per request, said in the notes', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const info: HostInfo = { ...m.info(), groups: m.info().groups.map((g) => ({ ...g, workload: 'unknown' })) };
    const inf = new ScenarioInference(info, 'x');
    for (let i = 0; i < 10; i++) inf.add(m.step());
    const r = inf.result();
    expect(Object.fromEntries(r.scenario.vms.map((g) => [g.name, g.workload.kind]))).toEqual({ web: 'net-stream', kv: 'net-rr', stream: 'net-stream', blk: 'blk', batch: 'cpu' });
    expect(r.notes.join('\n')).toMatch(/group 'web': workload 'net-stream' inferred from its devices and \d+ bytes per request \(the host declared 'unknown'\)/);
  });

  it('a host whose cores show no guest-mode time while vCPUs run (QEMU TCG) gets guest cycles per request from the vCPU run time, said in the notes', () => {
    const sc = load('resources/scenarios/rr-few.json');
    const m = createHostModel(sc, { seed: 1 });
    const inf = new ScenarioInference(m.info(), 'x');
    let run = 0;
    let reqs = 0;
    for (let i = 0; i < 20; i++) {
      const s = structuredClone(m.step());
      for (const c of s.cores) {
        c.cycles.exit += c.cycles.guest;
        c.cycles.guest = 0;
      }
      const mine = new Set(s.vms.filter((v) => v.group === sc.vms[0].name).map((v) => v.id));
      run += s.vms.reduce((a, v) => a + (mine.has(v.id) ? v.vcpuRunCycles : 0), 0);
      reqs += s.queues.reduce((a, q) => a + (mine.has(q.vm) ? q.requests : 0), 0);
      inf.add(s);
    }
    const r = inf.result();
    const g = r.scenario.vms[0].workload;
    expect(Math.abs(g.guestCyclesPerRequest! / (run / reqs) - 1)).toBeLessThan(0.001);
    expect(r.notes.join('\n')).toMatch(/no guest-mode cycles \(its cores showed none while vCPUs ran: no hardware virtualization, e\.g\. QEMU TCG\)/);
  });

  it('refuses a host description it cannot use, naming the field', () => {
    const m = createHostModel(load('resources/scenarios/rr-few.json'), { seed: 1 });
    const info = m.info();
    expect(() => new ScenarioInference({ ...info, hz: 0 }, 'x')).toThrow(/info\.hz/);
    expect(() => new ScenarioInference({ ...info, vms: [{ ...info.vms[0], group: 'nope' }] }, 'x')).toThrow(/info\.vms: VM \d+ .* group 'nope'/);
    expect(() => new ScenarioInference({ ...info, cores: 1 }, 'x').result()).toThrow(/no snapshots/);
    const one = new ScenarioInference({ ...info, cores: 1 }, 'x');
    one.add(m.step());
    expect(() => one.result()).toThrow(/host\.cores/);
  });
});
