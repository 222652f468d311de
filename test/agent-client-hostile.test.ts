/**
 * The console's agent client against a hostile or broken agent (a WebSocket server in this test
 * that speaks the protocol badly on purpose, over a real socket): bad messages become error
 * events and the stream goes on; an agent of another major version, or one that talks before its
 * hello, is refused with a clear error; an agent that never acknowledges makes apply() resolve
 * with a refusal after the timeout; an agent that stops talking is taken as gone and reconnected;
 * a host whose VMs change gets its console loop rebuilt with the same policy and overrides.
 */
import { snapshotConsistencyProblem } from '../src/shared/agent-protocol.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { createHostModel } from '../src/main/model/host-model.ts';
import { loadScenario } from '../src/main/scenario/index.ts';
import { AgentHostSource } from '../src/main/host/agent-source.ts';
import { createAgentLiveHost, RELAY_EVENTS_MAX } from '../src/main/services/agent-host.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { agentHello, realLinkClock, seededRandom } from './agent-helpers.ts';

const model = createHostModel(loadScenario('rr-few'), { seed: 1, intervalMs: 100, observe: 'qemu' });
const hello = (over: Record<string, unknown> = {}) => agentHello(model.info(), model.config(), { heartbeatMs: 200, ...over });

let wss: WebSocketServer | null = null;
afterEach(async () => {
  if (wss) {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss!.close(() => r(null)));
  }
  wss = null;
});

/** A WebSocket server that runs `onClient` for each connection; resolves with its ws:// URL. */
async function fakeAgent(onClient: (ws: WebSocket) => void): Promise<string> {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws) => ws.once('message', () => onClient(ws)));
  await new Promise((r) => wss!.once('listening', r));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** A fake agent: the hello of model `m` (with `over`), then `tick(ws)` every `ms` while the socket is open. */
function tickingAgent(m: ReturnType<typeof createHostModel>, ms: number, tick: (ws: WebSocket) => void, over: Record<string, unknown> = {}): Promise<string> {
  return fakeAgent((ws) => {
    ws.send(JSON.stringify(hello({ info: m.info(), config: m.config(), heartbeatMs: 60_000, ...over })));
    const timer = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return clearInterval(timer);
      tick(ws);
    }, ms);
  });
}

const opts = (url: string) => ({ url, token: 't'.repeat(32), clock: realLinkClock, random: seededRandom(1), ackTimeoutMs: 500, initialBackoffMs: 100, maxBackoffMs: 200 });

describe('AgentHostSource against a broken agent', () => {
  it('turns bad messages into error events and keeps the stream', async () => {
    const url = await fakeAgent((ws) => {
      ws.send(JSON.stringify(hello()));
      ws.send('garbage');
      ws.send(JSON.stringify({ type: 'snapshot', snapshot: { seq: -1 }, config: model.config() }));
      ws.send(JSON.stringify({ type: 'mystery' }));
      ws.send(Buffer.from([0, 1, 2]), { binary: true });
      ws.send(JSON.stringify({ type: 'error', code: 'internal', message: 'disk on fire' }));
      for (let i = 0; i < 3; i++) ws.send(JSON.stringify({ type: 'snapshot', snapshot: model.step(), config: model.config() }));
    });
    const src = await AgentHostSource.connect(opts(url));
    const errors: string[] = [];
    const snaps: HostSnapshot[] = [];
    src.onError((m) => errors.push(m));
    src.onSnapshot((s) => snaps.push(s));
    await expect.poll(() => snaps.length, { timeout: 5000 }).toBe(3);
    expect(errors).toEqual([
      expect.stringMatching(/bad message .*not valid JSON/),
      expect.stringMatching(/'snapshot\.seq' must be at least 0/),
      expect.stringMatching(/Unknown message type 'mystery'/),
      expect.stringMatching(/binary frame/),
      expect.stringMatching(/the agent reports: disk on fire/),
    ]);
    expect(src.connection().state).toBe('connected');
    await src.close();
  });

  it('keeps the last configuration that fits when the agent sends one its host cannot have, and says so once (review 6)', async () => {
    const good = model.config();
    const url = await fakeAgent((ws) => {
      ws.send(JSON.stringify(hello()));
      const bad = [
        { ...good, sideCores: [4000] },
        { ...good, sideCores: [4000] },
        { ...good, sideCores: [1], queueOwner: good.queueOwner.map((_, q) => (q === 0 ? 7 : null)) },
        { ...good, cores: 99 },
        { ...good, sideCores: [2, 1] },
      ];
      for (const c of bad) ws.send(JSON.stringify({ type: 'snapshot', snapshot: model.step(), config: c }));
    });
    const src = await AgentHostSource.connect(opts(url));
    const errors: string[] = [];
    const snaps: HostSnapshot[] = [];
    src.onError((m) => errors.push(m));
    src.onSnapshot((s) => snaps.push(s));
    await expect.poll(() => snaps.length, { timeout: 5000 }).toBe(5);
    expect(errors).toEqual([
      "the agent sent a configuration its host cannot have (kept the last one): config.sideCores has core 4000, the host's cores are 0..5",
      'the agent sent a configuration its host cannot have (kept the last one): config.queueOwner[0] is core 7, which is not a side core',
      'the agent sent a configuration its host cannot have (kept the last one): config.cores is 99, the host has 6',
      'the agent sent a configuration its host cannot have (kept the last one): config.sideCores is not ascending without repeats (2, 1)',
    ]);
    expect(src.config()).toEqual(good);
    await src.close();
    // A hello with such a configuration is refused.
    for (const c of wss!.clients) c.terminate();
    await new Promise((r) => wss!.close(() => r(null)));
    const url2 = await fakeAgent((ws) => ws.send(JSON.stringify(hello({ config: { ...good, sideCores: [4000] } }))));
    await expect(AgentHostSource.connect(opts(url2))).rejects.toThrow(/the agent's hello describes a configuration its host cannot have: config\.sideCores has core 4000/);
  });

  it('says so when the agent acknowledges a change its host never makes (review 6), once however often the loop asks', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 6, intervalMs: 100, observe: 'qemu' });
    const asks: string[] = [];
    const url = await fakeAgent((ws) => {
      ws.send(JSON.stringify(hello({ info: m.info(), config: m.config(), heartbeatMs: 60_000 })));
      // Acknowledges every control, changes nothing: its config stays the model's (no side core).
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString()) as { type: string; id?: number; action?: unknown };
        if (msg.type !== 'control') return;
        asks.push(JSON.stringify(msg.action));
        ws.send(JSON.stringify({ type: 'ack', id: msg.id, result: { ok: true, costCycles: 0 } }));
      });
      const timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return clearInterval(timer);
        ws.send(JSON.stringify({ type: 'snapshot', snapshot: m.step(), config: m.config() }));
      }, 10);
    });
    const host = await createAgentLiveHost({ url, token: 't'.repeat(32), policy: 'static:1' }, { clock: realLinkClock, random: seededRandom(6), batchMs: 50 });
    const events: { kind: string; message: string }[] = [];
    host.onBatch((b) => events.push(...b.events));
    const ignored = () => events.filter((e) => e.kind === 'error' && /acknowledged side cores \[\d+\] but 10 snapshots later its side cores are still \[\]: the host did not make the change/.test(e.message));
    await expect.poll(() => ignored().length, { timeout: 10_000 }).toBe(1);
    // The loop keeps asking for the same side cores (the host never shows them): said once, not at every ask.
    const sideAsks = () => asks.filter((a) => a.includes('setSideCores')).length;
    const n = sideAsks();
    await expect.poll(sideAsks, { timeout: 10_000 }).toBeGreaterThan(n + 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(ignored()).toHaveLength(1);
    await host.stop();
  }, 30_000);

  it('takes a queue moved along with another (a shared IOThread) as the host doing what it was asked: no false alarm', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 7, intervalMs: 100, observe: 'qemu' });
    expect(m.apply({ kind: 'setSideCores', cores: [4, 5] }).ok).toBe(true);
    const config = m.config();
    expect(config.queueOwner.length).toBeGreaterThanOrEqual(2);
    const url = await fakeAgent((ws) => {
      ws.send(JSON.stringify(hello({ info: m.info(), config, heartbeatMs: 60_000 })));
      // Queues 0 and 1 share an I/O thread: moving one moves both (qemu-source.ts pins the thread).
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString()) as { type: string; id?: number; action?: { kind: string; queue: number; core: number } };
        if (msg.type !== 'control') return;
        const a = msg.action!;
        if (a.kind === 'assignQueue') for (const q of a.queue <= 1 ? [0, 1] : [a.queue]) config.queueOwner[q] = a.core;
        ws.send(JSON.stringify({ type: 'ack', id: msg.id, result: { ok: true, costCycles: 0 } }));
      });
      const timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return clearInterval(timer);
        ws.send(JSON.stringify({ type: 'snapshot', snapshot: m.step(), config }));
      }, 10);
    });
    const src = await AgentHostSource.connect(opts(url));
    const errors: string[] = [];
    src.onError((e) => errors.push(e));
    // One epoch's placement: queue 0 to core 4, then queue 1 to core 5 (which takes queue 0 along).
    expect((await src.apply({ kind: 'assignQueue', queue: 0, core: 4 })).ok).toBe(true);
    expect((await src.apply({ kind: 'assignQueue', queue: 1, core: 5 })).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(src.config().queueOwner.slice(0, 2)).toEqual([5, 5]);
    expect(errors).toEqual([]);
    await src.close();
  });

  it('refuses an agent of another major version, or one that talks before its hello', async () => {
    let url = await fakeAgent((ws) => ws.send(JSON.stringify(hello({ protocol: { major: 2, minor: 0 } }))));
    await expect(AgentHostSource.connect(opts(url))).rejects.toThrow(/speaks protocol 2\.0; this console speaks 1\.0/);
    await new Promise((r) => wss!.close(() => r(null)));
    url = await fakeAgent((ws) => ws.send(JSON.stringify({ type: 'heartbeat', seq: 1 })));
    await expect(AgentHostSource.connect(opts(url))).rejects.toThrow(/'heartbeat' before its hello/);
  });

  it('resolves apply() with a refusal when no acknowledgement comes', async () => {
    const url = await fakeAgent((ws) => {
      ws.send(JSON.stringify(hello()));
      ws.on('message', () => {});
    });
    const src = await AgentHostSource.connect(opts(url));
    const r = await src.apply({ kind: 'setSideCores', cores: [1] });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/did not acknowledge setSideCores within 500 ms/) });
    await src.close();
  });

  it('takes a silent agent as gone and reconnects', async () => {
    let n = 0;
    const url = await fakeAgent((ws) => {
      n++;
      ws.send(JSON.stringify(hello()));
      // The first connection goes silent (no heartbeats); later ones answer heartbeats.
      if (n > 1) ws.on('message', () => ws.send(JSON.stringify({ type: 'heartbeat', seq: 0 })));
    });
    const src = await AgentHostSource.connect(opts(url));
    const states: string[] = [];
    src.onConnection((c) => states.push(`${c.state}${c.error ? `: ${c.error}` : ''}`));
    await expect.poll(() => states.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(states[0]).toMatch(/^reconnecting: the agent was silent/);
    expect(states[1]).toBe('connected');
    await src.close();
  });
});

describe('createAgentLiveHost when the host changes', () => {
  it('rebuilds the console loop with the same policy and overrides when VMs go away', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 2, intervalMs: 100, observe: 'qemu' });
    const full = m.info();
    const lastVm = full.vms[full.vms.length - 1].id;
    const keptQueues = full.queues.filter((q) => q.vm !== lastVm);
    expect(keptQueues.every((q, i) => q.id === i)).toBe(true);
    const smaller = { ...full, vms: full.vms.filter((v) => v.id !== lastVm), queues: keptQueues };
    const cut = <T extends unknown[]>(a: T): T => a.slice(0, keptQueues.length) as T;
    let shrunk = false;
    const send = (ws: WebSocket): void => {
      const s = m.step();
      const c = m.config();
      const snapshot = shrunk ? { ...s, vms: s.vms.filter((v) => v.id !== lastVm), queues: s.queues.filter((q) => q.vm !== lastVm), groups: s.groups } : s;
      const config = shrunk ? { ...c, queueOwner: cut(c.queueOwner), queuePolling: cut(c.queuePolling) } : c;
      ws.send(JSON.stringify({ type: 'snapshot', snapshot, config }));
    };
    const url = await fakeAgent((ws) => {
      ws.send(JSON.stringify(hello({ info: full, config: m.config(), heartbeatMs: 60_000 })));
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString()) as { type: string; id?: number };
        if (msg.type === 'control') ws.send(JSON.stringify({ type: 'ack', id: msg.id, result: { ok: true, costCycles: 0 } }));
      });
      let i = 0;
      const timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return clearInterval(timer);
        if (++i === 15) {
          shrunk = true;
          ws.send(JSON.stringify({ type: 'info', info: smaller, config: { ...m.config(), queueOwner: cut(m.config().queueOwner), queuePolling: cut(m.config().queuePolling) } }));
        }
        send(ws);
      }, 20);
    });
    const host = await createAgentLiveHost({ url, token: 't'.repeat(32), policy: 'static:1' }, { clock: realLinkClock, random: seededRandom(2), batchMs: 50 });
    const batches: { snapshots: HostSnapshot[]; events: { kind: string; message: string; t: number }[] }[] = [];
    host.onBatch((b) => batches.push(b));
    expect((await host.override({ kind: 'release', core: 0 })).ok).toBe(true);
    await expect.poll(() => batches.flatMap((b) => b.events).some((e) => e.kind === 'notice' && /changed/.test(e.message)), { timeout: 5000 }).toBe(true);
    const n = batches.flatMap((b) => b.snapshots).length;
    await expect.poll(() => batches.flatMap((b) => b.snapshots).length, { timeout: 5000 }).toBeGreaterThan(n + 5);
    expect(host.info.vms).toHaveLength(smaller.vms.length);
    const st = host.status();
    expect(st.policy).toBe('static:1');
    expect(st.overrides.released).toEqual([0]);
    const ts = batches.flatMap((b) => b.events).map((e) => e.t);
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]);
    await host.stop();
  });
});

describe('createAgentLiveHost with a policy the host cannot run', () => {
  it('refuses static:K with no VM core left, as simulate does, and closes the link it opened', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 2, intervalMs: 100, observe: 'qemu' });
    let closed = false;
    const url = await fakeAgent((ws) => {
      ws.send(JSON.stringify(hello({ info: m.info(), config: m.config(), heartbeatMs: 60_000 })));
      ws.on('close', () => (closed = true));
    });
    await expect(createAgentLiveHost({ url, token: 't'.repeat(32), policy: 'static:99' }, { clock: realLinkClock, random: seededRandom(4), batchMs: 50 })).rejects.toThrow(/K must be at most 5 on a 6-core host/);
    // Without the close the source kept its link (and its reconnect timers) after the refusal.
    await expect.poll(() => closed, { timeout: 5000 }).toBe(true);
  });
});

type Batch = { snapshots: HostSnapshot[]; events: { kind: string; message: string; t: number; data?: unknown }[] };

/**
 * A fake agent sending the model's snapshots every 10 ms with t replaced by `clock(t, i)` (i from 1),
 * a console host over it until more than `atLeast` snapshots arrived: its snapshots and events.
 */
async function clockRun(seed: number, clock: (t: number, i: number) => number, atLeast: number): Promise<{ snaps: HostSnapshot[]; events: Batch['events'] }> {
  const m = createHostModel(loadScenario('rr-few'), { seed, intervalMs: 100, observe: 'qemu' });
  const url = await fakeAgent((ws) => {
    ws.send(JSON.stringify(hello({ info: m.info(), config: m.config(), heartbeatMs: 60_000 })));
    let i = 0;
    const timer = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return clearInterval(timer);
      const s = m.step();
      ws.send(JSON.stringify({ type: 'snapshot', snapshot: { ...s, t: clock(s.t, ++i) }, config: m.config() }));
    }, 10);
  });
  // The fake agent sends a 100 ms interval every 10 ms: the console's clock runs 10× as fast, so
  // that its session time does not run ahead of it (which it refuses). Its timer runs late (a 10 ms
  // setInterval fires every 11–12 ms), so it falls behind that clock, which the console would make
  // up with steps in t: not what these tests are about (maxBehindMs Infinity).
  const start = Date.now();
  const fast = { ...realLinkClock, now: () => start + (Date.now() - start) * 10 };
  const host = await createAgentLiveHost({ url, token: 't'.repeat(32), policy: 'static:1' }, { clock: fast, random: seededRandom(seed), batchMs: 50, maxBehindMs: Infinity });
  const batches: Batch[] = [];
  host.onBatch((b) => batches.push(b));
  const snaps = (): HostSnapshot[] => batches.flatMap((b) => b.snapshots);
  await expect.poll(() => snaps().length, { timeout: 10_000 }).toBeGreaterThan(atLeast);
  await host.stop();
  return { snaps: snaps(), events: batches.flatMap((b) => b.events) };
}

describe('createAgentLiveHost against an agent whose clock jumps', () => {
  it('leaves out snapshots whose t jumps 1e12 ms or goes backwards, says so naming snapshot.t, and the session goes on', async () => {
    // From the 20th on the clock jumped by 1e12 ms (as through tshift_proxy); the 40th goes back 5 s.
    const { snaps, events } = await clockRun(3, (t, i) => t + (i >= 20 ? 1e12 : 0) - (i === 40 ? 5000 : 0), 60);
    const ts = snaps.map((s) => s.t);
    for (let i = 1; i < ts.length; i++) {
      expect(ts[i]).toBeGreaterThan(ts[i - 1]);
      expect(ts[i] - ts[i - 1]).toBeLessThanOrEqual(200);
    }
    const errors = events.filter((e) => e.kind === 'error');
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/left out snapshot seq 19 .*snapshot\.t = 1000000002000 ms jumps 1000000000100 ms past .*at most 60000 ms.*the session goes on/),
      expect.stringMatching(/left out snapshot seq 39 .*snapshot\.t = 999999999000 ms does not come after .*backwards/),
    ]);
    expect((errors[0].data as { field: string }).field).toBe('snapshot.t');
    // Everything but the two refused snapshots arrived, in order.
    const seqs = snaps.map((s) => s.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.at(-1)! + 1 }, (_, i) => i).filter((i) => i !== 19 && i !== 39));
  }, 20_000);

  it('leaves out snapshots dated before the session start (t < 0): nothing negative reaches the session', async () => {
    // The agent's clock starts 1 s before 0: t = -900, -800, …, 0, 100, …
    const { snaps, events } = await clockRun(4, (t) => t - 1000, 5);
    // The session's time starts with the first snapshot taken (the agent's seq 9, t = 0): seq 0, one interval.
    expect(snaps[0]).toMatchObject({ seq: 0, t: 100 });
    for (const s of snaps) expect(s.t).toBeGreaterThanOrEqual(0);
    const errors = events.filter((e) => e.kind === 'error');
    expect(errors[0].message).toMatch(/left out snapshot seq 0 .*snapshot\.t = -900 ms is before the session's start \(snapshot times are ms since it, ≥ 0\)/);
    expect((errors[0].data as { field: string }).field).toBe('snapshot.t');
    for (const e of events) expect(e.t).toBeGreaterThanOrEqual(0);
  }, 20_000);
});

describe('createAgentLiveHost against an agent whose snapshots or loop overflow what it describes (review 6)', () => {
  it('leaves out a snapshot bigger than the host it describes (cores, side cores, VMs, queues), naming snapshot.shape', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 5, intervalMs: 100, observe: 'qemu' });
    let i = 0;
    const url = await tickingAgent(m, 10, (ws) => {
      const s = m.step();
      i++;
      // seq 4: 4096 cores on a 6-core host; seq 8: a VM more than described; seq 12: a queue more;
      // seq 16: a queue owned by a VM core; seq 20: a core id listed twice.
      const vmCore = s.cores.find((c) => c.role === 'vm')!.id;
      const big =
        i === 5
          ? { ...s, cores: Array.from({ length: 4096 }, (_, c) => ({ ...s.cores[0], id: c })) }
          : i === 9
            ? { ...s, vms: [...s.vms, { ...s.vms[0], id: 99 }] }
            : i === 13
              ? { ...s, queues: [...s.queues, { ...s.queues[0], id: 99 }] }
              : i === 17
                ? { ...s, queues: s.queues.map((q, k) => (k === 0 ? { ...q, owner: vmCore } : q)) }
                : i === 21
                  ? { ...s, cores: s.cores.map((c, k) => (k === 1 ? { ...c, id: s.cores[0].id } : c)) }
                  : s;
      ws.send(JSON.stringify({ type: 'snapshot', snapshot: big, config: m.config() }));
    });
    const host = await createAgentLiveHost({ url, token: 't'.repeat(32), policy: 'static:1' }, { clock: realLinkClock, random: seededRandom(5), batchMs: 50 });
    const batches: Batch[] = [];
    host.onBatch((b) => batches.push(b));
    await expect.poll(() => batches.flatMap((b) => b.snapshots).length, { timeout: 10_000 }).toBeGreaterThan(25);
    await host.stop();
    const snaps = batches.flatMap((b) => b.snapshots);
    for (const s of snaps) {
      expect(s.cores).toHaveLength(6);
      expect(snapshotConsistencyProblem(s)).toBeNull();
      expect(s.vms.length).toBeLessThanOrEqual(m.info().vms.length);
      expect(s.queues.length).toBeLessThanOrEqual(m.info().queues.length);
    }
    const errors = batches.flatMap((b) => b.events).filter((e) => e.kind === 'error');
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/left out snapshot seq 4 .*it has 4096 cores, the host's description 6; the session goes on/),
      expect.stringMatching(/left out snapshot seq 8 .*it has 7 VMs, the host's description 6/),
      expect.stringMatching(/left out snapshot seq 12 .*it has \d+ queues, the host's description \d+/),
      expect.stringMatching(/left out snapshot seq 16 .*queues\[0\]\.owner = \d+ is not one of the snapshot's side cores/),
      expect.stringMatching(/left out snapshot seq 20 .*cores\[1\]\.id = \d+ is listed twice/),
    ]);
    for (const e of errors) expect((e.data as { field: string }).field).toBe('snapshot.shape');
  }, 20_000);

  it("keeps at most RELAY_EVENTS_MAX of a flooding loop's events per batch and says how many it left out", async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 6, intervalMs: 100, observe: 'qemu' });
    const status = { t: 0, policy: 'iocm', config: {}, epochMs: 100, overrides: { pinned: [], released: [], countLock: null, paused: false }, limits: { minVmCores: 1, maxSideCores: 5, minChangeIntervalMs: 0 }, sideCores: [], lastDecision: null, changes: 0, source: { kind: 'model', name: 'fake' } };
    const url = await tickingAgent(
      m,
      100,
      (ws) => {
        const s = m.step();
        ws.send(JSON.stringify({ type: 'snapshot', snapshot: s, config: m.config() }));
        const events = Array.from({ length: 3000 }, (_, k) => ({ t: s.t, source: 'policy', kind: 'decision', message: `flood ${k}` }));
        ws.send(JSON.stringify({ type: 'loop', status: { ...status, t: s.t }, events }));
      },
      { loop: { running: true, status } },
    );
    const host = await createAgentLiveHost({ url, token: 't'.repeat(32) }, { clock: realLinkClock, random: seededRandom(6), batchMs: 100 });
    expect(host.remoteLoop).toBe(true);
    const batches: Batch[] = [];
    host.onBatch((b) => batches.push(b));
    await expect.poll(() => batches.length, { timeout: 10_000 }).toBeGreaterThan(5);
    await host.stop();
    for (const b of batches) expect(b.events.filter((e) => e.kind === 'decision').length).toBeLessThanOrEqual(RELAY_EVENTS_MAX);
    const said = batches.flatMap((b) => b.events).filter((e) => e.kind === 'error' && (e.data as { field?: string } | undefined)?.field === 'loop.events');
    expect(said.length).toBeGreaterThan(0);
    expect(said[0].message).toMatch(new RegExp(`the agent's loop sent more than ${RELAY_EVENTS_MAX} events in one batch \\(100 ms\\): \\d+ left out`));
  }, 20_000);
});

describe('createAgentLiveHost against an agent whose time runs ahead of the console’s (review 6)', () => {
  it('leaves out what would put the session ahead of the wall clock: 50 snapshots of 100 ms every 100 ms record about real time', async () => {
    const m = createHostModel(loadScenario('rr-few'), { seed: 8, intervalMs: 100, observe: 'qemu' });
    const url = await tickingAgent(m, 100, (ws) => {
      for (let k = 0; k < 50; k++) ws.send(JSON.stringify({ type: 'snapshot', snapshot: m.step(), config: m.config() }));
    });
    const started = Date.now();
    const host = await createAgentLiveHost({ url, token: 't'.repeat(32), policy: 'static:1' }, { clock: realLinkClock, random: seededRandom(8), batchMs: 50 });
    const batches: Batch[] = [];
    host.onBatch((b) => batches.push(b));
    await new Promise((r) => setTimeout(r, 3000));
    await host.stop();
    const wall = Date.now() - started;
    const snaps = batches.flatMap((b) => b.snapshots);
    // Without the bound 3 s of this agent are ~150 s of session time; with it, at most wall + 5 s + 1 %.
    expect(snaps.at(-1)!.t).toBeLessThanOrEqual(wall + 5000 + 0.01 * wall + 100);
    expect(snaps.at(-1)!.t).toBeGreaterThan(4000);
    for (let i = 1; i < snaps.length; i++) expect(snaps[i].t).toBeGreaterThan(snaps[i - 1].t);
    const errors = batches.flatMap((b) => b.events).filter((e) => e.kind === 'error');
    expect(errors[0].message).toMatch(/left out snapshot seq \d+ .*snapshot\.t would put the session \d+ ms ahead of the console's clock \(at most \d+ ms: the agent's clock runs fast or it sends snapshots faster than its interval\); the session goes on/);
    expect((errors[0].data as { field: string }).field).toBe('snapshot.t');
  }, 20_000);
});
