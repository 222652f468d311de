/**
 * Global setup of the reliability suite: a folder for the figures each test records, and at
 * the end a summary table of them on stdout.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'iocm-reliability-'));
  process.env.IOCM_RELIABILITY_DIR = dir;
  const t0 = Date.now();
  return () => {
    const file = join(dir, 'figures.jsonl');
    const rows = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
    const lines = ['', '=== reliability summary ==='];
    for (const r of rows) {
      const { check, ...rest } = r;
      lines.push(`${String(check).padEnd(34)} ${Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`).join('  ')}`);
    }
    lines.push(`checks with figures: ${rows.length}; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`, '');
    process.stdout.write(lines.join('\n') + '\n');
    rmSync(dir, { recursive: true, force: true });
  };
}
