/**
 * Headless server bounds (issue 10, item 10): a client that stops reading is cut off once
 * its queue (replies included, not only telemetry) passes its budget; replies larger than a
 * frame may carry are refused with a message; requests in flight per client are capped.
 * Real services on the real model and a real SQLite file; a second server with small limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startConsoleServer, type ConsoleServer } from '../src/main/server/http-server.ts';
import { backendFromApi } from '../src/main/server/backend.ts';
import { join } from 'node:path';
import { collect, openWs, startFixture, until, type Fixture } from './server-helpers.ts';

let fx: Fixture;
let small: ConsoleServer;
beforeAll(async () => {
  fx = await startFixture('rr-few', { speed: 16 });
  small = await startConsoleServer({
    backend: backendFromApi(fx.run.services.api, fx.run.services.exports),
    rendererDir: join(fx.dir, 'renderer'),
    flushMs: 50,
    maxClientBufferBytes: 512 * 1024,
    dropTelemetryAboveBytes: 128 * 1024,
    maxReplyBytes: 64 * 1024,
    maxInFlight: 4,
  });
  // Some recorded past so replies have a size.
  await new Promise((r) => setTimeout(r, 3000));
});
afterAll(async () => {
  await small?.close();
  await fx?.cleanup();
});

type Reply = { id: unknown; result: { ok: boolean; error?: { code: string; message: string } } };
const replies = (ws: WebSocket): Reply[] => collect(ws).filter((m): m is Reply => typeof m === 'object' && m !== null && 'result' in m);

describe('per-client bounds', () => {
  it('refuses a reply larger than a message may carry, naming the limit, and keeps the connection', async () => {
    const ws = await openWs(`ws://127.0.0.1:${small.port}/ws`, small.token);
    try {
      ws.send(JSON.stringify({ id: 1, method: 'getRecentTelemetry', args: { snapshots: 2000, detail: 'full' } }));
      await until(() => replies(ws).length >= 1, 10_000, 'reply');
      const r = replies(ws)[0];
      expect(r.result.ok).toBe(false);
      expect(r.result.error?.code).toBe('refused');
      expect(r.result.error?.message).toMatch(/MB a message may carry/);
      ws.send(JSON.stringify({ id: 2, method: 'getState' }));
      await until(() => replies(ws).length >= 2, 10_000, 'second reply');
      expect(replies(ws)[1].result.ok).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('caps requests in flight per client', async () => {
    const ws = await openWs(`ws://127.0.0.1:${small.port}/ws`, small.token);
    try {
      for (let i = 0; i < 20; i++) ws.send(JSON.stringify({ id: i, method: 'listScenarios' }));
      await until(() => replies(ws).length >= 20, 20_000, '20 replies');
      const refused = replies(ws).filter((r) => r.result.error?.message?.includes('in flight'));
      expect(refused.length).toBeGreaterThan(0);
      expect(replies(ws).filter((r) => r.result.ok).length).toBeGreaterThanOrEqual(4);
    } finally {
      ws.close();
    }
  });

  it('disconnects a client that stops reading once replies pile up past its budget; others keep going', async () => {
    const slow = await openWs(`ws://127.0.0.1:${small.port}/ws`, small.token);
    const good = await openWs(`ws://127.0.0.1:${small.port}/ws`, small.token);
    const sock = (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    sock.pause();
    const closed = new Promise<void>((r) => slow.once('close', () => r()));
    try {
      expect(small.clients()).toBe(2);
      // Each reply is tens of KB; the slow client never reads them.
      let sent = 0;
      for (let round = 0; round < 5000 && small.clients() === 2; round++) {
        for (let i = 0; i < 4; i++) slow.send(JSON.stringify({ id: sent++, method: 'getRecentTelemetry', args: { snapshots: 10, detail: 'full' } }));
        await new Promise((r) => setTimeout(r, 2));
      }
      await until(() => small.clients() === 1, 20_000, 'slow client cut off');
      sock.resume();
      await closed;
      good.send(JSON.stringify({ id: 'g', method: 'getState' }));
      await until(() => replies(good).some((r) => r.id === 'g'), 10_000, 'good client reply');
    } finally {
      good.close();
      slow.terminate();
    }
  });
});

describe('hostile request shapes (security review)', () => {
  it('refuses reserved keys like any unknown key, answers a bad $bytes under its id, and bounds keys per object before validation', async () => {
    const ws = await openWs(`ws://127.0.0.1:${small.port}/ws`, small.token);
    try {
      ws.send('{"id":"p1","method":"setPolicy","args":{"name":"iocm","config":{"__proto__":1}}}');
      ws.send('{"id":"p2","method":"setPolicy","args":{"name":"iocm","config":{},"__proto__":1}}');
      ws.send('{"id":"b1","method":"getState","args":{"x":{"$bytes":"!!"}}}');
      const config: Record<string, number> = {};
      for (let i = 0; i < 50_000; i++) config[`k${i}`] = i;
      const t0 = Date.now();
      ws.send(JSON.stringify({ id: 'big', method: 'setPolicy', args: { name: 'iocm', config } }));
      await until(() => replies(ws).length >= 4, 10_000, '4 replies');
      const by = new Map(replies(ws).map((r) => [r.id, r.result]));
      expect(by.get('p1')?.error?.message).toMatch(/'config' has unknown field\(s\): __proto__/);
      expect(by.get('p2')?.error?.message).toMatch(/unknown field\(s\): __proto__/);
      expect(by.get('b1')?.error?.message).toMatch(/\$bytes field is not valid base64/);
      expect(by.get('big')?.error?.message).toMatch(/'config' has 50000 fields, more than the 1000 an object may have/);
      expect(Date.now() - t0).toBeLessThan(1500);
    } finally {
      ws.close();
    }
  });
});
