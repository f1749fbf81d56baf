#!/usr/bin/env bash
# Cross-build integra for a Raspberry Pi 4/5 (aarch64, 64-bit Raspberry Pi OS / Debian bookworm)
# with Slint's linuxkms backend (no desktop on the device). Installs what it needs (Debian host):
# the rustup target, the aarch64 linker, and the arm64 -dev libraries Slint links against.
#
#   deploy/cross-build.sh            # → target/aarch64-unknown-linux-gnu/release/integra
#
# Measured on a 2-core build machine: 9 min 53 s cold (565 s of cargo, apt and rustup before it),
# a few minutes when only integra changed. Too slow for every CI run, so CI does not call it.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/integra/target}"

need() { dpkg -s "$1" >/dev/null 2>&1 || echo "$1"; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "cross-build: adding the arm64 architecture to apt"
  dpkg --add-architecture arm64
  apt-get update -qq
fi
missing=()
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross pkg-config \
         libxkbcommon-dev:arm64 libinput-dev:arm64 libgbm-dev:arm64 libudev-dev:arm64 \
         libfontconfig1-dev:arm64 libseat-dev:arm64; do
  m=$(need "$p"); [ -n "$m" ] && missing+=("$m")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cross-build: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export PKG_CONFIG_ALLOW_CROSS=1
export PKG_CONFIG_PATH=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig

start=$(date +%s)
cargo build --locked --release --target "$TARGET" --features linuxkms --bin integra
bin="$CARGO_TARGET_DIR/$TARGET/release/integra"
echo "cross-build: built $bin in $(( $(date +%s) - start )) s"
file "$bin" 2>/dev/null || true
