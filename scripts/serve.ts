/**
 * `npm run serve [-- options]`: rebuild the renderer if out/renderer is missing or older
 * than its sources, then run `iocm serve` with the given options (see docs/cli.md).
 */
import { buildRenderer, rendererStaleReason } from './build-renderer.ts';
import { main } from '../src/main/cli/iocm.ts';

const reason = rendererStaleReason();
if (reason) {
  process.stderr.write(`building the renderer (${reason})…\n`);
  try {
    await buildRenderer();
  } catch (e) {
    process.stderr.write(`serve: the renderer build failed: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
process.exitCode = await main(['serve', ...process.argv.slice(2)]);
