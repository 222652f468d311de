/**
 * Import of a JSON bundle or a standalone session file (SQLite) into a
 * history database, with validation: errors name the file, the place and what
 * is wrong. Nothing existing is overwritten: a session whose id is taken gets
 * a new id.
 */
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { HistoryDb } from './store.ts';
import { HistoryError, openHistoryDatabase, SCHEMA_VERSION } from './schema.ts';
import { BUNDLE_FORMAT, BUNDLE_VERSION, copySessionRows } from './export.ts';
import { blobToValues, parseShape, shapeValueCount } from './codec.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent } from '../../shared/policy.ts';
import type { ProgressFn, SessionStatus } from './types.ts';

const num = z.number();
const latency = z.object({ p50: num, p99: num, p999: num }).passthrough();
const cycles = z.object({ guest: num, exit: num, io: num, emptyPoll: num, ctxSwitch: num, idle: num }).passthrough();

const snapshotSchema = z
  .object({
    seq: z.number().int().nonnegative(),
    t: num,
    intervalMs: z.number().positive(),
    hz: num,
    phase: z.string(),
    cores: z.array(z.object({ id: z.number().int(), role: z.enum(['vm', 'side']), cycles }).passthrough()),
    sideCores: z.array(z.object({ coreId: z.number().int(), queues: z.array(z.number().int()) }).passthrough()),
    queues: z.array(z.object({ id: z.number().int(), vm: z.number().int(), owner: z.number().int().nullable(), polling: z.boolean() }).passthrough()),
    vms: z.array(z.object({ id: z.number().int(), name: z.string(), group: z.string(), latencyUs: latency, load: num }).passthrough()),
    groups: z.array(z.object({ group: z.string(), latencyUs: latency, score: num }).passthrough()),
    totals: z.object({ score: num, sideCores: num, latencyUs: latency, cycles }).passthrough(),
  })
  .passthrough();

const eventSchema = z.object({
  t: num,
  source: z.enum(['policy', 'operator', 'agent', 'system']),
  kind: z.enum(['decision', 'override', 'audit', 'connect', 'disconnect', 'error', 'phase', 'notice']),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

const sessionSchema = z.object({
  id: z.string().min(1),
  host: z.string(),
  source: z.enum(['model', 'agent']),
  scenarioName: z.string().optional(),
  scenario: z.record(z.string(), z.unknown()).nullable().optional(),
  seed: z.number().nullable().optional(),
  policy: z.string().optional(),
  policyConfig: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
  appVersion: z.string().optional(),
  info: z.record(z.string(), z.unknown()).nullable().optional(),
  intervalMs: z.number().positive().nullable().optional(),
  startedAt: z.number().int(),
  endedAt: z.number().int().nullable().optional(),
  status: z.enum(['recording', 'complete', 'interrupted', 'error']).optional(),
  error: z.string().nullable().optional(),
  parentId: z.string().nullable().optional(),
});

const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  session: sessionSchema,
  events: z.array(eventSchema),
  snapshots: z.array(snapshotSchema),
});

function zodMessage(file: string, err: z.ZodError): string {
  const issues = err.issues.slice(0, 5).map((i) => {
    const path = i.path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : `${s}.${String(p)}`), 'bundle');
    return `${path}: ${i.message}`;
  });
  return `${file} is not a valid session bundle: ${issues.join('; ')}${err.issues.length > 5 ? ` (and ${err.issues.length - 5} more)` : ''}`;
}

/** Result of an import. */
export interface ImportResult {
  /** Ids of the imported sessions (new ids where the original was taken). */
  sessions: { id: string; originalId: string }[];
}

function fileKind(path: string): 'sqlite' | 'json' {
  if (!existsSync(path)) throw new HistoryError('not-found', `${path}: no such file`);
  if (statSync(path).size === 0) throw new HistoryError('invalid', `${path} is empty`);
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(16);
  const n = readSync(fd, buf, 0, 16, 0);
  closeSync(fd);
  if (n === 16 && buf.toString('latin1') === 'SQLite format 3\u0000') return 'sqlite';
  return 'json';
}

/** Import a bundle (.json) or a session file (SQLite) into `store`. */
export function importFile(store: HistoryDb, path: string, progress: ProgressFn = () => {}): ImportResult {
  return fileKind(path) === 'sqlite' ? importSqlite(store, path, progress) : importBundle(store, path, progress);
}

function importBundle(store: HistoryDb, path: string, progress: ProgressFn): ImportResult {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HistoryError('invalid', `${path} is neither an IOcm history/session file nor valid JSON (${(err as Error).message})`);
  }
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) throw new HistoryError('invalid', zodMessage(path, parsed.error));
  const b = raw as { session: z.infer<typeof sessionSchema>; events: HostEvent[]; snapshots: HostSnapshot[] };
  for (let i = 1; i < b.snapshots.length; i++)
    if (b.snapshots[i].seq <= b.snapshots[i - 1].seq) throw new HistoryError('invalid', `${path}: bundle.snapshots[${i}].seq ${b.snapshots[i].seq} is not after the previous one`);
  const m = b.session;
  let begun: string | null = null;
  try {
    const id = store.transaction(() => {
      const id = (begun = store.beginSession({
        id: m.id,
        host: m.host,
        source: m.source,
        scenario: (m.scenario as never) ?? null,
        scenarioName: m.scenarioName,
        seed: m.seed ?? null,
        policy: m.policy,
        policyConfig: m.policyConfig,
        appVersion: m.appVersion,
        info: (m.info as never) ?? null,
        intervalMs: m.intervalMs ?? undefined,
        startedAt: m.startedAt,
        parentId: m.parentId ?? null,
      }));
      const batch = 500;
      let ev = 0;
      for (let i = 0; i < b.snapshots.length || ev < b.events.length; i += batch) {
        const snaps = b.snapshots.slice(i, i + batch);
        const until = i + batch >= b.snapshots.length ? Infinity : snaps[snaps.length - 1].t;
        const evs: HostEvent[] = [];
        while (ev < b.events.length && b.events[ev].t <= until) evs.push(b.events[ev++]);
        store.append(id, snaps, evs);
        progress(Math.min(1, (i + batch) / Math.max(1, b.snapshots.length)), `${Math.min(i + batch, b.snapshots.length)} snapshots`);
      }
      store.endSession(id, m.endedAt ?? m.startedAt, (m.status ?? 'complete') as SessionStatus, m.error ?? null);
      if (m.endedAt === null || m.endedAt === undefined) store.db.prepare('UPDATE sessions SET ended_at = NULL WHERE id = ?').run(id);
      return id;
    });
    return { sessions: [{ id, originalId: m.id }] };
  } catch (err) {
    if (begun) store.abandonSession(begun);
    throw err;
  }
}

function importSqlite(store: HistoryDb, path: string, progress: ProgressFn): ImportResult {
  // Validate identity and schema read-only; migrate an older file on a temporary copy.
  let src = openHistoryDatabase(path, { readonly: true });
  let tmp: string | null = null;
  const version = src.pragma('user_version', { simple: true }) as number;
  if (version < SCHEMA_VERSION) {
    src.close();
    tmp = mkdtempSync(join(tmpdir(), 'iocm-import-'));
    const copy = join(tmp, 'session.db');
    copyFileSync(path, copy);
    src = openHistoryDatabase(copy);
  }
  const srcPath = src.name;
  try {
    const integrity = src.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') throw new HistoryError('corrupt', `${path}: integrity check failed (${String(integrity)}); nothing was imported`);
    const sessions = src.prepare('SELECT * FROM sessions ORDER BY key').all() as Record<string, unknown>[];
    if (sessions.length === 0) throw new HistoryError('invalid', `${path} holds no sessions`);
    // Validate every snapshot blob against its layout.
    for (const s of sessions) {
      const shapes = new Map<number, number>();
      for (const l of src.prepare('SELECT id, shape FROM layouts WHERE session = ?').all(s.key) as { id: number; shape: string }[]) {
        try {
          shapes.set(l.id, shapeValueCount(parseShape(l.shape)));
        } catch (err) {
          throw new HistoryError('invalid', `${path}: session '${String(s.id)}' layout ${l.id} is not valid JSON (${(err as Error).message})`);
        }
      }
      for (const r of src.prepare('SELECT seq, layout, data FROM snapshots WHERE session = ?').iterate(s.key) as Iterable<{ seq: number; layout: number; data: Buffer }>) {
        const want = shapes.get(r.layout);
        if (want === undefined) throw new HistoryError('invalid', `${path}: session '${String(s.id)}' snapshot ${r.seq} refers to missing layout ${r.layout}`);
        if (!Buffer.isBuffer(r.data) || r.data.byteLength !== want * 8 || blobToValues(r.data).length !== want)
          throw new HistoryError('invalid', `${path}: session '${String(s.id)}' snapshot ${r.seq} has ${r.data?.byteLength ?? 0} bytes, its layout needs ${want * 8}`);
      }
    }
    src.close();
    const db = store.db;
    db.prepare('ATTACH DATABASE ? AS ximp').run(srcPath);
    const out: ImportResult = { sessions: [] };
    try {
      store.transaction(() => {
        sessions.forEach((s, i) => {
          let id = String(s.id);
          while (db.prepare('SELECT 1 FROM main.sessions WHERE id = ?').get(id)) id = `${String(s.id)}-${Math.random().toString(16).slice(2, 6)}`;
          const cols = Object.keys(s).filter((c) => c !== 'key' && c !== 'id');
          const r = db
            .prepare(`INSERT INTO main.sessions (id, ${cols.join(', ')}) SELECT ?, ${cols.join(', ')} FROM ximp.sessions WHERE key = ?`)
            .run(id, s.key as number);
          const newKey = Number(r.lastInsertRowid);
          copySessionRows(db, 'ximp', s.key as number, 'main', newKey);
          out.sessions.push({ id, originalId: String(s.id) });
          progress((i + 1) / sessions.length, `session ${id}`);
        });
      });
    } finally {
      db.prepare('DETACH DATABASE ximp').run();
    }
    // Files migrated from v1 have no rollups yet.
    for (const s of out.sessions) store.ensureRollups(s.id);
    return out;
  } finally {
    if (src.open) src.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
