/**
 * The relay of an agent's own loop (`iocm agent --loop`) when the host's clock misbehaves: the
 * console leaves out a snapshot whose t jumped or went backwards, and the loop events the agent
 * relays must still land on the session's accepted timeline — never at the agent's absurd time,
 * never in the session's future.
 *
 * Everything is real except the host's clock: the agent's server (startAgentServer) with its own
 * loop (LiveSession) over the model driver on a manual clock, the console's client
 * (createAgentLiveHost) over a real socket. The host is the model driver seen through a wrapper
 * that adds `shift` to each snapshot's t from when the test says so — a host whose clock jumped,
 * seen alike by the agent's loop (which dates its events by it) and by the console.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createModelDriver } from '../src/agent/model-driver.ts';
import { startAgentServer, type AgentServer } from '../src/agent/server.ts';
import { LiveSession } from '../src/main/loop/session.ts';
import { createAgentLiveHost, type AgentLiveHost } from '../src/main/services/agent-host.ts';
import type { ControlAction, ControlResult, KnobAction } from '../src/shared/control.ts';
import type { HostSource } from '../src/main/host/source.ts';
import type { HostEvent, TelemetryBatch } from '../src/shared/policy.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { ManualClock, realLinkClock, seededRandom, tokenDir } from './agent-helpers.ts';

/** A host whose clock is off by `shift` ms from the moment it is set. */
class ShiftedClockHost implements HostSource {
  readonly kind = 'model' as const;
  shift = 0;
  /** Snapshots emitted so far. */
  emitted = 0;
  private readonly subs = new Set<(s: HostSnapshot) => void>();
  constructor(private readonly inner: HostSource) {
    inner.onSnapshot((s) => {
      this.emitted++;
      const out = this.shift === 0 ? s : { ...s, t: s.t + this.shift };
      for (const cb of [...this.subs]) cb(out);
    });
  }
  info = () => this.inner.info();
  capabilities = () => this.inner.capabilities();
  config = () => this.inner.config();
  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    this.subs.add(cb);
    return () => this.subs.delete(cb);
  }
  apply = (a: ControlAction | KnobAction): Promise<ControlResult> => this.inner.apply(a);
  applyNow = (a: ControlAction | KnobAction): ControlResult => this.inner.applyNow!(a);
  close = (): Promise<void> => this.inner.close();
}

const tok = tokenDir();
afterAll(() => rmSync(tok.dir, { recursive: true, force: true }));
const open: { host?: AgentLiveHost; server?: AgentServer; loop?: LiveSession }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.host?.stop();
    await o.server?.close();
    await o.loop?.close();
  }
});

/** An agent with its own loop on a shifted-clock model host, and a console relaying it. */
async function relayed(loopBatchMs: number) {
  const clock = new ManualClock();
  const t0 = clock.t;
  const driver = await createModelDriver({ clock, dryRun: false, scenario: 'rr-few', seed: 5, intervalMs: 100, flags: {}, log: () => {} });
  const hostSrc = new ShiftedClockHost(driver);
  const loop = new LiveSession(hostSrc, { policy: 'static:1' });
  const server = await startAgentServer({ source: hostSrc, driver: 'model', version: 'test', token: tok.token, port: 0, loop, clock, limits: { loopBatchMs, heartbeatMs: 60_000 } });
  // The test moves the agent's clock seconds ahead at once, which the console would refuse from an
  // agent on a real clock (session time ahead of the console's), and leaves it still while it
  // waits, which the console would make up with a step in t (behind it): not what this test is about.
  const host = await createAgentLiveHost({ url: server.url, token: tok.token }, { clock: realLinkClock, random: seededRandom(7), batchMs: 20, maxAheadMs: Infinity, maxBehindMs: Infinity });
  open.push({ host, server, loop });
  expect(host.remoteLoop).toBe(true);
  const batches: TelemetryBatch[] = [];
  host.onBatch((b) => batches.push(b));
  const snaps = (): HostSnapshot[] => batches.flatMap((b) => b.snapshots);
  const events = (): HostEvent[] => batches.flatMap((b) => b.events);
  /** Advance the agent's clock until the host emitted `n` snapshots in all. */
  const advanceTo = (n: number): void => {
    while (hostSrc.emitted < n) clock.advance(5, 5);
  };
  /** Advance the agent's clock to `ms` after the start. */
  const advanceWall = (ms: number): void => clock.advance(t0 + ms - clock.t, 5);
  return { clock, hostSrc, host, snaps, events, advanceTo, advanceWall };
}

describe('an agent loop relayed across a refused snapshot time', () => {
  it('dates events relayed after a forward clock jump, before the next accepted snapshot, at the last accepted time (not 1e12 ms on)', async () => {
    const r = await relayed(25);
    r.advanceTo(10);
    await expect.poll(() => r.snaps().length, { timeout: 10_000 }).toBe(10);
    const lastTaken = r.snaps()[9].t;
    // The host's clock jumps 1e12 ms: the 11th snapshot is refused by the console.
    r.hostSrc.shift = 1e12;
    r.advanceTo(11);
    await expect.poll(() => r.events().some((e) => (e.data as { field?: string } | undefined)?.field === 'snapshot.t'), { timeout: 10_000 }).toBe(true);
    // An operator override now is dated by the agent's loop at the jumped time; the relay (every
    // 25 ms) carries it before the host's next snapshot (100 ms on).
    const core = r.host.info.cores - 1;
    expect((await r.host.override({ kind: 'release', core })).ok).toBe(true);
    r.clock.advance(50, 5);
    expect(r.hostSrc.emitted).toBe(11);
    await expect.poll(() => r.events().some((e) => e.kind === 'override'), { timeout: 10_000 }).toBe(true);
    const ov = r.events().find((e) => e.kind === 'override')!;
    expect(ov.t).toBe(lastTaken);
    expect(r.host.status().t).toBe(lastTaken);
    // The session goes on one interval after the last taken snapshot; every event lies on it.
    r.advanceTo(16);
    await expect.poll(() => r.snaps().length, { timeout: 10_000 }).toBe(15);
    const ts = r.snaps().map((s) => s.t);
    expect(ts[10]).toBe(lastTaken + 100);
    for (const e of r.events()) expect(e.t).toBeLessThanOrEqual(ts.at(-1)!);
    expect(r.host.status().t).toBeLessThanOrEqual(ts.at(-1)!);
  }, 30_000);

  it('dates an event from before a backwards clock step, relayed after the next accepted snapshot, at its own snapshot (not 5 s in the future)', async () => {
    const r = await relayed(1000);
    // The relay goes out every 1000 ms of the agent's clock; the snapshot dated t is out 100 ms
    // before (the model's interval ends at t). Up to the relay at 6 s: every snapshot to t = 6000
    // taken and relayed around.
    r.advanceTo(60);
    r.advanceWall(6000);
    expect(r.hostSrc.emitted).toBe(60);
    await expect.poll(() => r.snaps().length, { timeout: 10_000 }).toBe(60);
    const before = r.snaps()[59];
    expect(before.t).toBe(6000);
    const core = r.host.info.cores - 1;
    expect((await r.host.override({ kind: 'release', core })).ok).toBe(true);
    // The host's clock steps back 5 s: the 61st snapshot is refused, the 62nd taken one interval on.
    r.hostSrc.shift = -5000;
    r.advanceTo(62);
    await expect.poll(() => r.snaps().length, { timeout: 10_000 }).toBe(61);
    expect(r.snaps()[60].t).toBe(before.t + 100);
    // The relay at 7 s carries the override, dated by the agent at the snapshot before the step.
    r.advanceWall(7000);
    expect(r.hostSrc.emitted).toBe(70);
    await expect.poll(() => r.events().some((e) => e.kind === 'override'), { timeout: 10_000 }).toBe(true);
    const ov = r.events().find((e) => e.kind === 'override')!;
    expect(ov.t).toBe(before.t);
    await expect.poll(() => r.snaps().length, { timeout: 10_000 }).toBe(69);
    const last = r.snaps().at(-1)!.t;
    for (const e of r.events()) expect(e.t).toBeLessThanOrEqual(last);
  }, 30_000);
});

describe('an agent that has been up a while', () => {
  it("starts the console's session at its first snapshot (t = one interval), not at the agent's uptime", async () => {
    const clock = new ManualClock();
    const driver = await createModelDriver({ clock, dryRun: false, scenario: 'rr-few', seed: 5, intervalMs: 100, flags: {}, log: () => {} });
    let emitted = 0;
    driver.onSnapshot(() => emitted++);
    const server = await startAgentServer({ source: driver, driver: 'model', version: 'test', token: tok.token, port: 0, clock, limits: { heartbeatMs: 60_000 } });
    open.push({ server });
    // 142 s of the agent's own time before any console connects.
    while (emitted < 1420) clock.advance(5, 5);
    const host = await createAgentLiveHost({ url: server.url, token: tok.token, policy: 'static:1' }, { clock: realLinkClock, random: seededRandom(7), batchMs: 20 });
    open.push({ host });
    expect(host.remoteLoop).toBe(false);
    const batches: TelemetryBatch[] = [];
    host.onBatch((b) => batches.push(b));
    const snaps = (): HostSnapshot[] => batches.flatMap((b) => b.snapshots);
    while (emitted < 1425) clock.advance(5, 5);
    await expect.poll(() => snaps().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const got = snaps();
    // The agent's t was ≥ 142 000 ms; the session's time starts with its first interval.
    expect(got[0].seq).toBe(0);
    expect(got[0].t).toBe(100);
    for (let i = 1; i < got.length; i++) expect(got[i].t).toBe(got[i - 1].t + 100);
    expect(host.status().t).toBeLessThanOrEqual(got.at(-1)!.t);
    for (const e of batches.flatMap((b) => b.events)) expect(e.t).toBeLessThanOrEqual(got.at(-1)!.t);
  }, 30_000);
});

describe("a command to the agent's own loop", () => {
  it('is answered with the state after it: the relay goes out before the acknowledgement, not with the next batch', async () => {
    // The relay timer never fires here (every 60 s of the agent's clock, which stays put).
    const r = await relayed(60_000);
    r.advanceTo(3);
    await expect.poll(() => r.snaps().length, { timeout: 10_000 }).toBe(3);
    const core = r.host.info.cores - 1;
    expect((await r.host.override({ kind: 'release', core })).ok).toBe(true);
    expect(r.host.status().overrides.released).toEqual([core]);
    expect((await r.host.override({ kind: 'pause' })).ok).toBe(true);
    expect(r.host.status().overrides.paused).toBe(true);
    expect(await r.host.setPolicy('static', { k: 2 })).toEqual([]);
    expect(r.host.status().policy).toBe('static:2');
  }, 30_000);
});
