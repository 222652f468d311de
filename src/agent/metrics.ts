/**
 * The agent's Prometheus exposition (`GET /metrics`), through prom-client on a registry of its
 * own. Fed from the snapshot stream (what the host measures: nothing the model alone knows) and
 * from the agent's loop when it runs one (--loop). Cycle counters are exported in seconds of CPU
 * (cycles / hz), so `rate()` gives the share of a core. Names are prefixed `iocm_`; docs/fleet.md
 * lists them with example PromQL.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { HostEvent } from '../shared/policy.ts';
import type { HostSnapshot } from '../shared/snapshot.ts';
import type { HostInfo } from '../shared/control.ts';

/** Static labels of the agent. */
export interface AgentMetricsInfo {
  version: string;
  driver: string;
  protocol: string;
  host: string;
  loop: boolean;
}

/** The agent's metrics; see the file comment. */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly info: Gauge;
  private readonly coreBusy: Counter;
  private readonly coreIdle: Counter;
  private readonly coreGuest: Counter;
  private readonly coreSide: Gauge;
  private readonly sideCores: Gauge;
  private readonly sideBusy: Counter;
  private readonly vmRequests: Counter;
  private readonly vmBytes: Counter;
  private readonly vmRun: Counter;
  private readonly vmWait: Counter;
  private readonly queueRequests: Counter;
  private readonly queueBytes: Counter;
  private readonly queueOwner: Gauge;
  private readonly queuePolling: Gauge;
  private readonly snapshots: Counter;
  private readonly lastSnapshot: Gauge;
  private readonly decisions: Counter;
  private readonly overrides: Counter;
  private readonly controls: Counter;
  private readonly clients: Gauge;
  private readonly refused: Counter;
  private vmNames = new Map<number, string>();

  constructor(meta: AgentMetricsInfo) {
    const r = [this.registry];
    this.info = new Gauge({ name: 'iocm_agent_info', help: 'The agent: version, driver, protocol, host name, own loop (1 = up)', labelNames: ['version', 'driver', 'protocol', 'host', 'loop'], registers: r });
    this.info.set({ ...meta, loop: String(meta.loop) }, 1);
    this.coreBusy = new Counter({ name: 'iocm_core_busy_seconds_total', help: 'CPU seconds a physical core was not idle', labelNames: ['core'], registers: r });
    this.coreIdle = new Counter({ name: 'iocm_core_idle_seconds_total', help: 'CPU seconds a physical core was idle', labelNames: ['core'], registers: r });
    this.coreGuest = new Counter({ name: 'iocm_core_guest_seconds_total', help: 'CPU seconds a physical core ran guest (vCPU) code', labelNames: ['core'], registers: r });
    this.coreSide = new Gauge({ name: 'iocm_core_side', help: '1 when the core is a side core (I/O), 0 when it runs VMs', labelNames: ['core'], registers: r });
    this.sideCores = new Gauge({ name: 'iocm_side_cores', help: 'Number of side cores in force', registers: r });
    this.sideBusy = new Counter({ name: 'iocm_side_core_busy_seconds_total', help: "CPU seconds a side core's I/O threads ran (work + polling)", labelNames: ['core'], registers: r });
    this.vmRequests = new Counter({ name: 'iocm_vm_requests_total', help: "Requests completed by a VM's devices (packets, block I/Os)", labelNames: ['vm', 'name'], registers: r });
    this.vmBytes = new Counter({ name: 'iocm_vm_bytes_total', help: "Bytes moved by a VM's devices", labelNames: ['vm', 'name'], registers: r });
    this.vmRun = new Counter({ name: 'iocm_vm_vcpu_run_seconds_total', help: "CPU seconds a VM's vCPU threads ran", labelNames: ['vm', 'name'], registers: r });
    this.vmWait = new Counter({ name: 'iocm_vm_vcpu_wait_seconds_total', help: "Seconds a VM's vCPU threads were runnable but waiting for a core", labelNames: ['vm', 'name'], registers: r });
    this.queueRequests = new Counter({ name: 'iocm_queue_requests_total', help: 'Requests completed on a queue', labelNames: ['queue', 'vm', 'kind'], registers: r });
    this.queueBytes = new Counter({ name: 'iocm_queue_bytes_total', help: 'Bytes moved on a queue', labelNames: ['queue', 'vm', 'kind'], registers: r });
    this.queueOwner = new Gauge({ name: 'iocm_queue_owner_core', help: 'Side core serving the queue (-1: its own I/O thread, no side core)', labelNames: ['queue', 'vm', 'kind'], registers: r });
    this.queuePolling = new Gauge({ name: 'iocm_queue_polling', help: '1 when the queue is polled', labelNames: ['queue', 'vm', 'kind'], registers: r });
    this.snapshots = new Counter({ name: 'iocm_snapshots_total', help: 'Snapshots (measurement intervals) taken', registers: r });
    this.lastSnapshot = new Gauge({ name: 'iocm_last_snapshot_seq', help: 'Sequence number of the last snapshot', registers: r });
    this.decisions = new Counter({ name: 'iocm_loop_decisions_total', help: "Decisions of the agent's own loop (--loop), by kind", labelNames: ['kind'], registers: r });
    this.overrides = new Counter({ name: 'iocm_loop_overrides_total', help: "Operator overrides sent to the agent's loop, by result", labelNames: ['result'], registers: r });
    this.controls = new Counter({ name: 'iocm_control_commands_total', help: 'Control commands from consoles, by result', labelNames: ['result'], registers: r });
    this.clients = new Gauge({ name: 'iocm_clients', help: 'Connected console clients', registers: r });
    this.refused = new Counter({ name: 'iocm_client_errors_total', help: 'Messages refused or clients dropped, by reason', labelNames: ['reason'], registers: r });
    this.decisions.inc({ kind: 'change' }, 0);
    this.overrides.inc({ result: 'ok' }, 0);
    this.controls.inc({ result: 'ok' }, 0);
  }

  /** Remember VM names for labels. */
  setInfo(info: HostInfo): void {
    this.vmNames = new Map(info.vms.map((v) => [v.id, v.name]));
  }

  /** Count one snapshot. */
  onSnapshot(s: HostSnapshot): void {
    const hz = s.hz;
    this.snapshots.inc();
    this.lastSnapshot.set(s.seq);
    for (const c of s.cores) {
      const y = c.cycles;
      const core = String(c.id);
      this.coreBusy.inc({ core }, (y.guest + y.exit + y.io + y.emptyPoll + y.ctxSwitch) / hz);
      this.coreIdle.inc({ core }, y.idle / hz);
      this.coreGuest.inc({ core }, y.guest / hz);
      this.coreSide.set({ core }, c.role === 'side' ? 1 : 0);
    }
    this.sideCores.set(s.sideCores.length);
    for (const sc of s.sideCores) this.sideBusy.inc({ core: String(sc.coreId) }, (sc.workCycles + sc.emptyPollCycles) / hz);
    const vmReq = new Map<number, number>();
    const vmBytes = new Map<number, number>();
    for (const q of s.queues) {
      const l = { queue: String(q.id), vm: String(q.vm), kind: q.kind };
      this.queueRequests.inc(l, q.requests);
      this.queueBytes.inc(l, q.bytes);
      this.queueOwner.set(l, q.owner ?? -1);
      this.queuePolling.set(l, q.polling ? 1 : 0);
      vmReq.set(q.vm, (vmReq.get(q.vm) ?? 0) + q.requests);
      vmBytes.set(q.vm, (vmBytes.get(q.vm) ?? 0) + q.bytes);
    }
    for (const v of s.vms) {
      const l = { vm: String(v.id), name: this.vmNames.get(v.id) ?? v.name };
      this.vmRequests.inc(l, vmReq.get(v.id) ?? 0);
      this.vmBytes.inc(l, vmBytes.get(v.id) ?? 0);
      this.vmRun.inc(l, v.vcpuRunCycles / hz);
      this.vmWait.inc(l, v.vcpuWaitCycles / hz);
    }
  }

  /** Count the agent loop's events (decisions by kind, overrides by result). */
  onEvents(events: readonly HostEvent[]): void {
    for (const e of events) {
      if (e.kind === 'decision') {
        const kind = (e.data as { decision?: { kind?: unknown } } | undefined)?.decision?.kind;
        this.decisions.inc({ kind: typeof kind === 'string' ? kind : 'unknown' });
      } else if (e.kind === 'override') {
        const ok = (e.data as { ok?: unknown } | undefined)?.ok;
        this.overrides.inc({ result: ok === false ? 'refused' : 'ok' });
      }
    }
  }

  /** Count one control command's outcome. */
  onControl(ok: boolean): void {
    this.controls.inc({ result: ok ? 'ok' : 'refused' });
  }

  /** A refused message or a dropped client. */
  onRefused(reason: string): void {
    this.refused.inc({ reason });
  }

  setClients(n: number): void {
    this.clients.set(n);
  }

  /** The exposition text. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
