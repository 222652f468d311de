#!/usr/bin/env bash
# Build better-sqlite3 for Electron's ABI into native/electron/better_sqlite3.node.
#
# The desktop app (npm start) loads this file through better-sqlite3's `nativeBinding`
# option; node_modules keeps its Node-ABI build, which the tests, the CLI and the headless
# server use. Run it once after `npm install` (and again after changing the electron or
# better-sqlite3 version) on a machine that can download Electron's headers and has a C++
# toolchain (build-essential, python3).
#
# It downloads Electron's headers itself and passes them to node-gyp with --nodedir, because
# an npm config `nodedir` (e.g. nodedir=/usr, as on our dev machines) silently makes node-gyp
# build for the local Node instead; that is also why @electron/rebuild is not used. The
# result is checked: it must NOT load in this Node, and must report Electron's module ABI.
#
# Usage: bash scripts/build-electron-sqlite.sh
# Env:   ELECTRON_VERSION (default: node_modules/electron's version)
#        ELECTRON_HEADERS_DIR (already extracted headers: skip the download)
#        ELECTRON_HEADERS_URL (default: https://artifacts.electronjs.org/headers/dist)
#        NODE_GYP (default: npx --yes node-gyp@11)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

die() { echo "build-electron-sqlite: $*" >&2; exit 1; }

[ -f node_modules/better-sqlite3/binding.gyp ] || die "node_modules/better-sqlite3 is missing; run npm install first"
electron_version="${ELECTRON_VERSION:-$(node -p "require('electron/package.json').version")}"
electron_abi="$(cat node_modules/electron/abi_version 2>/dev/null || true)"
arch="$(node -p process.arch)"
sqlite_version="$(node -p "require('better-sqlite3/package.json').version")"
node_gyp="${NODE_GYP:-npx --yes node-gyp@11}"
headers_url="${ELECTRON_HEADERS_URL:-https://artifacts.electronjs.org/headers/dist}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

headers="${ELECTRON_HEADERS_DIR:-}"
if [ -z "$headers" ]; then
  tarball="$headers_url/v$electron_version/node-v$electron_version-headers.tar.gz"
  echo "build-electron-sqlite: downloading Electron $electron_version headers from $tarball"
  curl -fsSL --retry 2 -o "$work/headers.tgz" "$tarball" ||
    die "cannot download Electron's headers ($tarball). Run this on a machine with access to it, or set ELECTRON_HEADERS_DIR."
  mkdir -p "$work/headers"
  tar -xzf "$work/headers.tgz" -C "$work/headers" --strip-components=1
  headers="$work/headers"
fi
[ -f "$headers/include/node/node_version.h" ] || die "$headers does not look like Node/Electron headers (no include/node/node_version.h)"

# Build in a copy: never touch node_modules' Node build.
cp -R node_modules/better-sqlite3 "$work/better-sqlite3"
rm -rf "$work/better-sqlite3/build"

echo "build-electron-sqlite: better-sqlite3 $sqlite_version for Electron $electron_version (ABI ${electron_abi:-?}, $arch)"
(
  cd "$work/better-sqlite3"
  export npm_config_nodedir="$headers"
  export npm_config_runtime=electron npm_config_target="$electron_version" npm_config_disturl="$headers_url"
  $node_gyp rebuild --release --nodedir="$headers" --target="$electron_version" --arch="$arch"
)
built="$work/better-sqlite3/build/Release/better_sqlite3.node"

# Check the ABI: loading it in Node must fail with Electron's NODE_MODULE_VERSION.
check="$(node -e '
  try { process.dlopen({ exports: {} }, process.argv[1]); console.log("loaded"); }
  catch (e) { const m = /using\s+NODE_MODULE_VERSION (\d+)/.exec(e.message); console.log(m ? m[1] : "error: " + e.message.split("\n")[0]); }
' "$built")"
if [ "$check" = "loaded" ]; then
  die "the build loads in Node $(node -v): it was built for Node's ABI, not Electron's (is an npm 'nodedir' overriding the headers?)"
fi
if [ -n "$electron_abi" ] && [ "$check" != "$electron_abi" ]; then
  die "the build reports module ABI '$check', expected Electron's $electron_abi"
fi

mkdir -p native/electron
cp "$built" native/electron/better_sqlite3.node
printf '{"electron":"%s","abi":"%s","betterSqlite3":"%s","arch":"%s"}\n' "$electron_version" "$check" "$sqlite_version" "$arch" > native/electron/build-info.json
echo "build-electron-sqlite: wrote native/electron/better_sqlite3.node (module ABI $check)"
