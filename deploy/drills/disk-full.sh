#!/bin/sh
# Disk-full drill: a real `integra hub` on a 4 MB filesystem that fills up while a counter
# issues tickets through the API, then gets its space back. Prints what the visitor and the
# staff were told and checks that no acknowledged ticket was lost.
#
#   deploy/drills/disk-full.sh [path/to/integra]     (default: target/debug/integra)
#
# Needs `unshare` (util-linux) and curl; makes its own mount namespace (no change to this
# machine's mounts) and talks to the hub on 127.0.0.1 only.
set -eu
BIN=$(readlink -f "${1:-${CARGO_TARGET_DIR:-target}/debug/integra}")
[ -x "$BIN" ] || { echo "no integra at $BIN: build it first (cargo build)" >&2; exit 2; }
PORT=${PORT:-7979}
exec unshare -rm sh -s "$BIN" "$PORT" <<'INNER'
set -eu
BIN=$1; PORT=$2; BASE=http://127.0.0.1:$PORT
D=$(mktemp -d)
mount -t tmpfs -o size=4m tmpfs "$D"
"$BIN" --data "$D/data" --at 2026-01-05T14:00:00Z --listen 127.0.0.1:$PORT hub >"$D.log" 2>&1 &
HUB=$!
trap 'kill -9 $HUB 2>/dev/null; wait $HUB 2>/dev/null; umount "$D"; rm -rf "$D" "$D.log" "$D.out" "$D.acked"' EXIT
i=0; until curl -sf "$BASE/api/v1/health" >/dev/null; do i=$((i+1)); [ $i -lt 200 ] || { cat "$D.log"; exit 1; }; sleep 0.05; done
PIN=$("$BIN" --data "$D/data" pair --role counter | tail -1)
TOKEN=$(curl -s -H 'content-type: application/json' -d "{\"pin\":\"$PIN\",\"name\":\"drill\"}" "$BASE/api/v1/pair" | sed 's/.*"token":"\([^"]*\)".*/\1/')
issue() { curl -s -o "$D.out" -w '%{http_code}' -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -H "accept-language: $1" -d '{"service":"info","lang":"es"}' "$BASE/api/v1/tickets"; }
: >"$D.acked"
# Issue one ticket; its status in $CODE; every acknowledged number is kept in $D.acked.
count_issue() {
  CODE=$(issue "$1")
  if [ "$CODE" = 201 ]; then sed 's/.*"label":"\([^"]*\)".*/\1/' "$D.out" >>"$D.acked"; echo >>"$D.acked"; fi
}
ok=0; for n in $(seq 1 20); do count_issue es; [ "$CODE" = 201 ] && ok=$((ok+1)); done
echo "before: 20 tickets asked, $ok issued (201)"
# Fill the disk.
dd if=/dev/zero of="$D/filler" bs=64k 2>/dev/null || true
echo "disk: $(df -k "$D" | awk 'NR==2{print $4}') KB free"
s503=0; s201=0; other=0
for n in $(seq 1 50); do
  count_issue ht
  case $CODE in 201) s201=$((s201+1));; 503) s503=$((s503+1));; *) other=$((other+1));; esac
done
echo "disk full: 50 tickets asked: $s201 issued (201), $s503 refused with 503, $other other"
issue ht >/dev/null || true
echo "the visitor (Haitian Creole) reads: $(sed 's/.*"message":"\([^"]*\)".*/\1/' "$D.out")"
echo "/health: $(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/health") $(curl -s "$BASE/api/v1/health")"
echo "staff alerts: $(curl -s -H "authorization: Bearer $TOKEN" "$BASE/api/v1/alerts" | grep -o '"kind":"[a-z-]*"' | sort -u | tr '\n' ' ')"
rm -f "$D/filler"
t0=$(date +%s%N)
count_issue es
echo "space back: next ticket $CODE after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "/health: $(curl -s "$BASE/api/v1/health")"
echo "staff alerts: $(curl -s -H "authorization: Bearer $TOKEN" "$BASE/api/v1/alerts" | grep -o '"kind":"[a-z-]*"' | sort -u | tr '\n' ' ')"
lost=0; n=0
for l in $(cat "$D.acked"); do
  n=$((n+1))
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $TOKEN" "$BASE/api/v1/tickets/$l")" = 200 ] || { lost=$((lost+1)); echo "LOST: $l"; }
done
echo "acknowledged: $n, lost: $lost"
[ "$lost" = 0 ]
INNER
