/** Messages between the main-thread HistoryClient and the history worker. */
import type { RecordedBatch } from './store.ts';

/** An error crossing the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** A HistoryError's field. */
  field?: string;
  /** A HistoryError's fieldMessage. */
  fieldMessage?: string;
}

/**
 * Why a recording stopped, besides its words: the HistoryError's code, and for 'not-found' whether
 * the session's row is gone (another process deleted it) or still there (another process ended it).
 */
export interface RecordingErrorCause {
  code?: string;
  removed?: boolean;
}

/** Main thread → worker. */
export type ToWorker =
  /** A batch encoded on the main thread (values buffers are transferred). */
  | { type: 'rec'; sessionId: string; batch: RecordedBatch }
  | { type: 'call'; id: number; method: string; args: unknown; opId?: string }
  | { type: 'cancel'; opId: string }
  | { type: 'close' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'openError'; error: SerializedError }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: SerializedError }
  | { type: 'recError'; sessionId: string; message: string; cause?: RecordingErrorCause }
  | { type: 'progress'; opId: string; fraction: number; message: string }
  | { type: 'closed' };
