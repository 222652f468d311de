/**
 * Scenario types: what a host model runs. A scenario is plain JSON
 * (resources/scenarios/*.json), validated on load against
 * resources/scenarios/scenario.schema.json. Every workload parameter is
 * optional and has a documented default (docs/model.md), so
 * `{ "kind": "net-rr" }` alone is a valid workload.
 *
 * This file belongs to the `shared` layer: no electron, node or DOM imports.
 */

/** The kinds of workload a VM group can run. */
export type WorkloadKind = 'net-stream' | 'net-rr' | 'kv' | 'web' | 'blk' | 'cpu';

/** The kinds of paravirtual device a VM can have. */
export type DeviceKind = 'net' | 'blk';

/**
 * Workload parameters. All optional; defaults depend on `kind` and are listed
 * in docs/model.md. A workload is open-loop when `rate` is set (requests or
 * messages per second per VM, Poisson arrivals), closed-loop otherwise
 * (`flows` concurrent clients per VM, each keeping `depth` requests in flight).
 */
export interface WorkloadSpec {
  kind: WorkloadKind;
  /** Open-loop arrival rate per VM (requests/s). When set the workload is open-loop. */
  rate?: number;
  /** Closed-loop: concurrent flows (clients) per VM. */
  flows?: number;
  /** Closed-loop: requests in flight per flow (iodepth for blk; 1 for request/response). */
  depth?: number;
  /** Bytes the guest sends per request (or per message for net-stream; block size for blk writes). */
  requestBytes?: number;
  /** Bytes the guest receives per request (response size; block size for blk reads). */
  responseBytes?: number;
  /** Guest CPU cycles of application work per request (or per message / per I/O). */
  guestCyclesPerRequest?: number;
  /** Closed-loop think time between a completion and the flow's next request, in microseconds. */
  thinkUs?: number;
  /** blk: fraction of I/Os that are reads (0..1). */
  readFraction?: number;
  /** blk: backend device service time per I/O, in microseconds. */
  deviceLatencyUs?: number;
  /** Optional: devices' queue to use for requests is chosen round-robin unless this is set. */
  queueSpread?: 'round-robin' | 'hash';
}

/** One paravirtual device of each VM in a group. */
export interface DeviceSpec {
  kind: DeviceKind;
  /** Number of virtqueue pairs (request/completion); default 1. */
  queues?: number;
  /** blk: the backing device's IOPS ceiling (default 550,000: one NVMe drive; docs/model.md). */
  maxIops?: number;
  /** blk: the backing device's bandwidth ceiling in MB/s (10⁶ bytes/s; default 3,500: PCIe 3.0 x4 NVMe). */
  maxMBps?: number;
}

/** A group of identical VMs. */
export interface VmGroupSpec {
  /** Group name, unique in the scenario; phases refer to it. */
  name: string;
  /** Number of VMs in the group (≥ 1). */
  count: number;
  /** vCPUs per VM (≥ 1). */
  vcpus: number;
  /** Devices per VM; `[]` for CPU-bound VMs. */
  devices: DeviceSpec[];
  workload: WorkloadSpec;
  /** Weight of this group's work rate in the score (default 1). */
  weight?: number;
}

/** One phase of a scenario: a duration and per-group intensity multipliers. */
export interface PhaseSpec {
  name: string;
  /** Duration in simulated seconds (> 0). */
  seconds: number;
  /** Group name → intensity multiplier (0 = idle). Groups not named run at 1. */
  load: Record<string, number>;
}

/**
 * Cost overrides for the host model. Every field is optional; defaults and
 * their public sources are in docs/model.md.
 */
export interface CostOverrides {
  [name: string]: number | boolean | string | undefined;
}

/**
 * The I/O knobs real hosts expose, as the model applies them (docs/model.md, "Knobs"). All optional;
 * defaults are those of QEMU 7.2, Linux vhost-net and OVS 3.1.
 */
export interface HostKnobs {
  /** QEMU IOThread `poll-max-ns` for blk devices' I/O threads (default 32768; 0 = no polling). */
  pollMaxNs?: number;
  /** QEMU IOThread `poll-grow` factor (default 0 = ×2). */
  pollGrow?: number;
  /** QEMU IOThread `poll-shrink` divisor (default 0 = reset the window to 0). */
  pollShrink?: number;
  /** vhost-net busy polling (tap `poll-us`) for net devices' I/O threads, µs (default 0 = off). */
  vhostPollUs?: number;
  /** OVS-style `pmd-maxsleep` for side cores, µs (default 0 = never sleep). */
  pmdMaxSleepUs?: number;
}

/** The physical host. */
export interface HostSpec {
  /** Physical cores (≥ 2). */
  cores: number;
  /** Clock rate in GHz. */
  ghz: number;
  /** NIC line rate in Gbit/s per direction, shared by every net device (default 25: one 25GbE port). */
  nicGbps?: number;
  /** I/O knobs (polling windows, PMD sleep); defaults in docs/model.md. */
  knobs?: HostKnobs;
  /** Optional overrides of the model's costs (see docs/model.md). */
  costs?: CostOverrides;
}

/** A whole scenario, as stored in resources/scenarios/*.json. */
export interface Scenario {
  /** Short name (defaults to the file's base name). */
  name: string;
  description?: string;
  host: HostSpec;
  vms: VmGroupSpec[];
  phases: PhaseSpec[];
}
