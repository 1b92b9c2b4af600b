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
mptnd is starting on its embedded default configuration (see mptnd(8)), loopback only:
  a SOCKS 4/4a/5 gateway on 127.0.0.1:1080 and [::1]:1080, and an HTTP CONNECT
  gateway on 127.0.0.1:8080 and [::1]:8080, for local clients (like ssh -D).
Try it from another terminal:
  curl -i --socks5-hostname 127.0.0.1:1080 http://localhost:8080/   (through SOCKS to mptnd's own
                                                                   HTTP gateway, which answers 405)
  curl -i -p --proxy http://127.0.0.1:8080 http://localhost:8080/  (the same through an HTTP CONNECT tunnel)
Ctrl-C stops it. Your own bridge: ./mptnd --listen tcp://127.0.0.1:9000 --target unix:/run/app.sock
TXT
exec ./mptnd
