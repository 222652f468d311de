/**
 * CSV export of one session, for spreadsheets and scripts: entities by name (the VM's name, a
 * queue as `web-3/net0`), every metric with its unit, values rounded to what the measurement
 * supports (cycles and counts as integers, rates to 6 significant digits), and what happened —
 * decisions, overrides, phase changes, connection gaps, errors — as rows in the same file.
 *
 * - long: `time,unix_ms,t_ms,row,entity,metric,unit,value,detail` — one row per (time, series),
 *   `row` = `sample`; and one row per event, `row` = the event's kind (`decision`, `override`,
 *   `phase`, …), `metric` = who (the policy, `operator`, `system`), `value` = the side-core count
 *   after a decision where it changed, `detail` = the event's words. A decision to stay is left out
 *   (one per epoch; the JSON bundle keeps them).
 * - wide: one row per time, one column per series named `<entity> <metric> (<unit>)`, blank where the
 *   entity did not exist at that time (a side core that came later), and a last column `events` with
 *   the interval's events in words.
 *
 * Cells that a spreadsheet would run as formulas are neutralised ({@link csvText}). Streams: memory
 * does not grow with the session's length. docs/history.md documents the columns.
 */
import type { HostEvent } from '../../shared/policy.ts';
import type { HostInfo } from '../../shared/control.ts';
import type { HistoryDb } from './store.ts';
import { blobToValues, parseShape, seriesPlan, type SeriesPlan } from './codec.ts';
import type { ProgressFn } from './types.ts';
import { HistoryError } from './schema.ts';

/** The largest |ms since 1970| a Date can hold (ECMAScript: 100 000 000 days). */
const MAX_DATE_MS = 8.64e15;

/** Something that takes text chunks (the export's buffered file writer). */
export interface CsvSink {
  write(s: string): void;
}

/**
 * A text cell of a CSV file: names come from recorded or imported sessions, so a cell that a
 * spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a leading
 * apostrophe, and a cell with a comma, quote or line break is quoted (RFC 4180).
 */
export function csvText(s: string): string {
  let v = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  if (/[",\r\n]/.test(v)) v = `"${v.replace(/"/g, '""')}"`;
  return v;
}

/** Split a series name into entity and metric ('core.3.io' → ['core.3', 'io'], 'totals.score' → ['totals', 'score']). */
export function splitSeries(name: string): [string, string] {
  const parts = name.split('.');
  if (parts[0] === 'totals') return ['totals', parts.slice(1).join('.')];
  return [parts.slice(0, 2).join('.'), parts.slice(2).join('.')];
}

/** Units of the metrics of a snapshot (per interval for counters and cycles; docs/history.md). */
const UNITS: Record<string, string> = {
  guest: 'cycles',
  exit: 'cycles',
  io: 'cycles',
  emptyPoll: 'cycles',
  ctxSwitch: 'cycles',
  idle: 'cycles',
  workCycles: 'cycles',
  emptyPollCycles: 'cycles',
  waitCycles: 'cycles',
  vcpuRunCycles: 'cycles',
  vcpuWaitCycles: 'cycles',
  loops: 'loops',
  emptyPolls: 'polls',
  polls: 'polls',
  kicks: 'kicks',
  requests: 'requests',
  pending: 'requests',
  interrupts: 'interrupts',
  bytes: 'B',
  side: 'flag',
  polling: 'flag',
  owner: 'core',
  requestsPerSec: 'req/s',
  bytesPerSec: 'B/s',
  guestCyclesPerSec: 'cycles/s',
  exitsPerSec: 'exits/s',
  interruptsPerSec: 'interrupts/s',
  ctxSwitchesPerSec: 'switches/s',
  'latencyUs.p50': 'µs',
  'latencyUs.p99': 'µs',
  'latencyUs.p999': 'µs',
  load: '×',
  workRate: 'work units/s',
  score: 'score units',
  sideCores: 'cores',
};

/** Units whose values are whole numbers (counts, cycles, flags, core ids). */
const WHOLE = new Set(['cycles', 'loops', 'polls', 'kicks', 'requests', 'interrupts', 'B', 'flag', 'core', 'cores']);

/** The unit of a metric ('cycles.io' of the totals is cycles too); '' when unknown (a newer recording). */
export function unitOf(metric: string): string {
  if (metric.startsWith('cycles.')) return 'cycles';
  return UNITS[metric] ?? '';
}

/** A numeric cell rounded for its unit: whole units to integers, others to 6 significant digits; '' for NaN/∞. */
export function csvNumber(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '';
  if (WHOLE.has(unit) || Math.abs(v) >= 1e6) return String(Math.round(v) + 0);
  return String(Number(v.toPrecision(6)) + 0);
}

/** Series that only repeat the structure (a queue's VM and device index): named in the entity instead. */
function isStructural(metric: string, entity: string): boolean {
  return entity.startsWith('queue.') && (metric === 'vm' || metric === 'device');
}

/**
 * The display name of an entity of a series ('vm.3' → the VM's name; 'queue.12' → `web-3/net0`;
 * 'core.3' → `core 3`; 'side.7' → `side core 7`; 'group.web' → `group web`; 'totals' → `host`).
 * Falls back to the recorded ids where the session has no host description (old recordings).
 */
export function entityName(entity: string, info: HostInfo | null, vmNames: Map<number, string>): string {
  if (entity === 'totals') return 'host';
  const dot = entity.indexOf('.');
  const kind = entity.slice(0, dot);
  const id = entity.slice(dot + 1);
  switch (kind) {
    case 'core':
      return `core ${id}`;
    case 'side':
      return `side core ${id}`;
    case 'group':
      return `group ${id}`;
    case 'vm':
      return vmNames.get(Number(id)) ?? `vm ${id}`;
    case 'queue': {
      const q = info?.queues.find((x) => x.id === Number(id));
      if (!q) return `queue ${id}`;
      return `${vmNames.get(q.vm) ?? `vm ${q.vm}`}/${q.kind}${q.device}`;
    }
    default:
      return entity;
  }
}

/** One column of the export: a series of the catalogue with its names. */
interface Column {
  series: string;
  entity: string;
  metric: string;
  unit: string;
}

/** A recorded layout's plan with, per plan entry, its column (or -1 when left out). */
interface PlanCols {
  plan: SeriesPlan;
  col: Int32Array;
}

/** Events of the session in time order, stays left out, as an iterator. */
function* eventRows(store: HistoryDb, key: number): Generator<HostEvent> {
  const rows = store.db.prepare('SELECT t, source, kind, message, data FROM events WHERE session = ? ORDER BY t, rid').iterate(key) as Iterable<{
    t: number;
    source: HostEvent['source'];
    kind: HostEvent['kind'];
    message: string;
    data: string | null;
  }>;
  for (const r of rows) {
    let data: Record<string, unknown> | undefined;
    if (r.data !== null) {
      try {
        data = JSON.parse(r.data) as Record<string, unknown>;
      } catch {
        data = undefined;
      }
    }
    if (r.kind === 'decision' && (data?.decision as { kind?: string } | undefined)?.kind === 'stay') continue;
    yield { t: r.t, source: r.source, kind: r.kind, message: r.message, ...(data ? { data } : {}) };
  }
}

/** The side-core count a decision left in force, where it set one; null otherwise. */
export function sideCoresAfter(e: HostEvent): number | null {
  if (e.kind !== 'decision') return null;
  const applied = (e.data as { applied?: unknown } | undefined)?.applied;
  if (!Array.isArray(applied)) return null;
  let n: number | null = null;
  for (const a of applied as { kind?: unknown; cores?: unknown }[]) if (a?.kind === 'setSideCores' && Array.isArray(a.cores)) n = a.cores.length;
  return n;
}

/** Who an event came from: the policy's name for decisions, else its source. */
function whoOf(e: HostEvent): string {
  const policy = (e.data as { policy?: unknown } | undefined)?.policy;
  return e.kind === 'decision' && typeof policy === 'string' ? policy : e.source;
}

/** Write one session as CSV (see the file comment); returns the data rows written. */
export function exportCsv(
  store: HistoryDb,
  key: number,
  startedAt: number,
  info: HostInfo | null,
  layout: 'long' | 'wide',
  w: CsvSink,
  progress: ProgressFn,
  aborted: () => boolean,
  total: number,
): number {
  // The catalogue: every series the session recorded, in recording order.
  const catalogue = (store.db.prepare('SELECT name FROM series WHERE session = ? ORDER BY idx').all(key) as { name: string }[]).map((r) => r.name);
  const plans = new Map<number, SeriesPlan>();
  const vmNames = new Map<number, string>();
  for (const v of info?.vms ?? []) vmNames.set(v.id, v.name);
  for (const r of store.db.prepare('SELECT id, shape FROM layouts WHERE session = ?').all(key) as { id: number; shape: string }[]) {
    const plan = seriesPlan(parseShape(r.shape));
    plans.set(r.id, plan);
    for (const [name, id] of Object.entries(plan.vmIds)) if (!vmNames.has(id)) vmNames.set(id, name);
  }
  const columns: Column[] = [];
  const colOf = new Map<string, number>();
  for (const series of catalogue) {
    const [e, metric] = splitSeries(series);
    if (isStructural(metric, e) || colOf.has(series)) continue;
    colOf.set(series, columns.length);
    columns.push({ series, entity: entityName(e, info, vmNames), metric, unit: unitOf(metric) });
  }
  const planCols = new Map<number, PlanCols>();
  const planOf = (id: number): PlanCols => {
    let p = planCols.get(id);
    if (!p) {
      const plan = plans.get(id)!;
      const col = new Int32Array(plan.names.length);
      for (let i = 0; i < plan.names.length; i++) col[i] = colOf.get(plan.names[i]) ?? -1;
      planCols.set(id, (p = { plan, col }));
    }
    return p;
  };
  const cellNames = columns.map((c) => `${csvText(c.entity)},${csvText(c.metric)},${csvText(c.unit)}`);
  // Both readers hold the connection busy until they end or are closed: close them on every way
  // out (an error in a later line, a cancel), or live recording and what-ifs fail until restart.
  const events = eventRows(store, key);
  const snapshots = (store.db.prepare('SELECT seq, t, layout, data FROM snapshots WHERE session = ? ORDER BY seq').iterate(key) as IterableIterator<{
    t: number;
    layout: number;
    data: Buffer;
  }>)[Symbol.iterator]();
  try {
    let next = events.next();
    const head = (t: number, what: string): string => {
      const unix = Math.round(startedAt + t);
      // Date covers ±8.64e15 ms around 1970; a time beyond it (an imported t of -1e16) has no date.
      if (!(Math.abs(unix) <= MAX_DATE_MS))
        throw new HistoryError(
          'invalid',
          `cannot export as CSV: the ${what} at t_ms = ${t} (unix ms ${unix}) lies outside the dates a time cell can show (±${MAX_DATE_MS} ms around 1970); nothing was written — export it as JSON or SQLite`,
        );
      return `${new Date(unix).toISOString()},${unix},${t},`;
    };
    let rows = 0;
    let n = 0;

    if (layout === 'long') {
      w.write('time,unix_ms,t_ms,row,entity,metric,unit,value,detail\n');
      const writeEvent = (e: HostEvent): void => {
        const after = sideCoresAfter(e);
        w.write(`${head(e.t, `${e.kind} event`)}${csvText(e.kind)},host,${csvText(whoOf(e))},${after === null ? '' : 'cores'},${after === null ? '' : after},${csvText(e.message)}\n`);
        rows++;
      };
      for (const r of snapshots) {
        // An interval's events come before its samples (an event at t belongs to the interval ending at or after t).
        while (!next.done && next.value.t <= r.t) {
          writeEvent(next.value);
          next = events.next();
        }
        const { plan, col } = planOf(r.layout);
        const values = blobToValues(r.data);
        const h = head(r.t, 'snapshot');
        for (let i = 0; i < plan.names.length; i++) {
          const c = col[i];
          if (c < 0) continue;
          const v = plan.src[i] >= 0 ? values[plan.src[i]] : plan.consts[i];
          w.write(`${h}sample,${cellNames[c]},${csvNumber(v, columns[c].unit)},\n`);
          rows++;
        }
        if (++n % 1000 === 0) {
          progress(n / Math.max(1, total), `${n} snapshots`);
          if (aborted()) return rows;
        }
      }
      for (; !next.done; next = events.next()) writeEvent(next.value);
      return rows;
    }

    // wide: one row per time
    const header = columns.map((c) => csvText(c.unit ? `${c.entity} ${c.metric} (${c.unit})` : `${c.entity} ${c.metric}`));
    w.write(`time,unix_ms,t_ms,${header.join(',')}${header.length ? ',' : ''}events\n`);
    const cells = new Array<string>(columns.length);
    for (const r of snapshots) {
      const words: string[] = [];
      while (!next.done && next.value.t <= r.t) {
        words.push(`${next.value.kind}: ${next.value.message}`);
        next = events.next();
      }
      cells.fill('');
      const { plan, col } = planOf(r.layout);
      const values = blobToValues(r.data);
      for (let i = 0; i < plan.names.length; i++) {
        const c = col[i];
        if (c >= 0) cells[c] = csvNumber(plan.src[i] >= 0 ? values[plan.src[i]] : plan.consts[i], columns[c].unit);
      }
      w.write(`${head(r.t, 'snapshot')}${cells.join(',')}${cells.length ? ',' : ''}${csvText(words.join(' | '))}\n`);
      rows++;
      if (++n % 1000 === 0) {
        progress(n / Math.max(1, total), `${n} snapshots`);
        if (aborted()) return rows;
      }
    }
    // Events after the last snapshot: one row each, no samples.
    for (; !next.done; next = events.next()) {
      cells.fill('');
      w.write(`${head(next.value.t, `${next.value.kind} event`)}${cells.join(',')}${cells.length ? ',' : ''}${csvText(`${next.value.kind}: ${next.value.message}`)}\n`);
      rows++;
    }
    return rows;
  } finally {
    snapshots.return?.();
    events.return(undefined);
  }
}
