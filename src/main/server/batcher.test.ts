import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBatcher, MAX_SNAPSHOTS_PER_FLUSH } from './batcher.ts';
import type { EventName, TelemetryMessage } from '../../shared/api.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';

const snap = (t: number) => ({ t, seq: t, intervalMs: 100, hz: 1e9, totals: {}, cores: [], vms: [] }) as unknown as HostSnapshot;
const tele = (stream: 'live' | 'replay', ts: number[], events: string[] = []): TelemetryMessage => ({
  stream,
  sessionId: 's1',
  batch: { snapshots: ts.map(snap), events: events.map((m, i) => ({ t: i, source: 'policy', kind: 'notice', message: m })) },
});

describe('EventBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('merges telemetry and keeps only the latest status until the flush period elapses', () => {
    const out: [EventName, unknown][] = [];
    const b = new EventBatcher((e, p) => out.push([e, p]), 250);
    for (let i = 0; i < 10; i++) b.push('telemetry', tele('live', [i], [`e${i}`]));
    b.push('status', { connection: { kind: 'none' } } as never);
    b.push('status', { connection: { kind: 'agent', url: 'x' } } as never);
    vi.advanceTimersByTime(200);
    expect(out).toHaveLength(0);
    vi.advanceTimersByTime(60);
    expect(out.map((o) => o[0])).toEqual(['status', 'telemetry']);
    expect((out[0][1] as { connection: { kind: string } }).connection.kind).toBe('agent');
    const t = out[1][1] as TelemetryMessage;
    // all but the newest as trend points, in order
    expect(t.trend!.map((s) => s.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(t.batch.snapshots.map((s) => s.t)).toEqual([9]);
    expect(t.batch.events.map((e) => e.message)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
  });

  it('keeps streams apart, caps snapshots to the newest, never drops events or notices', () => {
    const out: [EventName, unknown][] = [];
    const b = new EventBatcher((e, p) => out.push([e, p]), 100);
    const many = Array.from({ length: MAX_SNAPSHOTS_PER_FLUSH + 50 }, (_, i) => i);
    b.push('telemetry', tele('live', many, ['a']));
    b.push('telemetry', tele('replay', [1]));
    b.push('notice', { level: 'info', message: 'n1', at: 1 });
    b.push('notice', { level: 'error', message: 'n2', at: 2 });
    b.push('progress', { opId: 'x', kind: 'export', fraction: 0.1, message: '' });
    b.push('progress', { opId: 'x', kind: 'export', fraction: 1, message: '', done: true });
    b.flush();
    const tm = out.filter((o) => o[0] === 'telemetry').map((o) => o[1] as TelemetryMessage);
    expect(tm.map((m) => m.stream)).toEqual(['live', 'replay']);
    expect(tm[0].trend).toHaveLength(MAX_SNAPSHOTS_PER_FLUSH - 1);
    expect(tm[0].trend![0].t).toBe(50);
    expect(tm[0].batch.snapshots.map((s) => s.t)).toEqual([MAX_SNAPSHOTS_PER_FLUSH + 49]);
    expect(tm[1].trend).toBeUndefined(); // one snapshot: sent whole
    expect(out.filter((o) => o[0] === 'notice')).toHaveLength(2);
    const prog = out.filter((o) => o[0] === 'progress');
    expect(prog).toHaveLength(1);
    expect((prog[0][1] as { done?: boolean }).done).toBe(true);
    b.close();
    b.push('notice', { level: 'info', message: 'late', at: 3 });
    vi.advanceTimersByTime(1000);
    expect(out.filter((o) => o[0] === 'notice')).toHaveLength(2);
  });
});
