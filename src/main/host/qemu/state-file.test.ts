import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStateFile, writeStateFile, type SavedVm } from './state-file.ts';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'iocm-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const vm: SavedVm = {
  key: '/run/qemu/g1.qmp',
  pid: 4242,
  startTime: 1117209,
  affinity: [
    [4242, [0, 1, 2, 3]],
    [4250, [0, 1, 2, 3]],
  ],
  poll: [['io0', { maxNs: 32768, grow: 0, shrink: 0 }]],
};

describe('the QEMU driver state file', () => {
  it('round-trips, is private to its owner, and goes when nothing is left to restore', async () => {
    const f = join(tmp(), 'sub', 'qemu-state.json');
    expect(await readStateFile(f)).toEqual([]);
    await writeStateFile(f, [vm]);
    expect(await readStateFile(f)).toEqual([vm]);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(f, 'utf8')).version).toBe(1);
    await writeStateFile(f, []);
    expect(existsSync(f)).toBe(false);
  });

  it('refuses a damaged or foreign file with words naming what is wrong', async () => {
    const f = join(tmp(), 'state.json');
    const bad = async (content: string): Promise<string> => {
      writeFileSync(f, content);
      return readStateFile(f).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    };
    expect(await bad('{"version":1,"vms":[')).toMatch(/is not JSON/);
    expect(await bad('{"version":2,"vms":[]}')).toMatch(/not a QEMU driver state file: version/);
    expect(await bad(JSON.stringify({ version: 1, vms: [{ ...vm, pid: -1 }] }))).toMatch(/vms\.0\.pid/);
    expect(await bad(JSON.stringify({ version: 1, vms: [{ ...vm, affinity: [[4242, []]] }] }))).toMatch(/vms\.0\.affinity/);
    expect(await bad(JSON.stringify({ version: 1, vms: [{ ...vm, extra: 1 }] }))).toMatch(/not a QEMU driver state file/);
    expect(await bad(JSON.stringify({ version: 1, vms: [{ ...vm, poll: [['io0', { maxNs: 'big', grow: 0, shrink: 0 }]] }] }))).toMatch(/vms\.0\.poll/);
    expect(await bad('x'.repeat(4 * 1024 * 1024 + 1))).toMatch(/larger than/);
  });

  it('a path it cannot create (under /proc) is refused at once, not retried forever', async () => {
    await expect(writeStateFile('/proc/iocm-no-such/state.json', [vm])).rejects.toMatchObject({ code: 'ENOENT' });
    // Its parents are made as needed elsewhere.
    const file = join(tmp(), 'a', 'b', 'state.json');
    await writeStateFile(file, [vm]);
    expect(existsSync(file)).toBe(true);
  });
});
