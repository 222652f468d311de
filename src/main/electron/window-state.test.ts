import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WINDOW_STATE, fitToDisplays, loadWindowState, parseWindowState, saveWindowState } from './window-state.ts';

describe('window state', () => {
  it('accepts a well-formed state and rejects malformed ones', () => {
    expect(parseWindowState({ x: 10, y: 20, width: 1200, height: 800, maximized: false })).toEqual({
      x: 10, y: 20, width: 1200, height: 800, maximized: false,
    });
    expect(parseWindowState({ width: 1200, height: 800, maximized: true })).toEqual({ width: 1200, height: 800, maximized: true });
    expect(parseWindowState(null)).toBeNull();
    expect(parseWindowState([])).toBeNull();
    expect(parseWindowState({ width: '1200', height: 800, maximized: false })).toBeNull();
    expect(parseWindowState({ width: 100, height: 800, maximized: false })).toBeNull();
    expect(parseWindowState({ width: 1200, height: 800, maximized: 'no' })).toBeNull();
    expect(parseWindowState({ x: 1.5, y: 0, width: 1200, height: 800, maximized: false })).toBeNull();
    expect(parseWindowState({ x: 10, width: 1200, height: 800, maximized: false })).toBeNull();
  });

  it('round-trips through a file and falls back to defaults on a corrupt file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iocm-ws-'));
    try {
      const file = join(dir, 'sub', 'window-state.json');
      expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
      const state = { x: 5, y: 6, width: 1000, height: 700, maximized: true };
      expect(saveWindowState(file, state)).toBeNull();
      expect(loadWindowState(file)).toEqual(state);
      writeFileSync(file, '{ not json');
      expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
      writeFileSync(file, JSON.stringify({ width: -3, height: 700, maximized: false }));
      expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
      expect(saveWindowState(file, { width: 1, height: 1, maximized: false })).toBeInstanceOf(Error);
      expect(readFileSync(file, 'utf8')).toContain('-3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a visible position, drops an off-screen one, clamps the size', () => {
    const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(fitToDisplays({ x: 100, y: 100, width: 1200, height: 800, maximized: false }, screen)).toEqual({
      x: 100, y: 100, width: 1200, height: 800, maximized: false,
    });
    const off = fitToDisplays({ x: 5000, y: 100, width: 1200, height: 800, maximized: false }, screen);
    expect(off.x).toBeUndefined();
    expect(off.y).toBeUndefined();
    const big = fitToDisplays({ x: 0, y: 0, width: 4000, height: 3000, maximized: false }, screen);
    expect([big.width, big.height]).toEqual([1920, 1080]);
    const second = [...screen, { x: 1920, y: 0, width: 2560, height: 1440 }];
    expect(fitToDisplays({ x: 2000, y: 50, width: 2400, height: 1300, maximized: false }, second)).toMatchObject({ x: 2000, width: 2400 });
  });
});
