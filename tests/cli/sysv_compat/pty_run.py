#!/usr/bin/env python3
"""pty_run.py COLS PREFIX ARGV0 PROGRAM ARGS...: runs PROGRAM (argv[0] = ARGV0) with stdout on a
new pseudo-terminal of COLS columns (0: the terminal reports no size) and stdin from /dev/null,
and saves what it wrote to the terminal in PREFIX.out, its stderr in PREFIX.err and its exit
status in PREFIX.rc. Output post-processing is off (no \\n -> \\r\\n), so PREFIX.out holds the
program's bytes as written. Used by lsipc_tty_compat.sh."""
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

cols, prefix, argv0, program = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if cols else 0, cols, 0, 0))
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
with open(prefix + ".err", "wb") as err:
    child = subprocess.Popen([argv0] + sys.argv[5:], executable=program, stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=err)
os.close(slave)
out = bytearray()
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the child closed the terminal
        break
    if not chunk:
        break
    out += chunk
os.close(master)
with open(prefix + ".out", "wb") as f:
    f.write(out)
with open(prefix + ".rc", "w") as f:
    f.write(f"{child.wait()}\n")
