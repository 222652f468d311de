/**
 * A model scenario inferred from a recording of a host that has no scenario (a remote agent's QEMU
 * or OVS host), so that what-if can re-run it. Only what the host measured is read: every snapshot
 * goes through `observe` under the recording's observability profile first, so no truth field (the
 * phase, the offered load, the score) can enter the inference even when a recording carries one.
 *
 * What is inferred, per VM group of the recorded HostInfo (docs/history.md, "What-if on a real
 * host's recording"):
 * - host: the recorded cores and clock; the NIC line rate and the costs are the model's defaults
 *   (a `calibrate` block given to what-if replaces the costs);
 * - VMs and devices: the recorded VMs, their vCPUs (0, unknown to an OVS host, is taken as 1) and
 *   their queues (devices in index order, queues per device) — the model runs groups of identical
 *   VMs, so a group whose VMs differ takes its first VM's layout, said in the notes; a group with
 *   no VM is left out;
 * - workload kind: the one the host declared for the group where it fits the devices, else blk or
 *   net by which devices carried more requests (net-stream at ≥ 8 KiB per request, net-rr below),
 *   cpu with no traffic and no device; traffic on devices of the other kind is not replayed, and
 *   the notes say how much;
 * - offered work: open loop at the group's highest per-VM request rate in any interval, with the
 *   interval's load = its rate / that rate (so the replay offers, interval by interval, what the host
 *   delivered: a host that was saturated offered more, which no recording shows);
 * - bytes per request: the recorded total over the requests;
 * - guest cycles per request: the group's share of the cores' guest-mode cycles (/proc/stat `guest`:
 *   VMs without devices take their vCPU run time, the rest is split between the others by their
 *   vCPU run time) over its requests; where the host reports no guest
 *   time, or its cores showed none over the whole recording while vCPUs ran (no hardware
 *   virtualization: QEMU TCG), the vCPU run time, which also holds exits and interrupts (an upper
 *   bound, said in the notes);
 * - cpu groups: the interval's load is the share of its vCPUs' time in guest mode.
 * The side cores and queue owners in force in each interval are kept as a schedule (changes only),
 * so a replica can run the model under exactly what the host ran; queues are matched between host
 * and model by place (group, VM, device, queue), not by id.
 *
 * Every snapshot is checked against the recorded host. A VM of a described group, or a queue of a
 * known VM, that the description lacks (started, hot-plugged or found after it was taken) joins the
 * layout, said in the notes. A VM or queue that contradicts the layout or belongs to no described
 * group, or an interval off the session's by more than a factor 2 (another setting), is a host
 * change: the inference ends before that snapshot and the notes say so (what-if replays the session
 * up to the change), or, at the first snapshot, it is refused naming the seq and the field. A
 * counter that is not a finite number ≥ 0 is refused wherever it is.
 *
 * Memory: per interval, a few numbers per group in typed arrays (≈ 40 bytes per group and
 * interval), and the schedule's changes.
 */
import type { HostInfo } from '../../shared/control.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { DeviceKind, DeviceSpec, Scenario, VmGroupSpec, WorkloadKind, WorkloadSpec } from '../../shared/scenario.ts';
import { OBSERVABILITY_PROFILE_NAMES, observabilityOf, observe, type Observability, type ObservabilityProfile } from '../../shared/observe.ts';
import { checkScenario, WORKLOAD_DEFAULTS } from './defaults.ts';

/** The side cores and queue owners in force from interval `index` (the recording's order, from 0) on. */
export interface ScheduleChange {
  index: number;
  /** The snapshot's seq, for messages. */
  seq: number;
  sideCores: number[];
  /** Queues served by a side core: [the host's queue id, core]. */
  owners: [number, number][];
}

/** What the inference gives. */
export interface InferredScenario {
  scenario: Scenario;
  /** Intervals recorded (and to replay). */
  intervals: number;
  /** Each group's load in interval `i` (an object without a prototype: any group name is a key). */
  loadsAt(i: number): Record<string, number>;
  /** The recorded side cores and queue owners, as changes from interval 0 on. */
  schedule: ScheduleChange[];
  /** Per group, what was recorded (time-weighted means over the recording), for comparing a replica with it. */
  recorded: { group: string; requestsPerSec: number; bytesPerSec: number; vcpuRunCyclesPerSec: number }[];
  /** Each assumption in words. */
  notes: string[];
  /** The host's VMs and queues as the recording showed them (the description plus what appeared later), for queuePlaces. */
  host: Pick<HostInfo, 'vms' | 'queues'>;
}

/** Options of the inference. */
export interface InferenceOptions {
  /** The session's interval in ms: every snapshot's must be within a factor 2 of it (what-if replays intervals of one length; a real host's measured intervals vary). */
  intervalMs?: number;
}

/** Bytes per request from which a net group is taken as a stream (TSO segments, bulk transfers). */
export const STREAM_BYTES_PER_REQUEST = 8192;
/** Below this many intervals or seconds a replica is not worth judging by (said in the notes). */
export const SHORT_RECORDING = { intervals: 20, seconds: 10 } as const;

const KINDS: readonly WorkloadKind[] = ['net-stream', 'net-rr', 'kv', 'web', 'blk', 'cpu'];

/** A growable Float64Array. */
class Series {
  a = new Float64Array(256);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

interface GroupAcc {
  name: string;
  weight: number;
  declared: string;
  vms: number[];
  vcpus: number;
  devices: DeviceSpec[];
  /** Queues of its VMs known so far (a group without any takes no I/O exits). */
  queues: number;
  /** Per interval: requests per second (the group's, divided by its VMs at the end) on net and on blk devices; guest-mode and vCPU-run share of the group's vCPU time. */
  rateNet: Series;
  rateBlk: Series;
  shareGuest: Series;
  shareRun: Series;
  reqNet: number;
  bytesNet: number;
  reqBlk: number;
  bytesBlk: number;
  guest: number;
  run: number;
}

/** A queue's place, the same on the host and on a model of it: group, VM in the group, device position, queue in the device. */
export function queuePlaces(info: Pick<HostInfo, 'vms' | 'queues'>): Map<number, string> {
  const vmPlace = new Map<number, string>();
  const perGroup = new Map<string, number>();
  for (const v of info.vms) {
    const k = perGroup.get(v.group) ?? 0;
    perGroup.set(v.group, k + 1);
    vmPlace.set(v.id, `${v.group}\u0000${k}`);
  }
  const byVm = new Map<number, { id: number; device: number }[]>();
  for (const q of info.queues) {
    const l = byVm.get(q.vm) ?? [];
    l.push({ id: q.id, device: q.device });
    byVm.set(q.vm, l);
  }
  const out = new Map<number, string>();
  for (const [vm, qs] of byVm) {
    const place = vmPlace.get(vm);
    if (place === undefined) continue;
    const devices = [...new Set(qs.map((q) => q.device))].sort((a, b) => a - b);
    const inDevice = new Map<number, number>();
    for (const q of [...qs].sort((a, b) => a.id - b.id)) {
      const k = inDevice.get(q.device) ?? 0;
      inDevice.set(q.device, k + 1);
      out.set(q.id, `${place}\u0000${devices.indexOf(q.device)}\u0000${k}`);
    }
  }
  return out;
}

/** Each queue's identity key (its VM — mapped by `vmOf` if given —, device, kind, place among the device's queues by id) → its id. */
function queueKeys(queues: readonly { id: number; vm: number; device: number; kind: string }[], vmOf?: Map<number, number>): Map<string, number> {
  const sorted = [...queues].sort((a, b) => a.id - b.id);
  const seen = new Map<string, number>();
  const out = new Map<string, number>();
  for (const q of sorted) {
    const dev = `${vmOf ? vmOf.get(q.vm) : q.vm}\u0000${q.device}\u0000${q.kind}`;
    const k = seen.get(dev) ?? 0;
    seen.set(dev, k + 1);
    out.set(`${dev}\u0000${k}`, q.id);
  }
  return out;
}

/** The host's queue id → the model's queue at the same place (queuePlaces), for queues the model has. */
export function matchQueues(host: Pick<HostInfo, 'vms' | 'queues'>, model: Pick<HostInfo, 'vms' | 'queues'>): Map<number, number> {
  const at = new Map<string, number>();
  for (const [id, place] of queuePlaces(model)) at.set(place, id);
  const out = new Map<number, number>();
  for (const [id, place] of queuePlaces(host)) {
    const m = at.get(place);
    if (m !== undefined) out.set(id, m);
  }
  return out;
}

/** The end of a host-change message about the layout (VMs, queues). */
const LAYOUT_CHANGED = ' (the host changed during the session; what-if needs one host layout)';

/** An interval this factor or more off the session's is a suspect... */
const INTERVAL_SUSPECT = 1.5;
/** ...and this many suspects in a row are another interval setting. */
const INTERVAL_CHANGE_RUN = 3;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Infers a scenario from a recording, one snapshot at a time (see the module doc). */
export class ScenarioInference {
  private readonly groups: GroupAcc[] = [];
  /** VM id → index into groups, and the VM's recorded name. */
  private readonly groupOfVm = new Map<number, number>();
  private readonly vmName = new Map<number, string>();
  /** Queue id → [vm, device, kind] as recorded. */
  private readonly queueOf = new Map<number, [number, number, DeviceKind]>();
  private readonly obs: Observability;
  private readonly notes: string[] = [];
  private readonly schedule: ScheduleChange[] = [];
  private readonly intervalMs: number | undefined;
  private n = 0;
  private lastKey = '';
  /** Recorded time in ms (summed as ms: exact for whole-ms intervals). */
  private ms = 0;
  private guestAll = 0;
  private runAll = 0;
  private readonly byName = new Map<string, number>();
  /** VM id → its vCPUs as described (0: not reported). */
  private readonly vmVcpus = new Map<number, number>();
  /**
   * Identity across the session: a VM by its name (unique on a host), a queue by its VM, device,
   * kind and place in the device. An agent that restarted may number the same VMs and queues
   * otherwise (QEMU's in the order its sockets answered), so ids are mapped per snapshot.
   */
  private readonly vmByName = new Map<string, number>();
  private readonly queueByKey = new Map<string, number>();
  private nextVm = 0;
  private nextQueue = 0;
  /** VMs and queues that appeared in snapshots after the host description was recorded. */
  private grownVms = 0;
  private grownQueues = 0;
  /** The host changed at this snapshot: the inference ended before it (null: it did not). */
  private endedBy: { seq: number; what: string } | null = null;
  /** Intervals 1.5–2× off the session's, held until the next interval says whether the setting changed. */
  private held: ReturnType<typeof observe>[] = [];

  constructor(private readonly info: HostInfo, private readonly name: string, opts: InferenceOptions = {}) {
    if (!info || typeof info !== 'object' || !Array.isArray(info.vms) || !Array.isArray(info.queues) || !Array.isArray(info.groups)) throw new Error('the recording has no host description (info) to infer a scenario from');
    if (!(Number.isFinite(info.hz) && info.hz > 0)) throw new Error(`info.hz: expected a clock rate > 0, got ${String(info.hz)}`);
    if (!isInt(info.cores)) throw new Error(`info.cores: expected an integer, got ${String(info.cores)}`);
    const profile = info.observability?.profile ?? 'qemu';
    if (!OBSERVABILITY_PROFILE_NAMES.includes(profile)) throw new Error(`info.observability.profile: '${String(profile)}' is not a profile (${OBSERVABILITY_PROFILE_NAMES.join(', ')})`);
    // The profile's name only: what it reports is ours, not the recording's.
    this.obs = observabilityOf(profile as ObservabilityProfile);
    this.intervalMs = opts.intervalMs;
    const byName = this.byName;
    info.groups.forEach((g, i) => {
      if (!g || typeof g !== 'object' || typeof g.name !== 'string' || g.name === '') throw new Error(`info.groups[${i}]: expected { name, weight, workload } with a non-empty name`);
      if (!(typeof g.weight === 'number' && Number.isFinite(g.weight) && g.weight >= 0)) throw new Error(`info.groups[${i}].weight: expected a number ≥ 0, got ${String(g.weight)}`);
      if (byName.has(g.name)) throw new Error(`info.groups: duplicate group '${g.name}'`);
      byName.set(g.name, this.groups.length);
      this.groups.push({ name: g.name, weight: g.weight, declared: String(g.workload), vms: [], vcpus: 0, devices: [], queues: 0, rateNet: new Series(), rateBlk: new Series(), shareGuest: new Series(), shareRun: new Series(), reqNet: 0, bytesNet: 0, reqBlk: 0, bytesBlk: 0, guest: 0, run: 0 });
    });
    info.vms.forEach((v, i) => {
      if (!v || typeof v !== 'object' || !isInt(v.id) || typeof v.group !== 'string' || typeof v.name !== 'string' || !isInt(v.vcpus) || v.vcpus < 0) throw new Error(`info.vms[${i}]: expected { id, name, group, vcpus } (integers and strings)`);
      const gi = byName.get(v.group);
      if (gi === undefined) throw new Error(`info.vms: VM ${v.id} ('${v.name}') is in group '${v.group}', which info.groups does not list`);
      if (this.groupOfVm.has(v.id)) throw new Error(`info.vms: duplicate VM id ${v.id}`);
      this.groups[gi].vms.push(v.id);
      this.groupOfVm.set(v.id, gi);
      this.vmName.set(v.id, v.name);
      this.vmVcpus.set(v.id, v.vcpus);
      if (this.vmByName.has(v.name)) throw new Error(`info.vms: duplicate VM name '${v.name}'`);
      this.vmByName.set(v.name, v.id);
      this.nextVm = Math.max(this.nextVm, v.id + 1);
    });
    info.queues.forEach((q, i) => {
      if (!q || typeof q !== 'object' || !isInt(q.id) || !isInt(q.vm) || !isInt(q.device) || (q.kind !== 'net' && q.kind !== 'blk')) throw new Error(`info.queues[${i}]: expected { id, vm, device, kind: 'net' | 'blk' }`);
      if (!this.groupOfVm.has(q.vm)) throw new Error(`info.queues[${i}]: queue ${q.id} belongs to VM ${q.vm}, which info.vms does not list`);
      if (this.queueOf.has(q.id)) throw new Error(`info.queues: duplicate queue id ${q.id}`);
      this.queueOf.set(q.id, [q.vm, q.device, q.kind]);
      this.groups[this.groupOfVm.get(q.vm)!].queues++;
      this.nextQueue = Math.max(this.nextQueue, q.id + 1);
    });
    for (const [key, id] of queueKeys(info.queues)) this.queueByKey.set(key, id);
  }

  /** Each group's vCPUs and devices from its first VM, over the description as it grew (see add). */
  private layout(notes: string[]): void {
    const queues = [...this.queueOf.entries()].map(([id, [vm, device, kind]]) => ({ id, vm, device, kind }));
    for (const g of this.groups) {
      if (g.vms.length === 0) {
        notes.push(`group '${g.name}': no VM in the recorded host; left out`);
        continue;
      }
      const layout = (vm: number): string =>
        JSON.stringify(
          queues
            .filter((q) => q.vm === vm)
            .map((q) => [q.device, q.kind])
            .sort((a, b) => (a[0] as number) - (b[0] as number) || String(a[1]).localeCompare(String(b[1]))),
        );
      const first = g.vms[0];
      const firstName = this.vmName.get(first) ?? String(first);
      const vcpus = this.vmVcpus.get(first) ?? 1;
      g.vcpus = vcpus > 0 ? vcpus : 1;
      if (vcpus === 0) notes.push(`group '${g.name}': the host does not report its VMs' vCPUs (an OVS host); each VM gets 1`);
      if (g.vms.some((v) => (this.vmVcpus.get(v) ?? 1) !== vcpus)) notes.push(`group '${g.name}': its VMs have different vCPU counts; every VM gets ${g.vcpus}, as ${firstName} has`);
      if (g.vms.some((v) => layout(v) !== layout(first))) notes.push(`group '${g.name}': its VMs have different devices; every VM gets those of ${firstName}`);
      const devs = new Map<number, { kind: DeviceKind; queues: number }>();
      for (const q of queues) {
        if (q.vm !== first) continue;
        const d = devs.get(q.device);
        if (d) d.queues++;
        else devs.set(q.device, { kind: q.kind, queues: 1 });
      }
      g.devices = [...devs.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => (d.queues > 1 ? { kind: d.kind, queues: d.queues } : { kind: d.kind }));
    }
  }

  /**
   * Adds the next recorded interval. Returns false when the host changed at this snapshot (a VM
   * or queue that contradicts the layout so far, another interval setting) after at least one
   * interval was taken: the inference ends before it (every later add is ignored) and the notes
   * say where and why, so what-if replays the session up to the change. Throws, naming the
   * snapshot's seq and field, when the first snapshot does not fit or a value is not a count.
   */
  add(snapshot: HostSnapshot): boolean {
    if (this.endedBy !== null) return false;
    const at = `snapshot seq ${String(snapshot?.seq)}`;
    if (!snapshot || typeof snapshot !== 'object' || !Array.isArray(snapshot.queues) || !Array.isArray(snapshot.vms) || !Array.isArray(snapshot.cores) || !Array.isArray(snapshot.sideCores)) throw new Error(`${at}: not a snapshot (cores, sideCores, queues and vms expected)`);
    const s = observe(snapshot, this.obs);
    if (!(typeof s.intervalMs === 'number' && Number.isFinite(s.intervalMs) && s.intervalMs > 0)) throw new Error(`${at}: intervalMs must be > 0, got ${String(s.intervalMs)}`);
    // Checked before anything of this snapshot is taken in, so that a change ends the inference
    // with the intervals before it intact.
    const change = this.hostChange(s);
    if (change !== null) return this.endAt(s.seq, change);
    // An interval 1.5–2× off the session's: one is a loaded host's (a long interval), three in a row
    // another setting (an agent restarted with --interval-ms twice or half the session's). Held
    // until the next interval says which.
    const r = this.intervalMs === undefined ? 1 : s.intervalMs / this.intervalMs;
    if (r >= INTERVAL_SUSPECT || r <= 1 / INTERVAL_SUSPECT) {
      this.held.push(s);
      if (this.held.length < INTERVAL_CHANGE_RUN) return true;
      const first = this.held[0];
      this.held = [];
      return this.endAt(first.seq, `its interval is ${first.intervalMs} ms and the next ${INTERVAL_CHANGE_RUN - 1} are as far off, the session's ${this.intervalMs} ms (what-if replays intervals of one length; the host's interval changed during the session)`);
    }
    this.takeHeld();
    this.take(s, at);
    return true;
  }

  /** The host changed at `seq`: refused at the first interval, else the inference ends before it. */
  private endAt(seq: number, what: string): false {
    if (this.n === 0) throw new Error(`snapshot seq ${String(seq)}: ${what}`);
    this.endedBy = { seq, what };
    return false;
  }

  /** Take in the intervals held as suspects (they were long ones, not another setting). */
  private takeHeld(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) this.take(h, `snapshot seq ${String(h.seq)}`);
  }

  /** Take in one checked interval. */
  private take(s: ReturnType<typeof observe>, at: string): void {
    const seconds = s.intervalMs / 1000;
    const G = this.groups.length;
    const reqNet = new Float64Array(G);
    const reqBlk = new Float64Array(G);
    const bytesNet = new Float64Array(G);
    const bytesBlk = new Float64Array(G);
    const run = new Float64Array(G);
    // VMs first: one that appeared after the description was recorded joins its group (a VM that
    // started later). The snapshot passed hostChange: every VM is in a described group, a known
    // VM in its own, and every queue on a listed VM.
    let runAll = 0;
    /** This snapshot's VM ids → the session's. */
    const vmOf = new Map<number, number>();
    for (const v of s.vms) {
      if (!isInt(v.id) || typeof v.name !== 'string') throw new Error(`${at}: vms[]: a VM without an integer id and a name`);
      let id = this.vmByName.get(v.name);
      let gi: number;
      if (id === undefined) {
        gi = this.byName.get(v.group)!;
        id = this.groupOfVm.has(v.id) ? this.nextVm : v.id;
        this.nextVm = Math.max(this.nextVm, id + 1);
        const group = this.groups[gi];
        this.vmByName.set(v.name, id);
        this.groupOfVm.set(id, gi);
        this.vmName.set(id, v.name);
        this.vmVcpus.set(id, group.vms.length > 0 ? (this.vmVcpus.get(group.vms[0]) ?? 1) : 1);
        group.vms.push(id);
        this.grownVms++;
      } else {
        gi = this.groupOfVm.get(id)!;
      }
      vmOf.set(v.id, id);
      if (!isCount(v.vcpuRunCycles)) throw new Error(`${at}: vms[id ${v.id}].vcpuRunCycles must be a finite number ≥ 0, got ${String(v.vcpuRunCycles)}`);
      run[gi] += v.vcpuRunCycles;
      runAll += v.vcpuRunCycles;
    }
    /** This snapshot's queue ids → the session's (by VM, device, kind and place in the device). */
    const queueOf = new Map<number, number>();
    for (const q of s.queues) {
      if (!isInt(q.id) || !isInt(q.device) || (q.kind !== 'net' && q.kind !== 'blk')) throw new Error(`${at}: queues[]: a queue without an integer id and device and a kind 'net' or 'blk'`);
    }
    for (const [key, hostId] of queueKeys(s.queues, vmOf)) {
      let id = this.queueByKey.get(key);
      if (id === undefined) {
        // A device that appeared later (hot-plugged, or found after the description was taken).
        const q = s.queues.find((x) => x.id === hostId)!;
        id = this.queueOf.has(hostId) ? this.nextQueue : hostId;
        this.nextQueue = Math.max(this.nextQueue, id + 1);
        const vm = vmOf.get(q.vm)!;
        this.queueByKey.set(key, id);
        this.queueOf.set(id, [vm, q.device, q.kind]);
        this.groups[this.groupOfVm.get(vm)!].queues++;
        this.grownQueues++;
      }
      queueOf.set(hostId, id);
    }
    for (const q of s.queues) {
      if (!isCount(q.requests)) throw new Error(`${at}: queues[id ${q.id}].requests must be a finite number ≥ 0, got ${String(q.requests)}`);
      if (!isCount(q.bytes)) throw new Error(`${at}: queues[id ${q.id}].bytes must be a finite number ≥ 0, got ${String(q.bytes)}`);
      const gi = this.groupOfVm.get(vmOf.get(q.vm)!)!;
      if (q.kind === 'net') {
        reqNet[gi] += q.requests;
        bytesNet[gi] += q.bytes;
      } else {
        reqBlk[gi] += q.requests;
        bytesBlk[gi] += q.bytes;
      }
    }
    let guestAll = 0;
    if (this.obs.reports.coreGuest) {
      for (const c of s.cores) {
        const g = c.cycles.guest;
        if (!isCount(g)) throw new Error(`${at}: cores[${c.id}].cycles.guest must be a finite number ≥ 0, got ${String(g)}`);
        guestAll += g;
      }
    }
    this.guestAll += guestAll;
    this.runAll += runAll;
    // The cores' guest time, split between VMs: a VM with no device takes no I/O exits, so its vCPU
    // run time is guest time (up to what the cores report); the rest goes to the VMs with devices
    // by their run time, which also holds their exits (so a group with more exits per run cycle
    // than the others gets a little more than its share).
    let runDevless = 0;
    for (let gi = 0; gi < G; gi++) if (this.groups[gi].queues === 0) runDevless += run[gi];
    const guestDevless = Math.min(guestAll, runDevless);
    const runIo = runAll - runDevless;
    const guestIo = guestAll - guestDevless;
    const cyclesPerVcpu = s.hz * seconds;
    for (let gi = 0; gi < G; gi++) {
      const g = this.groups[gi];
      const guest = g.queues === 0 ? (runDevless > 0 ? (guestDevless * run[gi]) / runDevless : 0) : runIo > 0 ? (guestIo * run[gi]) / runIo : 0;
      let vcpus = 0;
      for (const vm of g.vms) vcpus += Math.max(1, this.vmVcpus.get(vm) ?? 1);
      const vcpuCycles = Math.max(1, vcpus) * cyclesPerVcpu;
      g.rateNet.push(reqNet[gi] / seconds);
      g.rateBlk.push(reqBlk[gi] / seconds);
      g.shareGuest.push(Math.min(1, guest / vcpuCycles));
      g.shareRun.push(Math.min(1, run[gi] / vcpuCycles));
      g.reqNet += reqNet[gi];
      g.reqBlk += reqBlk[gi];
      g.bytesNet += bytesNet[gi];
      g.bytesBlk += bytesBlk[gi];
      g.guest += guest;
      g.run += run[gi];
    }
    const owners: [number, number][] = [];
    for (const q of s.queues) if (q.owner !== null) owners.push([queueOf.get(q.id)!, q.owner]);
    owners.sort((a, b) => a[0] - b[0]);
    const side = s.sideCores.map((c) => c.coreId).sort((a, b) => a - b);
    const key = JSON.stringify([side, owners]);
    if (key !== this.lastKey) {
      this.schedule.push({ index: this.n, seq: s.seq, sideCores: side, owners });
      this.lastKey = key;
    }
    this.ms += s.intervalMs;
    this.n++;
  }

  /** Why snapshot `s` is not of the host recorded so far (null when it is), in words. */
  private hostChange(s: ReturnType<typeof observe>): string | null {
    // A real host measures each interval (a loaded host's run 10–30 % long, now and then up to 2×);
    // more than a factor 2 off is another setting at once.
    if (this.intervalMs !== undefined && (s.intervalMs > 2 * this.intervalMs || s.intervalMs < 0.5 * this.intervalMs)) {
      return `its interval is ${s.intervalMs} ms, the session's ${this.intervalMs} ms (what-if replays intervals of one length; the host's interval changed during the session)`;
    }
    // Another host on the same agent (another scenario or machine): its core count. (Not its clock:
    // a restarted agent reads the clock afresh from /proc/cpuinfo, which frequency scaling moves.)
    if (s.cores.length !== this.info.cores) return `it has ${s.cores.length} cores, the recorded host ${this.info.cores}${LAYOUT_CHANGED}`;
    const ids = new Set<number>();
    for (const v of s.vms) {
      if (!isInt(v.id) || typeof v.name !== 'string') continue; // refused by add, naming the field
      ids.add(v.id);
      const id = this.vmByName.get(v.name);
      if (id === undefined) {
        if (typeof v.group !== 'string' || !this.byName.has(v.group)) return `VM '${v.name}' is in group '${String(v.group)}', which the recorded host description does not list${LAYOUT_CHANGED}`;
      } else if (this.groups[this.groupOfVm.get(id)!].name !== v.group) {
        return `VM '${v.name}' is in group '${String(v.group)}', where the recorded host description has it in '${this.groups[this.groupOfVm.get(id)!].name}'${LAYOUT_CHANGED}`;
      }
    }
    for (const q of s.queues) if (isInt(q.id) && !ids.has(q.vm)) return `queue ${q.id} is on VM ${String(q.vm)}, which this snapshot does not list${LAYOUT_CHANGED}`;
    return null;
  }

  /** The inferred scenario, per-interval loads, schedule and notes; throws (naming the field) when the model cannot run it. */
  result(): InferredScenario {
    // Long intervals at the very end (fewer than a run of them): a loaded host's, taken in.
    this.takeHeld();
    if (this.n === 0) throw new Error('the recording has no snapshots to infer a workload from');
    const notes = [...this.notes];
    if (this.endedBy) notes.push(`the host changed at snapshot seq ${this.endedBy.seq}: ${this.endedBy.what}; what-if replays the ${this.n} interval(s) before it, not the rest of the session`);
    this.layout(notes);
    if (this.grownVms + this.grownQueues > 0) notes.push(`the host description grew during the session: ${this.grownVms} VM(s) and ${this.grownQueues} queue(s) appeared after it was recorded (started or found later); they are replayed from the start, each group as its first VM`);
    const vms: VmGroupSpec[] = [];
    const recorded: InferredScenario['recorded'] = [];
    const seconds = this.ms / 1000;
    // Guest-mode time: per VM from the cores' guest cycles, unless the host reports none, or its
    // cores showed none over the whole recording while vCPUs ran (no hardware virtualization).
    const useRun = !this.obs.reports.coreGuest || (this.guestAll === 0 && this.runAll > 0);
    const why = !this.obs.reports.coreGuest ? 'the host reports no guest-mode cycles' : 'the host\'s cores showed no guest-mode time while vCPUs ran (no hardware virtualization, e.g. QEMU TCG)';
    /** Per kept group: the per-interval series its loads come from, and the divisor. */
    const sources: { name: string; series: Float64Array; peak: number }[] = [];
    for (const g of this.groups) {
      if (g.vms.length === 0) continue;
      const hasNet = g.devices.some((d) => d.kind === 'net');
      const hasBlk = g.devices.some((d) => d.kind === 'blk');
      const fits = (k: WorkloadKind): boolean => (k === 'cpu' ? true : k === 'blk' ? hasBlk : hasNet);
      const traffic = g.reqNet + g.reqBlk;
      let kind: WorkloadKind;
      if ((KINDS as readonly string[]).includes(g.declared) && fits(g.declared as WorkloadKind) && !(g.declared === 'cpu' && traffic > 0)) {
        kind = g.declared as WorkloadKind;
      } else {
        const blk = hasBlk && (g.reqBlk > g.reqNet || (g.reqBlk === g.reqNet && (g.reqBlk > 0 || !hasNet)));
        const netPerReq = g.reqNet > 0 ? g.bytesNet / g.reqNet : 0;
        kind = blk ? 'blk' : hasNet ? (netPerReq >= STREAM_BYTES_PER_REQUEST ? 'net-stream' : 'net-rr') : 'cpu';
        const per = kind === 'blk' ? (g.reqBlk > 0 ? g.bytesBlk / g.reqBlk : 0) : netPerReq;
        notes.push(`group '${g.name}': workload '${kind}' inferred from its devices and traffic (${per.toFixed(0)} bytes per request; the host declared '${g.declared}')`);
      }
      const workload: WorkloadSpec = { kind };
      const share = useRun ? g.shareRun : g.shareGuest;
      const guest = useRun ? g.run : g.guest;
      if (kind === 'cpu') {
        sources.push({ name: g.name, series: share.a, peak: 1 });
        if (useRun) notes.push(`group '${g.name}': ${why}, so its load is its vCPUs' run time share (exits included)`);
      } else {
        const blk = kind === 'blk';
        const rate = blk ? g.rateBlk : g.rateNet;
        const req = blk ? g.reqBlk : g.reqNet;
        const bytes = blk ? g.bytesBlk : g.bytesNet;
        const other = blk ? g.reqNet : g.reqBlk;
        if (other > 0) notes.push(`group '${g.name}': ${(other / seconds).toFixed(0)} requests/s on its ${blk ? 'net' : 'blk'} devices are not replayed (its workload is ${kind}); its guest cycles per request count them as ${kind}'s`);
        // The group's busiest interval, per VM of the replayed group.
        let peak = 0;
        for (let i = 0; i < this.n; i++) if (rate.a[i] > peak) peak = rate.a[i];
        peak /= g.vms.length;
        if (peak > 0) {
          const perReq = bytes / req;
          workload.rate = round(peak);
          const d = WORKLOAD_DEFAULTS[kind];
          if (kind === 'net-stream') {
            workload.requestBytes = round(perReq);
            workload.responseBytes = 0;
          } else if (blk) {
            workload.requestBytes = round(perReq);
            workload.responseBytes = round(perReq);
          } else {
            workload.requestBytes = Math.min(d.requestBytes, round(perReq));
            workload.responseBytes = round(Math.max(0, perReq - workload.requestBytes));
          }
          workload.guestCyclesPerRequest = round(guest / req);
          sources.push({ name: g.name, series: rate.a, peak: peak * g.vms.length });
        } else {
          workload.rate = 1;
          sources.push({ name: g.name, series: rate.a, peak: 0 });
          notes.push(`group '${g.name}': no request was recorded on its ${blk ? 'blk' : 'net'} devices; it stays idle`);
        }
        if (blk) notes.push(`group '${g.name}': blk I/Os replayed as reads of ${workload.requestBytes ?? 0} bytes (the recording does not split reads and writes)`);
        if (useRun) notes.push(`group '${g.name}': ${why}; guest cycles per request are its vCPUs' run time per request, exits and interrupts included (an upper bound)`);
      }
      vms.push({ name: g.name, count: g.vms.length, vcpus: g.vcpus, devices: g.devices, workload, weight: g.weight });
      const req = kind === 'blk' ? g.reqBlk : kind === 'cpu' ? 0 : g.reqNet;
      const bytes = kind === 'blk' ? g.bytesBlk : kind === 'cpu' ? 0 : g.bytesNet;
      recorded.push({ group: g.name, requestsPerSec: seconds > 0 ? req / seconds : 0, bytesPerSec: seconds > 0 ? bytes / seconds : 0, vcpuRunCyclesPerSec: seconds > 0 ? g.run / seconds : 0 });
    }
    if (vms.length === 0) throw new Error('info.groups: no group has a VM; nothing to re-run');
    notes.push('offered work is what the host delivered in each interval (open loop at the group\'s busiest interval\'s rate × load): where the host was saturated, it offered more than the recording shows, and a group replayed at the rate it was held to queues in the model, so its latency there is not the recording\'s');
    notes.push('NIC line rate, I/O knobs and costs: the model\'s defaults unless a costs block is given');
    if (this.n < SHORT_RECORDING.intervals || seconds < SHORT_RECORDING.seconds) notes.push(`the recording is short (${this.n} intervals, ${seconds.toFixed(1)} s): a replica of so few intervals is not a fair test of the model (record ≥ ${SHORT_RECORDING.seconds} s and ≥ ${SHORT_RECORDING.intervals} intervals)`);
    const scenario: Scenario = {
      name: this.name,
      description: `inferred from the recording of ${this.info.name} (${this.n} intervals)`,
      host: { cores: this.info.cores, ghz: this.info.hz / 1e9 },
      vms,
      phases: [{ name: 'recorded', seconds: seconds > 0 ? seconds : 1, load: {} }],
    };
    checkScenario(scenario);
    const n = this.n;
    const loadsAt = (i: number): Record<string, number> => {
      if (!(i >= 0 && i < n)) throw new RangeError(`interval ${i} is not in 0..${n - 1}`);
      const out = Object.create(null) as Record<string, number>;
      for (const src of sources) out[src.name] = src.peak > 0 ? src.series[i] / src.peak : 0;
      return out;
    };
    const host: InferredScenario['host'] = {
      vms: [...this.groupOfVm.keys()].map((id) => ({ id, name: this.vmName.get(id) ?? String(id), group: this.groups[this.groupOfVm.get(id)!].name, vcpus: this.vmVcpus.get(id) ?? 1 })),
      queues: [...this.queueOf.entries()].map(([id, [vm, device, kind]]) => ({ id, vm, device, kind })),
    };
    return { scenario, intervals: n, loadsAt, schedule: this.schedule, recorded, notes, host };
  }
}

/** Rounded to 4 significant digits (a readable scenario; the inference is not that precise). */
function round(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 0;
  return Number(x.toPrecision(4));
}
