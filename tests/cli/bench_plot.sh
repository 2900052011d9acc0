#!/usr/bin/env bash
# The charts of `ipckit bench --plot`/`--html` (docs/bench.md, "Charts") render in a real
# browser: Debian's headless Chromium screenshots them, and the screenshot must not be blank (the
# PNG is decoded here with Python's zlib: enough non-white pixels, and the lines' own colours
# present); the SVG must parse as XML and carry every label as text. A white page must fail the
# same check, so the check itself is live.
#
# What is rendered: the charts of a hand-built report (bench_plot_sample, tests/tools/bench_plot/:
# every mechanism, a failed row, marked rows, an odd name), and, when this build's `ipckit bench`
# has --plot, the charts of a real `ipckit bench --quick` run.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"
: "${IPCKIT_BUILD_DIR:?set by ctest: the build tree}"
: "${IPCKIT_SOURCE_DIR:?set by ctest: the source tree}"
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$IPCKIT_SOURCE_DIR/tests/cli/ipc_cli/cannot_run_here.sh"

fail() {
  echo "bench_plot: FAIL: $*" >&2
  exit 1
}
# Debian's interpreter (scripts/deps.sh), not whatever is first in PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || cannot_run_here "chromium is not installed (scripts/deps.sh)"
sample=$IPCKIT_BUILD_DIR/tests/bench_plot_sample
[ -x "$sample" ] || fail "$sample is not built (cmake --build --target bench_plot_sample)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-bench-plot.XXXXXX")
trap 'rm -rf "$work"' EXIT

# render FILE PNG WIDTH HEIGHT: a screenshot of FILE by headless Chromium. The browser gets a
# home, profile and XDG dirs of its own under $work, keeps its shared memory out of /dev/shm
# (the suite's leak check watches it), and is killed with its whole process group (timeout's)
# if it has not finished in 120 s.
render() {
  local file=$1 png=$2 width=$3 height=$4 home=$work/home rc=0
  mkdir -p "$home/config" "$home/cache" "$home/data" "$home/run"
  chmod 700 "$home/run"
  HOME=$home XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache XDG_DATA_HOME=$home/data \
    XDG_RUNTIME_DIR=$home/run \
    timeout --kill-after=10 120 "$chromium" --headless --no-sandbox --disable-gpu \
    --disable-dev-shm-usage --user-data-dir="$home/profile" --no-first-run \
    --no-default-browser-check --disable-extensions --disable-background-networking \
    --disable-sync --hide-scrollbars --screenshot="$png" --window-size="$width,$height" \
    "file://$file" >"$work/chromium.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || [ ! -s "$png" ]; then
    tail -5 "$work/chromium.log" >&2
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && fail "chromium did not finish in 120 s ($file)"
    fail "chromium exited $rc and wrote no screenshot of $file"
  fi
}

# svg_height FILE: the SVG's height attribute, as an integer (the screenshot's window height).
svg_height() {
  "$py" - "$1" <<'PY'
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
print(min(int(float(root.get("height"))) + 1, 6000))
PY
}

# not_blank PNG WIDTH HEIGHT [COLOURS]: the screenshot has the expected size, at least 2%
# non-white pixels, and at least COLOURS (default 6) of the line colours of tools/bench/bench_plot.cpp (within a small tolerance, for
# antialiasing), as drawn pixels.
not_blank() {
  "$py" - "$@" <<'PY'
import struct, sys, zlib
path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
want_colours = int(sys.argv[4]) if len(sys.argv) > 4 else 6
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"{path}: not a PNG")
pos, idat, width = 8, b"", None
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
    pos += 12 + length
    if kind == b"IHDR":
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        if depth != 8 or colour not in (2, 6) or interlace != 0:
            sys.exit(f"{path}: PNG of depth {depth}, colour type {colour}, interlace {interlace}: not decoded here")
        channels = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
if width is None:
    sys.exit(f"{path}: no IHDR")
if (width, height) != (want_w, want_h):
    sys.exit(f"{path}: {width}x{height}, expected {want_w}x{want_h}")
raw = zlib.decompress(idat)
stride = width * channels
rows, prev = [], bytearray(stride)
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b = prev[i]
        c = prev[i - channels] if i >= channels else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif f != 0:
            sys.exit(f"{path}: bad PNG filter {f}")
    rows.append(bytes(line))
    prev = line
colours, non_white = set(), 0
for line in rows:
    for x in range(0, stride, channels):
        px = line[x:x + 3]
        colours.add(px)
        if px != b"\xff\xff\xff":
            non_white += 1
share = non_white / (width * height)
palette = ["1f77b4", "d62728", "2ca02c", "ff7f0e", "9467bd", "8c564b", "e377c2", "17becf",
           "bcbd22", "393b79", "ad494a", "637939"]
def near(px, hexa):
    want = bytes.fromhex(hexa)
    return all(abs(px[i] - want[i]) <= 6 for i in range(3))
found = [h for h in palette if any(near(px, h) for px in colours)]
print(f"{path}: {width}x{height}, {share:.1%} non-white, {len(colours)} colours, "
      f"line colours {len(found)}/12")
if share < 0.02 or len(found) < want_colours:
    sys.exit(f"{path}: looks blank")
PY
}

# labels SVG NAME...: the SVG parses as XML and each NAME is the whole text of some element.
labels() {
  "$py" - "$@" <<'PY'
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
texts = {"".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")}
missing = [n for n in sys.argv[2:] if n not in texts]
if missing:
    sys.exit(f"{sys.argv[1]}: no text element reads: {missing}")
PY
}

# 1. The sample report: every line, the references, a failed row, an odd name.
"$sample" "$work/sample.svg" "$work/sample.html"
labels "$work/sample.svg" pipe fifo unix-stream unix-dgram unix-seqpacket tcp sysv-msg posix-mq \
  sysv-shm-sem posix-shm-futex "channel busy-poll" "channel spin-then-block" "channel block" zmq \
  nng "floor: shm-spin" "ceiling: memcpy" "odd<&\"'> méthode" \
  "• zmq, 4 KiB: failed: timed out after 30 s" \
  "• sysv-msg, 64 KiB: not run: above msgmax (8192 B)" ||
  fail "labels missing from the sample's SVG"
height=$(svg_height "$work/sample.svg")
render "$work/sample.svg" "$work/sample.png" 960 "$height"
not_blank "$work/sample.png" 960 "$height" || fail "the sample's SVG renders blank"
render "$work/sample.html" "$work/sample-html.png" 1200 1600
not_blank "$work/sample-html.png" 1200 1600 || fail "the sample's HTML page renders blank"

# 2. The check can fail: a white SVG of the same size is called blank.
printf '<svg xmlns="http://www.w3.org/2000/svg" width="960" height="400"><rect width="100%%" height="100%%" fill="#ffffff"/><text x="10" y="20">white</text></svg>\n' >"$work/white.svg"
render "$work/white.svg" "$work/white.png" 960 400
if not_blank "$work/white.png" 960 400 >/dev/null 2>&1; then
  fail "a white page passed the not-blank check"
fi

# 3. A real run, when this build's command draws charts.
if "$IPCKIT" bench --help 2>/dev/null | grep -q -- '--plot'; then
  rc=0
  "$IPCKIT" bench --quick --plot "$work/quick.svg" >"$work/quick.out" 2>"$work/quick.err" || rc=$?
  # 1: some row failed (it is then listed under the chart); 2 would be a usage error.
  [ "$rc" -le 1 ] || { cat "$work/quick.err" >&2; fail "ipckit bench --quick --plot exited $rc"; }
  [ -s "$work/quick.svg" ] || fail "ipckit bench --quick --plot wrote no chart"
  labels "$work/quick.svg" "floor: shm-spin" pipe "channel busy-poll" ||
    fail "labels missing from the --quick run's SVG"
  height=$(svg_height "$work/quick.svg")
  render "$work/quick.svg" "$work/quick.png" 960 "$height"
  not_blank "$work/quick.png" 960 "$height" 3 || fail "the --quick run's SVG renders blank"
else
  echo "bench_plot: this ipckit bench has no --plot yet: only the sample report was rendered"
fi
echo "bench_plot: ok"
