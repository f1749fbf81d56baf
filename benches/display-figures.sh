#!/usr/bin/env bash
# Lobby display figures (issue 7): CPU of `integra display` when idle and during a burst of 50
# calls, and the delay from "call next" (request sent) to the new number set on the display.
# Runs a real hub and a real display (release build) on loopback under Xvfb with the software
# renderer. Needs: xvfb, python3. Usage: benches/display-figures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/integra/target}"
cargo build --release --bin integra >/dev/null
BIN="$CARGO_TARGET_DIR/release/integra"
W=$(mktemp -d)
PORT=${PORT:-47901}
AT=2026-01-05T14:00:00Z
cleanup() { kill "${DISP:-}" "${HUB:-}" "${XVFB:-}" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

Xvfb :97 -screen 0 1920x1080x24 >/dev/null 2>&1 & XVFB=$!
"$BIN" --data "$W/hub" --at $AT --listen 127.0.0.1:$PORT hub >/dev/null 2>&1 & HUB=$!
sleep 1
admin_pin=$("$BIN" --data "$W/hub" pair --role admin | tail -1)
display_pin=$("$BIN" --data "$W/hub" pair --role display | tail -1)
cat > "$W/display.toml" <<EOF
role = "display"
hub = "https://127.0.0.1:$PORT"
data_dir = "$W/display"
[audio]
chime = false
voice = false
EOF
"$BIN" --settings "$W/display.toml" join --pin "$display_pin" --name "Lobby TV" >/dev/null
DISPLAY=:97 SLINT_BACKEND=winit-software INTEGRA_WINDOWED=1 INTEGRA_TRACE_CALLS=1 \
  "$BIN" --settings "$W/display.toml" --at $AT display > "$W/shown.log" 2>/dev/null & DISP=$!
sleep 3

python3 - "$PORT" "$admin_pin" "$DISP" "$W/shown.log" "$W/hub/hub-certificate.pem" <<'PY'
import json, ssl, sys, time, urllib.request
port, pin, pid, shown, cert = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
base = f"https://127.0.0.1:{port}/api/v1"
# The hub's own certificate, trusted as a staff computer trusts it.
tls = ssl.create_default_context(cafile=cert)
def post(path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else b""
    req = urllib.request.Request(base + path, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    if token: req.add_header("Authorization", "Bearer " + token)
    return json.load(urllib.request.urlopen(req, context=tls))
token = post("/pair", {"pin": pin, "name": "bench"})["token"]
tick = 100.0  # USER_HZ
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def measure(secs, work=None):
    c0, t0 = cpu(), time.time()
    if work: work()
    left = secs - (time.time() - t0)
    if left > 0: time.sleep(left)
    return 100.0 * (cpu() - c0) / (time.time() - t0)
idle = measure(20)
for _ in range(60):
    post("/tickets", {"service": "info", "lang": "es"}, token)
sent = {}
def burst():
    for _ in range(50):
        t = time.time()
        r = post("/counters/1/next", None, token)
        sent[r["label"]] = t
        time.sleep(0.05)
busy = measure(10, burst)
time.sleep(1)
delays = []
for line in open(shown):
    parts = line.split()
    if len(parts) == 3 and parts[0] == "shown" and parts[1] in sent:
        delays.append((int(parts[2]) / 1e6 - sent[parts[1]]) * 1000)
delays.sort()
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
print(f"display CPU idle: {idle:.2f} % of one core (20 s)")
print(f"display CPU during 50 calls in 2.5 s (10 s window): {busy:.1f} % of one core")
if delays:
    print(f"call next → number set on the display: {len(delays)} of 50 seen (calls 50 ms apart), "
          f"p50 {delays[len(delays)//2]:.1f} ms, p99 {delays[min(len(delays)-1, int(len(delays)*0.99))]:.1f} ms, max {delays[-1]:.1f} ms")
print(f"display RSS: {int(rss)/1024:.1f} MB")
PY
