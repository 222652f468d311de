/**
 * Retention through the client: on open and when a recording starts, the
 * oldest sessions beyond the age/size limits are removed and the user is told.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryClient } from '../src/main/history/client.ts';
import { SyntheticHostGen } from '../src/main/history/testing.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-ret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;

async function recordAt(client: HistoryClient, host: string, startedAt: number, n = 50): Promise<string> {
  const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
  const rec = await client.startRecording({ host, source: 'model', startedAt, intervalMs: 100 });
  for (let i = 0; i < n; i++) rec.record(gen.next());
  await rec.close();
  return rec.sessionId;
}

describe('retention', () => {
  it('removes sessions older than maxAgeMs on open and tells the user', async () => {
    const path = join(dir, 'h.db');
    let now = 100 * DAY;
    const a = await HistoryClient.open({ path, clock: () => now });
    const old = await recordAt(a, 'old', 10 * DAY);
    const recent = await recordAt(a, 'recent', 95 * DAY);
    await a.close();
    now = 101 * DAY;
    const notices: string[] = [];
    const b = await HistoryClient.open({ path, clock: () => now, retention: { maxAgeMs: 30 * DAY }, onNotice: (m) => notices.push(m) });
    expect((await b.listSessions()).map((s) => s.id)).toEqual([recent]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(old);
    await recordAt(b, 'new', now);
    expect(notices).toHaveLength(1);
    now = 200 * DAY;
    const removed = await b.applyRetention({ maxAgeMs: 30 * DAY });
    expect(removed.map((r) => [r.host, r.reason])).toEqual([
      ['recent', 'age'],
      ['new', 'age'],
    ]);
    expect(notices).toHaveLength(2);
    expect(notices[1]).toMatch(/history retention removed 2 old session\(s\): .*\(recent, .*age\)/);
    await b.close();
  });

  it('removes the oldest sessions first to stay under maxBytes, never the one being recorded', async () => {
    const path = join(dir, 'h.db');
    const client = await HistoryClient.open({ path, clock: () => 5 * DAY });
    const ids = [];
    for (let k = 0; k < 4; k++) ids.push(await recordAt(client, `h${k}`, k * DAY));
    const one = (await client.getSession(ids[0])).bytes;
    const notices: string[] = [];
    client.onNotice((m) => notices.push(m));
    const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
    const rec = await client.startRecording({ host: 'live', source: 'model', intervalMs: 100, startedAt: 0 });
    rec.record(gen.next());
    await rec.flush();
    const removed = await client.applyRetention({ maxBytes: one * 1.5 });
    expect(removed.map((r) => r.id)).toEqual([ids[0], ids[1], ids[2]]);
    expect(removed.every((r) => r.reason === 'size')).toBe(true);
    expect((await client.listSessions()).map((s) => s.host).sort()).toEqual(['h3', 'live']);
    expect(notices[0]).toContain(ids[0]);
    await rec.close();
    await client.close();
  });
});
