/**
 * Helpers for the headless-server tests: a running `iocm serve` (in process, real services,
 * real model, real SQLite file in a temp dir) and small HTTP / WebSocket utilities.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServe, type RunningServe } from '../src/main/cli/commands/serve.ts';
import { WS_SUBPROTOCOL, WS_TOKEN_PREFIX, decodeWire } from '../src/shared/wire.ts';

/** A served console with its temp dir (database + a tiny built renderer). */
export interface Fixture {
  run: RunningServe;
  dir: string;
  dbPath: string;
  base: string;
  token: string;
  port: number;
  cleanup(): Promise<void>;
}

/** Start the headless console on port 0 with a small real scenario. */
export async function startFixture(scenario = 'rr-few', extra: { flushMs?: number; speed?: number; rendererDir?: string; replayIdleCloseMs?: number } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'iocm-server-'));
  const rendererDir = join(dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>IOcm test page</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("iocm test asset");\n');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer dir');
  const dbPath = join(dir, 'history.db');
  const run = await startServe({
    port: 0,
    host: '127.0.0.1',
    scenario,
    seed: 7,
    speed: extra.speed ?? 4,
    dbPath,
    rendererDir: extra.rendererDir ?? rendererDir,
    ...(extra.flushMs !== undefined ? { flushMs: extra.flushMs } : {}),
    ...(extra.replayIdleCloseMs !== undefined ? { replayIdleCloseMs: extra.replayIdleCloseMs } : {}),
  });
  return {
    run,
    dir,
    dbPath,
    base: `http://127.0.0.1:${run.server.port}`,
    token: run.server.token,
    port: run.server.port,
    cleanup: async () => {
      await run.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw HTTP GET (so tests control the Host and Cookie headers). */
export function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const received = new WeakMap<WebSocket, unknown[]>();

/**
 * Open a raw WebSocket presenting `token` the way the console's client does (subprotocols
 * `iocm.v1` and `iocm-token.<token>`; null: none); resolves with the socket once open, or rejects with the HTTP status of
 * a refused upgrade. Messages are recorded from the start (see {@link collect}): the server's
 * first frames can arrive together with the upgrade response.
 */
export function openWs(url: string, token: string | null, headers: Record<string, string> = {}, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols ?? (token === null ? [] : [WS_SUBPROTOCOL, `${WS_TOKEN_PREFIX}${token}`]), { headers });
    const out: unknown[] = [];
    received.set(ws, out);
    ws.on('message', (d, isBinary) => out.push(isBinary ? d : decodeWire(String(d))));
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', (e) => reject(e));
  });
}

/** Every message a socket from {@link openWs} has received so far (live array, decoded). */
export function collect(ws: WebSocket): unknown[] {
  const out = received.get(ws);
  if (!out) throw new Error('collect() needs a socket from openWs()');
  return out;
}

/** Wait until `pred` holds (polling), or fail after `ms`. */
export async function until(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
