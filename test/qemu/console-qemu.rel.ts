/**
 * Issue 12's end to end on real QEMU under TCG, through every layer an admin uses: two guests with an
 * IOThread each ← `iocm agent --driver qemu` (a real process) ← the headless console (`iocm serve`'s
 * services and WebSocket API, real SQLite file) ← an API client. The console connects to the agent
 * and records; a side core forced through the API changes the threads' Cpus_allowed_list and the
 * IOThreads' poll-max-ns (read from /proc and QMP); block statistics reach the recorded session;
 * stopping the agent restores the guests, shows a gap and a reconnect; on the agent's exit the
 * original placement is back.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWsClient, type WebSocketLike, type WsApi } from '../../src/renderer/transport/ws-client.ts';
import { HistoryDb } from '../../src/main/history/store.ts';
import { main } from '../../src/main/cli/iocm.ts';
import { freePort, startAgentProc, tokenDir, type AgentProc } from '../agent-helpers.ts';
import { startFixture, type Fixture } from '../server-helpers.ts';
import { affinityOf, buildGuest, cpusOf, guestDir, pollMaxNs, removeDir, startGuest, type Guest, expectRestored as expectRestoredTo } from './harness.ts';

const Impl = WebSocket as unknown as new (url: string, protocols?: string[]) => WebSocketLike;

let dir = '';
let g1: Guest;
let g2: Guest;
let fx: Fixture;
let api: WsApi;
const t = tokenDir();
const procs: AgentProc[] = [];
let port = 0;
const original = new Map<string, Map<number, number[]>>();
const expectRestored = (g: Guest): void => expectRestoredTo(g, original.get(g.name)!);

const agentArgs = (): string[] => ['--driver', 'qemu', '--qmp', `${dir}/*.qmp`, '--token-file', t.tokenFile, '--listen', `127.0.0.1:${port}`];

function value<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

beforeAll(async () => {
  const img = buildGuest();
  dir = guestDir();
  [g1, g2] = await Promise.all([startGuest(dir, 'g1', img), startGuest(dir, 'g2', img)]);
  original.set('g1', affinityOf(g1));
  original.set('g2', affinityOf(g2));
  port = await freePort();
  procs.push(await startAgentProc(agentArgs(), 60_000));
  fx = await startFixture('rr-few', { speed: 1, flushMs: 200 });
  api = createWsClient({ url: `ws://127.0.0.1:${fx.port}/ws`, token: fx.token, WebSocketImpl: Impl, probeUrl: `http://127.0.0.1:${fx.port}/healthz`, initialBackoffMs: 50, maxBackoffMs: 200, requestTimeoutMs: 40_000 });
}, 600_000);

afterAll(async () => {
  api?.close();
  await fx?.cleanup();
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all([g1?.kill(), g2?.kill()]);
  if (dir) removeDir(dir);
  rmSync(t.dir, { recursive: true, force: true });
});

describe('headless console → iocm agent --driver qemu → real QEMU (TCG)', { timeout: 240_000 }, () => {
  let side = -1;
  let sessionId = '';

  it('connects to the agent, records its session with the guests block statistics, and a side core forced through the API moves the threads and raises polling', async () => {
    const state = value(await api.connectAgent({ url: `ws://127.0.0.1:${port}/agent`, token: t.token, name: 'kvm-qemu' }));
    expect(state.connection.kind).toBe('agent');
    expect(state.host?.vms.map((v) => v.name).sort()).toEqual(['g1', 'g2']);
    expect(state.host?.observability?.profile).toBe('qemu');
    sessionId = state.recording.sessionId!;
    expect(sessionId).toBeTruthy();
    side = state.host!.cores - 1;

    // The policy leaves the guests alone (vhost: no side core); the operator pins the last core.
    value(await api.setPolicy({ name: 'vhost', config: {} }));
    value(await api.pinCore({ core: side }));
    await expect.poll(() => cpusOf(g1, /^IO io0$/), { timeout: 20_000 }).toEqual([[side]]);
    for (const g of [g1, g2]) {
      await expect.poll(() => cpusOf(g, /^IO io0$/), { timeout: 10_000 }).toEqual([[side]]);
      await expect.poll(() => cpusOf(g, /^CPU 0\/TCG$/)[0]?.includes(side), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => pollMaxNs(g), { timeout: 10_000 }).toBe(1_000_000);
    }

    // Block statistics reach the recorded session (real SQLite file).
    await expect
      .poll(
        () => {
          const db = new HistoryDb(fx.dbPath, { readonly: true });
          try {
            const s = db.listSessions({}).find((x) => x.id === sessionId);
            if (!s || s.source !== 'agent' || s.host !== 'kvm-qemu') return 0;
            const snaps = db.snapshotsBySeq(sessionId, 0, 1_000_000);
            return snaps.filter((x) => x.queues.some((q) => q.kind === 'blk' && q.requests > 0 && q.bytes > 0)).length;
          } finally {
            db.close();
          }
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(2);
  });

  it('stopping the agent restores the guests and shows a gap; started again, the console reconnects and its pin is applied again', async () => {
    const a1 = procs[0];
    a1.child.kill('SIGTERM');
    expect((await a1.exited).code).toBe(0);
    expectRestored(g1);
    expectRestored(g2);
    expect(await pollMaxNs(g1)).toBe(32768);
    await expect.poll(async () => value(await api.getState()).link?.state, { timeout: 20_000 }).toBe('reconnecting');

    procs.push(await startAgentProc(agentArgs(), 60_000));
    await expect.poll(async () => value(await api.getState()).link?.state, { timeout: 60_000 }).toBe('connected');
    // The console's override is still in force: the loop places the IOThreads on the side core again.
    for (const g of [g1, g2]) await expect.poll(() => cpusOf(g, /^IO io0$/), { timeout: 20_000 }).toEqual([[side]]);

    // The gap is recorded once: its start and its end (the recorder flushes every 200 ms here).
    const gapEvents = (): (string | undefined)[] => {
      const db = new HistoryDb(fx.dbPath, { readonly: true });
      try {
        return db
          .eventsBetween(sessionId, -Infinity, Infinity)
          .filter((e) => e.kind === 'disconnect' || e.kind === 'connect')
          .map((e) => (e.data as { gap?: string } | undefined)?.gap);
      } finally {
        db.close();
      }
    };
    await expect.poll(gapEvents, { timeout: 20_000 }).toEqual(['start', 'end']);
  });

  it('when the console leaves, the agent keeps the configuration; on its exit the original placement and polling are back', async () => {
    const st = value(await api.getState());
    value(await api.disconnectHost({ hostId: st.hostId! }));
    await new Promise((r) => setTimeout(r, 1000));
    expect(cpusOf(g1, /^IO io0$/)).toEqual([[side]]);
    const a2 = procs[1];
    a2.child.kill('SIGTERM');
    expect((await a2.exited).code).toBe(0);
    expectRestored(g1);
    expectRestored(g2);
    expect(await pollMaxNs(g1)).toBe(32768);
    expect(await pollMaxNs(g2)).toBe(32768);
  });

  it("what-if on the real host's recording: a scenario inferred from what QEMU measured, a replica under the recorded side core, the policy compared with it", async () => {
    // The session ended when the console left the host; what-if runs through the same API an admin uses.
    const c = value(await api.whatIf({ sessionId, policy: 'vhost' }));
    const rep = c.replica!;
    expect(rep.recordedSessionId).toBe(sessionId);
    expect(c.base.policy).toBe('replica');
    expect(c.other.policy).toBe('vhost');
    const reqs = rep.fidelity.find((f) => f.metric === 'requests/s')!;
    // This session is a few 500-ms intervals: the replica's closeness is checked on the longer recording below.
    expect(reqs.recorded).toBeGreaterThan(0);
    expect(reqs.model).toBeGreaterThan(0);
    // TCG: the cores show no guest-mode time, so the guests' cycles per I/O come from the vCPU threads' run time.
    expect(rep.notes.join('\n')).toMatch(/no hardware virtualization, e\.g\. QEMU TCG/);
    const db = new HistoryDb(fx.dbPath, { readonly: true });
    try {
      const replica = db.getSession(rep.sessionId);
      expect(replica.scenarioJson?.vms.map((g) => [g.count, g.devices.map((d) => d.kind), g.workload.kind])).toEqual([[2, ['blk'], 'blk']]);
      // The recorded side core is replayed: it is in force in the replica whenever it was in the recording.
      const recorded = [...db.allSnapshots(sessionId)].map((x) => x.sideCores.length);
      const replayed = [...db.allSnapshots(rep.sessionId)].map((x) => x.sideCores.length);
      expect(replayed).toEqual(recorded);
      expect(recorded.some((n) => n === 1)).toBe(true);
    } finally {
      db.close();
    }
  });

  it("calibrate fits a real QEMU host's recording from its IOThreads' CPU, and says what a stock host does not measure", async () => {
    // A recording in vhost mode (the IOThreads' CPU is a queue's work only while no side core polls it): 10 s.
    procs.push(await startAgentProc(agentArgs(), 60_000));
    const state = value(await api.connectAgent({ url: `ws://127.0.0.1:${port}/agent`, token: t.token, name: 'kvm-qemu-2' }));
    value(await api.setPolicy({ name: 'vhost', config: {} }));
    const id = state.recording.sessionId!;
    const count = (): number => {
      const db = new HistoryDb(fx.dbPath, { readonly: true });
      try {
        return db.getSession(id).snapshots;
      } finally {
        db.close();
      }
    };
    await expect.poll(count, { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(20);
    value(await api.disconnectHost({ hostId: state.hostId! }));
    const a3 = procs[procs.length - 1];
    a3.child.kill('SIGTERM');
    expect((await a3.exited).code).toBe(0);
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (x: string) => (out.push(x), true) }, stderr: { write: (x: string) => (err.push(x), true) } } as unknown as Parameters<typeof main>[1];
    // --force: this checks what a stock host measures; how well 10 s of a TCG guest's IOThread CPU
    // follows its requests (R², below 0.5 = a poor fit, not written by default) varies by machine.
    const code = await main(['calibrate', '--db', fx.dbPath, '--session', id, '--json', '--force'], io);
    expect(err.join(''), out.join('')).toBe('');
    expect(code).toBe(0);
    const fit = JSON.parse(out.join('')) as { observe: string; costs: Record<string, number>; fitted: { name: string; value: number | null; reason?: string }[] };
    expect(fit.observe).toBe('qemu');
    for (const name of ['batchCycles', 'exitIndirectCycles', 'emptyPollCycles']) expect(fit.fitted.find((f) => f.name === name)?.reason, name).toMatch(/^not measured: a 'qemu' host/);
    // What the guests' disks did is fitted from the IOThreads' CPU: a per-I/O cost, in cycles.
    expect(fit.costs.blkRequestCycles ?? fit.costs.blkByteCycles).toBeGreaterThan(0);
    // ... and batchCycles 0: no batches are counted, the per-I/O cost carries them (a model run with the block must not add its own).
    expect(Object.keys(fit.costs).filter((k) => !k.startsWith('blk'))).toEqual(['batchCycles']);
    expect(fit.costs.batchCycles).toBe(0);

    // What-if on this 10-s recording (the model's default costs): the replica delivers what the guests' disks did.
    const c = value(await api.whatIf({ sessionId: id, policy: 'static:1' }));
    const rep = c.replica!;
    const reqs = rep.fidelity.find((f) => f.metric === 'requests/s')!;
    expect(Math.abs(reqs.model / reqs.recorded - 1), `replica ${reqs.model} vs recorded ${reqs.recorded} I/Os per second`).toBeLessThan(0.1);
    const run = rep.fidelity.find((f) => f.metric === 'vCPU run')!;
    expect(Math.abs(run.model / run.recorded - 1), `replica vCPU run ${run.model} vs recorded ${run.recorded} cores`).toBeLessThan(0.25);
  });
});
