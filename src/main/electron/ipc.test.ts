/**
 * The IPC adapter's rules, under Node: Electron itself cannot run on this machine (no
 * binary), so `electron` is replaced by a minimal in-test stand-in for ipcMain and
 * nativeTheme. What is checked is this module's behaviour: only whitelisted channels are
 * registered, foreign senders are refused, payloads are validated with the shared schemas
 * before the services see them, and events reach the window batched.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';

type Handler = (event: unknown, args?: unknown) => unknown;
const handlers = new Map<string, Handler>();
const theme = Object.assign(new EventEmitter(), { shouldUseDarkColors: true });

vi.mock('electron', () => ({
  ipcMain: {
    handle: (ch: string, fn: Handler) => {
      if (handlers.has(ch)) throw new Error(`second handler for ${ch}`);
      handlers.set(ch, fn);
    },
    removeHandler: (ch: string) => handlers.delete(ch),
  },
  nativeTheme: theme,
  app: { isPackaged: true, getPath: () => '/tmp' },
  dialog: {},
  net: {},
  protocol: {},
  session: {},
}));

const { registerIpc } = await import('./ipc.ts');
const { METHOD_NAMES, EVENT_NAMES, ok } = await import('../../shared/api.ts');
const { methodChannel, eventChannel, SHELL_CHANNELS } = await import('../../shared/shell.ts');

function fakeWindow() {
  const sent: [string, unknown][] = [];
  const webContents = { send: (ch: string, p: unknown) => sent.push([ch, p]), isDestroyed: () => false };
  return { win: { webContents, isDestroyed: () => false }, sent };
}

function backend() {
  const calls: [string, unknown][] = [];
  const subs = new Map<string, (p: unknown) => void>();
  return {
    calls,
    emit: (e: string, p: unknown) => subs.get(e)?.(p),
    b: {
      call: async (m: string, a: unknown) => {
        calls.push([m, a]);
        return ok({ method: m });
      },
      subscribe: (e: string, cb: (p: unknown) => void) => {
        subs.set(e, cb);
        return () => subs.delete(e);
      },
    },
  };
}

describe('IPC adapter', () => {
  beforeEach(() => {
    handlers.clear();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('registers exactly the whitelisted method channels plus the theme query', () => {
    const { win } = fakeWindow();
    const { b } = backend();
    const bridge = registerIpc(b as never, () => win as never);
    expect([...handlers.keys()].sort()).toEqual([...METHOD_NAMES.map(methodChannel), SHELL_CHANNELS.getTheme].sort());
    bridge.dispose();
    expect(handlers.size).toBe(0);
  });

  it('refuses senders that are not the app page of our window, validates payloads, then calls the services', async () => {
    const { win } = fakeWindow();
    const be = backend();
    const bridge = registerIpc(be.b as never, () => win as never);
    const call = (sender: unknown, frame: unknown, method: string, args: unknown) =>
      handlers.get(methodChannel(method))!({ sender, senderFrame: frame }, args) as Promise<{ ok: boolean; error?: { code: string; field?: string } }>;
    const appFrame = { url: 'iocm://app/index.html', parent: null };

    expect(await call(win.webContents, { url: 'https://evil.example/', parent: null }, 'pinCore', { core: 1 })).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(await call(win.webContents, { url: 'file:///etc/passwd', parent: null }, 'pinCore', { core: 1 })).toMatchObject({ ok: false });
    expect(await call(win.webContents, { url: 'iocm://app/index.html', parent: {} }, 'pinCore', { core: 1 })).toMatchObject({ ok: false });
    expect(await call({ other: true }, appFrame, 'pinCore', { core: 1 })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(be.calls).toHaveLength(0);

    expect(await call(win.webContents, appFrame, 'pinCore', { core: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid-argument', field: 'core' } });
    expect(await call(win.webContents, appFrame, 'getState', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(be.calls).toHaveLength(0);

    expect(await call(win.webContents, appFrame, 'pinCore', { core: 3 })).toMatchObject({ ok: true });
    expect(be.calls).toEqual([['pinCore', { core: 3 }]]);
    bridge.dispose();
  });

  it('batches events to the window and pushes theme changes', async () => {
    const { win, sent } = fakeWindow();
    const be = backend();
    const bridge = registerIpc(be.b as never, () => win as never, 200);
    for (let i = 0; i < 5; i++) be.emit('telemetry', { stream: 'live', sessionId: 's', batch: { snapshots: [{ t: i, seq: i, intervalMs: 100, hz: 1e9, totals: {}, cores: [], vms: [] }], events: [] } });
    be.emit('status', { n: 1 });
    be.emit('status', { n: 2 });
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(250);
    expect(sent.map((s) => s[0])).toEqual([eventChannel('status'), eventChannel('telemetry')]);
    expect(sent[0][1]).toEqual({ n: 2 });
    // the five intervals in one message: four as trend points, the newest whole
    const msg = sent[1][1] as { trend: { t: number }[]; batch: { snapshots: { t: number }[] } };
    expect(msg.trend.map((p) => p.t)).toEqual([0, 1, 2, 3]);
    expect(msg.batch.snapshots.map((p) => p.t)).toEqual([4]);
    theme.shouldUseDarkColors = false;
    theme.emit('updated');
    expect(sent.at(-1)).toEqual([SHELL_CHANNELS.theme, 'light']);
    expect(EVENT_NAMES.length).toBe(5);
    bridge.dispose();
  });
});
