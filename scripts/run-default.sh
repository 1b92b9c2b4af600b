#!/bin/sh
# run-default.sh - install what is missing, build, and run mptnd in the
# foreground on its embedded default configuration (loopback only).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh build
[ -f configure ] || autoreconf -fi
[ -f Makefile ] || ./configure -q
make -j"$(nproc)" >/dev/null
cat <<'TXT'
mptnd is starting on its embedded default configuration (see mptnd(8)):
  tcp://127.0.0.1:2222, tcp://[::1]:2222 and mptcp://127.0.0.1:2223 are bridged to
  the local SSH server (tcp://localhost:22).
Try it from another terminal:   ssh -p 2222 localhost
                        or:     socat - TCP:127.0.0.1:2222     (prints the SSH banner)
Ctrl-C stops it. Your own bridge: ./mptnd --listen tcp://127.0.0.1:8080 --target unix:/run/app.sock
TXT
exec ./mptnd
