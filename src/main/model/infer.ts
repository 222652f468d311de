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
 * - VMs and devices: the recorded VMs, their vCPUs and their queues (device index and kind) — the
 *   model runs groups of identical VMs, so a group whose VMs differ takes its first VM's layout and
 *   the difference is named in the notes;
 * - workload kind: the one the host declared for the group where it fits the devices, else blk for
 *   a blk device, net-stream for a net device moving ≥ 8 KiB per request, net-rr below, cpu with no
 *   device;
 * - offered work: open loop at the group's highest per-VM request rate in any interval, with the
 *   interval's load = its rate / that rate (so the replay offers, interval by interval, what the host
 *   delivered: a host that was saturated offered more, which no recording shows);
 * - bytes per request: the recorded total over the requests;
 * - guest cycles per request: the group's share of the cores' guest-mode cycles (/proc/stat `guest`,
 *   split between VMs by their vCPU run time) over its requests; a profile without guest cycles uses
 *   the vCPU run time, which also holds exits and interrupts (an upper bound, said in the notes);
 * - cpu groups: the interval's load is the share of its vCPUs' time in guest mode.
 * The side cores and queue owners in force in each interval are kept as a schedule (changes only),
 * so a replica can run the model under exactly what the host ran.
 *
 * Memory: per interval one number per group, and the schedule's changes.
 */
import type { HostInfo } from '../../shared/control.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { DeviceKind, DeviceSpec, Scenario, VmGroupSpec, WorkloadKind, WorkloadSpec } from '../../shared/scenario.ts';
import { observabilityOf, observe, type Observability } from '../../shared/observe.ts';
import { checkScenario, WORKLOAD_DEFAULTS } from './defaults.ts';

/** The side cores and queue owners in force from interval `seq` on. */
export interface ScheduleChange {
  seq: number;
  sideCores: number[];
  /** Queue id → side core (null: its I/O thread), in queue order. */
  owners: (number | null)[];
}

/** What the inference gives. */
export interface InferredScenario {
  scenario: Scenario;
  /** Per interval (in the order added), each group's load. */
  loads: Record<string, number>[];
  /** The recorded side cores and queue owners, as changes from interval 0 on. */
  schedule: ScheduleChange[];
  /** Per group, what was recorded (means over the recording), for comparing a replica with it. */
  recorded: { group: string; requestsPerSec: number; bytesPerSec: number; vcpuRunCyclesPerSec: number }[];
  /** Each assumption in words. */
  notes: string[];
}

/** Bytes per request from which a net group is taken as a stream (TSO segments, bulk transfers). */
export const STREAM_BYTES_PER_REQUEST = 8192;

const KINDS: readonly WorkloadKind[] = ['net-stream', 'net-rr', 'kv', 'web', 'blk', 'cpu'];

interface GroupAcc {
  name: string;
  weight: number;
  declared: string;
  vms: number[];
  vcpus: number;
  devices: DeviceSpec[];
  /** Per interval: requests per VM per second (net/blk) or guest share of vCPU time (cpu: filled at the end). */
  rate: number[];
  guestShare: number[];
  requests: number;
  bytes: number;
  guest: number;
  run: number;
  seconds: number;
}

/** Infers a scenario from a recording, one snapshot at a time (see the module doc). */
export class ScenarioInference {
  private readonly groups: GroupAcc[] = [];
  /** VM id → index into groups. */
  private readonly groupOfVm = new Map<number, number>();
  private readonly obs: Observability;
  private readonly notes: string[] = [];
  private readonly schedule: ScheduleChange[] = [];
  private n = 0;
  private lastKey = '';
  private guestObserved = true;
  /** Some interval had vCPUs running with no guest-mode time on any core. */
  private guestZero = false;
  /** Recorded time in ms (summed as ms: exact for whole-ms intervals). */
  private ms = 0;

  constructor(private readonly info: HostInfo, private readonly name: string) {
    if (!info || !Array.isArray(info.vms) || !Array.isArray(info.queues) || !Array.isArray(info.groups)) throw new Error('the recording has no host description (info) to infer a scenario from');
    if (!(Number.isFinite(info.hz) && info.hz > 0)) throw new Error(`info.hz: expected a clock rate > 0, got ${String(info.hz)}`);
    this.obs = info.observability ?? observabilityOf('qemu');
    const byName = new Map<string, number>();
    for (const g of info.groups) {
      if (byName.has(g.name)) throw new Error(`info.groups: duplicate group '${g.name}'`);
      byName.set(g.name, this.groups.length);
      this.groups.push({ name: g.name, weight: g.weight, declared: g.workload, vms: [], vcpus: 0, devices: [], rate: [], guestShare: [], requests: 0, bytes: 0, guest: 0, run: 0, seconds: 0 });
    }
    for (const v of info.vms) {
      const gi = byName.get(v.group);
      if (gi === undefined) throw new Error(`info.vms: VM ${v.id} ('${v.name}') is in group '${v.group}', which info.groups does not list`);
      this.groups[gi].vms.push(v.id);
      this.groupOfVm.set(v.id, gi);
    }
    const vmById = new Map(info.vms.map((v) => [v.id, v]));
    for (const g of this.groups) {
      if (g.vms.length === 0) throw new Error(`info.groups: group '${g.name}' has no VM`);
      const layout = (vm: number): string =>
        JSON.stringify(
          info.queues
            .filter((q) => q.vm === vm)
            .map((q) => [q.device, q.kind])
            .sort((a, b) => (a[0] as number) - (b[0] as number)),
        );
      const first = g.vms[0];
      g.vcpus = vmById.get(first)?.vcpus ?? 1;
      if (g.vms.some((v) => (vmById.get(v)?.vcpus ?? 1) !== g.vcpus)) this.notes.push(`group '${g.name}': its VMs have different vCPU counts; every VM gets ${g.vcpus}, as ${vmById.get(first)?.name ?? first} has`);
      if (g.vms.some((v) => layout(v) !== layout(first))) this.notes.push(`group '${g.name}': its VMs have different devices; every VM gets those of ${vmById.get(first)?.name ?? first}`);
      const devs = new Map<number, { kind: DeviceKind; queues: number }>();
      for (const q of info.queues) {
        if (q.vm !== first) continue;
        const d = devs.get(q.device);
        if (d) d.queues++;
        else devs.set(q.device, { kind: q.kind, queues: 1 });
      }
      g.devices = [...devs.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => (d.queues > 1 ? { kind: d.kind, queues: d.queues } : { kind: d.kind }));
    }
  }

  /** Adds the next recorded interval. */
  add(snapshot: HostSnapshot): void {
    const s = observe(snapshot, this.obs);
    const seconds = s.intervalMs / 1000;
    if (!(seconds > 0)) throw new Error(`snapshot ${s.seq}: intervalMs must be > 0, got ${String(s.intervalMs)}`);
    const G = this.groups.length;
    const req = new Array<number>(G).fill(0);
    const bytes = new Array<number>(G).fill(0);
    const run = new Array<number>(G).fill(0);
    for (const q of s.queues) {
      const gi = this.groupOfVm.get(q.vm);
      if (gi === undefined) continue;
      req[gi] += q.requests;
      bytes[gi] += q.bytes;
    }
    let runAll = 0;
    for (const v of s.vms) {
      const gi = this.groupOfVm.get(v.id);
      if (gi === undefined) continue;
      run[gi] += v.vcpuRunCycles;
      runAll += v.vcpuRunCycles;
    }
    let guestAll = 0;
    let guestSeen = s.cores.length > 0;
    for (const c of s.cores) {
      if (c.cycles.guest === undefined) guestSeen = false;
      else guestAll += c.cycles.guest;
    }
    // Guest-mode time reported as 0 while vCPUs ran: no hardware virtualization (QEMU's TCG runs
    // guests in user mode) or no guest accounting; the vCPU run time is then all there is.
    if (guestSeen && guestAll === 0 && runAll > 0) {
      guestSeen = false;
      this.guestZero = true;
    }
    if (!guestSeen) this.guestObserved = false;
    const cyclesPerVcpu = s.hz * seconds;
    for (let gi = 0; gi < G; gi++) {
      const g = this.groups[gi];
      const guest = guestSeen ? (runAll > 0 ? (guestAll * run[gi]) / runAll : 0) : run[gi];
      g.rate.push(req[gi] / (g.vms.length * seconds));
      g.guestShare.push(Math.min(1, guest / (g.vms.length * g.vcpus * cyclesPerVcpu)));
      g.requests += req[gi];
      g.bytes += bytes[gi];
      g.guest += guest;
      g.run += run[gi];
      g.seconds += seconds;
    }
    const nq = this.info.queues.length;
    const owners = new Array<number | null>(nq).fill(null);
    for (const q of s.queues) if (q.id >= 0 && q.id < nq) owners[q.id] = q.owner;
    const side = s.sideCores.map((c) => c.coreId).sort((a, b) => a - b);
    const key = JSON.stringify([side, owners]);
    if (key !== this.lastKey) {
      this.schedule.push({ seq: this.n, sideCores: side, owners });
      this.lastKey = key;
    }
    this.ms += s.intervalMs;
    this.n++;
  }

  /** The inferred scenario, per-interval loads, schedule and notes; throws (naming the field) when the model cannot run it. */
  result(): InferredScenario {
    if (this.n === 0) throw new Error('the recording has no snapshots to infer a workload from');
    const notes = [...this.notes];
    const vms: VmGroupSpec[] = [];
    const loads: Record<string, number>[] = [];
    for (let i = 0; i < this.n; i++) loads.push({});
    const recorded: InferredScenario['recorded'] = [];
    for (const g of this.groups) {
      const hasNet = g.devices.some((d) => d.kind === 'net');
      const hasBlk = g.devices.some((d) => d.kind === 'blk');
      const perReq = g.requests > 0 ? g.bytes / g.requests : 0;
      const fits = (k: WorkloadKind): boolean => (k === 'cpu' ? true : k === 'blk' ? hasBlk : hasNet);
      let kind: WorkloadKind;
      if ((KINDS as readonly string[]).includes(g.declared) && fits(g.declared as WorkloadKind) && !(g.declared === 'cpu' && g.requests > 0)) {
        kind = g.declared as WorkloadKind;
      } else {
        kind = hasBlk ? 'blk' : hasNet ? (perReq >= STREAM_BYTES_PER_REQUEST ? 'net-stream' : 'net-rr') : 'cpu';
        notes.push(`group '${g.name}': workload '${kind}' inferred from its devices and ${perReq.toFixed(0)} bytes per request (the host declared '${g.declared}')`);
      }
      const workload: WorkloadSpec = { kind };
      if (kind === 'cpu') {
        for (let i = 0; i < this.n; i++) loads[i][g.name] = g.guestShare[i];
        if (!this.guestObserved) notes.push(`group '${g.name}': the host reports no guest-mode cycles${this.guestZero ? ' (its cores showed none while vCPUs ran)' : ''}, so its load is its vCPUs' run time share (exits included)`);
      } else {
        let peak = 0;
        for (const r of g.rate) if (r > peak) peak = r;
        if (peak > 0) {
          workload.rate = round(peak);
          for (let i = 0; i < this.n; i++) loads[i][g.name] = g.rate[i] / peak;
          const d = WORKLOAD_DEFAULTS[kind];
          if (kind === 'net-stream') {
            workload.requestBytes = round(perReq);
            workload.responseBytes = 0;
          } else if (kind === 'blk') {
            workload.requestBytes = round(perReq);
            workload.responseBytes = round(perReq);
          } else {
            workload.requestBytes = Math.min(d.requestBytes, round(perReq));
            workload.responseBytes = round(Math.max(0, perReq - workload.requestBytes));
          }
          workload.guestCyclesPerRequest = round(g.guest / g.requests);
        } else {
          workload.rate = 1;
          for (let i = 0; i < this.n; i++) loads[i][g.name] = 0;
          notes.push(`group '${g.name}': no request was recorded; it stays idle`);
        }
        if (kind === 'blk') notes.push(`group '${g.name}': blk I/Os replayed as reads of ${workload.requestBytes ?? 0} bytes (the recording does not split reads and writes)`);
        if (!this.guestObserved) notes.push(`group '${g.name}': the host reports no guest-mode cycles${this.guestZero ? ' (its cores showed none while vCPUs ran: no hardware virtualization, e.g. QEMU TCG)' : ''}; guest cycles per request are its vCPUs' run time per request, exits and interrupts included (an upper bound)`);
      }
      vms.push({ name: g.name, count: g.vms.length, vcpus: g.vcpus, devices: g.devices, workload, weight: g.weight });
      recorded.push({ group: g.name, requestsPerSec: g.seconds > 0 ? g.requests / g.seconds : 0, bytesPerSec: g.seconds > 0 ? g.bytes / g.seconds : 0, vcpuRunCyclesPerSec: g.seconds > 0 ? g.run / g.seconds : 0 });
    }
    notes.push('offered work is what the host delivered in each interval (open loop at the group\'s busiest interval\'s rate × load): where the host was saturated, it offered more than the recording shows, and a group replayed at the rate it was held to queues in the model, so its latency there is not the recording\'s');
    notes.push('NIC line rate, I/O knobs and costs: the model\'s defaults unless a costs block is given');
    const seconds = this.ms / 1000;
    const scenario: Scenario = {
      name: this.name,
      description: `inferred from the recording of ${this.info.name} (${this.n} intervals)`,
      host: { cores: this.info.cores, ghz: this.info.hz / 1e9 },
      vms,
      phases: [{ name: 'recorded', seconds: seconds > 0 ? seconds : 1, load: {} }],
    };
    checkScenario(scenario);
    return { scenario, loads, schedule: this.schedule, recorded, notes };
  }
}

/** Rounded to 4 significant digits (a readable scenario; the inference is not that precise). */
function round(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 0;
  return Number(x.toPrecision(4));
}
