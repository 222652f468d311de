/**
 * The preload under Node with stand-ins for contextBridge and ipcRenderer (a sandboxed
 * preload only runs inside Electron): it exposes `iocm` and `iocmShell`, every method goes
 * to its own whitelisted channel, unknown methods and events never reach IPC, and one IPC
 * listener per event stream fans out to the page's subscribers.
 */
import { describe, expect, it, vi } from 'vitest';

const h = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invoked: [] as [string, unknown][],
  listeners: new Map<string, ((e: unknown, p: unknown) => void)[]>(),
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (k: string, v: unknown) => h.exposed.set(k, v) },
  ipcRenderer: {
    invoke: (ch: string, args: unknown) => {
      h.invoked.push([ch, args]);
      return Promise.resolve({ ok: true, value: ch });
    },
    on: (ch: string, fn: (e: unknown, p: unknown) => void) => h.listeners.set(ch, [...(h.listeners.get(ch) ?? []), fn]),
    removeListener: (ch: string, fn: (e: unknown, p: unknown) => void) => h.listeners.set(ch, (h.listeners.get(ch) ?? []).filter((f) => f !== fn)),
  },
}));

await import('./index.ts');
const { METHOD_NAMES } = await import('../shared/api.ts');
const { SHELL_CHANNELS, eventChannel, methodChannel } = await import('../shared/shell.ts');
import type { IocmApi } from '../shared/api.ts';
import type { IocmShell } from '../shared/shell.ts';

describe('preload', () => {
  it('exposes iocm and iocmShell only', () => {
    expect([...h.exposed.keys()].sort()).toEqual(['iocm', 'iocmShell']);
  });

  it('sends each method on its own whitelisted channel and nothing else', async () => {
    const api = h.exposed.get('iocm') as IocmApi & Record<string, unknown>;
    expect(await api.pinCore({ core: 2 })).toEqual({ ok: true, value: methodChannel('pinCore') });
    expect(await api.getState()).toEqual({ ok: true, value: methodChannel('getState') });
    expect(h.invoked).toEqual([
      [methodChannel('pinCore'), { core: 2 }],
      [methodChannel('getState'), {}],
    ]);
    for (const m of METHOD_NAMES) expect(typeof api[m], m).toBe('function');
    expect(api['deleteEverything']).toBeUndefined();
  });

  it('fans one IPC listener per stream out to subscribers, and ignores unknown streams', () => {
    const api = h.exposed.get('iocm') as IocmApi;
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = api.onStatus((s) => a.push(s));
    api.on('status', (s) => b.push(s));
    expect(h.listeners.get(eventChannel('status'))).toHaveLength(1);
    h.listeners.get(eventChannel('status'))![0]({}, { n: 1 });
    offA();
    h.listeners.get(eventChannel('status'))![0]({}, { n: 2 });
    expect(a).toEqual([{ n: 1 }]);
    expect(b).toEqual([{ n: 1 }, { n: 2 }]);
    const off = api.on('secrets' as never, () => {});
    off();
    expect(h.listeners.has(eventChannel('secrets'))).toBe(false);
  });

  it('gives the page the theme and menu commands', async () => {
    const shell = h.exposed.get('iocmShell') as IocmShell;
    const themes: string[] = [];
    const off = shell.onTheme((t) => themes.push(t));
    h.listeners.get(SHELL_CHANNELS.theme)![0]({}, 'dark');
    off();
    expect(h.listeners.get(SHELL_CHANNELS.theme)).toHaveLength(0);
    expect(themes).toEqual(['dark']);
    await shell.getTheme();
    expect(h.invoked.at(-1)).toEqual([SHELL_CHANNELS.getTheme, undefined]);
  });
});
