/**
 * Real-QEMU harness: builds the test guest (scripts/build-test-guest.sh, cached under
 * .cache/test-guest) and boots QEMU 7.2 guests under TCG, each with one IOThread serving a
 * virtio-blk disk that the guest loops `dd` on. Each guest has two QMP monitors: `<name>.qmp` for
 * the driver under test and `<name>.check` for the test's own reads (a QMP socket serves one client
 * at a time). A missing qemu-system-x86_64 is an error: tests fail, never skip (as the Chromium
 * tests do for a missing browser). Guests are killed in teardown; keep them few (2-core machines).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QmpClient } from '../../src/main/host/qemu/qmp.ts';
import { parseTaskStatus } from '../../src/main/host/qemu/procfs.ts';
import type { QemuClock } from '../../src/main/host/qemu/index.ts';

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** Debian's QEMU (apt package qemu-system-x86). */
export const QEMU = '/usr/bin/qemu-system-x86_64';

/** The real clock and timers, as a shell injects them. */
export const realClock: QemuClock = {
  now: () => Date.now(),
  setInterval: (f, ms) => setInterval(f, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Builds (or finds cached) the guest kernel and initramfs; throws when QEMU is missing. */
export function buildGuest(): { kernel: string; initrd: string } {
  if (!existsSync(QEMU)) throw new Error(`${QEMU} is missing: install Debian's qemu-system-x86 package (apt-get install -y --no-install-recommends qemu-system-x86)`);
  const out = execFileSync('bash', [join(ROOT, 'scripts', 'build-test-guest.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 })
    .trim()
    .split('\n')
    .pop()!;
  return { kernel: join(out, 'vmlinuz'), initrd: join(out, 'initramfs.cpio.gz') };
}

/** A running guest. */
export interface Guest {
  name: string;
  pid: number;
  /** The driver's QMP socket. */
  qmp: string;
  /** The test's own QMP socket. */
  check: string;
  child: ChildProcess;
  log(): string;
  kill(): Promise<void>;
}

/** A folder for the guests' sockets, disks and logs. */
export function guestDir(): string {
  return mkdtempSync(join(tmpdir(), 'iocm-qemu-'));
}

/**
 * Boots one guest and waits until its dd loop runs (the serial log says so). With `paused` the
 * guest is created stopped (`-S`: its threads and QMP exist, nothing runs) and only its QMP socket
 * is awaited — a cheap extra VM on a 2-core machine.
 */
export async function startGuest(dir: string, name: string, img: { kernel: string; initrd: string }, timeoutMs = 180_000, paused = false): Promise<Guest> {
  const disk = join(dir, `${name}.img`);
  writeFileSync(disk, '');
  truncateSync(disk, 32 << 20);
  const serial = join(dir, `${name}.log`);
  const qmp = join(dir, `${name}.qmp`);
  const check = join(dir, `${name}.check`);
  const args = [
    '-name', `${name},debug-threads=on`,
    '-machine', 'pc', '-accel', 'tcg', '-m', '192', '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', `file:${serial}`,
    '-kernel', img.kernel, '-initrd', img.initrd, '-append', 'console=ttyS0 quiet panic=-1',
    '-object', 'iothread,id=io0,poll-max-ns=32768',
    '-drive', `file=${disk},format=raw,if=none,id=d0`,
    '-device', 'virtio-blk-pci,drive=d0,iothread=io0,id=vd0',
    '-qmp', `unix:${qmp},server=on,wait=off`,
    '-qmp', `unix:${check},server=on,wait=off`,
  ];
  if (paused) args.push('-S');
  const child = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const log = () => (existsSync(serial) ? readFileSync(serial, 'utf8') : '');
  const t0 = Date.now();
  const ready = () => (paused ? existsSync(qmp) && existsSync(check) : /iocm-guest: dd loop/.test(log()));
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`QEMU ${name} exited with ${child.exitCode}: ${err}\n${log()}`);
    if (Date.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`guest ${name} did not reach its dd loop within ${timeoutMs} ms; serial log:\n${log()}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    name,
    pid: child.pid!,
    qmp,
    check,
    child,
    log,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await done;
    },
  };
}

/** Runs QMP commands on the guest's check monitor (connect, run, disconnect). */
export async function checkQmp(g: Guest, cmds: { execute: string; arguments?: Record<string, unknown> }[]): Promise<unknown[]> {
  const c = await QmpClient.connect(g.check, { timers: realClock, timeoutMs: 10_000 });
  try {
    const out: unknown[] = [];
    for (const cmd of cmds) out.push(await c.execute(cmd.execute, cmd.arguments));
    return out;
  } finally {
    c.close();
  }
}

/** An IOThread's poll-max-ns, read through QMP. */
export async function pollMaxNs(g: Guest, io = 'io0'): Promise<number> {
  const [v] = await checkQmp(g, [{ execute: 'qom-get', arguments: { path: `/objects/${io}`, property: 'poll-max-ns' } }]);
  return v as number;
}

/** The guest's threads by name with their Cpus_allowed_list, read from /proc. */
export function threadCpus(g: Guest): Map<number, { name: string; cpus: number[] }> {
  const out = new Map<number, { name: string; cpus: number[] }>();
  for (const t of readdirSync(`/proc/${g.pid}/task`)) {
    try {
      const s = parseTaskStatus(readFileSync(`/proc/${g.pid}/task/${t}/status`, 'utf8'));
      if (s) out.set(Number(t), { name: s.name, cpus: s.cpusAllowed });
    } catch {
      // the thread exited between the listing and the read
    }
  }
  return out;
}

/** The cpus of the guest's threads whose name matches. */
export function cpusOf(g: Guest, name: RegExp): number[][] {
  return [...threadCpus(g).values()].filter((t) => name.test(t.name)).map((t) => t.cpus);
}

/** Removes the guests' folder. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Waits until `cond` holds, polling every 100 ms. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Each thread's CPU list (tid → cpus), read from /proc: a guest's placement to compare against later. */
export function affinityOf(g: Guest): Map<number, number[]> {
  return new Map([...threadCpus(g)].map(([tid, t]) => [tid, t.cpus]));
}

/**
 * Every thread of the guest is back on its original CPU list (`before`, from affinityOf): threads
 * that existed then keep their own; threads QEMU started since (its worker pool) get the main
 * thread's.
 */
export function expectRestored(g: Guest, before: Map<number, number[]>): void {
  for (const [tid, t] of threadCpus(g)) expect({ tid, name: t.name, cpus: t.cpus }).toEqual({ tid, name: t.name, cpus: before.get(tid) ?? before.get(g.pid) });
}
