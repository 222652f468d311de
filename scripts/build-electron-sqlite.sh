#!/usr/bin/env bash
# Build better-sqlite3 for Electron's ABI into native/electron/better_sqlite3.node.
#
# The desktop app (npm start) loads this file through better-sqlite3's `nativeBinding`
# option; node_modules keeps its Node-ABI build, which the tests, the CLI and the headless
# server use. Run it once after `npm install` (and again after changing the electron or
# better-sqlite3 version) on a machine that can download Electron's headers
# (https://electronjs.org/headers) and has a C++ toolchain (build-essential, python3).
#
# Usage: bash scripts/build-electron-sqlite.sh
# Env:   ELECTRON_VERSION (default: node_modules/electron's version), ARCH (default: this machine's),
#        NODE_GYP (default: npx --yes node-gyp@11)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ ! -f node_modules/better-sqlite3/binding.gyp ]; then
  echo "build-electron-sqlite: node_modules/better-sqlite3 is missing; run npm install first" >&2
  exit 1
fi
electron_version="${ELECTRON_VERSION:-$(node -p "require('electron/package.json').version")}"
arch="${ARCH:-$(node -p process.arch)}"
sqlite_version="$(node -p "require('better-sqlite3/package.json').version")"
node_gyp="${NODE_GYP:-npx --yes node-gyp@11}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Build in a copy: never touch node_modules' Node build.
cp -R node_modules/better-sqlite3 "$work/better-sqlite3"
rm -rf "$work/better-sqlite3/build"

echo "build-electron-sqlite: better-sqlite3 $sqlite_version for Electron $electron_version ($arch)"
(
  cd "$work/better-sqlite3"
  $node_gyp rebuild --release \
    --runtime=electron --target="$electron_version" --arch="$arch" \
    --dist-url=https://electronjs.org/headers \
    --devdir="$work/gyp"
)

mkdir -p native/electron
cp "$work/better-sqlite3/build/Release/better_sqlite3.node" native/electron/better_sqlite3.node
printf '{"electron":"%s","betterSqlite3":"%s","arch":"%s"}\n' "$electron_version" "$sqlite_version" "$arch" > native/electron/build-info.json
echo "build-electron-sqlite: wrote native/electron/better_sqlite3.node"
