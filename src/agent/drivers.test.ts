import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE_FILE, qemuStateFile } from './drivers.ts';

describe('--state-file of the QEMU driver', () => {
  it('defaults to /run as root, to XDG_RUNTIME_DIR otherwise, and none when asked or nowhere to put it', () => {
    expect(qemuStateFile(undefined, 0, {})).toBe(DEFAULT_STATE_FILE);
    expect(qemuStateFile(undefined, 1000, { XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/iocm-agent/qemu-state.json');
    expect(qemuStateFile(undefined, 1000, {})).toBeNull();
    expect(qemuStateFile('none', 0, {})).toBeNull();
    expect(qemuStateFile('/var/lib/iocm/q.json', 0, {})).toBe('/var/lib/iocm/q.json');
  });
});
