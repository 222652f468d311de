/**
 * Desktop preflight: finds the Electron binary before `npm start` / `npm run dev` start a build,
 * and says what to do when it is missing (instead of electron-vite's "Error: Electron uninstall"
 * stack trace).
 *
 * The binary is looked up the way Electron's npm package does (node_modules/electron/index.js):
 * `path.txt` names the executable inside the package's `dist/` folder (`electron` on Linux);
 * `ELECTRON_OVERRIDE_DIST_PATH` replaces that folder. electron-vite's own `ELECTRON_EXEC_PATH`
 * (a full path to the executable) wins over both, as it does in electron-vite.
 *
 * Usage: node bin/run-ts.mjs scripts/electron-preflight.ts [--check] [-- <electron-vite args>]
 *   --check      only check: print the binary's path and exit 0, or the message and exit 1
 *   otherwise    run `electron-vite <args>` with ELECTRON_EXEC_PATH set to the binary found
 *                (so electron-vite honours ELECTRON_OVERRIDE_DIST_PATH too), exit with its code
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** The executable's name inside a dist folder, as Electron's install.js writes it to path.txt. */
export function platformExecutable(platform: string = process.platform): string {
  if (platform === 'darwin' || platform === 'mas') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

/** Where the Electron binary was looked for and whether it is there. */
export interface ElectronLookup {
  /** The executable's path (found or expected). */
  path: string;
  /** Whether `path` is an executable file. */
  found: boolean;
  /** How the path was chosen. */
  source: 'ELECTRON_EXEC_PATH' | 'ELECTRON_OVERRIDE_DIST_PATH' | 'package';
  /** Electron's version (from its package.json). */
  version: string;
  /** The Node version range Electron's package needs to download its binary (its `engines.node`). */
  nodeEngine: string;
  /** The npm package's folder (node_modules/electron). */
  packageDir: string;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The folder of Electron's npm package as the project resolves it, or null when it is not installed. */
export function electronPackageDir(from: string = root): string | null {
  try {
    return dirname(createRequire(join(from, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/**
 * Find the Electron binary like node_modules/electron/index.js does, without downloading it.
 * `packageDir` is the npm package's folder; `env` the environment to read the overrides from.
 */
export function findElectron(packageDir: string, env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): ElectronLookup {
  let version = '?';
  let nodeEngine = '?';
  try {
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string; engines?: { node?: string } };
    version = pkg.version ?? '?';
    nodeEngine = pkg.engines?.node ?? '?';
  } catch {
    // an unreadable package.json leaves '?' in the message
  }
  const base = { version, nodeEngine, packageDir };
  if (env.ELECTRON_EXEC_PATH) {
    return { ...base, path: env.ELECTRON_EXEC_PATH, found: isExecutableFile(env.ELECTRON_EXEC_PATH), source: 'ELECTRON_EXEC_PATH' };
  }
  const pathFile = join(packageDir, 'path.txt');
  const named = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(env.ELECTRON_OVERRIDE_DIST_PATH, named || 'electron');
    return { ...base, path: p, found: isExecutableFile(p), source: 'ELECTRON_OVERRIDE_DIST_PATH' };
  }
  const p = join(packageDir, 'dist', named || platformExecutable(platform));
  // Without path.txt the package has never finished its download, whatever dist/ holds.
  return { ...base, path: p, found: named !== '' && isExecutableFile(p), source: 'package' };
}

/** The one message shown when the binary is missing (no stack trace). */
export function missingMessage(l: ElectronLookup, nodeVersion: string = process.versions.node): string {
  const rel = (p: string): string => (p.startsWith(root + '/') ? p.slice(root.length + 1) : p);
  const why =
    l.source === 'package'
      ? `Electron ${l.version}'s binary is not downloaded (${rel(l.path)} is missing). Electron's npm package fetches it ` +
        `from its release host on first use, which needs Node ${l.nodeEngine} (this is Node ${nodeVersion}) and network access to github.com.`
      : `${l.source} points at ${l.path}, which is not an executable file.`;
  const install = rel(join(l.packageDir, 'install.js'));
  const rows: [string, string][] = [
    [`Fetch it (Node ${l.nodeEngine}, network):`, `node ${install}`],
    ['  with Node 20 as the default node:', `npx -y -p node@22 node ${install}`],
    [`Use an Electron ${l.version.split('.')[0]} already installed:`, 'ELECTRON_OVERRIDE_DIST_PATH=/dir/with/electron npm start'],
    ['Same console in a browser, no Electron:', 'npm run serve'],
  ];
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return [`Cannot start the desktop app: ${why}`, '', ...rows.map(([a, b]) => `  ${a.padEnd(w)}${b}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const sep = argv.indexOf('--');
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const rest = sep < 0 ? [] : argv.slice(sep + 1);
  const bad = own.filter((a) => a !== '--check');
  if (bad.length) {
    process.stderr.write(`electron-preflight: unknown option '${bad[0]}' (expected --check, or -- <electron-vite args>)\n`);
    return 2;
  }
  const dir = electronPackageDir();
  if (!dir) {
    process.stderr.write("Cannot start the desktop app: Electron's npm package is not installed (node_modules/electron). Run `npm install` first, or use `npm run serve` for the same console in a browser.\n");
    return 1;
  }
  const l = findElectron(dir);
  if (!l.found) {
    process.stderr.write(missingMessage(l) + '\n');
    return 1;
  }
  if (own.includes('--check')) {
    process.stdout.write(`${l.path}\n`);
    return 0;
  }
  const bin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-vite.cmd' : 'electron-vite');
  const child = spawn(bin, rest, { stdio: 'inherit', env: { ...process.env, ELECTRON_EXEC_PATH: l.path } });
  return await new Promise<number>((res) => {
    child.on('error', (e) => {
      process.stderr.write(`Cannot run electron-vite (${bin}): ${e.message}\n`);
      res(1);
    });
    child.on('exit', (code, signal) => res(code ?? (signal ? 1 : 0)));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
