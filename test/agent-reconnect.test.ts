/**
 * The console's side of a real agent link: createAgentLiveHost over a real `iocm agent` process.
 * Killing the agent (SIGKILL) makes the link reconnect with backoff; the interval is recorded as a
 * gap (disconnect + connect events with the gap's length), no decision is taken meanwhile, and the
 * session timeline stays continuous when the restarted agent counts from 0 again. With --loop the
 * console relays the agent's loop: its status, and overrides and policy changes with their acks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createAgentLiveHost, type AgentLiveHost } from '../src/main/services/agent-host.ts';
import type { HostConnectionState } from '../src/shared/control.ts';
import type { TelemetryBatch } from '../src/shared/policy.ts';
import { freePort, realLinkClock, seededRandom, startAgentProc, tokenDir, type AgentProc } from './agent-helpers.ts';

const t = tokenDir();
const procs: AgentProc[] = [];
const hosts: AgentLiveHost[] = [];
afterAll(async () => {
  for (const h of hosts) await h.stop();
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(t.dir, { recursive: true, force: true });
});

describe('agent link: kill, reconnect, gap', () => {
  it('reconnects with backoff after the agent is killed and records the gap', async () => {
    const port = await freePort();
    const args = ['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', `127.0.0.1:${port}`];
    const a1 = await startAgentProc(args);
    procs.push(a1);
    const host = await createAgentLiveHost({ url: `ws://127.0.0.1:${port}`, token: t.token, policy: 'iocm' }, { clock: realLinkClock, random: seededRandom(5), batchMs: 100, link: { initialBackoffMs: 200, maxBackoffMs: 800 } });
    hosts.push(host);
    expect(host.remoteLoop).toBe(false);
    expect(host.info.source).toBe('agent');
    const batches: TelemetryBatch[] = [];
    const states: HostConnectionState[] = [];
    host.onBatch((b) => batches.push(b));
    host.onConnection((c) => states.push(c));
    const snaps = () => batches.flatMap((b) => b.snapshots);
    const events = () => batches.flatMap((b) => b.events);
    await expect.poll(() => snaps().length, { timeout: 15_000 }).toBeGreaterThan(10);
    expect(host.status().source).toEqual({ kind: 'agent', name: host.info.name });

    a1.child.kill('SIGKILL');
    await a1.exited;
    await expect.poll(() => host.connection().state, { timeout: 10_000 }).toBe('reconnecting');
    // Several attempts fail while the agent is down (backoff 200, 400, 800, 800 … ms ± 50 %).
    await expect.poll(() => host.connection().attempts, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    const before = snaps().length;
    const lastBefore = snaps()[before - 1];
    const decisionsBefore = events().filter((e) => e.kind === 'decision').length;
    await new Promise((r) => setTimeout(r, 500));
    expect(snaps().length).toBe(before);
    expect(events().filter((e) => e.kind === 'decision').length).toBe(decisionsBefore);
    const down = events().find((e) => e.kind === 'disconnect');
    expect(down?.message).toMatch(/lost the link/);

    const a2 = await startAgentProc(args);
    procs.push(a2);
    await expect.poll(() => host.connection().state, { timeout: 15_000 }).toBe('connected');
    await expect.poll(() => snaps().length, { timeout: 15_000 }).toBeGreaterThan(before + 5);
    const back = events().find((e) => e.kind === 'connect');
    expect(back).toBeDefined();
    const gapMs = (back!.data as { gapMs: number }).gapMs;
    expect(gapMs).toBeGreaterThan(1000);
    // One continuous timeline: seq goes on, t jumps by the gap although the new agent started at 0.
    const after = snaps()[before];
    expect(after.seq).toBe(lastBefore.seq + 1);
    expect(after.t - lastBefore.t).toBeGreaterThanOrEqual(gapMs);
    for (let i = 1; i < snaps().length; i++) expect(snaps()[i].t).toBeGreaterThan(snaps()[i - 1].t);
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(['reconnecting', 'connected']));
    // The control path works again after the reconnect.
    const r = await host.override({ kind: 'pin', core: host.info.cores - 1 });
    expect(r.ok).toBe(true);
    await expect.poll(() => host.config().sideCores.includes(host.info.cores - 1), { timeout: 10_000 }).toBe(true);
  });

  it('backs off exponentially with jitter from the injected RNG', async () => {
    const h = hosts[0];
    const delays = [1, 2, 3, 4, 5, 6].map((n) => h.source.backoffMs(n));
    // base 200 · 2^(n−1) capped at 800, times a factor in [0.5, 1.5).
    const bases = [200, 400, 800, 800, 800, 800];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bases[i] * 0.5);
      expect(d).toBeLessThan(bases[i] * 1.5 + 1);
    });
  });
});

describe('agent --loop: the console relays the agent loop', () => {
  it('shows the agent loop and sends it overrides and policy changes', async () => {
    const a = await startAgentProc(['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', '127.0.0.1:0', '--loop', '--policy', 'static:1']);
    procs.push(a);
    const host = await createAgentLiveHost({ url: `ws://127.0.0.1:${a.port}`, token: t.token }, { clock: realLinkClock, random: seededRandom(6), batchMs: 100 });
    hosts.push(host);
    expect(host.remoteLoop).toBe(true);
    const batches: TelemetryBatch[] = [];
    host.onBatch((b) => batches.push(b));
    await expect.poll(() => host.status().policy, { timeout: 10_000 }).toBe('static:1');
    await expect.poll(() => batches.flatMap((b) => b.snapshots).length, { timeout: 10_000 }).toBeGreaterThan(5);
    expect(host.status().source?.kind).toBe('model');
    const core = host.info.cores - 1;
    const r = await host.override({ kind: 'release', core });
    expect(r.ok).toBe(true);
    await expect.poll(() => host.status().overrides.released, { timeout: 10_000 }).toContain(core);
    await expect.poll(() => batches.flatMap((b) => b.events).some((e) => e.kind === 'override'), { timeout: 10_000 }).toBe(true);
    const errs = await host.setPolicy('no-such-policy', {});
    expect(errs.length).toBeGreaterThan(0);
    expect(await host.setPolicy('static:2', {})).toEqual([]);
    await expect.poll(() => host.status().policy, { timeout: 10_000 }).toBe('static:2');
    // Control actions are the agent loop's: a raw control command is refused in words.
    const c = await host.source.apply({ kind: 'setSideCores', cores: [] });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error).toMatch(/own loop/);
  });
});
