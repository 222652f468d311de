/**
 * Services integration: the real host model and IOcm loop, recorded into a real
 * SQLite file, driven only through IocmApi (as the renderer does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../src/main/services/index.ts';
import type { IocmApi, Result, TelemetryMessage } from '../src/shared/api.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { HistoryDb } from '../src/main/history/store.ts';

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Wait until a live snapshot satisfies `pred` (or fail after `ms`). */
function waitSnapshot(api: IocmApi, pred: (s: HostSnapshot) => boolean, ms = 20_000): Promise<HostSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for a matching snapshot'));
    }, ms);
    const off = api.onTelemetry((m: TelemetryMessage) => {
      if (m.stream !== 'live') return;
      const s = m.batch.snapshots.find(pred);
      if (s) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

describe('services on the real model and a real SQLite file', () => {
  let dir: string;
  let services: Services;
  let api: IocmApi;
  let dbPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iocm-services-'));
    dbPath = join(dir, 'history.db');
    services = createServices({ dbPath, scenario: 'mixed', seed: 7, speed: 10 });
    api = services.api;
    await services.boot();
  });
  afterAll(async () => {
    await services?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects the model and streams batches of snapshots with loop status', async () => {
    const st = value(await api.getState());
    expect(st.connection).toMatchObject({ kind: 'model', scenario: 'mixed', seed: 7 });
    expect(st.host?.cores).toBeGreaterThanOrEqual(2);
    expect(st.recording.sessionId).toBeTruthy();
    const s = await waitSnapshot(api, () => true);
    expect(s.cores).toHaveLength(st.host!.cores);
    const scenarios = value(await api.listScenarios());
    expect(scenarios.map((x) => x.name)).toContain('mixed');
    const policies = value(await api.listPolicies());
    expect(policies.map((p) => p.name)).toContain('iocm');
  });

  it('pins a core: the model makes it a side core and the loop keeps it; releasing returns it', async () => {
    const st = value(await api.getState());
    const cores = st.host!.cores;
    const first = await waitSnapshot(api, () => true);
    const vmCore = first.cores.filter((c) => c.role === 'vm').map((c) => c.id)[0];
    expect(vmCore).toBeDefined();
    const o = value(await api.pinCore({ core: vmCore }));
    expect(o.pinned).toContain(vmCore);
    const pinnedSnap = await waitSnapshot(api, (s) => s.cores[vmCore].role === 'side');
    // the loop honours the pin over the following epochs
    const later = await waitSnapshot(api, (s) => s.t >= pinnedSnap.t + 1000);
    expect(later.cores[vmCore].role).toBe('side');
    expect(later.sideCores.map((x) => x.coreId)).toContain(vmCore);
    const r = value(await api.releaseCore({ core: vmCore }));
    expect(r.released).toContain(vmCore);
    expect(r.pinned).not.toContain(vmCore);
    await waitSnapshot(api, (s) => s.cores[vmCore].role === 'vm');
    value(await api.clearCoreOverride({ core: vmCore }));
    // pinning every core would leave no VM core: refused with the limit in words
    for (let c = 0; c < cores - 1; c++) await api.pinCore({ core: c });
    const refused = await api.pinCore({ core: cores - 1 });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('refused');
      expect(refused.error.message.length).toBeGreaterThan(10);
    }
    for (let c = 0; c < cores; c++) await api.clearCoreOverride({ core: c });
    const audit = value(await api.getAuditLog({}));
    expect(audit.some((a) => a.source === 'operator' && a.ok)).toBe(true);
    expect(audit.some((a) => !a.ok)).toBe(true);
    // A refused entry says its reason once: in its detail, or in its action's words.
    for (const a of audit.filter((x) => !x.ok)) expect(a.detail === '' || !a.action.includes(a.detail)).toBe(true);
    // the session's decisions and overrides, for a replay's marks and list
    const sid = value(await api.getState()).recording.sessionId!;
    const events = value(await api.getSessionEvents({ sessionId: sid }));
    expect(events.some((e) => e.kind === 'override' && e.source === 'operator')).toBe(true);
    expect(events.every((e, i) => i === 0 || e.t >= events[i - 1].t)).toBe(true);
    expect(value(await api.getSessionEvents({ sessionId: sid, limit: 2 }))).toEqual(events.slice(-2));
    const missing = await api.getSessionEvents({ sessionId: 'no-such-session' });
    expect(!missing.ok && missing.error.code).toBe('not-found');
  });

  it('validates policy configs per field and bad arguments before they reach the loop', async () => {
    const bad = await api.pinCore({ core: -3 } as never);
    expect(!bad.ok && bad.error.field).toBe('core');
    const policies = value(await api.listPolicies());
    const iocm = policies.find((p) => p.name === 'iocm')!;
    const numField = iocm.fields.find((f) => f.type !== 'boolean' && f.max !== undefined);
    if (numField) {
      const r = await api.setPolicy({ name: 'iocm', config: { ...iocm.defaults, [numField.key]: numField.max! * 10 + 10 } });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.field).toBe(`config.${numField.key}`);
        // Named by its label, once (review 6: "TargetBusy: Target side-core load must be ≤ 1").
        expect(r.error.message).toMatch(new RegExp(`^${numField.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} must be ≤ `));
      }
    }
    const unknown = await api.setPolicy({ name: 'no-such-policy', config: {} });
    expect(unknown.ok).toBe(false);
    const good = value(await api.setPolicy({ name: 'vhost', config: {} }));
    expect(good.policy).toBe('vhost');
    await waitSnapshot(api, (s) => s.totals.sideCores === 0);
    value(await api.setPolicy({ name: 'iocm', config: {} }));
    const agent = await api.connectAgent({ url: 'ws://10.0.0.1:1', token: 'x' });
    expect(!agent.ok && agent.error.code).toBe('not-available');
  });

  it('records the session: listed, queried as series, replayed and exported as CSV', async () => {
    const sid = value(await api.getState()).recording.sessionId!;
    await waitSnapshot(api, (s) => s.t >= 4000);
    const list = value(await api.listSessions({}));
    const mine = list.find((s) => s.id === sid);
    expect(mine).toBeDefined();
    expect(mine!.scenario).toBe('mixed');
    const detail = value(await api.getSession({ sessionId: sid }));
    expect(detail.snapshots).toBeGreaterThan(10);
    const series = value(await api.querySeries({ sessionId: sid, series: ['totals.score', 'totals.sideCores'], t0: detail.t0, t1: detail.t1, points: 50 }));
    expect(series.t.length).toBeGreaterThan(1);
    expect(series.series[0].values.some((v) => Number.isFinite(v) && v > 0)).toBe(true);

    // replay: seeking shows exactly the recorded snapshot at that time
    const replayed: TelemetryMessage[] = [];
    const off = api.onTelemetry((m) => m.stream === 'replay' && replayed.push(m));
    const rs = value(await api.openReplay({ sessionId: sid }));
    expect(rs.t0).toBe(detail.t0);
    const target = detail.t0 + 2000;
    const at = value(await api.replaySeek({ t: target }));
    expect(at.t).toBeGreaterThanOrEqual(target);
    const shown = replayed[replayed.length - 1].batch.snapshots[0];
    const db = new HistoryDb(dbPath, { readonly: true });
    const stored = db.seek(sid, target)!;
    db.close();
    expect(shown.t).toBe(stored.t);
    expect(shown.totals.score).toBe(stored.snapshot.totals.score);
    const stepped = value(await api.replayStep({ direction: 1 }));
    expect(stepped.t).toBeGreaterThan(at.t);
    const back = value(await api.replayStep({ direction: -1 }));
    expect(back.t).toBe(at.t);
    value(await api.closeReplay());
    off();

    const file = value(await api.exportSession({ sessionId: sid, format: 'csv', layout: 'long', opId: 'exp-1' }));
    expect(file.fileName).toMatch(/\.csv$/);
    // The file waits on disk for its transport; its id is single-use.
    const claimed = services.exports.claim(file.exportId)!;
    expect(claimed).not.toBeNull();
    expect(services.exports.claim(file.exportId)).toBeNull();
    const text = readFileSync(claimed.path, 'utf8');
    expect(Buffer.byteLength(text)).toBe(file.size);
    claimed.release();
    expect(existsSync(claimed.path)).toBe(false);
    const lines = text.trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(text).toMatch(/^[^,]+,\d+,\d+,sample,host,score,score units,/m);
  });

  it('re-runs the recorded session under another policy (what-if) with progress, and can cancel', async () => {
    const sid = value(await api.getState()).recording.sessionId!;
    const progress: number[] = [];
    const off = api.onProgress((p) => p.opId === 'wi-1' && progress.push(p.fraction));
    const cmp = value(await api.whatIf({ sessionId: sid, policy: 'vhost', opId: 'wi-1' }));
    off();
    expect(cmp.base.sessionId).toBe(sid);
    expect(cmp.other.policy).toBe('vhost');
    expect(cmp.rows.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
    const list = value(await api.listSessions({}));
    expect(list.find((s) => s.id === cmp.other.sessionId)?.parentId).toBe(sid);
    // cancel: start another run and cancel it at once
    const run = api.whatIf({ sessionId: sid, policy: 'static:2', opId: 'wi-2' });
    const c = await api.cancel({ opId: 'wi-2' });
    const r = await run;
    if (c.ok) expect(!r.ok && r.error.code).toBe('cancelled');
    else expect(r.ok).toBe(true); // it had already finished
  });

  it('a what-if under a policy it cannot take is invalid-argument naming the field, as setPolicy does (review 8 item 3)', async () => {
    const sid = value(await api.getState()).recording.sessionId!;
    const cores = value(await api.getState()).host!.cores;
    const noK = await api.whatIf({ sessionId: sid, policy: 'static' });
    expect(noK.ok ? null : noK.error).toMatchObject({ code: 'invalid-argument', field: 'policy', message: expect.stringContaining('give a side-core count') });
    const tooMany = await api.whatIf({ sessionId: sid, policy: 'static', config: { k: cores } });
    expect(tooMany.ok ? null : tooMany.error).toMatchObject({ code: 'invalid-argument', field: 'config.k', message: expect.stringContaining(`K must be at most ${cores - 1}`) });
    const negative = await api.whatIf({ sessionId: sid, policy: 'ovs-auto-lb', config: { k: -1 } });
    expect(negative.ok ? null : negative.error).toMatchObject({ code: 'invalid-argument', field: 'config.k' });
    const unknown = await api.whatIf({ sessionId: sid, policy: 'frobnicate' });
    expect(unknown.ok ? null : unknown.error).toMatchObject({ code: 'invalid-argument', field: 'policy' });
    // a session that is not there is still not-found, not the request's field
    const missing = await api.whatIf({ sessionId: 'no-such-session', policy: 'static', config: { k: 1 } });
    expect(missing.ok ? null : missing.error?.code).toBe('not-found');
  });

  it('a what-if whose setting is refused says it in the setting\'s own words, as setPolicy does, not the policy\'s whole message (review 9 item 6)', async () => {
    const sid = value(await api.getState()).recording.sessionId!;
    const cores = value(await api.getState()).host!.cores;
    const before = value(await api.getState()).loop!.policy;
    for (const [policy, config] of [
      ['iocm', { targetBusy: 0.95 }],
      ['iocm', { targetBusy: 5 }],
      ['iocm', { saturatedBusy: 0.5 }],
      [`static:${cores + 3}`, undefined],
      ['static', undefined],
      ['frobnicate', undefined],
    ] as const) {
      const w = await api.whatIf({ sessionId: sid, policy, ...(config ? { config } : {}) });
      const p = await api.setPolicy({ name: policy, config: config ?? {} });
      const we = w.ok ? null : w.error;
      const pe = p.ok ? null : p.error;
      expect(we?.code, policy).toBe('invalid-argument');
      expect(we?.message, `${policy} ${JSON.stringify(config)}`).toBe(pe?.message);
      // the same field, in each method's own name for the policy
      expect(we?.field).toBe(pe?.field === 'name' ? 'policy' : pe?.field);
    }
    const w = await api.whatIf({ sessionId: sid, policy: 'iocm', config: { targetBusy: 0.95 } });
    expect(w.ok ? null : w.error).toMatchObject({ field: 'config.targetBusy', message: 'Target side-core load (0.95) must be below Saturated (0.92)' });
    expect(value(await api.getState()).loop!.policy).toBe(before);
  });

  it('lists a session with its policy changes and operator overrides, not only the policy it began under (review 8 item 13)', async () => {
    const sid = value(await api.getState()).recording.sessionId!;
    const control = async () => value(await api.listSessions({})).find((s) => s.id === sid)?.control;
    const before = (await control())!;
    expect(before.policies[0]).toBe(value(await api.getSession({ sessionId: sid })).policy);
    value(await api.setPolicy({ name: 'static:2', config: {} }));
    value(await api.setPolicy({ name: 'static:2', config: {} })); // the same again: not a change
    value(await api.setPolicy({ name: 'iocm', config: {} }));
    const st = value(await api.getState());
    const core = (await waitSnapshot(api, () => true)).cores.find((c) => c.role === 'vm' && !st.overrides.pinned.includes(c.id))!.id;
    value(await api.pinCore({ core }));
    value(await api.clearCoreOverride({ core })); // undoing an override is not another
    await expect.poll(async () => (await control())?.policyChanges, { timeout: 10_000 }).toBe(before.policyChanges + 2);
    await expect.poll(async () => (await control())?.overrides, { timeout: 10_000 }).toBe(before.overrides + 1);
    const after = (await control())!;
    expect(after.policies.slice(-2)).toEqual(['static:2', 'iocm']);
    expect(value(await api.getSession({ sessionId: sid })).control).toEqual(after);
  });

  it('ends the recorded session cleanly on shutdown', async () => {
    const sid = value(await api.getState()).recording.sessionId!;
    await services.shutdown();
    const db = new HistoryDb(dbPath, { readonly: true });
    const s = db.getSession(sid);
    db.close();
    expect(s.endedAt).not.toBeNull();
    expect(s.snapshots).toBeGreaterThan(10);
  });
});
