/**
 * A private OVS-DPDK instance for the OVS driver's end-to-end tests, through scripts/ovs-private.sh
 * (own run/db/log folders, `--no-huge --legacy-mem --no-pci -m 512`, per-port memory, one DPDK
 * --file-prefix per process, testpmd with --stats-period; teardown removes /var/run/dpdk/<prefix>).
 * Missing OVS-DPDK or dpdk-testpmd is an error: the tests fail, never skip (install with
 * `apt-get install -y --no-install-recommends openvswitch-switch-dpdk dpdk-dev`).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'ovs-private.sh');

/** Throw, naming the package, when a tool the tests drive is missing. */
export function requireOvsTools(): void {
  const need: [string, string][] = [
    ['/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk', 'openvswitch-switch-dpdk'],
    ['/usr/bin/ovs-vsctl', 'openvswitch-switch-dpdk (openvswitch-common)'],
    ['/usr/bin/ovs-appctl', 'openvswitch-switch-dpdk (openvswitch-common)'],
    ['/usr/bin/dpdk-testpmd', 'dpdk-dev'],
  ];
  const missing = need.filter(([p]) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`OVS-DPDK end-to-end tests need ${missing.map(([p, pkg]) => `${p} (apt package ${pkg})`).join(', ')}: apt-get install -y --no-install-recommends openvswitch-switch-dpdk dpdk-dev`);
  }
}

/** Run the private-instance script; rejects with its output. */
export function ovsPrivate(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((res, rej) => {
    execFile('bash', [SCRIPT, ...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`ovs-private.sh ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else res(stdout);
    });
  });
}

/** `ovs-vsctl --db=unix:DIR/db.sock ARGS`, stdout trimmed. */
export function vsctl(dir: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile('ovs-vsctl', [`--db=unix:${join(dir, 'db.sock')}`, '--timeout=10', ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`ovs-vsctl ${args.join(' ')}: ${stderr || err.message}`));
      else res(stdout.trim());
    });
  });
}

/** The PMD threads of the instance's ovs-vswitchd: name (pmd-cNN/id:M) → Cpus_allowed_list. */
export function pmdThreads(dir: string): Map<string, string> {
  const pid = readFileSync(join(dir, 'ovs-vswitchd.pid'), 'utf8').trim();
  const out = new Map<string, string>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      if (!comm.startsWith('pmd-c')) continue;
      const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
      out.set(comm, m ? m[1] : '?');
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return out;
}

/** Poll `check` until it returns a value (not undefined) or the time runs out (then throw with `what`). */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The shell clock a real source is given. */
export const realClock = {
  now: (): number => Date.now(),
  setInterval: (fn: () => void, ms: number): unknown => setInterval(fn, ms),
  clearInterval: (h: unknown): void => clearInterval(h as ReturnType<typeof setInterval>),
};
