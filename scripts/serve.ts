/**
 * `npm run serve [-- options]`: rebuild the renderer if out/renderer is missing or older
 * than its sources (once when several processes start together: build-once.ts), then run
 * `iocm serve` with the given options (see docs/cli.md).
 */
import { ensureRenderer } from './build-renderer.ts';
import { main } from '../src/main/cli/iocm.ts';

try {
  await ensureRenderer((msg) => process.stderr.write(`serve: ${msg}\n`));
} catch (e) {
  process.stderr.write(`serve: the renderer build failed: ${(e as Error).message}\n`);
  process.exit(1);
}
process.exitCode = await main(['serve', ...process.argv.slice(2)]);
