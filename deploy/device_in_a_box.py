#!/usr/bin/env python3
"""The device in a box (see device-in-a-box.sh): boots the image in qemu-system-aarch64 and
proves, from outside, what a visitor and a technician would see. Standard library only."""

import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

# The screen: a Pi's 7-inch touch display.
WIDTH, HEIGHT = 800, 480
# Where the kiosk's buttons are on that screen with the image's own demo center (Spanish):
# the welcome screen's "Español", the first service ("Información y orientación") and the
# priority question's "No, continuar" — as the kiosk's 800×480 screenshot tests draw them.
TAP_ESPANOL = (400, 126)
TAP_FIRST_SERVICE = (84, 180)
TAP_NO_PRIORITY = (400, 142)
GUEST_PORT = 7878
QEMU = "qemu-system-aarch64"
# The virtual network card, without a boot ROM (the kernel is given directly): a QEMU installed
# without its recommended packages (no ipxe-qemu, so no efi-virtio.rom) starts all the same.
NIC = "virtio-net-pci,netdev=lan,romfile="
BOX = Path(os.environ.get("BOX_DIR", Path.home() / ".cache" / "integra" / "box"))


class Broken(Exception):
    """A promise the device broke: printed, exit 1."""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


# ---------------------------------------------------------------- the image and the disks


class Image:
    """The image's partitions (boot vfat, root ext4, data ext4), read without mounting."""

    def __init__(self, path):
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise SystemExit(f"device-in-a-box: no image at {path} (build one: deploy/build-image.sh all OUT.img)")
        table = json.loads(run(["sfdisk", "-J", str(self.path)]))["partitiontable"]
        parts = table.get("partitions", [])
        if len(parts) != 3:
            raise SystemExit(f"device-in-a-box: {path} has {len(parts)} partitions, an Integra image has 3 (boot, root, data)")
        self.parts = [(p["start"] * 512, p["size"] * 512) for p in parts]

    def boot(self):
        return self.parts[0]

    def root(self):
        return self.parts[1]

    def data(self):
        return self.parts[2]


def mtools(disk, part):
    return f"{disk}@@{part[0]}"


def region(path, offset, size):
    """The bytes of a file's region, in chunks of at most 8 MiB."""
    with open(path, "rb") as f:
        f.seek(offset)
        left = size
        while left:
            chunk = f.read(min(left, 8 << 20))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def sha256_of_region(path, offset, size):
    h = hashlib.sha256()
    for chunk in region(path, offset, size):
        h.update(chunk)
    return h.hexdigest()


def copy_region(src, offset, size, dst):
    """A partition out of a disk image, sparse where it is zeros."""
    with open(dst, "wb") as out:
        for chunk in region(src, offset, size):
            if chunk.count(0) == len(chunk):
                out.seek(len(chunk), 1)
            else:
                out.write(chunk)
        out.truncate(size)


def widen_hours(center_toml):
    """The box's center is open every day, all day, so a tap finds its service open whenever
    the box runs (the demo center keeps office hours in Bogotá)."""
    days = ", ".join(f'{d} = ["00:00-23:59"]' for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    return re.sub(r"^hours = \{.*\}$", "hours = { " + days + " }", center_toml, flags=re.M)


SETTINGS = """# Written by deploy/device-in-a-box.sh: a kiosk that runs the hub, in a virtual machine.
role = "kiosk"
center_name = "Integra — device in a box"
hub = "local"
listen = "0.0.0.0:7878"
data_dir = "/var/lib/integra"
catalog = "/boot/firmware/center.toml"
languages = ["es", "ht", "pt", "en", "fr"]
idle_timeout_seconds = 600

[printer]
uri = "serial:/dev/ttyS0?baud=19200"   # QEMU's PCI serial port, written to printer.out
paper = 80
codepage = "cp858"
"""


class Box:
    """One device: its disks (copies of the image), its files, its token."""

    def __init__(self, image, name):
        self.image = image
        self.dir = BOX / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.disk = self.dir / "disk.img"
        self.data = self.dir / "data.img"
        self.kernel = self.dir / "vmlinuz"
        self.initrd = self.dir / "initrd.img"
        self.serial = self.dir / "serial.log"
        self.printer = self.dir / "printer.out"
        self.qmp_path = self.dir / "qmp.sock"
        self.token = None
        self.fingerprint = None
        self.root_sha = None

    def prepare(self):
        """Fresh disks from the image: the system disk (boot + read-only root; its own data
        partition blanked so the separate data disk is the one mounted), the data disk
        (provisioned with a pairing PIN by the image's own binary), the box's settings."""
        img = self.image
        t0 = time.monotonic()
        shutil.copyfile(img.path, self.disk)
        boot, root, data = img.boot(), img.root(), img.data()
        with open(self.disk, "r+b") as f:
            f.seek(data[0])
            f.write(b"\0" * (1 << 20))
        self.root_sha = sha256_of_region(self.disk, *root)
        # Kernel and initramfs, as the Pi firmware finds them on the boot partition
        # (vmlinuz-VERSION, initrd.img-VERSION).
        names = run(["mdir", "-b", "-i", mtools(self.disk, boot), "::"]).split()
        for stem, dst in [("vmlinuz", self.kernel), ("initrd.img", self.initrd)]:
            found = sorted(n.lstrip(":/") for n in names if n.lstrip(":/").startswith(stem))
            if not found:
                raise SystemExit(f"device-in-a-box: no {stem}* on the image's boot partition")
            dst.unlink(missing_ok=True)
            run(["mcopy", "-n", "-i", mtools(self.disk, boot), f"::{found[-1]}", str(dst)])
        # The technician's one file, and the center's catalog open all day.
        with tempfile.TemporaryDirectory() as t:
            s = Path(t) / "integra.toml"
            s.write_text(SETTINGS)
            run(["mcopy", "-o", "-i", mtools(self.disk, boot), str(s), "::integra.toml"])
            c = Path(t) / "center.toml"
            run(["mcopy", "-n", "-i", mtools(self.disk, boot), "::center.toml", str(c)])
            c.write_text(widen_hours(c.read_text()))
            run(["mcopy", "-o", "-i", mtools(self.disk, boot), str(c), "::center.toml"])
        self.provision_data()
        for f in [self.serial, self.printer]:
            f.unlink(missing_ok=True)
        log(f"disks ready in {time.monotonic() - t0:.1f} s ({self.dir})")

    def image_root(self):
        """The image's root file system, unpacked once (for running its own binary)."""
        stamp = f"{self.image.path}:{self.image.path.stat().st_size}:{self.image.path.stat().st_mtime_ns}"
        root_dir = BOX / "image-root"
        mark = BOX / "image-root.stamp"
        if mark.exists() and mark.read_text() == stamp and (root_dir / "usr/bin/integra").exists():
            return root_dir
        shutil.rmtree(root_dir, ignore_errors=True)
        root_dir.mkdir(parents=True)
        part = BOX / "root.ext4"
        copy_region(self.image.path, *self.image.root(), part)
        run(["debugfs", "-R", f"rdump / {root_dir}", str(part)])
        part.unlink()
        mark.write_text(stamp)
        return root_dir

    def provision_data(self):
        """The data disk as the technician leaves it after `integra pair --role admin` on the
        device: the hub's identity and one admin PIN (the box pairs with it at first boot)."""
        root = self.image_root()
        passwd = (root / "etc/passwd").read_text()
        m = re.search(r"^integra:[^:]*:(\d+):(\d+):", passwd, re.M)
        if not m:
            raise SystemExit("device-in-a-box: the image has no integra user (build it with deploy/build-image.sh)")
        uid, gid = int(m.group(1)), int(m.group(2))
        with tempfile.TemporaryDirectory() as t:
            d = Path(t) / "data"
            out = run(["qemu-aarch64-static", "-L", str(root), str(root / "usr/bin/integra"),
                       "--data", str(d), "pair", "--role", "admin"])
            pin = out.strip().splitlines()[-1].strip()
            if not re.fullmatch(r"\d{8}", pin):
                raise SystemExit(f"device-in-a-box: `integra pair` printed no PIN:\n{out}")
            self.pin = pin
            self.fingerprint = cert_fingerprint(d / "hub-certificate.pem")
            d.chmod(0o700)
            size_mb = self.image.data()[1] // (1 << 20)
            self.data.unlink(missing_ok=True)
            run(["mkfs.ext4", "-q", "-F", "-L", "INTEGRA-DATA", "-E", f"root_owner={uid}:{gid}",
                 "-d", str(d), str(self.data), f"{size_mb}M"])
            # Everything on it belongs to the integra user (set in the file system itself, so
            # the box needs no root for this).
            cmds = Path(t) / "owners"
            cmds.write_text("sif / mode 040700\n" + "".join(
                f"sif /{p.relative_to(d)} uid {uid}\nsif /{p.relative_to(d)} gid {gid}\n" for p in d.rglob("*")))
            run(["debugfs", "-w", "-f", str(cmds), str(self.data)])

    def qemu_args(self, port, extra_cmdline=""):
        cmdline = ("root=LABEL=INTEGRA-ROOT ro rootfstype=ext4 rootwait fsck.repair=yes "
                   "console=ttyAMA0 systemd.show_status=1 systemd.journald.forward_to_kmsg=1 printk.devkmsg=on systemd.journald.forward_to_console=1 "
                   "loglevel=7 " + extra_cmdline)
        return [
            QEMU, "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1024",
            "-accel", "tcg,thread=multi",
            "-kernel", str(self.kernel), "-initrd", str(self.initrd), "-append", cmdline.strip(),
            "-drive", f"file={self.disk},format=raw,if=none,id=system,cache=writeback",
            "-device", "virtio-blk-pci,drive=system",
            "-drive", f"file={self.data},format=raw,if=none,id=data,cache=writeback",
            "-device", "virtio-blk-pci,drive=data",
            "-device", f"virtio-gpu-pci,xres={WIDTH},yres={HEIGHT}",
            "-device", "virtio-tablet-pci",
            "-netdev", f"user,id=lan,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:{GUEST_PORT}",
            "-device", NIC,
            "-chardev", f"file,id=printer,path={self.printer}",
            "-device", "pci-serial,chardev=printer",
            "-serial", f"file:{self.serial}",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-display", "none", "-monitor", "none", "-nodefaults",
        ]


def cert_fingerprint(pem_path):
    pem = Path(pem_path).read_text()
    der = ssl.PEM_cert_to_DER_cert(pem)
    return hashlib.sha256(der).hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the virtual machine


RUNNING = []


def stop_leftover(box):
    """A VM left running by an interrupted earlier run holds the disks' locks: stop it."""
    pidfile = box.dir / "qemu.pid"
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"qemu-system-aarch64" in cmdline and str(box.dir).encode() in cmdline:
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
    except (OSError, ValueError):
        pass


def qemu_failure(detail, err_path=None):
    """One sentence for a QEMU that would not start: what it said, and the fix."""
    said = next((l.strip() for l in reversed(detail.strip().splitlines()) if l.strip()), "no message")
    if "romfile" in detail:
        fix = ("a device's boot ROM is missing: install QEMU's recommended packages "
               "(apt-get install ipxe-qemu qemu-system-data), or give that device romfile= "
               "as this script does for its network card")
    elif "lock" in detail:
        fix = (f"another QEMU still uses the box's disks: stop it (its process id is in "
               f"{BOX / 'qemu.pid'}) and run the step again")
    elif "kernel" in detail or "initrd" in detail:
        fix = f"the kernel taken from the image is missing: delete {BOX} and run the step again"
    else:
        fix = (f"check that `{QEMU} --version` runs (apt-get install qemu-system-arm)"
               + (f", and read {err_path}" if err_path else ""))
    return f"QEMU did not start ({said}): {fix}"


def start_qemu(args, err_path):
    """Start QEMU, its messages to `err_path`; a QEMU that cannot run is one sentence."""
    try:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(err_path, "w"))
    except OSError as e:
        raise Broken(f"QEMU cannot be run ({args[0]}: {e.strerror}): "
                     f"install it with `apt-get install qemu-system-arm` (as root)") from None


def check_qemu():
    """Start QEMU paused with the box's machine and network card for 2 s: a QEMU that cannot
    (a missing boot ROM, no QEMU at all) is told before any disk is copied."""
    with tempfile.TemporaryDirectory() as d:
        err = Path(d) / "qemu.err"
        proc = start_qemu([QEMU, "-M", "virt", "-cpu", "cortex-a72", "-m", "128", "-S",
                           "-nodefaults", "-display", "none", "-monitor", "none",
                           "-netdev", "user,id=lan,restrict=on", "-device", NIC], err)
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return
        if code != 0:
            raise Broken(qemu_failure(err.read_text(errors="replace")))


class Vm:
    def __init__(self, box, extra_cmdline=""):
        self.box = box
        self.port = free_port()
        stop_leftover(box)
        box.qmp_path.unlink(missing_ok=True)
        self.started = time.monotonic()
        self.proc = start_qemu(box.qemu_args(self.port, extra_cmdline), box.dir / "qemu.err")
        (box.dir / "qemu.pid").write_text(str(self.proc.pid))
        RUNNING.append(self)
        self.qmp = None
        self.serial_seen = 0

    def since(self):
        return time.monotonic() - self.started

    def connect_qmp(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(str(self.box.qmp_path))
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise Broken(self.failure())
                time.sleep(0.1)
        self.qmp = s.makefile("rwb", buffering=0)
        greeting = self.qmp.readline()
        if not greeting:
            # QEMU opened its control socket, then stopped (e.g. a device it could not make).
            self.proc.wait(timeout=10)
            raise Broken(self.failure())
        json.loads(greeting)
        self.execute("qmp_capabilities")

    def failure(self):
        err = self.box.dir / "qemu.err"
        return qemu_failure(err.read_text(errors="replace") if err.exists() else "", err)

    def execute(self, cmd, args=None):
        if self.qmp is None:
            self.connect_qmp()
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.qmp.write(json.dumps(msg).encode() + b"\n")
        while True:
            line = self.qmp.readline()
            if not line:
                raise Broken("QEMU's monitor closed")
            r = json.loads(line)
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise Broken(f"QMP {cmd}: {r['error']}")

    def screen(self, path=None):
        """The screen as (width, height, RGB bytes), through QMP screendump (PPM)."""
        ppm = self.box.dir / "screen.ppm"
        self.execute("screendump", {"filename": str(ppm)})
        w, h, rgb = read_ppm(ppm)
        if path:
            write_png(path, w, h, rgb)
        return w, h, rgb

    def tap(self, x, y):
        """A finger on the touchscreen: press and release at (x, y) screen pixels."""
        ax, ay = x * 32767 // (WIDTH - 1), y * 32767 // (HEIGHT - 1)
        move = [{"type": "abs", "data": {"axis": "x", "value": ax}},
                {"type": "abs", "data": {"axis": "y", "value": ay}}]
        self.execute("input-send-event", {"events": move})
        time.sleep(0.05)
        self.execute("input-send-event", {"events": [{"type": "btn", "data": {"down": True, "button": "left"}}]})
        time.sleep(0.12)
        self.execute("input-send-event", {"events": [{"type": "btn", "data": {"down": False, "button": "left"}}]})

    def serial_text(self):
        try:
            return self.box.serial.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_serial(self, pattern, timeout, after=0):
        """Wait for a console line matching `pattern` (from offset `after`); returns the match
        and the offset after it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.serial_text()
            m = rx.search(text, after)
            if m:
                return m, m.end()
            if time.monotonic() > deadline:
                return None, after
            if self.proc.poll() is not None:
                raise Broken(f"QEMU exited: {(self.box.dir / 'qemu.err').read_text()[-2000:]}")
            time.sleep(0.25)

    def kill(self):
        """Power cut: the process dies at once, nothing is flushed by the guest."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        if self.qmp:
            try:
                self.qmp.close()
            except OSError:
                pass
        self.qmp = None


def read_ppm(path):
    data = Path(path).read_bytes()
    # P6\n<w> <h>\n<max>\n<rgb…>
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        raise Broken(f"{path} is not a PPM screendump")
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():m.end() + w * h * 3]


def write_png(path, w, h, rgb):
    raw = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(kind, body):
        c = kind + body
        return struct.pack(">I", len(body)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def light_share(rgb):
    """Share of light pixels: the kiosk's screens are light; a text console is dark."""
    step = 3 * 7  # every 7th pixel is plenty
    n = light = 0
    for i in range(0, len(rgb) - 2, step):
        n += 1
        if rgb[i] + rgb[i + 1] + rgb[i + 2] > 600:
            light += 1
    return light / max(n, 1)


def difference(a, b):
    """Share of (sampled) pixels that differ between two screens."""
    if len(a) != len(b):
        return 1.0
    step = 3 * 5
    n = diff = 0
    for i in range(0, len(a) - 2, step):
        n += 1
        if abs(a[i] - b[i]) + abs(a[i + 1] - b[i + 1]) + abs(a[i + 2] - b[i + 2]) > 48:
            diff += 1
    return diff / max(n, 1)


# ---------------------------------------------------------------- the hub's API, from the host


class Api:
    """HTTPS to the hub in the VM, the certificate pinned to the one provisioned on its disk."""

    def __init__(self, port, fingerprint, token=None):
        self.port, self.fingerprint, self.token = port, fingerprint, token
        self.conn = None

    def _connect(self, timeout):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # checked below against the pinned fingerprint
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=timeout)
        c.connect()
        got = hashlib.sha256(c.sock.getpeercert(binary_form=True)).hexdigest()
        if got != self.fingerprint:
            c.close()
            raise Broken(f"the hub's certificate changed: {got} is not the provisioned {self.fingerprint}")
        return c

    def request(self, method, path, body=None, timeout=10):
        """One request. The hub closes idle keep-alive connections after 5 s: a GET on a
        connection it closed is sent again on a new one (a POST is not: it may have counted)."""
        reused = self.conn is not None
        try:
            return self._request(method, path, body, timeout)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not (reused and method == "GET"):
                raise
            return self._request(method, path, body, timeout)

    def _request(self, method, path, body, timeout):
        if self.conn is None:
            self.conn = self._connect(timeout)
        self.conn.timeout = timeout
        headers = {"Content-Type": "application/json", "Host": f"127.0.0.1:{self.port}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        try:
            return r.status, json.loads(data) if data else None
        except ValueError:
            return r.status, data

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def wait_up(self, timeout):
        """Until /health answers: the hub in the VM serves again."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, body = self.request("GET", "/api/v1/health", timeout=3)
                if status == 200:
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.5)
        return False

    def tickets(self):
        """The labels of today's tickets, as the hub holds them (a slow answer is waited for:
        under emulation a big state takes seconds; a timed-out read is asked again)."""
        for attempt in range(3):
            try:
                status, body = self.request("GET", "/api/v1/state", timeout=120)
                break
            except (TimeoutError, OSError, http.client.HTTPException) as e:
                self.close()
                log(f"GET /api/v1/state: {e!r} (attempt {attempt + 1} of 3)")
                if attempt == 2:
                    raise Broken(f"the hub did not answer GET /api/v1/state three times: {e!r}")
        if status != 200:
            raise Broken(f"GET /api/v1/state answered {status}: {body}")
        tickets = body["state"]["tickets"]
        labels = [label_of(t) for t in tickets.values()]
        return labels


def label_of(t):
    return t.get("label") or f"{t['prefix']}-{t['number']:03}"


# ---------------------------------------------------------------- the steps


def kiosk_frame(vm, timeout):
    """The first screen the kiosk draws (not a text console or a black screen), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, _, rgb = vm.screen()
        except Broken:
            rgb = b""
        if rgb and light_share(rgb) > 0.25:
            return rgb
        time.sleep(0.5)
    return None


def boot_to_kiosk(box, extra_cmdline="", timeout=600):
    """Power on; wait for the first kiosk frame. Returns (vm, host seconds, welcome frame)."""
    vm = Vm(box, extra_cmdline)
    vm.connect_qmp()
    rgb = kiosk_frame(vm, timeout)
    if rgb is None:
        vm.kill()
        raise Broken(f"no kiosk frame within {timeout} s (console: {box.serial})")
    return vm, vm.since(), rgb


def guest_uptime_of(vm, pattern, timeout=120, after=0):
    """The guest's uptime (kernel log timestamp) on the console line matching `pattern`."""
    m, end = vm.wait_serial(r"\[\s*(\d+\.\d+)\][^\n]*(?:" + pattern + ")", timeout, after)
    return (float(m.group(1)), end) if m else (None, after)


def pair(box, vm):
    api = Api(vm.port, box.fingerprint)
    if not api.wait_up(300):
        raise Broken("the hub in the VM does not answer on /api/v1/health")
    status, body = api.request("POST", "/api/v1/pair", {"pin": box.pin, "name": "device in a box"})
    if status != 201 and status != 200:
        raise Broken(f"pairing with the provisioned PIN answered {status}: {body}")
    api.token = body["token"]
    box.token = api.token
    return api


def step_boot(image):
    box = Box(image, "boot")
    box.prepare()
    vm, first_frame, rgb = boot_to_kiosk(box)
    write_png(box.dir / "first-frame.png", WIDTH, HEIGHT, rgb)
    log(f"first kiosk frame after {first_frame:.1f} s (screendump: {box.dir / 'first-frame.png'})")
    ready, _ = guest_uptime_of(vm, r"Started integra\.service|integra.*READY|kiosk running", timeout=60)
    kernel, _ = guest_uptime_of(vm, r"Run /init as init process|Freeing unused kernel memory", timeout=5)
    api = pair(box, vm)
    status, _ = api.request("GET", "/api/v1/queue")
    vm.kill()
    if status != 200:
        raise Broken(f"the hub answered GET /api/v1/queue with {status}")
    pi4 = estimate_pi4(first_frame)
    ready_txt = f"{ready:.1f}" if ready is not None else "?"
    print(f"boot: first kiosk frame {first_frame:.1f} s after power-on (host clock, emulated); "
          f"integra.service ready at guest uptime {ready_txt} s; kernel handed over at {kernel or 0:.1f} s; "
          f"estimated Pi 4: {pi4}")


def emulation_factor():
    """How much slower this machine runs arm64 code under TCG than its own code: the same gzip
    of the same 64 MiB, native and under qemu-aarch64 (the image's own gzip)."""
    root = BOX / "image-root"
    gz = root / "usr/bin/gzip"
    if not gz.exists():
        return None
    data = BOX / "gzip-input"
    if not data.exists():
        rnd = random.Random(7)
        words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz ") for _ in range(rnd.randint(2, 9))) for _ in range(5000)]
        with open(data, "wb") as f:
            while f.tell() < 64 << 20:
                f.write(b" ".join(rnd.choice(words) for _ in range(4096)))

    def timed(cmd):
        t = time.monotonic()
        with open(data, "rb") as i:
            subprocess.run(cmd, stdin=i, stdout=subprocess.DEVNULL, check=True)
        return time.monotonic() - t
    native = timed(["gzip", "-6", "-c"])
    emulated = timed(["qemu-aarch64-static", "-L", str(root), str(gz), "-6", "-c"])
    return emulated / native


# A Raspberry Pi 4's Cortex-A72 at 1.5 GHz runs compression and similar integer work at about a
# third of one core of this build machine (a 2020s x86-64 server core) — an assumption, stated
# in deploy/README.md; this machine was not compared with a real Pi.
PI4_VS_HOST = 3.0


def estimate_pi4(seconds):
    f = emulation_factor()
    if not f:
        return "unknown (no emulation factor)"
    est = seconds / f * PI4_VS_HOST
    return f"≈{est:.0f} s (emulation {f:.1f}× slower than this machine, a Pi 4 core ≈ 1/{PI4_VS_HOST:.0f} of it)"


def tap_and_see(vm, at, before, what, timeout=30):
    """Tap, and wait until the screen differs from `before` (the new screen's pixels). A tap on
    a screen still being drawn could be lost, so the screen is given a second to settle first."""
    time.sleep(1.0)
    vm.tap(*at)
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        _, _, rgb = vm.screen()
        if difference(before, rgb) > 0.05:
            return rgb, time.monotonic() - t
        time.sleep(0.3)
    vm.kill()
    raise Broken(f"the screen did not change after the tap on {what}")


def step_tap(image):
    box = Box(image, "tap")
    box.prepare()
    vm, first_frame, welcome = boot_to_kiosk(box)
    api = pair(box, vm)
    before = set(api.tickets())
    shots = []
    prev = welcome
    for name, (x, y) in [("espanol", TAP_ESPANOL), ("service", TAP_FIRST_SERVICE), ("no-priority", TAP_NO_PRIORITY)]:
        _, took = tap_and_see(vm, (x, y), prev, f"{name} at {x},{y}")
        time.sleep(1.5)  # let the screen finish drawing before the screendump
        path = box.dir / f"after-{name}.png"
        _, _, prev = vm.screen(path)
        shots.append(str(path))
        log(f"tap {name} at ({x},{y}): screen changed {took:.1f} s after the tap ({path})")
    # The ticket: in the hub's answer, and on the printer's serial port.
    new = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not new:
        new = [lab for lab in api.tickets() if lab not in before]
        time.sleep(0.5)
    if len(new) != 1:
        vm.kill()
        raise Broken(f"the hub holds {len(new)} new tickets after three taps: {new}")
    label = new[0]
    status, ticket = api.request("GET", f"/api/v1/tickets/{label}")
    printed = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and label.encode() not in printed:
        printed = box.printer.read_bytes() if box.printer.exists() else b""
        time.sleep(0.5)
    vm.kill()
    if status != 200 or not ticket or ticket.get("lang") != "es":
        raise Broken(f"GET /api/v1/tickets/{label} answered {status}: {ticket}")
    if label.encode() not in printed:
        raise Broken(f"the printer port got {len(printed)} bytes without {label} ({box.printer})")
    print(f"tap: ticket {label} (service {ticket.get('service')}, language {ticket.get('lang')}) "
          f"on screen ({shots[-1]}), in the hub's API, and printed ({len(printed)} bytes on the serial port)")


def step_hang(image):
    box = Box(image, "hang")
    box.prepare()
    # The drill: the UI loop blocks 60 s after the kiosk starts (once per boot).
    vm, first_frame, welcome = boot_to_kiosk(box, "systemd.setenv=INTEGRA_DRILL_HANG_UI_AFTER=60")
    write_png(box.dir / "welcome.png", WIDTH, HEIGHT, welcome)
    services, _ = tap_and_see(vm, TAP_ESPANOL, welcome, "Español")
    write_png(box.dir / "before-hang.png", WIDTH, HEIGHT, services)
    hung_at, end = guest_uptime_of(vm, r"hang drill: the UI loop hangs now", timeout=180)
    if hung_at is None:
        vm.kill()
        raise Broken("the hang drill never started (no 'hang drill' line on the console)")
    host_hung = time.monotonic()
    log(f"the UI loop hung at guest uptime {hung_at:.1f} s")
    restarted_at, end2 = guest_uptime_of(vm, r"(Starting|Started) integra\.service", timeout=120, after=end)
    trig_at, _ = guest_uptime_of(vm, r"integra\.service: Watchdog|asking systemd to restart", timeout=5, after=end)
    # Drawn again: the welcome screen (a fresh kiosk), not the frozen services screen.
    drawn = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        _, _, rgb = vm.screen()
        if difference(rgb, welcome) < 0.02:
            drawn = time.monotonic() - host_hung
            write_png(box.dir / "after-restart.png", WIDTH, HEIGHT, rgb)
            break
        time.sleep(0.5)
    vm.kill()
    if restarted_at is None:
        raise Broken("systemd did not restart integra.service after the hang")
    restart = restarted_at - hung_at
    if restart > 15:
        raise Broken(f"systemd restarted the service {restart:.1f} s after the hang (promised ≤ 15 s)")
    if drawn is None:
        raise Broken("the kiosk did not draw its welcome screen again after the restart")
    trig = f"{trig_at - hung_at:.1f}" if trig_at is not None else "?"
    print(f"hang: watchdog asked for the restart {trig} s and systemd restarted integra.service "
          f"{restart:.1f} s after the UI loop hung (guest clock); welcome screen drawn again "
          f"{drawn:.1f} s after the hang (host clock, emulated)")


class Issuer(threading.Thread):
    """Issues tickets through the API as fast as the hub answers; remembers each one the hub
    acknowledged (201 with its number)."""

    def __init__(self, api, acked):
        super().__init__(daemon=True)
        self.api, self.acked = api, acked
        self.stop = threading.Event()
        self.errors = 0

    def run(self):
        langs = ["es", "en", "pt", "fr", "ht"]
        services = ["info", "legal", "health", "jobs"]
        while not self.stop.is_set():
            try:
                status, body = self.api.request(
                    "POST", "/api/v1/tickets",
                    {"service": random.choice(services), "lang": random.choice(langs)}, timeout=5)
            except (OSError, http.client.HTTPException, Broken):
                self.errors += 1
                time.sleep(0.2)
                continue
            if status == 201 and body and body.get("label"):
                self.acked.append(body["label"])
            else:
                self.errors += 1
                time.sleep(0.2)


def check_data_disk(box):
    """Like the device's own next boot, on a copy: replay the file system's journal (e2fsck),
    then SQLite's integrity check on the database and its WAL."""
    with tempfile.TemporaryDirectory() as t:
        copy = Path(t) / "data.img"
        run(["cp", "--sparse=always", str(box.data), str(copy)])
        r = subprocess.run(["e2fsck", "-fy", str(copy)], capture_output=True, text=True)
        if r.returncode not in (0, 1):  # 1: errors corrected (a journal replay is one)
            raise Broken(f"e2fsck on the data disk after the cut: exit {r.returncode}\n{r.stdout}{r.stderr}")
        db = Path(t) / "db"
        db.mkdir()
        for name in ["integra.sqlite3", "integra.sqlite3-wal"]:
            subprocess.run(["debugfs", "-R", f"dump /{name} {db / name}", str(copy)], capture_output=True)
        if not (db / "integra.sqlite3").exists():
            raise Broken("no integra.sqlite3 on the data disk after the cut")
        out = subprocess.run(["sqlite3", str(db / "integra.sqlite3"), "PRAGMA integrity_check;"],
                             capture_output=True, text=True)
        return out.stdout.strip() or out.stderr.strip(), r.returncode


def step_powercut(image, cuts):
    box = Box(image, "powercut")
    box.prepare()
    vm, first_frame, _ = boot_to_kiosk(box)
    api = pair(box, vm)
    acked = []
    boot_to_ready = []
    rng = random.Random()
    lost_total = 0
    for n in range(1, cuts + 1):
        issuers = [Issuer(Api(vm.port, box.fingerprint, box.token), acked) for _ in range(2)]
        for i in issuers:
            i.start()
        window = rng.uniform(1.0, 12.0)
        time.sleep(window)
        vm.kill()  # the power cut, at a random moment while tickets are being issued
        for i in issuers:
            i.stop.set()
        for i in issuers:
            i.join(timeout=10)
        api.close()
        root_sha = sha256_of_region(box.disk, *box.image.root())
        if root_sha != box.root_sha:
            raise Broken(f"cut {n}: the read-only root partition changed")
        integrity, fsck = check_data_disk(box)
        if integrity != "ok":
            raise Broken(f"cut {n}: PRAGMA integrity_check says {integrity}")
        # Power back on.
        vm = Vm(box)
        vm.connect_qmp()
        ready, _ = guest_uptime_of(vm, r"Started integra\.service", timeout=600)
        host_ready = vm.since()
        api = Api(vm.port, box.fingerprint, box.token)
        if ready is None or not api.wait_up(120):
            vm.kill()
            raise Broken(f"cut {n}: the service did not come back (console: {box.serial})")
        boot_to_ready.append(host_ready)
        # The kiosk draws again (not a login prompt or a black screen).
        if kiosk_frame(vm, 120) is None:
            vm.screen(box.dir / f"cut-{n}-screen.png")
            vm.kill()
            raise Broken(f"cut {n}: the kiosk did not draw after the boot (cut-{n}-screen.png)")
        drawn = vm.since()
        t_state = time.monotonic()
        labels = api.tickets()
        state_s = time.monotonic() - t_state
        have = set(labels)
        lost = [lab for lab in acked if lab not in have]
        dup = len(labels) - len(have)
        lost_total += len(lost)
        log(f"cut {n}/{cuts} after {window:.1f} s of issuing: {len(acked)} acknowledged so far, "
            f"{len(labels)} held, lost {len(lost)}, numbers given twice {dup}, e2fsck exit {fsck}, "
            f"integrity {integrity}, READY at guest {ready:.1f} s / host {host_ready:.1f} s, "
            f"kiosk drawn at {drawn:.1f} s, "
            f"state read in {state_s:.1f} s")
        if lost:
            vm.kill()
            raise Broken(f"cut {n}: acknowledged tickets lost: {lost[:10]}")
        if dup:
            vm.kill()
            raise Broken(f"cut {n}: {dup} numbers given twice")
        if len(set(acked)) != len(acked):
            vm.kill()
            raise Broken(f"cut {n}: the hub acknowledged the same number twice")
    vm.kill()
    b = sorted(boot_to_ready)
    print(f"powercut: cuts {cuts}, tickets acknowledged {len(acked)}, lost {lost_total}, numbers given twice 0, "
          f"integrity ok {cuts}/{cuts}, root intact {cuts}/{cuts}; power-on to READY after a cut "
          f"median {b[len(b) // 2]:.1f} s, max {b[-1]:.1f} s (host clock, emulated)")


def selftest(integra):
    """The host side of the box against this machine's own `integra` (run by the test suite;
    no VM): the box's center passes `integra catalog check` and is open at any hour, the API
    client pairs with a PIN, pins the hub's certificate and refuses another, the issuers'
    acknowledged tickets are all in the hub's state, and screendumps round-trip to PNG."""
    with tempfile.TemporaryDirectory() as t:
        t = Path(t)
        demo = run([integra, "catalog", "demo"])
        center = t / "center.toml"
        center.write_text(widen_hours(demo))
        if widen_hours(demo).count('["00:00-23:59"]') < 7 or re.search(r'"08:00', widen_hours(demo)):
            raise Broken("the box's center still has office hours")
        run([integra, "catalog", "check", str(center)])
        data = t / "data"
        pin = run([integra, "--data", str(data), "pair", "--role", "admin"]).strip().splitlines()[-1]
        port = free_port()
        hub = subprocess.Popen([integra, "--data", str(data), "--catalog", str(center),
                                "--listen", f"127.0.0.1:{port}", "hub"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            fingerprint = cert_fingerprint(data / "hub-certificate.pem")
            wrong = Api(port, "0" * 64)
            api = Api(port, fingerprint)
            if not api.wait_up(60):
                raise Broken("the hub did not answer")
            try:
                wrong.request("GET", "/api/v1/health")
                raise Broken("a hub with another certificate was accepted")
            except Broken as e:
                if "certificate changed" not in str(e):
                    raise
            status, body = api.request("POST", "/api/v1/pair", {"pin": pin, "name": "box selftest"})
            if status not in (200, 201):
                raise Broken(f"pairing answered {status}: {body}")
            api.token = body["token"]
            acked = []
            issuers = [Issuer(Api(port, fingerprint, api.token), acked) for _ in range(2)]
            for i in issuers:
                i.start()
            time.sleep(1.0)
            for i in issuers:
                i.stop.set()
            for i in issuers:
                i.join(timeout=10)
            labels = api.tickets()
            if not acked or set(acked) - set(labels) or len(labels) != len(set(labels)):
                raise Broken(f"acknowledged {len(acked)}, held {len(labels)}")
        finally:
            hub.kill()
            hub.wait()
        w, h = 7, 3
        rgb = bytes(range(w * h * 3))
        (t / "s.ppm").write_bytes(f"P6\n{w} {h}\n255\n".encode() + rgb)
        if read_ppm(t / "s.ppm") != (w, h, rgb):
            raise Broken("a screendump did not read back")
        write_png(t / "s.png", w, h, rgb)
        disk = t / "disk"
        data = os.urandom(1 << 20) + bytes(9 << 20) + os.urandom(999)
        disk.write_bytes(data)
        if sha256_of_region(disk, 7, len(data) - 14) != hashlib.sha256(data[7:-7]).hexdigest():
            raise Broken("a region's hash is wrong")
        copy_region(disk, 7, len(data) - 14, t / "part")
        if (t / "part").read_bytes() != data[7:-7]:
            raise Broken("a partition copy is wrong")
        if not (t / "s.png").read_bytes().startswith(b"\x89PNG"):
            raise Broken("no PNG written")
    print(f"selftest: ok ({len(acked)} tickets acknowledged, all held; pinned certificate enforced)")


def main(argv):
    if len(argv) == 2 and argv[0] == "--selftest":
        try:
            selftest(argv[1])
        except Broken as e:
            print(f"selftest: BROKEN — {e}")
            return 1
        return 0
    if argv == ["--check-qemu"]:
        try:
            check_qemu()
        except Broken as e:
            print(f"qemu: BROKEN — {e}")
            return 1
        print(f"qemu: {QEMU} starts with the box's machine and network card")
        return 0
    if len(argv) < 2:
        raise SystemExit("usage: device-in-a-box.sh IMAGE boot | tap | powercut N | hang")
    image = Image(argv[0])
    step = argv[1]
    try:
        check_qemu()
        if step == "boot":
            step_boot(image)
        elif step == "tap":
            step_tap(image)
        elif step == "powercut":
            n = int(argv[2]) if len(argv) > 2 else 50
            step_powercut(image, n)
        elif step == "hang":
            step_hang(image)
        else:
            raise SystemExit(f"device-in-a-box: unknown step {step!r}: boot, tap, powercut N or hang")
    except Broken as e:
        print(f"{step}: BROKEN — {e}")
        return 1
    finally:
        for vm in RUNNING:
            vm.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
