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
import { matchQueues, ScenarioInference, type InferredScenario } from './infer.ts';
import { WORKLOAD_DEFAULTS } from './defaults.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostInfo } from '../../shared/control.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';

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
  const toModel = matchQueues(m.info(), rep.info());
  const delivered = new Map<string, number>();
  const sideBySeq: number[][] = [];
  let k = 0;
  for (let i = 0; i < seconds * 10; i++) {
    while (k < r.schedule.length && r.schedule[k].index <= i) {
      const ch = r.schedule[k++];
      expect(rep.apply({ kind: 'setSideCores', cores: ch.sideCores })).toMatchObject({ ok: true });
      for (const [queue, core] of ch.owners) expect(rep.apply({ kind: 'assignQueue', queue: toModel.get(queue)!, core })).toMatchObject({ ok: true });
    }
    rep.setLoads(r.loadsAt(i));
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
    // A few I/O VMs beside CPU-bound ones: the guest split once gave the I/O VMs the batch VMs' share (+56 %, +80 %).
    ['resources/scenarios/rr-few.json', 4, 1],
    ['resources/scenarios/cpu-light-io.json', 4, 0],
  ] as const) {
    it(`${path} with ${side} side core(s): the host's layout, workload kinds and guest cycles per request, and a replica delivering what was recorded`, () => {
      const sc = load(path);
      const { inf, delivered, sideBySeq, recordedSide } = roundTrip(sc, seconds, side, 10);
      expect(inf.scenario.host).toEqual({ cores: sc.host.cores, ghz: sc.host.ghz });
      expect(inf.scenario.vms.map((g) => [g.name, g.count, g.vcpus, g.devices.map((d) => [d.kind, d.queues ?? 1])])).toEqual(sc.vms.map((g) => [g.name, g.count, g.vcpus, g.devices.map((d) => [d.kind, d.queues ?? 1])]));
      expect(inf.scenario.vms.map((g) => g.workload.kind)).toEqual(sc.vms.map((g) => g.workload.kind));
      expect(inf.intervals).toBe(seconds * 10);
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
    const [ra, rb] = [a.result(), b.result()];
    expect({ ...rb, loadsAt: null }).toEqual({ ...ra, loadsAt: null });
    for (let i = 0; i < 20; i++) expect(rb.loadsAt(i)).toEqual(ra.loadsAt(i));
  });

  it('a host that declares no workload kind gets one from its devices and bytes per request, said in the notes', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const info: HostInfo = { ...m.info(), groups: m.info().groups.map((g) => ({ ...g, workload: 'unknown' })) };
    const inf = new ScenarioInference(info, 'x');
    for (let i = 0; i < 10; i++) inf.add(m.step());
    const r = inf.result();
    expect(Object.fromEntries(r.scenario.vms.map((g) => [g.name, g.workload.kind]))).toEqual({ web: 'net-stream', kv: 'net-rr', stream: 'net-stream', blk: 'blk', batch: 'cpu' });
    expect(r.notes.join('\n')).toMatch(/group 'web': workload 'net-stream' inferred from its devices and traffic \(\d+ bytes per request; the host declared 'unknown'\)/);
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
    expect(r.notes.join('\n')).toMatch(/the host's cores showed no guest-mode time while vCPUs ran \(no hardware virtualization, e\.g\. QEMU TCG\)/);
  });

  it('decides guest time over the whole recording: one interval without guest ticks on a KVM host does not switch to vCPU run time', () => {
    const sc = load('resources/scenarios/rr-few.json');
    const m = createHostModel(sc, { seed: 1 });
    const inf = new ScenarioInference(m.info(), 'x');
    const plain = new ScenarioInference(m.info(), 'x');
    for (let i = 0; i < 20; i++) {
      const s = structuredClone(m.step());
      plain.add(s);
      if (i === 7) for (const c of s.cores) c.cycles.guest = 0;
      inf.add(s);
    }
    const r = inf.result();
    expect(r.notes.join('\n')).not.toMatch(/guest-mode/);
    // Guest time still split from the cores' guest cycles: the one tick-less interval costs its share only.
    const ref = plain.result().scenario.vms[0].workload.guestCyclesPerRequest!;
    expect(Math.abs(r.scenario.vms[0].workload.guestCyclesPerRequest! / ref - 1)).toBeLessThan(0.1);
  });

  it('refuses a first snapshot that contradicts the host description (or has a VM of no described group) or is of another interval setting, and a counter that is no count anywhere, naming the seq and field', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const info = m.info();
    const s = m.step();
    const bad = (f: (x: HostSnapshot) => void, opts = {}): (() => void) => () => {
      const x = structuredClone(s);
      f(x);
      new ScenarioInference(info, 'x', opts).add(x);
    };
    expect(bad((x) => (x.vms[0].group = 'kv'))).toThrow(/^snapshot seq 0: VM 'web-0' is in group 'kv', where the recorded host description has it in 'web' \(the host changed during the session; what-if needs one host layout\)/);
    expect(bad((x) => ((x.vms[0].name = 'new-1'), (x.vms[0].group = 'nope')))).toThrow(/^snapshot seq 0: VM 'new-1' is in group 'nope', which the recorded host description does not list/);
    expect(bad((x) => (x.queues[0].vm = 77))).toThrow(/^snapshot seq 0: queue 0 is on VM 77, which this snapshot does not list/);
    expect(bad((x) => (x.queues[1].requests = -1e308))).toThrow(/^snapshot seq 0: queues\[id 1\]\.requests must be a finite number ≥ 0, got -1e\+308/);
    expect(bad((x) => ((x.queues[1] as unknown as { bytes: string }).bytes = 'abc'))).toThrow(/queues\[id 1\]\.bytes must be a finite number ≥ 0, got abc/);
    expect(bad((x) => (x.vms[2].vcpuRunCycles = NaN))).toThrow(/vms\[id 2\]\.vcpuRunCycles must be a finite number ≥ 0/);
    expect(bad((x) => (x.cores[3].cycles.guest = Infinity))).toThrow(/cores\[3\]\.cycles\.guest must be a finite number ≥ 0/);
    expect(bad((x) => (x.intervalMs = 500), { intervalMs: 100 })).toThrow(/^snapshot seq 0: its interval is 500 ms, the session's 100 ms/);
    // A loaded host's measured intervals run long: a factor 2 either way is the same setting.
    expect(bad((x) => (x.intervalMs = 190), { intervalMs: 100 })).not.toThrow();
    expect(bad((x) => (x.intervalMs = 40), { intervalMs: 100 })).toThrow(/its interval is 40 ms/);
  });

  it('a host that changed during the session: the inference ends before the change, keeps what came before intact, and says where', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const info = m.info();
    const snaps = Array.from({ length: 20 }, () => m.step());
    const whole = new ScenarioInference(info, 'x');
    for (const s of snaps.slice(0, 12)) expect(whole.add(s)).toBe(true);
    const cut = new ScenarioInference(info, 'x');
    for (const s of snaps.slice(0, 12)) expect(cut.add(s)).toBe(true);
    // At seq 12 a VM is in another group: a different host from here on.
    const moved = structuredClone(snaps[12]);
    moved.vms[0].group = 'kv';
    expect(cut.add(moved)).toBe(false);
    for (const s of snaps.slice(13)) expect(cut.add(s)).toBe(false);
    const [rw, rc] = [whole.result(), cut.result()];
    expect(rc.intervals).toBe(12);
    expect(rc.scenario).toEqual(rw.scenario);
    for (let i = 0; i < 12; i++) expect(rc.loadsAt(i)).toEqual(rw.loadsAt(i));
    expect(rc.notes.join('\n')).toMatch(/the host changed at snapshot seq 12: VM 'web-0' is in group 'kv', where the recorded host description has it in 'web' .*; what-if replays the 12 interval\(s\) before it/);
  });

  it('another host on the same agent (other core count), and an interval setting changed by a factor 2: the inference ends at the change; one long interval is load', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const info = m.info();
    const snaps = Array.from({ length: 12 }, () => m.step());
    // From seq 6 on, an 8-core host (another scenario behind the same agent).
    const other = new ScenarioInference(info, 'x');
    for (const s of snaps.slice(0, 6)) expect(other.add(s)).toBe(true);
    expect(other.add({ ...snaps[6], cores: snaps[6].cores.slice(0, 8) })).toBe(false);
    expect(other.result().notes.join('\n')).toMatch(/the host changed at snapshot seq 6: it has 8 cores, the recorded host 16 .*what-if replays the 6 interval\(s\) before it/);
    // Exactly twice the session's interval from seq 6 on (an agent restarted with --interval-ms 200).
    const twice = new ScenarioInference(info, 'x', { intervalMs: 100 });
    snaps.forEach((s, i) => twice.add(i >= 6 ? { ...s, intervalMs: 200 } : s));
    const rt = twice.result();
    expect(rt.intervals).toBe(6);
    expect(rt.notes.join('\n')).toMatch(/the host changed at snapshot seq 6: its interval is 200 ms and the next 2 are as far off, the session's 100 ms/);
    // One or two long intervals (a loaded host), and long ones at the very end: all taken.
    const load1 = new ScenarioInference(info, 'x', { intervalMs: 100 });
    snaps.forEach((s, i) => expect(load1.add(i === 3 || i === 4 || i >= 10 ? { ...s, intervalMs: 190 } : s)).toBe(true));
    const rl = load1.result();
    expect(rl.intervals).toBe(12);
    expect(rl.notes.join('\n')).not.toMatch(/host changed/);
  });

  it('a description taken before all devices and VMs were found (a QEMU host under load): what appears later joins the layout, with a note', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const full = m.info();
    // The description lacks the blk VMs' queues and one web VM.
    const blkVms = new Set(full.vms.filter((v) => v.group === 'blk').map((v) => v.id));
    const lateVm = full.vms.find((v) => v.group === 'web')!.id;
    const early: HostInfo = { ...full, vms: full.vms.filter((v) => v.id !== lateVm), queues: full.queues.filter((q) => !blkVms.has(q.vm) && q.vm !== lateVm) };
    const a = new ScenarioInference(full, 'x');
    const b = new ScenarioInference(early, 'x');
    for (let i = 0; i < 20; i++) {
      const s = m.step();
      a.add(s);
      b.add(s);
    }
    const [ra, rb] = [a.result(), b.result()];
    expect(rb.scenario.vms).toEqual(ra.scenario.vms);
    expect(rb.host.queues.length).toBe(full.queues.length);
    expect(rb.notes.join('\n')).toMatch(/the host description grew during the session: 1 VM\(s\) and \d+ queue\(s\) appeared after it was recorded/);
    for (let i = 0; i < 20; i++) expect(rb.loadsAt(i)).toEqual(ra.loadsAt(i));
  });

  it('an agent that restarted and numbered the same VMs and queues otherwise (QEMU: in the order its sockets answered): VMs are known by name, queues by place', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const info = m.info();
    const nv = info.vms.length;
    const nq = info.queues.length;
    const a = new ScenarioInference(info, 'x');
    const b = new ScenarioInference(info, 'x');
    for (let i = 0; i < 20; i++) {
      const s = m.step();
      a.add(s);
      // From interval 10 on, the restarted agent numbers VMs and queues backwards.
      const r = structuredClone(s);
      if (i >= 10) {
        for (const v of r.vms) v.id = nv - 1 - v.id;
        for (const q of r.queues) {
          q.vm = nv - 1 - q.vm;
          q.id = 1000 + q.id;
        }
      }
      b.add(r);
    }
    const [ra, rb] = [a.result(), b.result()];
    expect(rb.scenario).toEqual(ra.scenario);
    expect(rb.notes).toEqual(ra.notes);
    expect(rb.schedule).toEqual(ra.schedule);
    for (let i = 0; i < 20; i++) expect(rb.loadsAt(i)).toEqual(ra.loadsAt(i));
    expect(rb.host.queues).toHaveLength(nq);
  });

  it('matches queues by place, not by id: a host whose queue ids have gaps or run backwards replays the right owners', () => {
    const sc = load('resources/scenarios/default.json');
    const m = createHostModel(sc, { seed: 1 });
    const info = m.info();
    const nq = info.queues.length;
    expect(nq).toBeGreaterThan(4);
    // The host numbers its queues from 100 with gaps (a QEMU host whose VMs restarted has such ids).
    const hostId = (q: number): number => 100 + 3 * q;
    const hostInfo: HostInfo = { ...info, queues: info.queues.map((q) => ({ ...q, id: hostId(q.id) })) };
    m.apply({ kind: 'setSideCores', cores: [14, 15] });
    m.apply({ kind: 'assignQueue', queue: 0, core: 14 });
    m.apply({ kind: 'assignQueue', queue: nq - 1, core: 15 });
    const inf = new ScenarioInference(hostInfo, 'x');
    const s = structuredClone(m.step());
    for (const q of s.queues) q.id = hostId(q.id);
    inf.add(s);
    const r = inf.result();
    const rep = createHostModel(r.scenario, { seed: 2 });
    const toModel = matchQueues(hostInfo, rep.info());
    rep.apply({ kind: 'setSideCores', cores: r.schedule[0].sideCores });
    for (const [queue, core] of r.schedule[0].owners) rep.apply({ kind: 'assignQueue', queue: toModel.get(queue)!, core });
    expect(rep.config().queueOwner).toEqual(m.config().queueOwner);
  });

  it("replays only the traffic of its workload's devices and says how much it left out (a QEMU group declared blk whose VMs also have a NIC)", () => {
    const sc = load('resources/scenarios/default.json');
    const web = { ...sc, vms: [{ ...sc.vms[0], devices: [...sc.vms[0].devices, { kind: 'blk' as const }] }, sc.vms[3]], phases: [] };
    const m = createHostModel(web, { seed: 1 });
    const info: HostInfo = { ...m.info(), groups: m.info().groups.map((g) => ({ ...g, workload: 'blk' })) };
    const inf = new ScenarioInference(info, 'x');
    let blkReqs = 0;
    for (let i = 0; i < 10; i++) {
      const s = m.step();
      blkReqs += s.queues.filter((q) => q.kind === 'blk' && s.vms.find((v) => v.id === q.vm)?.group === 'web').reduce((a, q) => a + q.requests, 0);
      inf.add(s);
    }
    const r = inf.result();
    expect(r.scenario.vms[0].workload.kind).toBe('blk');
    expect(r.recorded[0].requestsPerSec).toBeCloseTo(blkReqs, 6);
    expect(r.notes.join('\n')).toMatch(/group 'web': \d+ requests\/s on its net devices are not replayed \(its workload is blk\)/);
  });

  it('an OVS host (vCPUs 0: unknown), a group with no VM and a group named __proto__: 1 vCPU with a note, the empty group left out, the odd name replayed', () => {
    const sc = load('resources/scenarios/rr-few.json');
    const proto = { ...sc, vms: sc.vms.map((g, i) => (i === 0 ? { ...g, name: '__proto__' } : g)), phases: [] };
    const m = createHostModel(proto, { seed: 1 });
    const info0 = m.info();
    const info: HostInfo = { ...info0, vms: info0.vms.map((v) => ({ ...v, vcpus: 0 })), groups: [...info0.groups, { name: 'empty', weight: 1, workload: 'blk' }] };
    const inf = new ScenarioInference(info, 'x');
    for (let i = 0; i < 5; i++) inf.add(m.step());
    const r = inf.result();
    expect(r.scenario.vms.map((g) => [g.name, g.vcpus])).toEqual(info0.groups.map((g) => [g.name, 1]));
    expect(r.notes.join('\n')).toMatch(/group '__proto__': the host does not report its VMs' vCPUs \(an OVS host\); each VM gets 1/);
    expect(r.notes.join('\n')).toMatch(/group 'empty': no VM in the recorded host; left out/);
    expect(Object.keys(r.loadsAt(0))).toContain('__proto__');
    expect(r.loadsAt(0)['__proto__']).toBeGreaterThan(0);
    expect(r.notes.join('\n')).toMatch(/the recording is short \(5 intervals, 0\.5 s\)/);
    // The model replays the group named __proto__ (it takes the loads by own name).
    const rep = createHostModel(r.scenario, { seed: 1 });
    rep.setLoads(r.loadsAt(0));
    expect(rep.step().groups.find((g) => g.group === '__proto__')!.requestsPerSec).toBeGreaterThan(0);
  });

  it('refuses a host description it cannot use, naming the field', () => {
    const m = createHostModel(load('resources/scenarios/rr-few.json'), { seed: 1 });
    const info = m.info();
    expect(() => new ScenarioInference({ ...info, hz: 0 }, 'x')).toThrow(/info\.hz/);
    expect(() => new ScenarioInference({ ...info, vms: [null as never] }, 'x')).toThrow(/^info\.vms\[0\]: expected \{ id, name, group, vcpus \}/);
    expect(() => new ScenarioInference({ ...info, observability: { profile: 'bogus' } as never }, 'x')).toThrow(/^info\.observability\.profile: 'bogus' is not a profile \(qemu, ovs, full\)/);
    expect(() => new ScenarioInference({ ...info, queues: [{ ...info.queues[0], vm: 77 }] }, 'x')).toThrow(/^info\.queues\[0\]: queue \d+ belongs to VM 77/);
    expect(() => new ScenarioInference({ ...info, vms: [{ ...info.vms[0], group: 'nope' }] }, 'x')).toThrow(/info\.vms: VM \d+ .* group 'nope'/);
    expect(() => new ScenarioInference({ ...info, cores: 1 }, 'x').result()).toThrow(/no snapshots/);
    // Snapshots of another core count than the description's: not this host.
    const one = new ScenarioInference({ ...info, cores: 1 }, 'x');
    expect(() => one.add(m.step())).toThrow(new RegExp(`^snapshot seq \\d+: it has ${info.cores} cores, the recorded host 1 \\(the host changed during the session`));
  });
});
