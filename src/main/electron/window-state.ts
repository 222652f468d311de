/**
 * Remembered window size and position: a small JSON file in Electron's userData
 * directory, validated on load (a corrupt or foreign file falls back to defaults,
 * never crashes the app) and fitted onto a display that still exists.
 *
 * No electron import: the shell passes the file path and the displays' work areas,
 * so this is unit-tested under plain Node.
 */
import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';

/** A rectangle in screen coordinates. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What is remembered. */
export interface WindowState {
  /** Position; absent = let the OS centre the window. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

/** Size of a first window. */
export const DEFAULT_WINDOW_STATE: WindowState = { width: 1440, height: 900, maximized: false };
/** Smallest window the console lays out in. */
export const MIN_WINDOW = { width: 900, height: 600 } as const;

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Validate parsed JSON; returns null (use defaults) when anything is off. */
export function parseWindowState(raw: unknown): WindowState | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  if (!isInt(r.width, MIN_WINDOW.width, 100_000) || !isInt(r.height, MIN_WINDOW.height, 100_000)) return null;
  if (typeof r.maximized !== 'boolean') return null;
  const state: WindowState = { width: r.width, height: r.height, maximized: r.maximized };
  if (r.x !== undefined || r.y !== undefined) {
    if (!isInt(r.x, -100_000, 100_000) || !isInt(r.y, -100_000, 100_000)) return null;
    state.x = r.x;
    state.y = r.y;
  }
  return state;
}

/** Read the state file; defaults when it is missing, unreadable or invalid. */
export function loadWindowState(file: string): WindowState {
  try {
    return parseWindowState(JSON.parse(readFileSync(file, 'utf8'))) ?? { ...DEFAULT_WINDOW_STATE };
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

/** Write the state file atomically (temp file + rename). Errors are returned, not thrown. */
export function saveWindowState(file: string, state: WindowState): Error | null {
  const clean = parseWindowState(state);
  if (!clean) return new Error('refusing to save an invalid window state');
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(clean) + '\n');
    renameSync(tmp, file);
    return null;
  } catch (e) {
    return e as Error;
  }
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Fit a remembered state onto the current displays: clamp the size to the largest
 * work area, and drop the position (OS centres the window) unless at least a
 * 100×50 px part of the title-bar region is visible on some display.
 */
export function fitToDisplays(state: WindowState, workAreas: Rect[]): WindowState {
  if (workAreas.length === 0) return { ...state };
  const maxW = Math.max(...workAreas.map((a) => a.width));
  const maxH = Math.max(...workAreas.map((a) => a.height));
  const width = Math.max(Math.min(state.width, maxW), Math.min(MIN_WINDOW.width, maxW));
  const height = Math.max(Math.min(state.height, maxH), Math.min(MIN_WINDOW.height, maxH));
  const out: WindowState = { width, height, maximized: state.maximized };
  if (state.x !== undefined && state.y !== undefined) {
    const titleBar: Rect = { x: state.x, y: state.y, width, height: 50 };
    const visible = workAreas.some((a) => overlap(titleBar, a) >= 100 * 50);
    if (visible) {
      out.x = state.x;
      out.y = state.y;
    }
  }
  return out;
}
