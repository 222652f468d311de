/**
 * When another process removes (or ends) the session this console is recording (review 9 item 7):
 * recording stops, and the console says what happened in words of its own — not "Recording
 * stopped: recording of session … stopped: …; what was recorded so far is kept" about a session
 * that is gone. Real services on the real model, a real SQLite file changed by plain SQL from this
 * process (another connection, as another process would), as test/history-crash.test.ts does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createServices, type Services } from '../src/main/services/index.ts';
import type { IocmApi, Notice } from '../src/shared/api.ts';
import { value } from './agent-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'iocm-recremoved-'));
const open: Services[] = [];
afterAll(async () => {
  for (const s of open) await s.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

async function recordingConsole(name: string): Promise<{ api: IocmApi; db: string; session: string; notices: string[]; raw: Database.Database }> {
  const db = join(dir, `${name}.db`);
  const services = createServices({ dbPath: db, scenario: 'rr-few', seed: 1, speed: 10 });
  open.push(services);
  await services.boot();
  const api = services.api;
  const notices: string[] = [];
  api.onNotice((n: Notice) => notices.push(n.message));
  const session = value(await api.getState()).recording.sessionId!;
  expect(session).toBeTruthy();
  const raw = new Database(db);
  raw.pragma('busy_timeout = 5000');
  // some of it recorded first
  await expect.poll(() => raw.prepare('SELECT snapshot_count FROM sessions WHERE id = ?').pluck().get(session) as number, { timeout: 20_000 }).toBeGreaterThan(5);
  return { api, db, session, notices, raw };
}

describe('the session being recorded, changed by another process', () => {
  it('removed: "session X was removed by another process; recording stopped", said once, and nothing claims it is kept', async () => {
    const { api, session, notices, raw } = await recordingConsole('removed');
    const key = raw.prepare('SELECT key FROM sessions WHERE id = ?').pluck().get(session) as number;
    raw.transaction(() => {
      for (const t of ['snapshots', 'events', 'loads', 'layouts', 'series', 'rollups', 'rollup_progress']) raw.prepare(`DELETE FROM ${t} WHERE session = ?`).run(key);
      raw.prepare('DELETE FROM sessions WHERE key = ?').run(key);
    })();
    await expect.poll(async () => value(await api.getState()).recording.error, { timeout: 20_000 }).toBeTruthy();
    const error = value(await api.getState()).recording.error!;
    expect(error).toBe(`Session ${session} was removed by another process; recording stopped. The live view keeps running.`);
    const row = value(await api.listHosts())[0];
    expect(row.alerts.last).toBe(error);
    await expect.poll(() => notices.find((n) => n.includes(session)), { timeout: 5_000 }).toBe(`rr-few: ${error}`);
    for (const said of [error, row.alerts.last!, ...notices]) {
      expect(said).not.toMatch(/kept/);
      expect(said.match(/stopped/g)?.length ?? 0, said).toBeLessThanOrEqual(1);
    }
    expect(raw.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    raw.close();
  }, 60_000);

  it('ended (its row there, no longer recording): "was ended by another process", and what it recorded is kept', async () => {
    const { api, session, raw } = await recordingConsole('ended');
    raw.prepare("UPDATE sessions SET status = 'complete' WHERE id = ?").run(session);
    await expect.poll(async () => value(await api.getState()).recording.error, { timeout: 20_000 }).toBeTruthy();
    expect(value(await api.getState()).recording.error).toBe(`Session ${session} was ended by another process; recording stopped. What it recorded until then is kept; the live view keeps running.`);
    expect(raw.prepare('SELECT snapshot_count FROM sessions WHERE id = ?').pluck().get(session)).toBeGreaterThan(5);
    raw.close();
  }, 60_000);
});
