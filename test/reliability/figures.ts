/** Figures the reliability tests report; test/reliability/summary.ts prints them at the end. */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** Record figures of one check (appended to the run's figures file). */
export function figure(check: string, figures: Record<string, number | string | boolean>): void {
  const dir = process.env.IOCM_RELIABILITY_DIR;
  if (!dir) return;
  appendFileSync(join(dir, 'figures.jsonl'), JSON.stringify({ check, ...figures }) + '\n');
}
