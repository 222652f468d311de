/**
 * `npm run setup` (scripts/setup.sh), the one set-up command of the README and .ci/run: as root
 * it installs the missing apt packages, otherwise it prints the exact apt-get command and exits 1;
 * then npm ci. Run here with --dry-run (the commands are printed, not run).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
function setup(args: string[], env: Record<string, string> = {}, asUser = false): { code: number | null; out: string; err: string } {
  const cmd = asUser ? 'setpriv' : 'bash';
  const argv = asUser ? ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'bash', 'scripts/setup.sh', ...args] : ['scripts/setup.sh', ...args];
  const r = spawnSync(cmd, argv, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const isRoot = process.getuid?.() === 0;

describe('npm run setup', () => {
  it('is the npm script and the set-up step of .ci/run', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.setup).toBe('bash scripts/setup.sh');
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/^bash scripts\/setup\.sh/m);
  });

  it.runIf(isRoot)('as root with chromium missing: installs it with apt-get, then npm ci', () => {
    const r = setup(['--dry-run'], { IOCM_SETUP_CHROMIUM: '/nonexistent/chromium' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('would run: apt-get install -y --no-install-recommends chromium');
    expect(r.out).toContain('would run: npm ci');
  });

  it.runIf(isRoot && existsSync('/usr/bin/setpriv'))('as another user with chromium missing: prints the exact command, exits 1', () => {
    const r = setup(['--dry-run'], { IOCM_SETUP_CHROMIUM: '/nonexistent/chromium' }, true);
    expect(r.code).toBe(1);
    expect(r.err).toContain('sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium');
    expect(r.out).toContain('would run: npm ci');
    expect(r.out).not.toContain('would run: apt-get');
  });

  it('refuses an unknown option with exit 2', () => {
    const r = setup(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--bogus'");
  });
});
