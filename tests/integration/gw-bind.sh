#!/usr/bin/env bash
# gw-bind.sh - SOCKS BIND through mptnd's SOCKS gateway, SOCKS 5 and SOCKS 4:
# two replies (the listening address, then the connecting peer's address),
# then bytes both ways and half-close (tests/socks-bind.py); and a BIND with
# nobody connecting fails after connect-timeout with TTL expired (0x06).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
proxy=$(pick_port)
cat >"$T/mptnd.conf" <<CONF
listener s {
    listen tcp://127.0.0.1:$proxy
    gateway socks
    connect-timeout 1s
}
CONF
start_mptnd -v -f "$T/mptnd.conf"
for v in 5 4; do
	timeout 20 python3 "$srcdir/tests/socks-bind.py" "$proxy" "$v" >"$T/bind$v.out" 2>&1 ||
		{ cat "$T/bind$v.out" >&2; fail "SOCKS$v BIND failed"; }
	grep -q "BIND ok" "$T/bind$v.out" || fail "SOCKS$v BIND did not finish"
	log "SOCKS$v BIND: both replies, data both ways, half-close"
done
# nobody connects: the second reply says TTL expired after connect-timeout
out=$(timeout 10 python3 - "$proxy" <<'PY'
import socket, struct, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
c.sendall(b"\x05\x01\x00"); c.recv(2)
c.sendall(b"\x05\x02\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 0))
first = c.recv(10); t0 = time.time(); second = c.recv(10)
print(first[1], second[1] if second else -1, "%.2f" % (time.time() - t0))
PY
)
read -r first second waited <<<"$out"
[ "$first" = 0 ] || fail "first reply $first, want 0"
[ "$second" = 6 ] || fail "second reply $second after no connection, want 6 (TTL expired)"
fcmp "$waited >= 0.8 && $waited <= 3" || fail "second reply after ${waited}s, want about 1s"
pass "BIND: SOCKS5 and SOCKS4, and a BIND timeout after ${waited}s"
