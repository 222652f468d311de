/**
 * Headless server: the IocmApi over WebSocket with the real services. The renderer's own
 * client (src/renderer/transport/ws-client.ts, given the `ws` package's WebSocket) does a
 * query and commands; raw sockets send bad messages and get error replies naming the
 * problem; telemetry arrives in batches; the client reconnects and detects a bad token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWsClient, type ConnectionState, type WebSocketLike, type WsApi } from '../src/renderer/transport/ws-client.ts';
import type { TelemetryMessage } from '../src/shared/api.ts';
import { collect, httpGet, openWs, startFixture, until, type Fixture } from './server-helpers.ts';
import { startConsoleServer } from '../src/main/server/http-server.ts';
import { backendFromApi } from '../src/main/server/backend.ts';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Cores of the scenario the fixture runs (read from the shipped file, not assumed). */
const CORES = (JSON.parse(readFileSync(fileURLToPath(new URL('../resources/scenarios/rr-few.json', import.meta.url)), 'utf8')) as { host: { cores: number } }).host.cores;

const Impl = WebSocket as unknown as new (url: string, protocols?: string[]) => WebSocketLike;

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture('rr-few', { speed: 8 });
});
afterAll(async () => {
  await fx?.cleanup();
});

function client(token = fx.token, extra: Partial<Parameters<typeof createWsClient>[0]> = {}): WsApi {
  return createWsClient({
    url: `ws://127.0.0.1:${fx.port}/ws`,
    token,
    WebSocketImpl: Impl,
    probeUrl: `http://127.0.0.1:${fx.port}/healthz`,
    initialBackoffMs: 50,
    maxBackoffMs: 200,
    requestTimeoutMs: 20_000,
    ...extra,
  });
}

describe('IocmApi over WebSocket', () => {
  it('round-trips a query and commands through the real services', async () => {
    const api = client();
    try {
      const state = await api.getState();
      expect(state.ok).toBe(true);
      if (!state.ok) return;
      expect(state.value.connection.kind).toBe('model');
      expect(state.value.host?.cores).toBe(CORES);
      const last = CORES - 1;
      expect(api.connectionState()).toBe('open');

      const pinned = await api.pinCore({ core: last });
      expect(pinned).toMatchObject({ ok: true });
      if (pinned.ok) expect(pinned.value.pinned).toContain(last);
      const after = await api.getState();
      expect(after.ok && after.value.overrides.pinned).toContain(last);

      const released = await api.clearCoreOverride({ core: last });
      expect(released.ok && released.value.pinned).not.toContain(last);

      // Validation happens in the transport with the shared schemas: the field is named.
      const bad = await api.pinCore({ core: -1 });
      expect(bad.ok).toBe(false);
      if (!bad.ok) {
        expect(bad.error.code).toBe('invalid-argument');
        expect(bad.error.field).toBe('core');
      }
    } finally {
      api.close();
    }
  });

  it('refuses a side-core count the host cannot take, as simulate does, and changes nothing', async () => {
    const api = client();
    try {
      const before = await api.getState();
      expect(before.ok).toBe(true);
      if (!before.ok) return;
      const policy = before.value.loop!.policy;
      const sessions = await api.listSessions({});
      const r = await api.setPolicy({ name: `static:${CORES + 3}`, config: {} });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('invalid-argument');
        expect(r.error.field).toBe('name');
        expect(r.error.message).toBe(`Policy static:${CORES + 3}: K must be at most ${CORES - 1} on a ${CORES}-core host (at least one VM core), got ${CORES + 3}.`);
      }
      // The K given in the config is named as the config's field.
      const cfg = await api.setPolicy({ name: 'static:2', config: { k: CORES } });
      expect(!cfg.ok && cfg.error.field).toBe('config.k');
      const after = await api.getState();
      expect(after.ok && after.value.loop!.policy).toBe(policy);
      expect(after.ok && after.value.recording.sessionId).toBe(before.value.recording.sessionId);
      const again = await api.listSessions({});
      expect(again.ok && sessions.ok && again.value.map((x) => x.policy)).toEqual(sessions.ok && sessions.value.map((x) => x.policy));
      // The largest count the host takes is accepted.
      const max = await api.setPolicy({ name: `static:${CORES - 1}`, config: {} });
      expect(max.ok && max.value.policy).toBe(`static:${CORES - 1}`);
      // The Controls form sends the bare name and its fields: config.k is the count.
      const form = await api.setPolicy({ name: 'static', config: { k: 2 } });
      expect(form.ok && form.value.policy).toBe('static:2');
      const tooMany = await api.setPolicy({ name: 'static', config: { k: CORES } });
      expect(!tooMany.ok && tooMany.error.field).toBe('config.k');
      expect(!tooMany.ok && tooMany.error.message).toContain(`must be at most ${CORES - 1}`);
      expect((await api.setPolicy({ name: policy, config: {} })).ok).toBe(true);
    } finally {
      api.close();
    }
  });

  it('delivers telemetry in batches, a few messages per second', async () => {
    const api = client();
    const msgs: TelemetryMessage[] = [];
    const off = api.onTelemetry((m) => msgs.push(m));
    try {
      // Wait for the first live batch (a loaded machine can be slow to start), then measure 2 s.
      await until(() => msgs.some((m) => m.stream === 'live'), 30_000, 'first live telemetry');
      const skip = msgs.length;
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      const seconds = (Date.now() - t0) / 1000;
      const live = msgs.slice(skip).filter((m) => m.stream === 'live');
      expect(live.length).toBeGreaterThan(0);
      // The services produce ~10 batches/s; the server coalesces them (flush every 250 ms).
      expect(live.length / seconds).toBeLessThanOrEqual(6);
      // Every interval arrives: the older ones of a message as trend points, the newest whole.
      const snaps = live.reduce((n, m) => n + (m.trend?.length ?? 0) + m.batch.snapshots.length, 0);
      expect(snaps / live.length).toBeGreaterThan(1.5);
      for (const m of live) expect(m.batch.snapshots.length).toBeLessThanOrEqual(1);
      const ts = live.flatMap((m) => [...(m.trend ?? []), ...m.batch.snapshots].map((s) => s.t));
      expect([...ts].sort((a, b) => a - b)).toEqual(ts);
      expect(new Set(ts).size).toBe(ts.length);
    } finally {
      off();
      api.close();
    }
  });

  it('answers bad messages with an error naming the problem and keeps the connection', async () => {
    const ws = await openWs(`ws://127.0.0.1:${fx.port}/ws`, fx.token);
    const got = collect(ws);
    const replies = (): { id: unknown; result: { ok: boolean; error?: { code: string; message: string; field?: string } } }[] =>
      got.filter((m): m is never => typeof m === 'object' && m !== null && 'result' in m);
    try {
      ws.send('{this is not json');
      ws.send(JSON.stringify([1, 2, 3]));
      ws.send(JSON.stringify({ method: 'getState' }));
      ws.send(JSON.stringify({ id: 1, method: 'formatDisk' }));
      ws.send(JSON.stringify({ id: 2, method: 'pinCore', args: { core: 'three' } }));
      ws.send(JSON.stringify({ id: 3, method: 'pinCore', args: { core: 1, extra: true } }));
      ws.send(JSON.stringify({ id: 4, method: 'getState', args: {}, sneaky: 1 }));
      ws.send(JSON.stringify({ id: 5, method: 'getState' }));
      await until(() => replies().length >= 8, 10_000, '8 replies');
      const r = replies();
      expect(r[0]).toMatchObject({ id: null, result: { ok: false, error: { code: 'invalid-argument' } } });
      expect(r[0].result.error?.message).toMatch(/not valid JSON/);
      expect(r[1].result.error?.message).toMatch(/JSON object/);
      expect(r[2].result.error?.field).toBe('id');
      const byId = new Map(r.filter((x) => x.id !== null).map((x) => [x.id, x.result]));
      expect(byId.get(1)).toMatchObject({ ok: false, error: { code: 'not-found' } });
      expect(byId.get(1)?.error?.message).toContain('formatDisk');
      expect(byId.get(2)).toMatchObject({ ok: false, error: { code: 'invalid-argument', field: 'core' } });
      expect(byId.get(3)?.error?.message).toMatch(/extra/);
      expect(byId.get(4)?.error?.message).toMatch(/sneaky/);
      expect(byId.get(5)).toMatchObject({ ok: true });
      expect(ws.readyState).toBe(WebSocket.OPEN);
      // Binary frames are refused too, without closing.
      ws.send(Buffer.from([1, 2, 3]));
      await until(() => replies().length >= 9, 5000, 'binary reply');
      expect(replies()[8].result.error?.message).toMatch(/Binary/);
    } finally {
      ws.close();
    }
  });

  it('hands an export over as a single-use download streamed over HTTP, not over the socket', async () => {
    const api = client();
    try {
      const st = await api.getState();
      const sessionId = st.ok ? st.value.recording.sessionId : null;
      expect(sessionId).not.toBeNull();
      const res = await api.exportSession({ sessionId: sessionId!, format: 'csv' });
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      expect(res.value).not.toHaveProperty('bytes');
      expect(res.value.exportId).toMatch(/^[0-9a-f]{32}$/);
      const got = await httpGet(`http://127.0.0.1:${fx.port}/download/${res.value.exportId}`);
      expect(got.status).toBe(200);
      expect(String(got.headers['content-disposition'])).toBe(`attachment; filename="${res.value.fileName}"`);
      expect(Number(got.headers['content-length'])).toBe(res.value.size);
      expect(got.body.split('\n').length).toBeGreaterThan(1);
      // Single use: a second fetch (or anyone else's) gets nothing.
      expect((await httpGet(`http://127.0.0.1:${fx.port}/download/${res.value.exportId}`)).status).toBe(404);
      expect((await httpGet(`http://127.0.0.1:${fx.port}/download/${'0'.repeat(32)}`)).status).toBe(404);
      // The headless transport has no save dialog: the browser downloads instead.
      expect(await api.saveFile({ exportId: res.value.exportId })).toMatchObject({ ok: false, error: { code: 'not-available' } });
    } finally {
      api.close();
    }
  });

  it('reports a refused token as unauthorized instead of retrying forever', async () => {
    const api = client('f'.repeat(64));
    const states: ConnectionState[] = [];
    api.onConnectionState((s) => states.push(s));
    try {
      await until(() => api.connectionState() === 'unauthorized', 10_000, 'unauthorized');
      const r = await api.getState();
      expect(r).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    } finally {
      api.close();
    }
  });

  it('says the token is missing, not wrong, when the page has none, and does not knock on the server', async () => {
    let sockets = 0;
    const Counting = class extends (WebSocket as unknown as new (url: string, protocols?: string[]) => WebSocketLike) {
      constructor(url: string, protocols?: string[]) {
        super(url, protocols);
        sockets++;
      }
    } as unknown as new (url: string, protocols?: string[]) => WebSocketLike;
    const api = client('', { WebSocketImpl: Counting });
    try {
      expect(api.connectionState()).toBe('no-token');
      const r = await api.getState();
      expect(r).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect(r.ok ? '' : r.error.message).toMatch(/^This page's link carries no token: open the URL .*npm run serve.*#token=/);
      // Long enough for the probe and a reconnect (50 ms backoff) had it tried: it never connects.
      await new Promise((res) => setTimeout(res, 300));
      expect(api.connectionState()).toBe('no-token');
      expect(sockets).toBe(0);
    } finally {
      api.close();
    }
  });

  it('decodes what the server sends with the shared wire format', async () => {
    const ws = await openWs(`ws://127.0.0.1:${fx.port}/ws`, fx.token);
    const got = collect(ws);
    await until(() => got.length > 0, 5000, 'first message');
    expect(got[0]).toMatchObject({ hello: { protocol: 1 } });
    expect((got[0] as { hello: { methods: string[] } }).hello.methods).toContain('pinCore');
    ws.close();
  });

  it('reconnects with backoff after the server restarts, and reports the states', async () => {
    const api = client();
    const states: ConnectionState[] = [];
    api.onConnectionState((s) => states.push(s));
    let second: Awaited<ReturnType<typeof startConsoleServer>> | null = null;
    try {
      expect((await api.getState()).ok).toBe(true);
      await fx.run.server.close();
      await until(() => api.connectionState() === 'reconnecting', 5000, 'reconnecting');
      // A request made while disconnected waits for the connection.
      const pending = api.getState();
      second = await startConsoleServer({
        backend: backendFromApi(fx.run.services.api, fx.run.services.exports),
        rendererDir: join(fx.dir, 'renderer'),
        port: fx.port,
        token: fx.token,
      });
      await until(() => api.connectionState() === 'open', 10_000, 'open again');
      expect((await pending).ok).toBe(true);
      expect(states).toEqual(expect.arrayContaining(['reconnecting', 'open']));
    } finally {
      api.close();
      await second?.close();
    }
  });
});
