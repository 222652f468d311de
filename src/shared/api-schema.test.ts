import { describe, expect, it } from 'vitest';
import { METHOD_NAMES, EVENT_NAMES, createApiClient, type Result } from './api.ts';
import { METHOD_SCHEMAS, isEventName, isMethodName, validateArgs } from './api-schema.ts';

describe('api schema', () => {
  it('has a schema for every whitelisted method and nothing else', () => {
    expect(Object.keys(METHOD_SCHEMAS).sort()).toEqual([...METHOD_NAMES].sort());
    expect(isMethodName('pinCore')).toBe(true);
    expect(isMethodName('constructor')).toBe(false);
    expect(isEventName('telemetry')).toBe(true);
    expect(isEventName('eval')).toBe(false);
    expect(EVENT_NAMES).toHaveLength(4);
  });

  it('accepts good arguments and treats missing args as {}', () => {
    expect(validateArgs('pinCore', { core: 3 })).toEqual({ ok: true, value: { core: 3 } });
    expect(validateArgs('getState', undefined)).toEqual({ ok: true, value: {} });
    expect(validateArgs('replayJumpToDecision', { direction: 'prev' }).ok).toBe(true);
    expect(validateArgs('saveFile', { fileName: 'a.csv', bytes: new Uint8Array([1]) }).ok).toBe(true);
  });

  it('names the bad field in plain words', () => {
    const r = validateArgs('pinCore', { core: 1.5 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid-argument');
      expect(r.error.field).toBe('core');
      expect(r.error.message).toMatch(/core/);
    }
    const lock = validateArgs('lockSideCoreCount', { min: 4, max: 2 });
    expect(!lock.ok && lock.error.field).toBe('max');
    const extra = validateArgs('getState', { evil: 1 });
    expect(!extra.ok && extra.error.message).toMatch(/unknown field/);
    const unknown = validateArgs('rm -rf', {});
    expect(!unknown.ok && unknown.error.code).toBe('not-found');
    const range = validateArgs('querySeries', { sessionId: 's', series: ['totals.score'], t0: 10, t1: 5, points: 100 });
    expect(!range.ok && range.error.field).toBe('t1');
  });

  it('createApiClient routes calls and events and turns rejections into values', async () => {
    const calls: [string, unknown][] = [];
    const subs: string[] = [];
    const api = createApiClient(
      async (m, a) => {
        calls.push([m, a]);
        if (m === 'pauseLoop') throw new Error('socket closed');
        return { ok: true, value: m } as Result<unknown>;
      },
      (e) => {
        subs.push(e);
        return () => subs.splice(subs.indexOf(e), 1);
      },
    );
    expect(await api.pinCore({ core: 2 })).toEqual({ ok: true, value: 'pinCore' });
    expect(calls[0]).toEqual(['pinCore', { core: 2 }]);
    await api.getState();
    expect(calls[1]).toEqual(['getState', {}]);
    const r = await api.pauseLoop();
    expect(!r.ok && r.error.code).toBe('internal');
    const off = api.onTelemetry(() => {});
    expect(subs).toEqual(['telemetry']);
    off();
    expect(subs).toEqual([]);
  });
});
