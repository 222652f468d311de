/**
 * The agent's driver table: `--driver NAME` → a factory that opens the host as a
 * {@link HostSource}. `model` ships here (a scenario on the host model, paced at real time, under
 * the `qemu` observability profile: demos and tests), with `qemu` (stock QEMU/KVM,
 * src/main/host/qemu) and `ovs` (Open vSwitch with DPDK, src/main/host/ovs, `--ovs-rundir DIR`).
 * A driver is one entry in {@link DRIVERS} with its summary, its own flags (merged into
 * `iocm agent`'s flags, passed back in `DriverOptions.flags`) and its factory.
 */
import type { HostSource } from '../main/host/source.ts';
import type { FlagSpec } from '../main/cli/args.ts';
import { UsageError } from '../shared/errors.ts';
import { createModelDriver } from './model-driver.ts';
import { createQemuSource } from '../main/host/qemu/index.ts';
import { createOvsSource, findControlSocket, resolveRundir } from '../main/host/ovs/ovs-source.ts';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The QEMU driver's state file as root (/run is emptied at boot, when every VM is new anyway). */
export const DEFAULT_STATE_FILE = '/run/iocm-agent/qemu-state.json';

/** --state-file: the path, or null for 'none'; the default depends on who runs the agent. */
export function qemuStateFile(flag: unknown, uid = process.getuid?.() ?? -1, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flag === 'none') return null;
  if (typeof flag === 'string' && flag.trim() !== '') return flag;
  if (uid === 0) return DEFAULT_STATE_FILE;
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'iocm-agent', 'qemu-state.json') : null;
}

/**
 * `--driver qemu`: stock QEMU/KVM through QMP and /proc (src/main/host/qemu, docs/qemu-driver.md).
 * Needs `--qmp GLOB|DIR|SOCKET`; --dry-run reports each change it would make to the log.
 */
async function createQemuDriver(o: DriverOptions): Promise<HostSource> {
  const qmp = o.flags.qmp;
  if (typeof qmp !== 'string' || qmp.trim() === '') throw new UsageError('--driver qemu needs --qmp GLOB (e.g. --qmp "/run/qemu/*.qmp"), a folder of QMP sockets, or one socket');
  const sidePoll = o.flags['side-poll-ns'];
  if (o.intervalMs !== undefined && o.intervalMs < 100) throw new UsageError(`--interval-ms: the qemu driver samples /proc and QMP at most every 100 ms; got ${o.intervalMs}`);
  const stateFile = qemuStateFile(o.flags['state-file']);
  o.log(stateFile ? `qemu: state file ${stateFile}` : 'qemu: no state file (--state-file none): if this agent is killed, its changes stay in place');
  try {
    return await createQemuSource({
      qmp,
      clock: o.clock,
      dryRun: o.dryRun,
      ...(stateFile ? { stateFile } : {}),
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
      ...(typeof sidePoll === 'number' ? { sidePollMaxNs: sidePoll } : {}),
      onEvent: (e) => {
        o.log(`qemu: ${e.message}`);
        for (const c of e.changes ?? []) {
          o.log(c.kind === 'affinity' ? `qemu:   ${c.vm} thread ${c.tid} '${c.thread}': cpus ${c.from?.join(',') ?? '?'} → ${c.to.join(',')}` : `qemu:   ${c.vm} IOThread ${c.iothread}: poll-max-ns ${c.from} → ${c.to}`);
        }
      },
    });
  } catch (e) {
    throw new UsageError(`--driver qemu: ${(e as Error).message}`);
  }
}

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

/** The driver table. */
export const DRIVERS: Record<DriverName, DriverSpec> = {
  model: {
    summary: 'a scenario on the host model, paced at real time, seen as a stock QEMU host (demos, tests)',
    create: createModelDriver,
  },
  qemu: {
    summary: 'stock QEMU/KVM: VMs from QMP sockets, measured through QMP and /proc; IOThreads (and vhost workers) placed on side cores with thread affinity, IOThread polling set (docs/qemu-driver.md)',
    flags: {
      qmp: { type: 'string', value: 'GLOB', help: 'the QMP sockets: a glob ("/run/qemu/*.qmp"), a folder of sockets, or one socket (required)' },
      'side-poll-ns': { type: 'integer', value: 'NS', min: 0, max: 1_000_000_000, help: 'IOThread poll-max-ns on a side core (default 1000000)' },
      'state-file': {
        type: 'string',
        value: 'FILE|none',
        help: `where the placement and polling before the first change are kept, so that the next agent restores what a killed one left (default ${DEFAULT_STATE_FILE} as root, else $XDG_RUNTIME_DIR/iocm-agent/qemu-state.json; 'none' keeps none)`,
      },
    },
    create: createQemuDriver,
  },
  ovs: {
    summary: 'Open vSwitch with DPDK: PMD cores are the side cores, vhost-user ports the VMs (docs/ovs-driver.md)',
    flags: {
      'ovs-rundir': { type: 'string', value: 'DIR', help: 'the folder of db.sock and the ovs-vswitchd control socket (default: OVS_RUNDIR, else /var/run/openvswitch)' },
    },
    create: createOvsDriver,
  },
};

/** `--driver ovs`: the OVS-DPDK source on the rundir given (bad or empty folder → UsageError, exit 2). */
async function createOvsDriver(o: DriverOptions): Promise<HostSource> {
  if (o.intervalMs !== undefined && o.intervalMs < 200) throw new UsageError(`--interval-ms: the ovs driver samples ovs-appctl at most every 200 ms; got ${o.intervalMs}`);
  const flag = o.flags['ovs-rundir'];
  const rundir = resolveRundir(typeof flag === 'string' ? flag : undefined, process.env);
  if (typeof flag === 'string' && (flag.length === 0 || flag.includes('\0'))) throw new UsageError(`--ovs-rundir: not a folder name: '${flag}'`);
  if (!existsSync(rundir) || !statSync(rundir).isDirectory()) throw new UsageError(`--ovs-rundir: ${rundir} is not a folder (give the run folder of ovsdb-server and ovs-vswitchd, or set OVS_RUNDIR)`);
  if (!existsSync(join(rundir, 'db.sock')) || !findControlSocket(rundir)) {
    throw new UsageError(`--ovs-rundir: no OVS in ${rundir}: it needs db.sock (ovsdb-server) and an ovs-vswitchd control socket (ovs-vswitchd.ctl or ovs-vswitchd.<pid>.ctl)`);
  }
  o.log(`ovs: ${rundir}${o.dryRun ? ' (dry run: changes are logged, not made)' : ''}`);
  return createOvsSource({ rundir, clock: o.clock, dryRun: o.dryRun, ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}), onLog: (l) => o.log(`ovs: ${l}`) });
}

/** The driver names, in table order. */
export const DRIVER_NAMES = Object.keys(DRIVERS) as DriverName[];
