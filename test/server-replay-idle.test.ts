/**
 * A replay is the headless console's, shared by every page: once the last page has been gone for
 * a while it is closed, so the next admin does not land in a replay someone left open; a page
 * that comes back within the while (a reload) finds it still open. The real server and services,
 * the renderer's own WebSocket client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWsClient, type WebSocketLike, type WsApi } from '../src/renderer/transport/ws-client.ts';
import { startFixture, type Fixture } from './server-helpers.ts';

const Impl = WebSocket as unknown as new (url: string, protocols?: string[]) => WebSocketLike;
const IDLE_MS = 400;

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture('rr-few', { speed: 8, replayIdleCloseMs: IDLE_MS });
});
afterAll(async () => {
  await fx?.cleanup();
});

function client(): WsApi {
  return createWsClient({ url: `ws://127.0.0.1:${fx.port}/ws`, token: fx.token, WebSocketImpl: Impl, probeUrl: `http://127.0.0.1:${fx.port}/healthz`, initialBackoffMs: 50, maxBackoffMs: 200, requestTimeoutMs: 20_000 });
}

async function replayOpen(api: WsApi): Promise<boolean> {
  const st = await api.getState();
  if (!st.ok) throw new Error(st.error.message);
  return st.value.replay !== null;
}

/** Open a replay of the session being recorded (once it has snapshots) from a page, then close that page. */
async function openReplayAndLeave(): Promise<void> {
  const a = client();
  try {
    let sid: string | null = null;
    for (let i = 0; i < 200 && sid === null; i++) {
      const st = await a.getState();
      const id = st.ok ? st.value.recording.sessionId : null;
      const s = id ? await a.getSession({ sessionId: id }) : null;
      if (id && s?.ok && s.value.snapshots > 0) sid = id;
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (sid === null) throw new Error('no recorded session with snapshots within 10 s');
    expect((await a.openReplay({ sessionId: sid })).ok).toBe(true);
    expect(await replayOpen(a)).toBe(true);
  } finally {
    a.close();
  }
}

describe('a replay left open by the last page', () => {
  it('is still open for a page that comes back within the while (a reload)', async () => {
    await openReplayAndLeave();
    const b = client();
    try {
      expect(await replayOpen(b)).toBe(true);
      // Connected past the idle time: nothing closes it while a page is there.
      await new Promise((r) => setTimeout(r, IDLE_MS * 2));
      expect(await replayOpen(b)).toBe(true);
      expect((await b.closeReplay()).ok).toBe(true);
    } finally {
      b.close();
    }
  });

  it('is closed once no page has been connected for the while', async () => {
    await openReplayAndLeave();
    await new Promise((r) => setTimeout(r, IDLE_MS * 3));
    const c = client();
    try {
      expect(await replayOpen(c)).toBe(false);
    } finally {
      c.close();
    }
  });
});
