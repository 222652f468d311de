/**
 * The desktop shell's startup and shutdown path, run under Node with a stand-in for the
 * `electron` module (there is no Electron binary on this machine) and the REAL services
 * (host model, loop, history worker, SQLite file): single-instance lock, hardened window
 * options, the app URL, whitelisted IPC answered by the services for the app's frame only,
 * window-state file written on close, and a clean shutdown before quitting.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const dir = mkdtempSync(join(tmpdir(), 'iocm-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handler = (event: unknown, args?: unknown) => unknown;
const h = vi.hoisted(() => ({
  handlers: new Map<string, Handler>(),
  windows: [] as {
    options: Record<string, unknown>;
    url: string;
    emitter: import('node:events').EventEmitter;
    sent: [string, unknown][];
    webContents: unknown;
  }[],
  appEmitter: null as unknown as import('node:events').EventEmitter,
  quitCalls: 0,
  readyResolve: null as null | (() => void),
  userData: '',
  menu: null as unknown,
  schemes: [] as unknown[],
}));

vi.mock('electron', async () => {
  const { EventEmitter: EE } = await import('node:events');
  const appEmitter = new EE();
  h.appEmitter = appEmitter;
  const ready = new Promise<void>((r) => (h.readyResolve = r));
  const app = Object.assign(appEmitter, {
    isPackaged: true,
    requestSingleInstanceLock: () => true,
    setName: () => {},
    whenReady: () => ready,
    getPath: (name: string) => (name === 'userData' ? h.userData : join(h.userData, name)),
    quit: () => {
      h.quitCalls++;
      const ev = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
      appEmitter.emit('before-quit', ev);
    },
    exit: (code: number) => {
      throw new Error(`app.exit(${code})`);
    },
  });
  class BrowserWindow {
    webContents: { send: (c: string, p: unknown) => void; isDestroyed: () => boolean };
    private em = new EE();
    constructor(options: Record<string, unknown>) {
      const sent: [string, unknown][] = [];
      this.webContents = { send: (c, p) => sent.push([c, p]), isDestroyed: () => false };
      h.windows.push({ options, url: '', emitter: this.em, sent, webContents: this.webContents });
    }
    on(ev: string, fn: (...a: unknown[]) => void) { this.em.on(ev, fn); return this; }
    once(ev: string, fn: (...a: unknown[]) => void) { this.em.once(ev, fn); return this; }
    loadURL(url: string) { h.windows.at(-1)!.url = url; return Promise.resolve(); }
    isDestroyed() { return false; }
    isMaximized() { return false; }
    maximize() {}
    show() {}
    getNormalBounds() { return { x: 40, y: 50, width: 1300, height: 850 }; }
  }
  return {
    app,
    BrowserWindow,
    Menu: { setApplicationMenu: (m: unknown) => (h.menu = m), buildFromTemplate: (t: unknown) => t },
    ipcMain: { handle: (c: string, fn: Handler) => h.handlers.set(c, fn), removeHandler: (c: string) => h.handlers.delete(c) },
    nativeTheme: Object.assign(new EE(), { shouldUseDarkColors: false }),
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    protocol: { registerSchemesAsPrivileged: (s: unknown[]) => h.schemes.push(...s), handle: () => {} },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: () => {}, onBeforeRequest: () => {} },
        setPermissionRequestHandler: () => {},
        setPermissionCheckHandler: () => {},
      },
    },
    net: { fetch: () => Promise.resolve(new Response('')) },
    dialog: {
      showErrorBox: (t: string, m: string) => {
        throw new Error(`error box: ${t}: ${m}`);
      },
      showMessageBox: () => Promise.resolve({ response: 0 }),
    },
  };
});

const { startDesktopApp } = await import('./app.ts');
const { createServices } = await import('../services/index.ts');
const { backendFromApi } = await import('../server/backend.ts');
const { METHOD_NAMES } = await import('../../shared/api.ts');
const { methodChannel } = await import('../../shared/shell.ts');

describe('desktop shell lifecycle (stand-in electron, real services)', () => {
  it('starts the services, opens a hardened window, answers IPC, and shuts down cleanly on quit', async () => {
    h.userData = join(dir, 'userData');
    const outDir = join(dir, 'out');
    mkdirSync(join(outDir, 'renderer'), { recursive: true });
    mkdirSync(join(outDir, 'main'), { recursive: true });
    writeFileSync(join(outDir, 'renderer', 'index.html'), '<!doctype html>');
    const dbPath = join(dir, 'history.db');
    let shutdowns = 0;
    startDesktopApp({
      paths: { mainDir: join(outDir, 'main'), appRoot: dir, rendererDir: join(outDir, 'renderer'), preloadPath: join(outDir, 'preload', 'index.cjs'), workers: {} },
      start: async () => {
        const services = createServices({ dbPath, scenario: 'rr-few', seed: 2, speed: 5 });
        await services.boot();
        return {
          backend: backendFromApi(services.api),
          shutdown: async () => {
            shutdowns++;
            await services.shutdown();
          },
        };
      },
    });
    expect(h.schemes).toEqual([expect.objectContaining({ scheme: 'iocm' })]);
    h.readyResolve!();
    const t0 = Date.now();
    while (h.windows.length === 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(h.windows).toHaveLength(1);
    const win = h.windows[0];
    expect(win.url).toBe('iocm://app/index.html');
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: join(outDir, 'preload', 'index.cjs'),
    });
    expect(h.menu).toBeTruthy();

    // Whitelisted channels only; the app's frame gets real answers from the services.
    for (const m of METHOD_NAMES) expect(h.handlers.has(methodChannel(m)), m).toBe(true);
    const state = (await h.handlers.get(methodChannel('getState'))!(
      { sender: win.webContents, senderFrame: { url: 'iocm://app/index.html', parent: null } },
      {},
    )) as { ok: boolean; value?: { host: { cores: number } | null } };
    expect(state.ok).toBe(true);
    expect(state.value?.host?.cores).toBeGreaterThan(0);
    const foreign = (await h.handlers.get(methodChannel('getState'))!(
      { sender: win.webContents, senderFrame: { url: 'https://example.com/', parent: null } },
      {},
    )) as { ok: boolean; error?: { code: string } };
    expect(foreign).toMatchObject({ ok: false, error: { code: 'unauthorized' } });

    // Closing the window saves its bounds; quitting shuts the services down first.
    win.emitter.emit('close');
    const saved = JSON.parse(readFileSync(join(h.userData, 'window-state.json'), 'utf8'));
    expect(saved).toEqual({ x: 40, y: 50, width: 1300, height: 850, maximized: false });
    (await import('electron')).app.quit();
    const t1 = Date.now();
    while (h.quitCalls < 2 && Date.now() - t1 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(shutdowns).toBe(1);
    expect(h.quitCalls).toBe(2);
    expect(h.handlers.size).toBe(0);
    expect(existsSync(dbPath)).toBe(true);
    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT ended_at FROM sessions').all() as { ended_at: number | null }[];
      expect(rows.length).toBe(1);
      expect(typeof rows[0].ended_at).toBe('number');
    } finally {
      db.close();
    }
  });
});

