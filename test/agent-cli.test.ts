/**
 * `iocm agent` as a command: bad arguments exit 2 with one line naming the argument; --help
 * exits 0; --dry-run acknowledges control actions, logs what it would do and leaves the host as
 * it is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { AgentHostSource } from '../src/main/host/agent-source.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { iocm } from './cli-helpers.ts';
import { main as agentMain } from '../src/agent/cli.ts';
import { main as iocmMain } from '../src/main/cli/iocm.ts';

/** Run `iocm agent` in process (the same entry bin/iocm.mjs calls), capturing its output. */
async function agentInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (f: (s: string) => void) => ({ write: (d: string | Uint8Array) => (f(String(d)), true) }) as unknown as NodeJS.WritableStream;
  const code = await agentMain(args, { stdout: sink((d) => (stdout += d)), stderr: sink((d) => (stderr += d)) });
  return { code, stdout, stderr };
}
import { spawn } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { freePort, realLinkClock, seededRandom, startAgentProc, tokenDir } from './agent-helpers.ts';
import { ROOT, healthzWhileAlive } from './cli-helpers.ts';

const t = tokenDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

describe('iocm agent arguments', () => {
  it('exits 2 naming the bad argument', async () => {
    const short = join(t.dir, 'short');
    writeFileSync(short, 'abc\n');
    chmodSync(short, 0o600);
    const cases: [string[], RegExp][] = [
      [['--token-file', t.tokenFile], /--driver is required/],
      [['--driver', 'model'], /--token-file is required/],
      [['--driver', 'xen', '--token-file', t.tokenFile], /--driver' must be one of model, qemu, ovs/],
      [['--driver', 'qemu', '--token-file', t.tokenFile], /--driver qemu needs --qmp GLOB/],
      [['--driver', 'model', '--token-file', join(t.dir, 'missing')], /--token-file: cannot read .*ENOENT/],
      [['--driver', 'model', '--token-file', short], /--token-file: the token .* is 3 characters/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--listen', 'nowhere'], /--listen expected HOST:PORT/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--listen', '127.0.0.1:70000'], /--listen: port must be 0 to 65535/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--listen', '0.0.0.0:0'], /--listen 0\.0\.0\.0: a non-loopback address needs TLS/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--tls-cert', t.tokenFile], /--tls-cert needs --tls-key/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--tls-cert', t.tokenFile, '--tls-key', t.tokenFile], /--tls-cert: .* is not a PEM file/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--policy', 'iocm'], /--policy needs --loop/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--loop', '--policy', 'bogus'], /--policy: .*bogus/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--scenario', 'no-such-scenario'], /no-such-scenario/],
      [['--driver', 'model', '--token-file', t.tokenFile, '--interval-ms', '0'], /--interval-ms' expected an integer ≥ 10/],
      [['--driver', 'qemu', '--qmp', '/nonexistent/*.qmp', '--token-file', t.tokenFile, '--interval-ms', '50'], /--interval-ms: the qemu driver samples \/proc and QMP at most every 100 ms; got 50$/m],
      [['--driver', 'ovs', '--token-file', t.tokenFile, '--interval-ms', '150'], /--interval-ms: the ovs driver samples ovs-appctl at most every 200 ms; got 150$/m],
      [['--driver', 'model', '--tokenfile', t.tokenFile], /unknown option '--tokenfile' \(did you mean '--token-file'\?\)/],
    ];
    for (const [args, re] of cases) {
      const r = await agentInProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    // Through the real command too: bin/iocm.mjs routes `agent` and sets the exit code.
    const r = await iocm(['agent', '--driver', 'model', '--token-file', t.tokenFile, '--listen', 'nowhere']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^iocm agent: --listen expected HOST:PORT/);
  });

  it('prints its help with exit 0, and iocm lists it', async () => {
    const r = await agentInProcess(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--driver NAME/);
    expect(r.stdout).toMatch(/--dry-run/);
    let out = '';
    await iocmMain(['--help'], { stdout: { write: (d: string) => ((out += d), true) } as unknown as NodeJS.WritableStream, stderr: process.stderr });
    expect(out).toMatch(/agent\s+serve this host/);
  });
});

describe('iocm agent on a port in use', () => {
  it('exits 2 at once with its one line, leaving no timer or subscription running (with and without --loop)', async () => {
    // A real server holds the port, as another agent or service would.
    const holder = createNetServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as AddressInfo).port;
    try {
      for (const extra of [[], ['--loop']]) {
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'agent', '--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', `127.0.0.1:${port}`, ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const t0 = Date.now();
        // Before the fix the heartbeat and loop timers kept the process alive for ever after the error.
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const r = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
        clearTimeout(kill);
        expect(r, extra.join(' ')).toEqual({ code: 2, signal: null });
        expect(Date.now() - t0).toBeLessThan(15_000);
        expect(stderr).toBe(`iocm agent: --listen: port ${port} is in use; pick another (port 0 = any free one)\n`);
      }
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});

describe('iocm agent --dry-run', () => {
  it('acknowledges control actions, logs them and changes nothing: the console sees the decision, the model runs on as it was', async () => {
    const a = await startAgentProc(['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', '127.0.0.1:0', '--dry-run']);
    try {
      const src = await AgentHostSource.connect({ url: `ws://127.0.0.1:${a.port}`, token: t.token, clock: realLinkClock, random: seededRandom(3) });
      expect(src.hello().dryRun).toBe(true);
      const before = src.config();
      const core = src.info().cores - 1;
      expect(before.sideCores).not.toContain(core);
      const r = await src.apply({ kind: 'setSideCores', cores: [core] });
      expect(r.ok).toBe(true);
      // A refusal is the model's, as it would be without --dry-run.
      const bad = await src.apply({ kind: 'assignQueue', queue: 0, core: 0 });
      expect(bad.ok).toBe(false);
      const snaps: HostSnapshot[] = [];
      src.onSnapshot((s) => snaps.push(s));
      await expect.poll(() => snaps.length, { timeout: 10_000 }).toBeGreaterThan(5);
      // The configuration follows the decision (a loop over it settles); so does the snapshots' layout.
      expect(src.config().sideCores).toEqual([core]);
      const last = snaps.at(-1)!;
      expect(last.sideCores.map((c) => c.coreId)).toEqual([core]);
      expect(last.cores[core].role).toBe('side');
      // The model did not change: that core still runs the guests' vCPUs and polls nothing.
      expect(snaps.slice(-5).some((s) => s.cores[core].cycles.guest > 0)).toBe(true);
      expect(snaps.every((s) => s.cores[core].cycles.emptyPoll === 0 && s.sideCores.every((c) => c.emptyPollCycles === 0))).toBe(true);
      await expect.poll(() => a.stderr(), { timeout: 5000 }).toMatch(/dry run: would apply \{"kind":"setSideCores","cores":\[\d+\]\}/);
      expect(a.stderr()).not.toMatch(/would apply \{"kind":"assignQueue"/);
      await src.close();
    } finally {
      a.child.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
    }
  });
});

describe('iocm agent outlives its output', () => {
  it('keeps serving when its stdout and stderr go away (agent 2>&1 | head -1), and SIGHUP closes it cleanly', async () => {
    // A free port chosen here: the "listening on" line goes into a pipe nobody reads.
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'agent', '--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', `127.0.0.1:${port}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    try {
      // The reader goes away before the first line: every write of the agent meets EPIPE.
      child.stdout.destroy();
      child.stderr.destroy();
      await healthzWhileAlive(child, port, 'agent');
      // A console connects: the agent logs it (into the closed pipe) and keeps serving it.
      const src = await AgentHostSource.connect({ url: `ws://127.0.0.1:${port}`, token: t.token, clock: realLinkClock, random: seededRandom(5) });
      const snaps: HostSnapshot[] = [];
      src.onSnapshot((x) => snaps.push(x));
      await expect.poll(() => snaps.length, { timeout: 10_000 }).toBeGreaterThan(2);
      await src.close();
      await new Promise((r) => setTimeout(r, 500));
      expect(child.exitCode).toBeNull();
      child.kill('SIGHUP');
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('closes the host on SIGINT and SIGHUP as on SIGTERM', async () => {
    for (const sig of ['SIGINT', 'SIGHUP'] as const) {
      const a = await startAgentProc(['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', '127.0.0.1:0']);
      try {
        a.child.kill(sig);
        expect(await a.exited, sig).toEqual({ code: 0, signal: null });
        expect(a.stderr()).toContain(`iocm agent: ${sig}: closing the host and exiting\niocm agent: host closed\n`);
      } finally {
        a.child.kill('SIGKILL');
      }
    }
  });
});
