/**
 * Electron fuses for a packaged IOcm Console (docs/security.md): flips them in the Electron
 * binary at package time, or checks a binary (exit 1 when a fuse is not as required).
 *
 *   node bin/run-ts.mjs scripts/electron-fuses.ts <path to electron binary> [--asar] [--check]
 *
 * Always: RunAsNode off (ELECTRON_RUN_AS_NODE cannot turn the app into a plain Node),
 * NODE_OPTIONS off, --inspect/--remote-debugging CLI arguments off, cookie encryption on,
 * no extra file:// privileges. With --asar (the app is packaged as app.asar): the app loads only
 * from the asar and its embedded integrity is validated. Without an asar those two would stop
 * the app from starting, so they are only set with --asar.
 */
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire, type FuseV1Config } from '@electron/fuses';

/** The fuses every build sets; `asar` adds the two that need an app.asar. */
export function requiredFuses(asar: boolean): FuseV1Config {
  return {
    version: FuseVersion.V1,
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    ...(asar ? { [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true, [FuseV1Options.OnlyLoadAppFromAsar]: true } : {}),
  };
}

/** Fuses of `binary` that differ from {@link requiredFuses} (empty = all as required). */
export async function checkFuses(binary: string, asar: boolean): Promise<string[]> {
  const current = (await getCurrentFuseWire(binary)) as unknown as Record<string, number>;
  const want = requiredFuses(asar) as unknown as Record<string, unknown>;
  const wrong: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    if (k === 'version') continue;
    const state = current[k];
    // '0' (48) disabled, '1' (49) enabled.
    if (state !== (v ? 49 : 48)) wrong.push(`${FuseV1Options[Number(k)]} should be ${v ? 'on' : 'off'}`);
  }
  return wrong;
}

/** Flip the fuses of `binary` in place; returns the problems left (none after a successful flip). */
export async function applyFuses(binary: string, asar: boolean): Promise<string[]> {
  await flipFuses(binary, requiredFuses(asar));
  return checkFuses(binary, asar);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const binary = args.find((a) => !a.startsWith('--'));
  if (!binary) {
    process.stderr.write('usage: electron-fuses.ts <electron binary> [--asar] [--check]\n');
    process.exit(2);
  }
  const asar = args.includes('--asar');
  const problems = args.includes('--check') ? await checkFuses(binary, asar) : await applyFuses(binary, asar);
  if (problems.length) {
    process.stderr.write(`fuses of ${binary}: ${problems.join('; ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`fuses of ${binary}: as required${asar ? ' (with asar)' : ''}\n`);
}
