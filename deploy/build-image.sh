#!/usr/bin/env bash
# Build the one SD-card image for every role (kiosk, counter, display, hub): Debian bookworm
# arm64 for Raspberry Pi 4/400/CM4 (Debian's raspi-firmware has no Pi 5 boot files — for a Pi 5,
# run `configure` and `assemble` on a Raspberry Pi OS Lite root instead of `rootfs`), with
# the integra binary, fonts with every glyph of es/en/pt/fr/ht, espeak-ng, a dedicated `integra`
# user, udev rules for printers/serial/GPIO, the systemd unit, a read-only root and a writable
# data partition for /var/lib/integra, chrony (the hub's time for every device, no internet) and
# the center's time zone; iwd for the Wi-Fi and sshd for an opt-in shell, both off until
# integra.toml's [wifi] or an ssh.pub on the boot partition asks (deploy/field/). The role is set
# later in integra.toml on the boot partition.
#
# Each step runs alone (and is tested alone by `cargo test`, on a small stand-in root):
#   deploy/build-image.sh rootfs    ROOTFS_DIR            # mmdebstrap arm64 (+ kernel, firmware)
#   deploy/build-image.sh configure ROOTFS_DIR BINARY     # user, unit, udev, fstab, boot files
#   deploy/build-image.sh assemble  ROOTFS_DIR OUT.img    # boot vfat + root ext4 + data ext4
#   deploy/build-image.sh all OUT.img                     # cross-build, then the three steps
# No mounting, loop devices or nbd: filesystems are made from directories (mkfs.ext4 -d,
# mkfs.vfat + mcopy) and placed with sfdisk + dd, which works on machines without them.
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bookworm
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BOOT_MB=${BOOT_MB:-256}
DATA_MB=${DATA_MB:-512}
GROUPS_OF_INTEGRA=video,input,render,lp,dialout,gpio,audio

die() { echo "build-image: $*" >&2; exit 1; }
# A command this step needs: installed from Debian when missing (as root), else a clear stop.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "build-image: installing $2 (for $1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; } \
      || die "cannot install $2 (for $1): run apt-get install $2 as root"
    command -v "$1" >/dev/null 2>&1 || die "$2 installed but $1 is still missing"
  else
    die "needs $1: run apt-get install $2 as root"
  fi
}

rootfs() {
  local root=$1
  need mmdebstrap mmdebstrap
  need arch-test arch-test            # mmdebstrap's check of foreign-architecture support
  need qemu-aarch64-static qemu-user-static
  need update-binfmts binfmt-support
  # Run arm64 package scripts under emulation.
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable qemu-aarch64
  fi
  local sources; sources=$(mktemp)
  echo "deb $MIRROR $SUITE main non-free-firmware" > "$sources"
  # Kernel and firmware for Pi 3/4/400/CM4. The initramfs is built once, at the end (under
  # emulation one build takes ≈ 15 min; the kernel's and the firmware's install scripts would each
  # build it): update-initramfs is a no-op while packages install, then the real one runs.
  mmdebstrap --architectures=arm64 --variant=minbase \
    --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs' \
    --essential-hook='printf "#!/bin/sh\nexit 0\n" > "$1/usr/sbin/update-initramfs" && chmod 755 "$1/usr/sbin/update-initramfs"' \
    --include=systemd,systemd-sysv,udev,kmod,iproute2,ifupdown,isc-dhcp-client,chrony,tzdata,\
fonts-dejavu-core,fonts-noto-core,espeak-ng,alsa-utils,libinput10,libgbm1,libxkbcommon0,libfontconfig1,libseat1,\
linux-image-arm64,raspi-firmware,firmware-brcm80211,initramfs-tools,e2fsprogs,dosfstools,\
iwd,dbus,openssh-server \
    --customize-hook='echo integra > "$1/etc/hostname"' \
    --customize-hook='rm "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs' \
    --customize-hook='chroot "$1" update-initramfs -c -k all' \
    "$SUITE" "$root" "$sources"
  rm -f "$sources"
}

configure() {
  local root=$1 bin=$2
  [ -d "$root/etc" ] || die "$root does not look like a root filesystem (no etc/)"
  [ -f "$bin" ] || die "no binary at $bin (run deploy/cross-build.sh first)"
  install -D -m 0755 "$bin" "$root/usr/bin/integra"
  install -D -m 0644 deploy/systemd/integra.service "$root/etc/systemd/system/integra.service"
  install -D -m 0644 deploy/udev/60-integra.rules "$root/etc/udev/rules.d/60-integra.rules"
  install -D -m 0644 README.md "$root/usr/share/doc/integra/README.md"
  install -D -m 0644 deploy/README.md "$root/usr/share/doc/integra/deploy.md"
  local g
  for g in ${GROUPS_OF_INTEGRA//,/ }; do
    grep -q "^$g:" "$root/etc/group" || groupadd --root "$(realpath "$root")" --system "$g"
  done
  if ! grep -q '^integra:' "$root/etc/passwd"; then
    useradd --root "$(realpath "$root")" --system --user-group --home-dir /var/lib/integra \
      --no-create-home --shell /usr/sbin/nologin --groups "$GROUPS_OF_INTEGRA" integra
  fi
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/integra.service \
    "$root/etc/systemd/system/multi-user.target.wants/integra.service"
  # No login prompt on the screen: a getty starting on tty1 after the kiosk has drawn takes the
  # display back (seen in the device in a box: the screen showed "integra login:" over a running
  # kiosk). root has no password on this image anyway; the technician works on the card.
  ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
  # Wired network by DHCP (the center's LAN), through systemd-networkd (state in /run only).
  mkdir -p "$root/etc/systemd/network"
  printf '[Match]\nName=e*\n\n[Network]\nDHCP=yes\n' > "$root/etc/systemd/network/20-wired.network"
  ln -sf /lib/systemd/system/systemd-networkd.service \
    "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  # At each boot, as root: [screen] → the touch matrix (udev), [wifi] → iwd, ssh.pub → sshd; all
  # in /run (deploy/field/integra-boot.service, `integra boot-setup`).
  install -D -m 0644 deploy/field/integra-boot.service "$root/etc/systemd/system/integra-boot.service"
  mkdir -p "$root/etc/systemd/system/sysinit.target.wants"
  ln -sf /etc/systemd/system/integra-boot.service \
    "$root/etc/systemd/system/sysinit.target.wants/integra-boot.service"
  # Wi-Fi: iwd joins the network of [wifi] (its files in /run/integra-wifi; without [wifi] it
  # does not start), networkd gives the address.
  install -D -m 0644 deploy/field/25-wireless.network "$root/etc/systemd/network/25-wireless.network"
  install -D -m 0644 deploy/field/iwd.conf "$root/etc/systemd/system/iwd.service.d/integra.conf"
  ln -sf /lib/systemd/system/iwd.service "$root/etc/systemd/system/multi-user.target.wants/iwd.service"
  # The opt-in shell: sshd starts only when ssh.pub was on the boot partition, keys only. No host
  # key in the image (every card would share it): made at each boot.
  install -D -m 0644 deploy/field/ssh.conf "$root/etc/systemd/system/ssh.service.d/integra.conf"
  install -D -m 0644 deploy/field/sshd-integra.conf "$root/etc/ssh/sshd_config.d/integra.conf"
  rm -f "$root"/etc/ssh/ssh_host_*
  ln -sf /lib/systemd/system/ssh.service "$root/etc/systemd/system/multi-user.target.wants/ssh.service"
  # Time: chrony serves the hub's clock to the LAN and sets every other device's from the hub
  # (deploy/time/chrony.conf: no internet source); the system time zone is the catalog's, kept
  # by integra in /run/integra-time (made at boot) where /etc/localtime points.
  install -D -m 0644 deploy/time/chrony.conf "$root/etc/chrony/chrony.conf"
  install -D -m 0644 deploy/time/integra-time.path "$root/etc/systemd/system/integra-time.path"
  install -D -m 0644 deploy/time/integra-time.service "$root/etc/systemd/system/integra-time.service"
  install -D -m 0644 deploy/time/integra-time.tmpfiles "$root/etc/tmpfiles.d/integra-time.conf"
  install -D -m 0644 deploy/time/apparmor-chronyd "$root/etc/apparmor.d/local/usr.sbin.chronyd"
  ln -sf /etc/systemd/system/integra-time.path \
    "$root/etc/systemd/system/multi-user.target.wants/integra-time.path"
  ln -sfn /run/integra-time/localtime "$root/etc/localtime"
  rm -f "$root/etc/timezone"
  # Read-only root; the queue's data on its own partition; logs, temp and systemd's own state
# (time sync, timers) in memory.
  cat > "$root/etc/fstab" <<'FSTAB'
LABEL=INTEGRA-ROOT  /                 ext4   ro,noatime                      0 1
LABEL=INTEGRABOOT  /boot/firmware    vfat   rw,noatime,umask=0022,flush     0 2
LABEL=INTEGRA-DATA  /var/lib/integra  ext4   rw,noatime,nodev,nosuid,data=ordered 0 2
tmpfs               /tmp              tmpfs  nosuid,nodev,mode=1777          0 0
tmpfs               /var/tmp          tmpfs  nosuid,nodev,mode=1777          0 0
tmpfs               /var/log          tmpfs  nosuid,nodev,mode=0755          0 0
tmpfs               /var/lib/systemd  tmpfs  nosuid,nodev,mode=0755          0 0
tmpfs               /var/lib/private  tmpfs  nosuid,nodev,mode=0700          0 0
LABEL=INTEGRA-BAK   /media/integra-backup vfat nofail,noatime,flush,x-systemd.automount,x-systemd.idle-timeout=60,x-systemd.device-timeout=2s,uid=integra,gid=integra,umask=0077 0 0
FSTAB
  # The backup stick (issue #32): any FAT stick labelled INTEGRA-BAK, mounted when the hub
  # writes (automount; unmounted after a minute idle), readable by the integra user only.
  mkdir -p "$root/media/integra-backup"
  mkdir -p "$root/etc/systemd/journald.conf.d" "$root/var/lib/integra"
  printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' \
    > "$root/etc/systemd/journald.conf.d/integra.conf"
  # systemd makes a machine id in memory at each boot of a read-only root.
  : > "$root/etc/machine-id"
  # The boot partition: the settings file the technician edits, and the kernel command line.
  mkdir -p "$root/boot/firmware"
  [ -f "$root/boot/firmware/integra.toml" ] || \
    install -m 0644 deploy/examples/kiosk.toml "$root/boot/firmware/integra.toml"
  # The center's catalog, to edit for the real center (the demo center to start from).
  [ -f "$root/boot/firmware/center.toml" ] || \
    install -m 0644 assets/demo-center.toml "$root/boot/firmware/center.toml"
  install -m 0644 deploy/examples/*.toml -t "$root/usr/share/doc/integra/" 2>/dev/null || true
  echo "console=tty3 root=LABEL=INTEGRA-ROOT ro rootfstype=ext4 rootwait fsck.repair=yes quiet" \
    > "$root/boot/firmware/cmdline.txt"
  echo "configure: $root ready (user integra, unit enabled, read-only root)"
}

assemble() {
  local root=$1 out=$2
  need mkfs.ext4 e2fsprogs; need mkfs.vfat dosfstools; need mcopy mtools; need sfdisk fdisk
  local work; work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  # Root: everything but the boot partition's files and the data directory's contents.
  mkdir -p "$work/root"
  tar -C "$root" --exclude=./boot/firmware/* --exclude=./var/lib/integra/* -cf - . \
    | tar -C "$work/root" -xf -
  local root_kb; root_kb=$(du -sk "$work/root" | cut -f1)
  local root_mb=$(( root_kb * 13 / 10 / 1024 + 64 ))
  mkfs.ext4 -q -F -L INTEGRA-ROOT -d "$work/root" "$work/root.ext4" "${root_mb}M" >/dev/null
  # Boot: FAT for the Pi firmware and integra.toml.
  mkfs.vfat -n INTEGRABOOT -C "$work/boot.vfat" $(( BOOT_MB * 1024 )) >/dev/null
  if [ -n "$(ls -A "$root/boot/firmware")" ]; then
    mcopy -s -i "$work/boot.vfat" "$root"/boot/firmware/* ::/
  fi
  # Data: empty, owned by the integra user.
  local uid gid
  uid=$(awk -F: '$1=="integra"{print $3}' "$root/etc/passwd")
  gid=$(awk -F: '$1=="integra"{print $4}' "$root/etc/passwd")
  [ -n "$uid" ] || die "no integra user in $root (run configure first)"
  mkfs.ext4 -q -F -L INTEGRA-DATA -E "root_owner=$uid:$gid" "$work/data.ext4" "${DATA_MB}M" >/dev/null
  debugfs -w -R "set_inode_field / mode 040700" "$work/data.ext4" >/dev/null 2>&1
  # The disk: 4 MiB gap, boot, root, data.
  local s1=8192 n1=$(( BOOT_MB * 2048 )) n2=$(( root_mb * 2048 )) n3=$(( DATA_MB * 2048 ))
  local s2=$(( s1 + n1 )) s3=$(( s1 + n1 + n2 ))
  truncate -s $(( (s3 + n3) * 512 )) "$out"
  sfdisk -q "$out" <<SFDISK
label: dos
start=$s1, size=$n1, type=c, bootable
start=$s2, size=$n2, type=83
start=$s3, size=$n3, type=83
SFDISK
  dd if="$work/boot.vfat" of="$out" bs=512 seek=$s1 conv=notrunc status=none
  dd if="$work/root.ext4" of="$out" bs=512 seek=$s2 conv=notrunc status=none
  dd if="$work/data.ext4" of="$out" bs=512 seek=$s3 conv=notrunc status=none
  echo "assemble: $out ($(( (s3 + n3) / 2048 )) MiB: boot ${BOOT_MB} MiB, root ${root_mb} MiB, data ${DATA_MB} MiB)"
}

case "${1:-}" in
  rootfs) [ $# -eq 2 ] || die "usage: $0 rootfs DIR"; rootfs "$2" ;;
  configure) [ $# -eq 3 ] || die "usage: $0 configure ROOTFS BINARY"; configure "$2" "$3" ;;
  assemble) [ $# -eq 3 ] || die "usage: $0 assemble ROOTFS OUT.img"; assemble "$2" "$3" ;;
  all)
    [ $# -eq 2 ] || die "usage: $0 all OUT.img"
    deploy/cross-build.sh
    bin="${CARGO_TARGET_DIR:-$HOME/.cache/integra/target}/aarch64-unknown-linux-gnu/release/integra"
    root=$(mktemp -d)
    rootfs "$root"; configure "$root" "$bin"; assemble "$root" "$2"
    ;;
  *) die "usage: $0 rootfs DIR | configure ROOTFS BINARY | assemble ROOTFS OUT.img | all OUT.img" ;;
esac
