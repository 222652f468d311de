/**
 * An agent session's start plus t is wall time (docs/agent.md, "Disconnects"), whatever the driver
 * and its clock (review 8: a loaded model agent's 140.6 s were recorded as 132.2 s, and the session
 * that went on after the agent came back as another host ran ≈8 s ahead of the wall clock).
 *
 * - The model driver dates its snapshots by wall time since it started: when the machine cannot
 *   keep up (a stall, here one tick 30 s late on a manual clock), it forgets the backlog and counts
 *   the time it forgot into t, instead of going on behind.
 * - The console keeps the session on its own clock for any agent: an agent whose clock runs slow
 *   (a fake agent sending 100 ms intervals by a clock half as fast as the console's) is moved up to
 *   the wall time; snapshots that only came late (a burst after a stall of the link) move nothing.
 * - The whole way: the model agent and the console on one manual clock over a real socket, with a
 *   stall; and real agent processes under the console's services, the agent killed and restarted
 *   as another host after a gap: each recorded session's start plus its last t is wall time.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createModelDriver } from '../src/agent/model-driver.ts';
import { startAgentServer, type AgentServer } from '../src/agent/server.ts';
import { createAgentLiveHost, type AgentLiveHost } from '../src/main/services/agent-host.ts';
import { createServices } from '../src/main/services/index.ts';
import { HistoryDb } from '../src/main/history/store.ts';
import { createHostModel } from '../src/main/model/host-model.ts';
import { loadScenario } from '../src/main/scenario/index.ts';
import type { HostEvent, TelemetryBatch } from '../src/shared/policy.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { agentHello, agentServicesFixture, freePort, ManualClock, realLinkClock, seededRandom, startAgentProc, tokenDir, value } from './agent-helpers.ts';

const tok = tokenDir();
const fx = agentServicesFixture('iocm-session-time-');
afterAll(() => rmSync(tok.dir, { recursive: true, force: true }));

const open: { host?: AgentLiveHost; server?: AgentServer; wss?: WebSocketServer }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.host?.stop();
    await o.server?.close();
    if (o.wss) {
      for (const c of o.wss.clients) c.terminate();
      await new Promise((r) => o.wss!.close(() => r(null)));
    }
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake agent: the hello of model `m`, then `onOpen(ws)` on each connection. */
async function fakeAgent(m: ReturnType<typeof createHostModel>, onOpen: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  open.push({ wss });
  wss.on('connection', (ws) =>
    ws.once('message', () => {
      ws.send(JSON.stringify(agentHello(m.info(), m.config())));
      onOpen(ws);
    }),
  );
  await new Promise((r) => wss.once('listening', r));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** A console over `url` on `clock`: its snapshots and events, and the clock when the first snapshot came. */
async function consoleOn(url: string, clock: typeof realLinkClock) {
  const host = await createAgentLiveHost({ url, token: 't'.repeat(32), policy: 'static:1' }, { clock, random: seededRandom(9), batchMs: 20 });
  open.push({ host });
  const batches: TelemetryBatch[] = [];
  let firstAt: number | null = null;
  host.source.onSnapshot(() => (firstAt ??= clock.now()));
  host.onBatch((b) => batches.push(b));
  return {
    host,
    snaps: (): HostSnapshot[] => batches.flatMap((b) => b.snapshots),
    events: (): HostEvent[] => batches.flatMap((b) => b.events),
    /** The session's time now by `clock`: its first snapshot (t = one interval) came at firstAt. */
    wallT: (): number => clock.now() - firstAt! + 100,
  };
}

describe('the model driver dates its snapshots by wall time', () => {
  it('forgets a backlog it cannot make up and counts the time into t, instead of going on behind (no burst of late snapshots either)', async () => {
    const clock = new ManualClock();
    const t0 = clock.t;
    const driver = await createModelDriver({ clock, dryRun: false, scenario: 'rr-few', seed: 5, intervalMs: 100, flags: {}, log: () => {} });
    const snaps: HostSnapshot[] = [];
    driver.onSnapshot((s) => snaps.push(s));
    try {
      clock.advance(2000, 5);
      expect(Math.abs(snaps.at(-1)!.t - (clock.t - t0))).toBeLessThanOrEqual(100);
      // The machine stalls: the driver's next tick comes 30 s late.
      const before = snaps.length;
      clock.advance(30_000, 30_000);
      expect(snaps.length - before).toBeLessThanOrEqual(1);
      clock.advance(2000, 5);
      const last = snaps.at(-1)!;
      // Wall time since the start, not 25.6 s of simulation caught up and the rest forgotten.
      expect(last.t - (clock.t - t0)).toBeGreaterThanOrEqual(-100);
      expect(last.t - (clock.t - t0)).toBeLessThanOrEqual(100);
      expect(last.intervalMs).toBe(100);
      for (let i = 1; i < snaps.length; i++) expect(snaps[i].t).toBeGreaterThan(snaps[i - 1].t);
    } finally {
      await driver.close();
    }
  });
});

describe("the console keeps an agent session on its own clock, whatever the agent's", () => {
  it('moves a session whose agent clock runs slow up to the wall time (a fake agent at half the console’s pace)', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 8, intervalMs: 100, observe: 'qemu' });
    const url = await fakeAgent(m, (ws) => {
      const timer = setInterval(() => (ws.readyState === ws.OPEN ? ws.send(JSON.stringify({ type: 'snapshot', snapshot: m.step(), config: m.config() })) : clearInterval(timer)), 100);
    });
    // The console's clock runs twice as fast as the agent's: 100 ms of the agent's t every 200 ms of it.
    const start = Date.now();
    const fast = { ...realLinkClock, now: () => start + (Date.now() - start) * 2 };
    const c = await consoleOn(url, fast);
    await sleep(7000);
    const snaps = c.snaps();
    expect(snaps.length).toBeGreaterThan(40);
    // 7 s of the agent's time are ~14 s of the console's: the session keeps up with the latter,
    // within the slack (2 s, held 1 s, at 0.5 s of lag per s).
    const behind = c.wallT() - snaps.at(-1)!.t;
    expect(behind).toBeLessThanOrEqual(3200);
    expect(behind).toBeGreaterThanOrEqual(-500);
    const steps = snaps.slice(1).map((s, i) => s.t - snaps[i].t);
    expect(steps.every((d) => d > 0)).toBe(true);
    expect(steps.some((d) => d > 1000)).toBe(true);
    expect(c.events().filter((e) => e.kind === 'error')).toEqual([]);
  }, 20_000);

  it('does not move a session whose snapshots only came late: after a burst the newest is on the wall time, not ahead', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 8, intervalMs: 100, observe: 'qemu' });
    const held: string[] = [];
    let stalled = false;
    const url = await fakeAgent(m, (ws) => {
      const timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return clearInterval(timer);
        const msg = JSON.stringify({ type: 'snapshot', snapshot: m.step(), config: m.config() });
        if (stalled) held.push(msg);
        else for (const x of [...held.splice(0), msg]) ws.send(x);
      }, 100);
    });
    const c = await consoleOn(url, realLinkClock);
    await sleep(1500);
    // The link stalls 3.5 s; then what was held arrives at once, then snapshots as they come.
    stalled = true;
    await sleep(3500);
    stalled = false;
    await sleep(1500);
    const snaps = c.snaps();
    const last = snaps.at(-1)!;
    expect(Math.abs(c.wallT() - last.t)).toBeLessThanOrEqual(600);
    for (let i = 1; i < snaps.length; i++) expect(snaps[i].t - snaps[i - 1].t).toBe(100);
    expect(c.events().filter((e) => e.kind === 'error')).toEqual([]);
  }, 20_000);

  it('the whole way: a model agent that stalls, on the console’s clock over a real socket, stays on the wall time', async () => {
    const clock = new ManualClock();
    const driver = await createModelDriver({ clock, dryRun: false, scenario: 'rr-few', seed: 5, intervalMs: 100, flags: {}, log: () => {} });
    const server = await startAgentServer({ source: driver, driver: 'model', version: 'test', token: tok.token, port: 0, clock, limits: { heartbeatMs: 600_000 } });
    open.push({ server });
    const host = await createAgentLiveHost({ url: server.url, token: tok.token, policy: 'static:1' }, { clock, random: seededRandom(7), batchMs: 20 });
    open.push({ host });
    const snaps: HostSnapshot[] = [];
    let firstAt: number | null = null;
    host.source.onSnapshot(() => (firstAt ??= clock.now()));
    host.onBatch((b) => snaps.push(...b.snapshots));
    const errors: string[] = [];
    host.onBatch((b) => errors.push(...b.events.filter((e) => e.kind === 'error').map((e) => e.message)));
    /** Advance the shared clock by `ms` in 5 ms steps, letting the socket carry what was sent. */
    const run = async (ms: number) => {
      for (let done = 0; done < ms; done += 50) {
        clock.advance(50, 5);
        await sleep(2);
      }
      await sleep(50);
      clock.advance(40, 5);
    };
    await run(2000);
    expect(snaps.length).toBeGreaterThan(10);
    // The agent's machine stalls 40 s (its model's next tick comes that late: more than it could
    // make up in one tick), then runs on.
    clock.advance(40_000, 40_000);
    await run(3000);
    const wallT = clock.now() - firstAt! + 100;
    const last = snaps.at(-1)!;
    expect(Math.abs(wallT - last.t)).toBeLessThanOrEqual(300);
    for (let i = 1; i < snaps.length; i++) expect(snaps[i].t).toBeGreaterThan(snaps[i - 1].t);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('recorded sessions of an agent that comes back as another host', () => {
  it("start plus last t is wall time in both sessions, although the link was down 3 s between them", async () => {
    const { t, dir, procs, use } = fx;
    const port = await freePort();
    const agent = (scenario: string) => ['--driver', 'model', '--scenario', scenario, '--token-file', t.tokenFile, '--listen', `127.0.0.1:${port}`, '--interval-ms', '100'];
    const dbPath = join(dir, 'time.db');
    const services = use(createServices({ dbPath, scenario: null, seed: 1, openAgent: (a) => createAgentLiveHost(a, { clock: realLinkClock, random: seededRandom(3), batchMs: 100, link: { initialBackoffMs: 100, maxBackoffMs: 400 } }) }));
    await services.boot();
    const api = services.api;
    const a1 = await startAgentProc(agent('rr-few'));
    procs.push(a1);
    const first = value(await api.connectAgent({ url: `ws://127.0.0.1:${port}`, token: t.token, name: 'lab' })).recording.sessionId!;
    const snapshotsOf = async (id: string) => value(await api.getSession({ sessionId: id })).snapshots;
    await expect.poll(() => snapshotsOf(first), { timeout: 15_000 }).toBeGreaterThan(20);
    await sleep(2000);
    const killedAt = Date.now();
    a1.child.kill('SIGKILL');
    await a1.exited;
    await sleep(3000);
    const a2 = await startAgentProc(agent('memcached'));
    procs.push(a2);
    await expect.poll(async () => [null, first].includes(value(await api.getState()).recording.sessionId), { timeout: 15_000 }).toBe(false);
    const second = value(await api.getState()).recording.sessionId!;
    await expect.poll(() => snapshotsOf(second), { timeout: 15_000 }).toBeGreaterThan(20);
    await sleep(1500);
    const checkedAt = Date.now();
    await services.shutdown();
    use(null);
    const db = new HistoryDb(dbPath, { readonly: true });
    try {
      const end = (id: string) => {
        const s = db.getSession(id);
        return s.startedAt + [...db.allSnapshots(id)].at(-1)!.t;
      };
      // Within a second (a session's recorded start is when the console began recording it, a
      // moment before its first snapshot came): the first session ends when its agent was killed.
      expect(Math.abs(end(first) - killedAt)).toBeLessThanOrEqual(1000);
      // The second one's last snapshot is on the wall clock too, not 3 s (the gap) and more ahead of it.
      expect(end(second) - checkedAt).toBeLessThanOrEqual(1000);
      expect(end(second) - checkedAt).toBeGreaterThanOrEqual(-1500);
    } finally {
      db.close();
    }
  }, 120_000);
});
