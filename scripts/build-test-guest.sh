#!/usr/bin/env bash
# Builds the small QEMU test guest the real-QEMU tests boot (test/qemu/*): a Debian kernel and a
# busybox initramfs that loads the virtio block modules and loops `dd` on /dev/vda forever.
# Everything comes from Debian packages fetched with `apt-get download` (no binaries are committed):
#   - linux-image-amd64 (the meta package) → the real linux-image-<ver>-amd64 package it depends on:
#     /boot/vmlinuz-* and the modules virtio_ring, virtio, virtio_pci_modern_dev,
#     virtio_pci_legacy_dev, virtio_pci, virtio_blk (decompressed on the host if shipped as .ko.xz/.zst:
#     busybox insmod hands the file to init_module as is);
#   - busybox-static: the guest's /bin/busybox and the `cpio -o -H newc` that packs the initramfs.
# Output (cached; rebuilt only when missing or when --force is given):
#   <out>/vmlinuz  <out>/initramfs.cpio.gz  <out>/guest.txt (package versions)
# Usage: scripts/build-test-guest.sh [--out DIR] [--force]     (default DIR: .cache/test-guest, gitignored)
# Needs: apt-get (as root it runs `apt-get update` once when the package lists are missing), dpkg-deb, gzip.
# Prints the output folder on its last line.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

out=.cache/test-guest
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "build-test-guest: --out needs a folder" >&2; exit 2; }; out=$2; shift 2 ;;
    --force) force=1; shift ;;
    *) echo "build-test-guest: unknown option '$1' (expected --out DIR, --force)" >&2; exit 2 ;;
  esac
done

if [ "$force" -eq 0 ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initramfs.cpio.gz" ] && [ -s "$out/guest.txt" ]; then
  echo "build-test-guest: cached in $out ($(head -1 "$out/guest.txt"))" >&2
  echo "$out"
  exit 0
fi
for t in apt-get dpkg-deb gzip; do
  command -v "$t" >/dev/null || { echo "build-test-guest: '$t' is missing (Debian/Ubuntu host needed)" >&2; exit 1; }
done

repo=$(pwd)
case "$out" in /*) ;; *) out="$repo/$out" ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt-get download drops privileges to _apt where it can
cd "$work"

echo "build-test-guest: downloading linux-image-amd64 and busybox-static" >&2
if ! apt-get download -q linux-image-amd64 busybox-static >&2; then
  # A fresh machine may have no package lists yet.
  [ "$(id -u)" -eq 0 ] || { echo "build-test-guest: apt-get download failed; run 'sudo apt-get update' and retry" >&2; exit 1; }
  echo "build-test-guest: apt-get download failed; running apt-get update once" >&2
  apt-get update -q >&2
  apt-get download -q linux-image-amd64 busybox-static >&2
fi
meta=$(ls linux-image-amd64_*.deb)
real=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
[ -n "$real" ] || { echo "build-test-guest: cannot find the real kernel package in $meta's Depends" >&2; exit 1; }
echo "build-test-guest: downloading $real" >&2
apt-get download -q "$real" >&2

dpkg-deb -x "$(ls "$real"_*.deb)" kernel
dpkg-deb -x "$(ls busybox-static_*.deb)" bb
bb=bb/bin/busybox
[ -x "$bb" ] || { echo "build-test-guest: busybox-static has no bin/busybox" >&2; exit 1; }

root=initramfs
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp "$bb" "$root/bin/busybox"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
  f=$(find kernel/lib/modules -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -1)
  [ -n "$f" ] || { echo "build-test-guest: module $m not found in $real" >&2; exit 1; }
  case "$f" in
    *.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
    *.gz) gzip -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *) cp "$f" "$root/lib/modules/$m.ko" ;;
  esac
done

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
  insmod /lib/modules/$m.ko || echo "iocm-guest: insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
if [ ! -b /dev/vda ]; then echo "iocm-guest: no /dev/vda"; poweroff -f; fi
echo "iocm-guest: dd loop on /dev/vda"
# Direct I/O so every pass reaches the device (the page cache would answer repeated reads).
n=0
while true; do
  dd if=/dev/vda of=/dev/null bs=4k count=512 iflag=direct 2>/dev/null || { echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=4k count=512 2>/dev/null; }
  dd if=/dev/zero of=/dev/vda bs=4k count=64 seek=4096 oflag=direct conv=notrunc 2>/dev/null || dd if=/dev/zero of=/dev/vda bs=4k count=64 seek=4096 conv=notrunc,fsync 2>/dev/null
  n=$((n + 1))
  [ $((n % 100)) -eq 0 ] && echo "iocm-guest: pass $n"
done
EOF
chmod +x "$root/init"

(cd "$root" && find . | ../"$bb" cpio -o -H newc 2>/dev/null) | gzip -9 >initramfs.cpio.gz
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-* | head -1)

mkdir -p "$out"
cp "$vmlinuz" "$out/vmlinuz"
cp "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
{
  echo "$real $(dpkg-deb -f "$(ls "$work/$real"_*.deb)" Version)"
  echo "busybox-static $(dpkg-deb -f "$(ls "$work"/busybox-static_*.deb)" Version)"
} >"$out/guest.txt"
echo "build-test-guest: built $out ($(head -1 "$out/guest.txt"))" >&2
echo "$out"
