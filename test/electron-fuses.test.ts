/**
 * Electron fuses (issue 10, item 13): scripts/electron-fuses.ts flips and checks the fuse
 * wire with @electron/fuses. There is no Electron binary on this machine (its npm package
 * downloads it on first launch), so the test uses a stand-in file holding Electron's fuse
 * sentinel and a v1 wire with every fuse in Electron's default state.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyFuses, checkFuses } from '../scripts/electron-fuses.ts';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const dir = mkdtempSync(join(tmpdir(), 'iocm-fuses-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in binary: junk, the sentinel, wire version 1, 8 fuses as Electron ships them, junk. */
function fakeElectron(name: string): string {
  // Electron's shipped states: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on,
  // asar integrity off, asar-only off, browser V8 snapshot off, file:// privileges on.
  const defaults = '10110001';
  const wire = Buffer.concat([Buffer.from('\x7fELF junk before'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(defaults), Buffer.from('junk after')]);
  const p = join(dir, name);
  writeFileSync(p, wire);
  return p;
}

describe('electron fuses', () => {
  it('a stock binary fails the check; after flipping, RunAsNode, NODE_OPTIONS and inspect are off', async () => {
    const bin = fakeElectron('electron');
    const before = await checkFuses(bin, false);
    expect(before).toEqual(expect.arrayContaining(['RunAsNode should be off', 'EnableNodeOptionsEnvironmentVariable should be off', 'EnableNodeCliInspectArguments should be off']));
    expect(await applyFuses(bin, false)).toEqual([]);
    const bytes = readFileSync(bin);
    const at = bytes.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(bytes.subarray(at, at + 8).toString()).toBe('01000000');
    // Asar fuses are required only for an asar build.
    expect(await checkFuses(bin, true)).toEqual(['EnableEmbeddedAsarIntegrityValidation should be on', 'OnlyLoadAppFromAsar should be on']);
    expect(await applyFuses(bin, true)).toEqual([]);
    expect(bytes.length).toBe(readFileSync(bin).length);
  });

  it('refuses a file that is not an Electron binary', async () => {
    const p = join(dir, 'not-electron');
    writeFileSync(p, 'hello');
    await expect(checkFuses(p, false)).rejects.toThrow(/sentinel/);
  });
});
