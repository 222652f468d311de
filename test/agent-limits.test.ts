/**
 * The agent under hostile clients (in process, real model driver, real sockets): malformed
 * messages get errors naming what was wrong and the connection stays up; commands before hello,
 * from a watcher, or meant for a loop the agent does not run are refused in words; a flood gets
 * one `rate-limited` error and one log line, and that client only is closed; an oversize frame closes that client
 * only (1009); clients beyond the cap get 503; a client without hello is closed; a client that
 * stops reading is dropped without holding unbounded memory. Meanwhile another client keeps
 * receiving every snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createModelDriver } from '../src/agent/model-driver.ts';
import { startAgentServer, type AgentServer } from '../src/agent/server.ts';
import type { HostSource } from '../src/main/host/source.ts';
import { HELLO, rawClient, realAgentClock, tokenDir, type RawClient } from './agent-helpers.ts';

const t = tokenDir();
let source: HostSource;
let server: AgentServer;
let observer: RawClient;
const logs: string[] = [];

const seqs = (c: RawClient): number[] => c.messages.filter((m) => m.type === 'snapshot').map((m) => (m.snapshot as { seq: number }).seq);

beforeAll(async () => {
  source = await createModelDriver({ clock: realAgentClock, dryRun: false, scenario: 'rr-few', seed: 2, flags: {}, log: () => {} });
  server = await startAgentServer({ source, driver: 'model', version: 'test', token: t.token, port: 0, clock: realAgentClock, log: (m) => logs.push(m), limits: { maxClients: 6, ratePerSec: 20, rateBurst: 40, maxPayloadBytes: 16 * 1024, helloTimeoutMs: 1500, heartbeatMs: 500 } });
  observer = await rawClient(server.url, t.token);
  observer.send({ ...HELLO, role: 'watch' });
  await observer.waitFor((m) => m.type === 'hello');
});
afterAll(async () => {
  observer?.ws.close();
  await server?.close();
  await source?.close();
  rmSync(t.dir, { recursive: true, force: true });
});

describe('agent limits', () => {
  it('answers malformed and misplaced messages with errors and stays up', async () => {
    const c = await rawClient(server.url, t.token);
    c.send({ type: 'control', id: 1, action: { kind: 'setSideCores', cores: [1] } });
    expect((await c.waitFor((m) => m.type === 'error' && m.id === 1)).code).toBe('hello-first');
    c.send(HELLO);
    const hello = await c.waitFor((m) => m.type === 'hello');
    expect(hello.role).toBe('control');
    c.send('{not json');
    expect((await c.waitFor((m) => m.code === 'bad-json')).message).toMatch(/not valid JSON/);
    c.send({ type: 'control', id: 2, action: { kind: 'setSideCores', cores: 'all' } });
    expect((await c.waitFor((m) => m.type === 'error' && m.id === 2)).message).toMatch(/'action\.cores' must be a array/);
    c.send({ type: 'override', id: 3, cmd: { kind: 'pause' } });
    expect((await c.waitFor((m) => m.type === 'error' && m.id === 3)).code).toBe('no-loop');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.waitFor((m) => m.code === 'binary')).message).toMatch(/Binary/);
    c.send({ type: 'control', id: 4, action: { kind: 'setPolling', queue: 0, on: true } });
    expect((await c.waitFor((m) => m.type === 'ack' && m.id === 4)).result).toEqual({ ok: true, costCycles: expect.any(Number) });
    // A second console taking control demotes the first; the first is told and refused after.
    const d = await rawClient(server.url, t.token);
    d.send(HELLO);
    expect((await d.waitFor((m) => m.type === 'hello')).role).toBe('control');
    expect((await c.waitFor((m) => m.code === 'not-controller')).message).toMatch(/taken by another console/);
    c.send({ type: 'control', id: 5, action: { kind: 'setPolling', queue: 0, on: false } });
    expect((await c.waitFor((m) => m.type === 'error' && m.id === 5)).code).toBe('not-controller');
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.ws.close();
    d.ws.close();
  });

  it('closes a flooding client only, with one rate-limited error', async () => {
    const c = await rawClient(server.url, t.token);
    c.send(HELLO);
    await c.waitFor((m) => m.type === 'hello');
    const before = seqs(observer).length;
    for (let i = 0; i < 500; i++) c.send({ type: 'heartbeat', seq: i });
    const closed = await c.closed;
    expect(closed.code).toBe(4001);
    expect(c.messages.filter((m) => m.code === 'rate-limited')).toHaveLength(1);
    await expect.poll(() => seqs(observer).length, { timeout: 5000 }).toBeGreaterThan(before + 3);
    // The frames queued behind the one that closed it are dropped silently: one log line.
    expect(logs.filter((l) => /flooding/.test(l))).toHaveLength(1);
  });

  it('closes a client that sends an oversize frame (1009), others unaffected', async () => {
    const c = await rawClient(server.url, t.token);
    c.send(HELLO);
    await c.waitFor((m) => m.type === 'hello');
    const before = seqs(observer).length;
    c.send(JSON.stringify({ type: 'heartbeat', seq: 1, pad: 'x'.repeat(20 * 1024) }));
    expect((await c.closed).code).toBe(1009);
    await expect.poll(() => seqs(observer).length, { timeout: 5000 }).toBeGreaterThan(before + 3);
  });

  it('closes a client that never says hello, and refuses clients beyond the cap with 503', async () => {
    const c = await rawClient(server.url, t.token);
    const closed = await c.closed;
    expect(closed.code).toBe(4002);
    expect(c.messages.some((m) => m.code === 'hello-first')).toBe(true);
    const extra: RawClient[] = [];
    for (let i = 0; i < 5; i++) extra.push(await rawClient(server.url, t.token));
    expect(server.clients()).toBe(6);
    await expect(rawClient(server.url, t.token)).rejects.toThrow(/503/);
    for (const x of extra) x.ws.close();
    await Promise.all(extra.map((x) => x.closed));
  });

  it('closes a client whose heartbeats stop', async () => {
    const c = await rawClient(server.url, t.token, { heartbeats: false });
    c.send(HELLO);
    await c.waitFor((m) => m.type === 'hello');
    expect((await c.closed).code).toBe(4002);
    expect(c.messages.filter((m) => m.type === 'heartbeat').length).toBeGreaterThanOrEqual(2);
  });

  it('drops a client that stops reading instead of queueing without bound', async () => {
    // A big host at 100 snapshots/s fills the socket's buffers within a second.
    const big = await createModelDriver({ clock: realAgentClock, dryRun: false, scenario: 'big-64', seed: 2, intervalMs: 10, flags: {}, log: () => {} });
    const slowServer = await startAgentServer({ source: big, driver: 'model', version: 'test', token: t.token, port: 0, clock: realAgentClock, limits: { dropSnapshotsAboveBytes: 256 * 1024, maxBufferedBytes: 1024 * 1024, maxSkippedSnapshots: 20 } });
    try {
      const fast = await rawClient(slowServer.url, t.token);
      fast.send({ ...HELLO, role: 'watch' });
      const c = await rawClient(slowServer.url, t.token);
      c.send(HELLO);
      await c.waitFor((m) => m.type === 'hello');
      // Stop reading: the kernel buffers fill, then the agent's queue for this client.
      (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      await expect.poll(() => slowServer.clients(), { timeout: 30_000 }).toBe(1);
      const text = await slowServer.metrics.registry.metrics();
      expect(text).toMatch(/iocm_client_errors_total\{reason="slow-client"\} 1/);
      // The client that reads keeps getting snapshots.
      const n = seqs(fast).length;
      await expect.poll(() => seqs(fast).length, { timeout: 5000 }).toBeGreaterThan(n + 5);
      fast.ws.close();
    } finally {
      await slowServer.close();
      await big.close();
    }
  });
});
