/**
 * The renderer's WebSocket client and long operations: a what-if or an export on a long session
 * runs for minutes, reporting progress under its opId. The client must wait for it as long as its
 * progress keeps coming (it used to give up after the 30 s request timeout and tell the admin the
 * what-if failed while the host finished it), and still give up on a request that goes silent.
 * The peer is a real `ws` server speaking the wire format, scripted to answer late.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { createWsClient, type WebSocketLike, type WsApi } from '../src/renderer/transport/ws-client.ts';
import { encodeWire, decodeWire } from '../src/shared/wire.ts';

const Impl = WebSocket as unknown as new (url: string, protocols?: string[]) => WebSocketLike;
const TIMEOUT_MS = 1000;

let wss: WebSocketServer | null = null;
let api: WsApi | null = null;
afterEach(async () => {
  api?.close();
  api = null;
  await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
  wss = null;
});

/**
 * A server that answers every request after `answerAfterMs`, sending a progress event under the
 * request's opId every `progressEveryMs` meanwhile (never when 0).
 */
async function scriptedServer(answerAfterMs: number, progressEveryMs: number): Promise<string> {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'iocm.v1' });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const req = decodeWire(String(data)) as { id: number; args?: { opId?: string } };
      const opId = req.args?.opId;
      const started = Date.now();
      const tick =
        progressEveryMs > 0 && opId
          ? setInterval(() => ws.send(encodeWire({ event: 'progress', payload: { opId, kind: 'whatif', fraction: Math.min(1, (Date.now() - started) / answerAfterMs), message: 'Re-running…' } })), progressEveryMs)
          : null;
      setTimeout(() => {
        if (tick) clearInterval(tick);
        ws.send(encodeWire({ id: req.id, result: { ok: true, value: { base: { sessionId: 'a', policy: 'iocm' }, other: { sessionId: 'b', policy: 'vhost' }, rows: [] } } }));
      }, answerAfterMs);
    });
  });
  await new Promise<void>((r) => wss!.once('listening', () => r()));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
}

function connect(url: string): WsApi {
  api = createWsClient({ url, token: 't', WebSocketImpl: Impl, probeUrl: null, requestTimeoutMs: TIMEOUT_MS });
  return api;
}

describe('ws-client: long operations', () => {
  it('waits for a long operation past the request timeout while its progress keeps arriving', async () => {
    const c = connect(await scriptedServer(3.5 * TIMEOUT_MS, TIMEOUT_MS / 10));
    const r = await c.whatIf({ sessionId: 'a', policy: 'vhost', opId: 'whatif-1' });
    expect(r).toMatchObject({ ok: true, value: { other: { policy: 'vhost' } } });
  });

  it('still gives up on a long operation whose progress stops', async () => {
    const c = connect(await scriptedServer(3.5 * TIMEOUT_MS, 0));
    const r = await c.whatIf({ sessionId: 'a', policy: 'vhost', opId: 'whatif-2' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/No answer to 'whatIf' within 1 s/);
  });

  it('does not let another operation\'s progress keep a request alive', async () => {
    const url = await scriptedServer(3.5 * TIMEOUT_MS, TIMEOUT_MS / 10);
    const c = connect(url);
    // the export's progress arrives under its own opId; the state query has none and must time out
    const [exp, state] = await Promise.all([c.exportSession({ sessionId: 'a', format: 'json', opId: 'export-1' }), c.getState()]);
    expect(exp.ok).toBe(true);
    expect(state.ok).toBe(false);
  });
});
