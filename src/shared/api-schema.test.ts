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
    expect(EVENT_NAMES).toHaveLength(5);
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
    // "an object", not "a object" (review 6)
    const notObject = validateArgs('listSessions', 5 as never);
    expect(!notObject.ok && notObject.error.message).toBe('Invalid listSessions request: the request must be an object.');
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

describe('fleet methods (issue 12)', () => {
  const TOKEN = 'Sup3r-s3cret_token-value';
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Vy\ndGlmaWNhdGU=\n-----END CERTIFICATE-----\n';

  it('accepts a ws:// or wss:// agent with a token, an optional PEM certificate and name', () => {
    expect(validateArgs('connectAgent', { url: 'ws://10.0.0.5:7878', token: TOKEN }).ok).toBe(true);
    const full = validateArgs('connectAgent', { url: 'wss://kvm-12.example.net:7878/', token: TOKEN, ca: PEM, name: 'kvm-12' });
    expect(full.ok).toBe(true);
    expect(validateArgs('connectModel', { scenario: 'mixed', seed: 1, speed: 1, add: true, name: 'second model' }).ok).toBe(true);
    expect(validateArgs('listHosts', {}).ok).toBe(true);
    expect(validateArgs('selectHost', { hostId: 'h2' }).ok).toBe(true);
    expect(validateArgs('recordStop', {}).ok).toBe(true);
    expect(validateArgs('recordStart', { hostId: 'h1' }).ok).toBe(true);
  });

  it('refuses bad addresses with the reason, naming url', () => {
    const cases: [string, RegExp][] = [
      ['http://host:7878', /ws:\/\/ or wss:\/\/.*not http:/],
      ['file:///etc/passwd', /ws:\/\/ or wss:\/\//],
      ['host:7878', /ws:\/\/ or wss:\/\//],
      ['not a url', /address such as ws:\/\/host/],
      ['ws://admin:pw@host:7878', /user name or password/],
      ['ws://host:7878/#x', /fragment/],
      [`ws://host/${'a'.repeat(3000)}`, /at most 2048 characters/],
      ['', /at least 1/],
    ];
    for (const [url, re] of cases) {
      const r = validateArgs('connectAgent', { url, token: TOKEN });
      expect(r.ok, url).toBe(false);
      if (!r.ok) {
        expect(r.error.field, url).toBe('url');
        expect(r.error.message, url).toMatch(re);
      }
    }
  });

  it('refuses bad tokens without ever repeating them', () => {
    for (const token of ['', 'has space inside', 'tab\there', 'ünïcode-token', 'x'.repeat(5000)]) {
      const r = validateArgs('connectAgent', { url: 'ws://host:7878', token });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.field).toBe('token');
        if (token.length > 3) expect(r.error.message).not.toContain(token);
      }
    }
    const missing = validateArgs('connectAgent', { url: 'ws://host:7878' });
    expect(!missing.ok && missing.error.field).toBe('token');
  });

  it('refuses a certificate that is not PEM, or too large, naming ca', () => {
    const bad = validateArgs('connectAgent', { url: 'wss://host', token: TOKEN, ca: 'hello' });
    expect(!bad.ok && bad.error.field).toBe('ca');
    expect(!bad.ok && bad.error.message).toMatch(/PEM certificate text/);
    const key = validateArgs('connectAgent', { url: 'wss://host', token: TOKEN, ca: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n' });
    expect(!key.ok && key.error.field).toBe('ca');
    const huge = validateArgs('connectAgent', { url: 'wss://host', token: TOKEN, ca: PEM.repeat(2000) });
    expect(!huge.ok && huge.error.message).toMatch(/at most 65536 characters/);
  });

  it('refuses bad host ids and names', () => {
    const id = validateArgs('selectHost', { hostId: '../h1' });
    expect(!id.ok && id.error.field).toBe('hostId');
    expect(!id.ok && id.error.message).toMatch(/host id such as 'h1'/);
    expect(validateArgs('disconnectHost', {}).ok).toBe(false);
    const name = validateArgs('connectAgent', { url: 'ws://h', token: TOKEN, name: 'a\u0000b' });
    expect(!name.ok && name.error.field).toBe('name');
    expect(validateArgs('connectModel', { scenario: 'mixed', seed: 1, speed: 1, add: 'yes' }).ok).toBe(false);
  });
});
