#!/usr/bin/env bash
# A device in a box: the project's SD-card image booted in qemu-system-aarch64 (-M virt) with a
# virtio GPU (the kiosk draws through linuxkms), a virtio tablet (touch, taps sent through QMP),
# a network link to this machine on loopback only, the printer on a virtual serial port read
# back from a file, and the data partition on its own disk. deploy/README.md has the figures.
#
#   deploy/device-in-a-box.sh IMAGE boot          # power-on → first kiosk frame (+ screendump)
#   deploy/device-in-a-box.sh IMAGE tap           # Español → a service → "No": a ticket, printed
#   deploy/device-in-a-box.sh IMAGE powercut N    # N abrupt power cuts while tickets are issued
#   deploy/device-in-a-box.sh IMAGE hang          # the UI loop hangs: systemd restarts it
#
# Each step prints its figures on its last line and exits non-zero when a promise breaks.
# Work files (disk copies, screendumps, serial and printer logs) go to $BOX_DIR
# (default ~/.cache/integra/box); the image itself is never written.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "device-in-a-box: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: $0 IMAGE boot | tap | powercut N | hang"

# What it needs, from Debian (installed when missing and run as root).
missing=()
for pair in qemu-system-aarch64:qemu-system-arm qemu-aarch64-static:qemu-user-static \
            mcopy:mtools mkfs.ext4:e2fsprogs debugfs:e2fsprogs sfdisk:fdisk \
            sqlite3:sqlite3 python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "device-in-a-box: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
      || die "cannot install ${missing[*]}: run apt-get install ${missing[*]} as root"
  else
    die "needs ${missing[*]}: run apt-get install ${missing[*]} as root"
  fi
fi
exec python3 "$here/device_in_a_box.py" "$@"
