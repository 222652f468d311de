/**
 * Property-based fuzzing of every API method over the Electron IPC adapter (10,000 cases):
 * src/main/electron/ipc.ts registered on the real services (model, loop, SQLite file), with
 * the same in-test stand-in for `electron` (ipcMain, nativeTheme) as src/main/electron/ipc.test.ts,
 * since Electron cannot run here. Calls come from the app's own frame; foreign frames are refused.
 */
import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Tally, answerProblems, apiCase, stableState } from './api-cases.ts';
import { figure } from './figures.ts';

type Handler = (event: unknown, args?: unknown) => unknown;
const handlers = new Map<string, Handler>();
vi.mock('electron', () => ({
  ipcMain: { handle: (ch: string, fn: Handler) => handlers.set(ch, fn), removeHandler: (ch: string) => handlers.delete(ch) },
  nativeTheme: Object.assign(new EventEmitter(), { shouldUseDarkColors: false }),
  app: { isPackaged: true, getPath: () => tmpdir() },
  dialog: { showSaveDialog: async () => ({ canceled: true }) },
  net: {},
  protocol: {},
  session: {},
}));

const { registerIpc } = await import('../../src/main/electron/ipc.ts');
const { createServices } = await import('../../src/main/services/index.ts');
const { backendFromApi } = await import('../../src/main/server/backend.ts');
const { methodChannel } = await import('../../src/shared/shell.ts');
const { METHOD_NAMES } = await import('../../src/shared/api.ts');

const dir = mkdtempSync(join(tmpdir(), 'iocm-ipc-fuzz-'));
const services = createServices({ dbPath: join(dir, 'h.db'), scenario: 'rr-few', seed: 1, speed: 1 });
const webContents = { send: () => {}, isDestroyed: () => false };
const win = { webContents, isDestroyed: () => false };
const appFrame = { sender: webContents, senderFrame: { parent: null, url: 'iocm://app/index.html' } };
let bridge: { dispose(): void };

beforeAll(async () => {
  await services.boot();
  bridge = registerIpc(backendFromApi(services.api, services.exports), () => win as never, 50);
});
afterAll(async () => {
  bridge?.dispose();
  await services.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, args: unknown, event: unknown = appFrame): Promise<unknown> {
  const h = handlers.get(methodChannel(method as never));
  if (!h) return { ok: false, error: { code: 'not-found', message: 'no such IPC channel', field: 'method' } };
  return h(event, args);
}

async function state(): Promise<unknown> {
  const r = (await call('getState', {})) as { ok: boolean; value: never };
  return stableState(r.value);
}

describe('API fuzzing over IPC', () => {
  it('10,000 requests of every method: answered, fields named, state unchanged when rejected', async () => {
    const tally = new Tally();
    const t0 = Date.now();
    await fc.assert(
      fc.asyncProperty(apiCase, async ({ method, args }) => {
        const before = await state();
        const r = (await call(method, args)) as never;
        const problems = answerProblems(r);
        tally.add(r, problems);
        const res = r as { ok: boolean; error?: { code: string } };
        if (!res.ok && JSON.stringify(await state()) !== JSON.stringify(before)) problems.push(`${method} rejected (${res.error?.code}) but changed the state`);
        if (res.ok && method === 'pauseLoop') await call('resumeLoop', {});
        if (problems.length) throw new Error(`${method}(${JSON.stringify(args)?.slice(0, 300)}): ${problems.join('; ')}`);
      }),
      { numRuns: 10_000, seed: 12, endOnFailure: true },
    );
    figure('api over IPC', { ...tally.figures(), seconds: (Date.now() - t0) / 1000 });
  });

  it('refuses every method from a foreign frame', async () => {
    const foreign = [
      { sender: webContents, senderFrame: { parent: {}, url: 'iocm://app/index.html' } },
      { sender: webContents, senderFrame: { parent: null, url: 'https://evil.example/' } },
      { sender: {}, senderFrame: { parent: null, url: 'iocm://app/index.html' } },
    ];
    for (const m of METHOD_NAMES)
      for (const e of foreign) expect(await call(m, {}, e), m).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });
});
