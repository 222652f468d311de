/**
 * Types of the history layer's API (what the console services, the CLI and
 * the tests use). Shared console types (SessionSummary, SeriesQuery, ...) come
 * from src/shared/api.ts so the console needs no conversion.
 */
import type { HostInfo } from '../../shared/control.ts';
import type { PolicyConfig } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { SessionDetail, SeriesQuery } from '../../shared/api.ts';

export type { HostEvent, TelemetryBatch } from '../../shared/policy.ts';
export type { SessionSummary, SessionDetail, SessionFilter, SeriesQuery, SeriesResult, Comparison } from '../../shared/api.ts';

/** Metadata given when a session starts. */
export interface SessionStart {
  host: string;
  source: 'model' | 'agent';
  /** The full scenario (model sessions), stored as JSON so the session can be re-run. */
  scenario?: Scenario | null;
  /** Scenario name when the full scenario is not known (agent). */
  scenarioName?: string;
  seed?: number | null;
  policy?: string;
  policyConfig?: PolicyConfig;
  info?: HostInfo | null;
  /** Snapshot interval in ms (decides the rollup resolutions); default: first snapshot's. */
  intervalMs?: number;
  /** Unix ms (wall clock) from the caller's injected clock. */
  startedAt: number;
  /** Default: package.json version. */
  appVersion?: string;
  /** The session this one re-runs (what-if). */
  parentId?: string | null;
  /** Preferred id (import); a fresh one if absent or taken. */
  id?: string;
}

/** How a session ended. */
export type SessionStatus = 'recording' | 'complete' | 'interrupted' | 'error';

/** Everything stored about a session (besides its data). */
export interface HistorySession extends SessionDetail {
  scenarioJson: Scenario | null;
  seed: number | null;
  status: SessionStatus;
  error: string | null;
  intervalMs: number | null;
  /** Approximate bytes of its data (retention). */
  bytes: number;
  events: number;
}

/** Retention limits; the oldest sessions go first. */
export interface RetentionPolicy {
  /** Keep the data of all sessions under about this many bytes. */
  maxBytes?: number;
  /** Remove sessions that started longer ago than this. */
  maxAgeMs?: number;
}

/** A session removed by retention. */
export interface RemovedSession {
  id: string;
  host: string;
  startedAt: number;
  bytes: number;
  reason: 'size' | 'age';
}

/** Series query result with the rollup detail (values = avg per bucket, NaN where empty). */
export interface SeriesData {
  t: number[];
  resolutionMs: number;
  series: { key: string; values: number[]; min: number[]; max: number[]; last: number[] }[];
}

/** A series query (the console's SeriesQuery). */
export type SeriesRequest = SeriesQuery;

/** Export options. */
export interface ExportOptions {
  sessionId: string;
  format: 'csv' | 'json' | 'sqlite';
  out: string;
  csvLayout?: 'long' | 'wide';
}

/** Progress callback: fraction 0..1 and a message. */
export type ProgressFn = (fraction: number, message: string) => void;

/**
 * Which session ids an import keeps (import.ts, isValidSessionId), in words: said when an imported id is
 * replaced because it is not one. (A value, in this file of types, so that the CLI can say it
 * without loading the importer.)
 */
export const VALID_ID_RULE = "up to 128 letters, digits and '_', '.', ':', '-', starting with a letter or digit, without '..'";

/**
 * Whether `id` is a session id by {@link VALID_ID_RULE}: every id the store makes or an import
 * keeps is one, so the CLI refuses anything else before it opens a database (and before a
 * 5000-character argument is echoed in "no session …"); an import keeps an id only when it is one.
 */
export function isValidSessionId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(id) && !id.includes('..');
}
