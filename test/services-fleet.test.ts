/**
 * Services holding several hosts at once (issue 12, console): two real host models (LiveRunner
 * worker threads) recorded into one real SQLite file, driven through IocmApi only. Select, fleet
 * rows, record/stop, disconnect. The agent paths (connectAgent through the injected `openAgent`,
 * link changes → recorded gaps) run against the LiveHost interface with a real model behind a
 * test link (LinkedModel below): the link's state is the test's to set; everything else is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../src/main/services/index.ts';
import type { LiveHost, AgentHostOptions } from '../src/main/services/live.ts';
import { LiveRunner } from '../src/main/loop/live.ts';
import { loadScenario } from '../src/main/scenario/index.ts';
import type { FleetRow, IocmApi, Result, TelemetryMessage } from '../src/shared/api.ts';
import type { HostConnectionState } from '../src/shared/control.ts';
import type { TelemetryBatch } from '../src/shared/policy.ts';
import { HistoryDb } from '../src/main/history/store.ts';
import { toTrendPoint } from '../src/shared/snapshot.ts';

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function until<T>(what: string, f: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = f();
      if (v) return resolve(v);
      if (Date.now() > end) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/**
 * A LiveHost with a link: a real model (LiveRunner) whose batches pass only while the test says
 * the link is up, reporting HostConnectionState changes as an agent client does.
 */
class LinkedModel implements LiveHost {
  private subs = new Set<(b: TelemetryBatch) => void>();
  private linkSubs = new Set<(c: HostConnectionState) => void>();
  private link: HostConnectionState = { state: 'connected', since: Date.now(), attempts: 0, error: null };
  constructor(private runner: LiveRunner) {
    runner.onBatch((b) => {
      if (this.link.state === 'connected') for (const f of this.subs) f(b);
    });
  }
  get info() {
    return { ...this.runner.info, source: 'agent' as const };
  }
  get scenario() {
    return this.runner.scenario;
  }
  get seed() {
    return this.runner.seed;
  }
  get speed() {
    return this.runner.speed;
  }
  config = () => this.runner.config();
  status = () => this.runner.status();
  override: LiveHost['override'] = (c) => this.runner.override(c);
  setPolicy: LiveHost['setPolicy'] = (n, c) => this.runner.setPolicy(n, c);
  setSpeed = (s: number) => this.runner.setSpeed(s);
  onBatch(cb: (b: TelemetryBatch) => void) {
    this.subs.add(cb);
    return () => void this.subs.delete(cb);
  }
  connection = () => ({ ...this.link });
  onConnection(cb: (c: HostConnectionState) => void) {
    this.linkSubs.add(cb);
    return () => void this.linkSubs.delete(cb);
  }
  setLink(c: Partial<HostConnectionState>): void {
    const was = this.link.state;
    this.link = { ...this.link, ...c, since: Date.now() };
    for (const f of this.linkSubs) f({ ...this.link });
    // like the agent host, it reports the link change in its own batch too (without data.gap)
    if ((was === 'connected') !== (this.link.state === 'connected')) {
      const kind = this.link.state === 'connected' ? ('connect' as const) : ('disconnect' as const);
      for (const f of this.subs) f({ snapshots: [], events: [{ t: 0, source: 'system', kind, message: `host's own ${kind} event`, data: { gapMs: 0 } }] });
    }
  }
  stop = () => this.runner.stop();
}

describe('services with several hosts at once (real models, real SQLite)', () => {
  let dir: string;
  let dbPath: string;
  let services: Services;
  let api: IocmApi;
  const fleet: FleetRow[][] = [];
  const telemetry: TelemetryMessage[] = [];
  const opened: AgentHostOptions[] = [];
  let linked: LinkedModel | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iocm-fleet-'));
    dbPath = join(dir, 'history.db');
    services = createServices({
      dbPath,
      scenario: 'mixed',
      seed: 7,
      speed: 4,
      fleetMs: 200,
      openAgent: async (o) => {
        opened.push(o);
        if (o.url.includes('refuse')) throw new Error(`401 from ${o.url} with token ${o.token}`);
        linked = new LinkedModel(await LiveRunner.start({ scenario: loadScenario('rr-few'), seed: 3, speed: 4, policy: o.policy ?? 'iocm', batchMs: 100 }));
        return linked;
      },
    });
    api = services.api;
    api.on('fleet', (rows) => fleet.push(rows));
    api.onTelemetry((m) => telemetry.push(m));
    await services.boot();
  }, 60_000);

  afterAll(async () => {
    await services?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a second model beside the first, selects it, and pushes one fleet row per host', async () => {
    const first = value(await api.getState());
    expect(first.hostId).toBe('h1');
    const s = value(await api.connectModel({ scenario: 'stream-many', seed: 2, speed: 4, add: true, name: 'second model' }));
    expect(s.hostId).toBe('h2');
    expect(s.host?.name).toBe('second model');
    expect(s.connection).toMatchObject({ kind: 'model', scenario: 'stream-many' });
    const rows = value(await api.listHosts());
    expect(rows.map((r) => [r.hostId, r.kind, r.selected])).toEqual([
      ['h1', 'model', false],
      ['h2', 'model', true],
    ]);
    expect(rows[0].address).toBe('model: mixed');
    expect(rows[1].name).toBe('second model');
    expect(rows[0].recording.sessionId).not.toBe(rows[1].recording.sessionId);
    expect(rows.every((r) => r.link === null)).toBe(true);
    // the pushed rows fill in as snapshots arrive: cores, side cores, the observed objective
    const full = await until('fleet rows with objectives', () => fleet.at(-1)?.length === 2 && fleet.at(-1)!.every((r) => r.objective !== null && r.lastSnapshotAt !== null) && fleet.at(-1));
    const scenarios = { h1: loadScenario('mixed'), h2: loadScenario('stream-many') };
    for (const r of full) {
      expect(r.cores).toBe(scenarios[r.hostId as 'h1' | 'h2'].host.cores);
      expect(r.sideCores).toBeGreaterThanOrEqual(0);
      expect(r.objective!).toBeGreaterThan(0);
      expect(r.policy).toBe('iocm');
      expect(r.alerts).toMatchObject({ refusals: 0, errors: 0 });
    }
  });

  it('sends only the selected host to the views, and switches with selectHost', async () => {
    telemetry.length = 0;
    await until('telemetry from h2', () => telemetry.some((m) => m.hostId === 'h2' && m.batch.snapshots.length));
    expect(telemetry.every((m) => m.hostId === 'h2')).toBe(true);
    const s = value(await api.selectHost({ hostId: 'h1' }));
    expect(s.hostId).toBe('h1');
    expect(s.connection).toMatchObject({ kind: 'model', scenario: 'mixed' });
    telemetry.length = 0;
    await until('telemetry from h1', () => telemetry.filter((m) => m.batch.snapshots.length).length >= 3);
    expect(telemetry.every((m) => m.hostId === 'h1')).toBe(true);
    const back = value(await api.getRecentTelemetry({ snapshots: 50 }));
    expect(back.hostId).toBe('h1');
    expect(back.batch.snapshots.at(-1)!.cores.length).toBe(loadScenario('mixed').host.cores);
    // the backfill is thinned like the live stream: the newest in full, the rest as trend points
    expect(back.batch.snapshots).toHaveLength(1);
    expect(back.trend!.length).toBeGreaterThan(1);
    expect(back.trend!.at(-1)!.t).toBeLessThan(back.batch.snapshots[0].t);
    const full = value(await api.getRecentTelemetry({ snapshots: 50, detail: 'full' }));
    expect(full.trend).toBeUndefined();
    expect(full.batch.snapshots.length).toBeGreaterThanOrEqual(back.trend!.length + 1);
    const trendTimes = new Set(back.trend!.map((p) => p.t));
    expect(full.batch.snapshots.filter((s) => trendTimes.has(s.t)).map(toTrendPoint)).toEqual(back.trend);
    const missing = await api.selectHost({ hostId: 'h99' });
    expect(!missing.ok && missing.error.code).toBe('not-found');
  });

  it('overrides act on the selected host only', async () => {
    value(await api.pauseLoop());
    expect(value(await api.getState()).overrides.paused).toBe(true);
    value(await api.selectHost({ hostId: 'h2' }));
    expect(value(await api.getState()).overrides.paused).toBe(false);
    const rows = value(await api.listHosts());
    expect(rows.find((r) => r.hostId === 'h1')!.paused).toBe(true);
    expect(rows.find((r) => r.hostId === 'h2')!.paused).toBe(false);
    value(await api.selectHost({ hostId: 'h1' }));
    value(await api.resumeLoop());
    // a refusal counts as an alert of that host
    const cores = value(await api.getState()).host!.cores;
    for (let c = 0; c < cores - 1; c++) await api.pinCore({ core: c });
    expect((await api.pinCore({ core: cores - 1 })).ok).toBe(false);
    for (let c = 0; c < cores; c++) await api.clearCoreOverride({ core: c });
    await until('a refusal on h1', () => lastRows()?.find((r) => r.hostId === 'h1' && r.alerts.refusals > 0));
    expect(lastRows()!.find((r) => r.hostId === 'h2')!.alerts.refusals).toBe(0);
  });

  it('stops and starts the recording of a host; the other host records on', async () => {
    value(await api.selectHost({ hostId: 'h2' }));
    const before = value(await api.getState()).recording.sessionId!;
    const h1Session = value(await api.listHosts()).find((r) => r.hostId === 'h1')!.recording.sessionId!;
    const stopped = value(await api.recordStop({}));
    expect(stopped.recording.sessionId).toBeNull();
    expect(value(await api.listHosts()).find((r) => r.hostId === 'h2')!.recording.sessionId).toBeNull();
    const again = await api.recordStop({});
    expect(!again.ok && again.error.code).toBe('refused');
    const ended = value(await api.getSession({ sessionId: before }));
    expect(ended.endedAt).not.toBeNull();
    const endedSnaps = ended.snapshots;
    expect(endedSnaps).toBeGreaterThan(0);
    const started = value(await api.recordStart({}));
    const after = started.recording.sessionId!;
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    expect((await api.recordStart({ hostId: 'h2' })).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 1500));
    const sessions = value(await api.listSessions({}));
    const byId = new Map(sessions.map((s) => [s.id, s]));
    expect(byId.get(before)!.snapshots).toBe(endedSnaps);
    expect(byId.get(after)!.host).toBe('second model');
    expect(byId.get(after)!.endedAt).toBeNull();
    // the new session continues the host's session time (no reset), and h1 kept recording
    const afterDetail = value(await api.getSession({ sessionId: after }));
    expect(afterDetail.t0).toBeGreaterThan(ended.t1 - 1);
    // ...but it says when its recording began and how long it is, not the host's start and age.
    // The hosts run the model at its default 100-ms interval.
    const interval = 100;
    expect(afterDetail.recordedFrom).toBe(afterDetail.startedAt + afterDetail.t0 - interval);
    expect(afterDetail.recordedFrom).toBeGreaterThan(afterDetail.startedAt);
    expect(afterDetail.durationMs).toBe(afterDetail.t1 - afterDetail.t0 + interval);
    expect(ended.durationMs).toBe(ended.t1 - ended.t0 + interval);
    expect(byId.get(after)!.recordedFrom).toBe(afterDetail.recordedFrom);
    // Listed newest recording first: the new one before the one it follows (both start at the host's t = 0).
    const order = sessions.map((x) => x.id);
    expect(order.indexOf(after)).toBeLessThan(order.indexOf(before));
    expect(byId.get(h1Session)!.endedAt).toBeNull();
    expect(byId.get(h1Session)!.snapshots).toBeGreaterThan(0);
  });

  it('connects an agent through openAgent (token never echoed), and records link gaps', async () => {
    const refused = await api.connectAgent({ url: 'wss://refuse.example:7878', token: 'tok-ABCDEFGH-1234' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.message).toMatch(/Could not connect to the agent at wss:\/\/refuse\.example:7878/);
      expect(refused.error.message).not.toContain('tok-ABCDEFGH-1234');
    }
    const s = value(await api.connectAgent({ url: 'ws://127.0.0.1:7878', token: 'tok-ABCDEFGH-1234', name: 'kvm-a' }));
    expect(opened.at(-1)).toMatchObject({ url: 'ws://127.0.0.1:7878', token: 'tok-ABCDEFGH-1234', name: 'kvm-a' });
    expect(s.connection).toEqual({ kind: 'agent', url: 'ws://127.0.0.1:7878', name: 'kvm-a' });
    expect(s.link?.state).toBe('connected');
    expect(JSON.stringify(s)).not.toContain('tok-ABCDEFGH');
    const id = s.hostId!;
    const sid = s.recording.sessionId!;
    await until('agent snapshots', () => lastRows()?.find((r) => r.hostId === id && r.objective !== null));
    expect(JSON.stringify(lastRows())).not.toContain('tok-ABCDEFGH');
    // the same agent again (its path written out, the scheme in capitals): refused, the first keeps control
    const opens = opened.length;
    for (const again of ['ws://127.0.0.1:7878/agent', 'WS://127.0.0.1:7878/']) {
      const dup = await api.connectAgent({ url: again, token: 'tok-ABCDEFGH-1234' });
      expect(dup.ok).toBe(false);
      if (!dup.ok) expect(dup.error.message).toMatch(/^The agent at ws:\/\/127\.0\.0\.1:7878(\/agent)? is connected already, as 'kvm-a': select it, or disconnect it first\.$/);
    }
    expect(opened.length).toBe(opens);
    // a real host runs in real time: a speed change is refused in words, not ignored
    const fast = await api.setLiveSpeed({ speed: 4 });
    expect(fast.ok).toBe(false);
    if (!fast.ok) {
      expect(fast.error.code).toBe('refused');
      expect(fast.error.message).toBe('kvm-a is a real host and runs in real time; speed applies to the host model only.');
    }
    // the link drops: a gap opens, the row says reconnecting with its attempts
    telemetry.length = 0;
    linked!.setLink({ state: 'reconnecting', attempts: 1, error: 'connection refused' });
    linked!.setLink({ state: 'reconnecting', attempts: 2, error: 'connection refused' });
    const row = await until('reconnecting row', () => lastRows()?.find((r) => r.hostId === id && r.link?.state === 'reconnecting' && r.link.attempts === 2));
    expect(row.link!.error).toBe('connection refused');
    expect(value(await api.getState()).link).toMatchObject({ state: 'reconnecting', attempts: 2 });
    const gapStart = telemetry.flatMap((m) => m.batch.events).find((e) => e.kind === 'disconnect');
    expect(gapStart?.data).toMatchObject({ gap: 'start' });
    await new Promise((r) => setTimeout(r, 600));
    linked!.setLink({ state: 'connected', attempts: 0, error: null });
    await until('connected row', () => lastRows()?.find((r) => r.hostId === id && r.link?.state === 'connected'));
    await until('snapshots after the gap', () => telemetry.some((m) => m.hostId === id && m.batch.snapshots.length));
    // gaps are recorded in the session (read from the SQLite file)
    value(await api.disconnectHost({ hostId: id }));
    const db = new HistoryDb(dbPath, { readonly: true });
    try {
      const recorded = db.eventsBetween(sid, -Infinity, Infinity).filter((e) => e.kind === 'disconnect' || e.kind === 'connect');
      // once each: the host's own link events are not recorded a second time
      expect(recorded.map((e) => (e.data as { gap: string }).gap)).toEqual(['start', 'end']);
      expect((recorded[1].data as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(500);
      // The end says how many reconnect attempts it took: the 2 that failed and the one that
      // succeeded (review 8: 0, read after the link's counter was reset).
      expect((recorded[1].data as { attempts: number }).attempts).toBe(3);
      expect(recorded[1].message).toMatch(/is back after \d+\.\d s \(reconnect attempt 3\)$/);
      expect(recorded[1].t).toBeGreaterThan(recorded[0].t);
      const sess = db.getSession(sid);
      expect(sess).toMatchObject({ source: 'agent', host: 'kvm-a' });
    } finally {
      db.close();
    }
  });

  it('disconnects a host: the other stays and is selected; the session ends', async () => {
    const rowsBefore = value(await api.listHosts());
    expect(rowsBefore.map((r) => r.hostId)).toEqual(['h1', 'h2']);
    value(await api.selectHost({ hostId: 'h1' }));
    const h1Session = rowsBefore[0].recording.sessionId!;
    const s = value(await api.disconnectHost({ hostId: 'h1' }));
    expect(s.hostId).toBe('h2');
    expect(value(await api.listHosts()).map((r) => r.hostId)).toEqual(['h2']);
    await until('fleet with one row', () => lastRows()?.length === 1);
    expect(value(await api.getSession({ sessionId: h1Session })).endedAt).not.toBeNull();
    const again = await api.disconnectHost({ hostId: 'h1' });
    expect(!again.ok && again.error.code).toBe('not-found');
    // connectModel without add replaces the selected model host
    const r = value(await api.connectModel({ scenario: 'mixed', seed: 1, speed: 4 }));
    expect(value(await api.listHosts()).map((x) => x.hostId)).toEqual([r.hostId]);
  });

  function lastRows(): FleetRow[] | undefined {
    return fleet.at(-1);
  }
});

describe('connectAgent without an agent client', () => {
  it('answers not-available in words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iocm-fleet-na-'));
    const services = createServices({ dbPath: join(dir, 'h.db'), scenario: null, seed: 1 });
    await services.boot();
    try {
      const r = await services.api.connectAgent({ url: 'ws://127.0.0.1:7878', token: 'abcdefgh' });
      expect(!r.ok && r.error.code).toBe('not-available');
      expect(!r.ok && r.error.message).toMatch(/remote agent is not available/);
      expect(value(await services.api.listHosts())).toEqual([]);
      expect(value(await services.api.getState())).toMatchObject({ hostId: null, connection: { kind: 'none' } });
      expect((await services.api.recordStart({})).ok).toBe(false);
    } finally {
      await services.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('connectAgent against a slow agent', () => {
  it('answers within agentTimeoutMs, keeps no query string in its words, and stops a host that opens too late', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iocm-fleet-slow-'));
    let late: LinkedModel | null = null;
    let stopped = false;
    const services = createServices({
      dbPath: join(dir, 'h.db'),
      scenario: null,
      seed: 1,
      agentTimeoutMs: 300,
      openAgent: async () => {
        const runner = await LiveRunner.start({ scenario: loadScenario('rr-few'), seed: 1, speed: 1, policy: 'iocm', batchMs: 100 });
        await new Promise((r) => setTimeout(r, 500));
        late = new LinkedModel(runner);
        const stop = late.stop;
        late.stop = async () => {
          stopped = true;
          await stop();
        };
        return late;
      },
    });
    await services.boot();
    try {
      const r = await services.api.connectAgent({ url: 'wss://slow.example:7878/agent?secret=abc', token: 'abcdefgh' });
      expect(!r.ok && r.error.code).toBe('not-ready');
      expect(!r.ok && r.error.message).toBe('Could not connect to the agent at wss://slow.example:7878/agent: no answer within 0.3 s.');
      await until('the late host stopped', () => stopped, 15_000);
      expect(value(await services.api.listHosts())).toEqual([]);
    } finally {
      await services.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
