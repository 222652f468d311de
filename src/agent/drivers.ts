/**
 * The agent's driver table: `--driver NAME` → a factory that opens the host as a
 * {@link HostSource}. `model` ships here (a scenario on the host model, paced at real time, under
 * the `qemu` observability profile: demos and tests). `qemu` and `ovs` are extension points: a
 * driver adds one entry to {@link DRIVERS} with its summary, its own flags (merged into
 * `iocm agent`'s flags, passed back in `DriverOptions.flags`) and its factory. Until then the
 * entry says it is not built in this version.
 */
import type { HostSource } from '../main/host/source.ts';
import type { FlagSpec } from '../main/cli/args.ts';
import { UsageError } from '../shared/errors.ts';
import { createModelDriver } from './model-driver.ts';

/** The wall clock and timers the shell injects into a driver (a driver has none of its own). */
export interface AgentClock {
  /** Wall time, ms. */
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What every driver factory gets. */
export interface DriverOptions {
  /** Real time and timers from the shell. */
  clock: AgentClock;
  /** --dry-run: report what would change, change nothing. */
  dryRun: boolean;
  /** --scenario (model driver). */
  scenario?: string;
  /** --seed (model driver). */
  seed?: number;
  /** --interval-ms: snapshot interval. */
  intervalMs?: number;
  /** The driver's own flags (see {@link DriverSpec.flags}), parsed. */
  flags: Record<string, string | number | boolean | undefined>;
  /** One line to the agent's log (stderr). */
  log(line: string): void;
}

/** A driver as the agent offers it. */
export interface DriverSpec {
  /** One line for `iocm agent --help`. */
  summary: string;
  /** Flags only this driver takes (names must not clash with the agent's own). */
  flags?: Record<string, FlagSpec>;
  /** Open the host. Bad options → UsageError (exit 2). */
  create(opts: DriverOptions): Promise<HostSource>;
}

/** The names `--driver` accepts. */
export type DriverName = 'model' | 'qemu' | 'ovs';

function notBuilt(name: string, what: string): DriverSpec {
  return {
    summary: `${what} (not built in this version)`,
    create: async () => {
      throw new UsageError(`--driver ${name}: the ${name} driver is not built in this version of iocm; use --driver model`);
    },
  };
}

/** The driver table. */
export const DRIVERS: Record<DriverName, DriverSpec> = {
  model: {
    summary: 'a scenario on the host model, paced at real time, seen as a stock QEMU host (demos, tests)',
    create: createModelDriver,
  },
  // Extension points: src/main/host/qemu (createQemuSource) and src/main/host/ovs (createOvsSource).
  qemu: notBuilt('qemu', 'stock QEMU/KVM through QMP and /proc'),
  ovs: notBuilt('ovs', 'Open vSwitch with DPDK PMDs'),
};

/** The driver names, in table order. */
export const DRIVER_NAMES = Object.keys(DRIVERS) as DriverName[];
