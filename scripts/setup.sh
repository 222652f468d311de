#!/usr/bin/env bash
# `npm run setup`: install everything the tests need on a fresh Debian/Ubuntu machine, then the npm
# dependencies (`npm ci`). .ci/run uses this same script.
#
# - apt packages: chromium (the browser tests drive /usr/bin/chromium), ca-certificates, openssl
#   (the agent TLS test makes a self-signed certificate), and
#   qemu-system-x86 when a test drives a real guest (then also the test guest: scripts/build-test-guest.sh,
#   from Debian's kernel and busybox-static packages, cached), openvswitch-switch-dpdk and dpdk-dev
#   when a test drives a real OVS-DPDK. Installed with apt-get when run as root;
#   otherwise the script prints the exact command to run and exits 1 after npm ci.
# - npm ci, then a check that better-sqlite3's native build for Node loads.
#
# Options: --dry-run    print the commands instead of running them (apt and npm)
#          --no-npm     skip npm ci (apt packages only)
# Env:     IOCM_SETUP_CHROMIUM  the browser path to check (default /usr/bin/chromium)
set -Eeuo pipefail
cd "$(dirname "$0")/.."

dry=0
npm_step=1
for a in "$@"; do
  case "$a" in
    --dry-run) dry=1 ;;
    --no-npm) npm_step=0 ;;
    *) echo "setup: unknown option '$a' (expected --dry-run, --no-npm)" >&2; exit 2 ;;
  esac
done
chromium=${IOCM_SETUP_CHROMIUM:-/usr/bin/chromium}

run() {
  if [ "$dry" -eq 1 ]; then echo "would run: $*"; else "$@"; fi
}

node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) { console.error("setup: Node " + process.versions.node + " is too old: need >= 20.19"); process.exit(1); }
' || exit 1

# openssl: the agent's TLS test makes a self-signed certificate with the openssl CLI.
apt_pkgs=(chromium ca-certificates openssl)
if grep -rqs --include='*.ts' -e 'qemu-system' test src/agent 2>/dev/null; then
  apt_pkgs+=(qemu-system-x86)
fi
# The OVS driver's end-to-end tests run a private OVS-DPDK instance with dpdk-testpmd traffic
# (scripts/ovs-private.sh): dpdk-testpmd is in dpdk-dev, not dpdk.
if grep -rqs --include='*.ts' -e 'ovs-vswitchd-dpdk' test src/agent 2>/dev/null; then
  apt_pkgs+=(openvswitch-switch-dpdk dpdk-dev)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ -x "$chromium" ] || { [[ " ${missing[*]} " == *" chromium "* ]] || missing+=(chromium); }

apt_todo=0
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: apt packages present: ${apt_pkgs[*]}"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  run apt-get update
  run apt-get install -y --no-install-recommends "${missing[@]}"
else
  apt_todo=1
  echo "setup: the tests need ${missing[*]} (browser tests drive $chromium). Run as root:" >&2
  echo "" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  echo "" >&2
fi

# The real-QEMU tests boot a guest built from Debian packages (scripts/build-test-guest.sh, cached
# under .cache/test-guest); build it here so a fetch problem shows at set-up, not mid-test.
if [[ " ${apt_pkgs[*]} " == *" qemu-system-x86 "* ]] && [ "$apt_todo" -eq 0 ]; then
  run bash scripts/build-test-guest.sh
fi

if [ "$npm_step" -eq 1 ]; then
  run npm ci --no-audit --no-fund
  if [ "$dry" -eq 0 ]; then
    node -e '
      const Database = require("better-sqlite3");
      const db = new Database(":memory:");
      const v = db.prepare("select sqlite_version() as v").get().v;
      db.close();
      console.log("setup: better-sqlite3 (Node ABI " + process.versions.modules + ") works, SQLite " + v);
    ' || { echo "setup: better-sqlite3's native build for Node is missing or broken after npm ci; check the C++ toolchain (build-essential, python3)" >&2; exit 1; }
  fi
fi

if [ "$apt_todo" -eq 1 ]; then
  echo "setup: not finished: run the apt-get command above, then 'npm test'." >&2
  exit 1
fi
if [ "$dry" -eq 1 ]; then echo "setup: dry run: nothing was changed."; else echo "setup: done; run 'npm test'."; fi
