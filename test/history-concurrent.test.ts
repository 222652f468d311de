/**
 * Several recordings at once into one real SQLite file (the fleet console records one session per
 * connected host): two Recorders fed interleaved, with different host shapes, each session gets
 * exactly its own snapshots and events back; ending one leaves the other recording.
 * Also several processes creating one new database file at the same moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SCHEMA_VERSION } from '../src/main/history/schema.ts';
import { HistoryClient } from '../src/main/history/client.ts';
import { SyntheticHostGen, syntheticEvent } from '../src/main/history/testing.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import type { HostEvent } from '../src/shared/policy.ts';

let dir: string;
let client: HistoryClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-hist-conc-'));
  client = await HistoryClient.open({ path: join(dir, 'history.db'), clock: () => 1_700_000_000_000 });
});

afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two recordings at once in one database', () => {
  it('keeps each session to its own snapshots and events, and ends one without the other', async () => {
    const genA = new SyntheticHostGen({ cores: 8, vms: 4, intervalMs: 100, seed: 1 });
    const genB = new SyntheticHostGen({ cores: 16, vms: 9, queuesPerVm: 2, intervalMs: 100, seed: 2, groups: ['db'] });
    const a = await client.startRecording({ host: 'kvm-a', source: 'agent', scenarioName: 'agent', policy: 'iocm', intervalMs: 100 });
    const b = await client.startRecording({ host: 'model-b', source: 'model', policy: 'vhost', intervalMs: 100 });
    expect(a.sessionId).not.toBe(b.sessionId);
    const snapsA: HostSnapshot[] = [];
    const snapsB: HostSnapshot[] = [];
    const evA: HostEvent[] = [];
    const evB: HostEvent[] = [];
    for (let i = 0; i < 300; i++) {
      const sa = genA.next();
      const sb = genB.next();
      snapsA.push(sa);
      snapsB.push(sb);
      a.record(sa);
      b.record(sb);
      if (i % 11 === 5) {
        const e = syntheticEvent(sa.t - 20, i);
        evA.push(e);
        a.recordEvent(e);
      }
      if (i % 13 === 7) {
        const e = syntheticEvent(sb.t - 30, i + 1);
        evB.push(e);
        b.recordEvent(e);
      }
    }
    const gap: HostEvent = { t: snapsA.at(-1)!.t, source: 'system', kind: 'disconnect', message: 'Lost the link to kvm-a; reconnecting', data: { gap: 'start' } };
    a.recordEvent(gap);
    evA.push(gap);
    const endedA = await a.close();
    expect(endedA.status).toBe('complete');
    // B goes on after A ended
    for (let i = 0; i < 50; i++) {
      const sb = genB.next();
      snapsB.push(sb);
      b.record(sb);
    }
    await b.flush();
    const listed = await client.listSessions();
    const la = listed.find((s) => s.id === a.sessionId)!;
    const lb = listed.find((s) => s.id === b.sessionId)!;
    expect(la).toMatchObject({ host: 'kvm-a', source: 'agent', snapshots: 300, status: 'complete' });
    expect(lb).toMatchObject({ host: 'model-b', source: 'model', snapshots: 350, status: 'recording' });
    expect(await client.snapshotsBetween(a.sessionId, -Infinity, Infinity)).toEqual(snapsA);
    expect(await client.snapshotsBetween(b.sessionId, -Infinity, Infinity)).toEqual(snapsB);
    expect(await client.eventsBetween(a.sessionId, -Infinity, Infinity)).toEqual(evA);
    expect(await client.eventsBetween(b.sessionId, -Infinity, Infinity)).toEqual(evB);
    await b.close();
    expect((await client.getSession(b.sessionId)).status).toBe('complete');
  });
});

describe('processes creating one database at once', () => {
  // Each process loads its code first, then all open the new file at the same moment. Before
  // migrations took the write lock before reading the schema version, one of two processes
  // failed now and then with "table meta already exists" or took the half-created file for a
  // foreign one (the CI's two-recorders reliability test lost a recorder that way).
  const root = resolve(import.meta.dirname, '..');
  const child = (db: string, go: string) => {
    const p = spawn(process.execPath, ['bin/run-ts.mjs', 'test/fixtures/open-history-child.ts', db, go], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<string>((r) => p.on('exit', () => r(out)));
    const ready = Promise.race([
      done,
      new Promise<void>((r) => {
        const check = (): void => void (out.includes('ready') ? r() : setTimeout(check, 5));
        check();
      }),
    ]);
    return { ready, done };
  };

  it('4 processes × 5 new files: every open succeeds and the file has the current schema once', async () => {
    const results: string[] = [];
    for (let round = 0; round < 5; round++) {
      const db = join(dir, `race-${round}.db`);
      const go = join(dir, `go-${round}`);
      const kids = Array.from({ length: 4 }, () => child(db, go));
      await Promise.all(kids.map((k) => k.ready));
      writeFileSync(go, '');
      for (const out of await Promise.all(kids.map((k) => k.done))) results.push(out.replace('ready\n', '').trim());
    }
    expect(results.filter((r) => r !== `ok ${SCHEMA_VERSION}`)).toEqual([]);
    expect(results).toHaveLength(20);
  }, 120_000);
});
