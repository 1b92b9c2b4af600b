#!/usr/bin/env bash
# srv.sh - DNS SRV targets through c-ares, against a DNS server the test
# starts on loopback (dnsmasq, pointed at by the `nameserver` directive):
# the priority-0 answer refuses, so mptnd fails over to the priority-10
# answer, which serves; a gateway map rule to an srv: template works the same;
# a name without SRV records fails with a clear reason.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

command -v dnsmasq >/dev/null || skip "dnsmasq is not installed (Debian package dnsmasq-base)"
dns=$(pick_port); dead=$(pick_port); live=$(pick_port); front=$(pick_port); gw=$(pick_port)
nosrv=$(pick_port)
dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
	--listen-address=127.0.0.1 --port="$dns" --pid-file= \
	--host-record=a.svc.test,127.0.0.1 --host-record=b.svc.test,127.0.0.1 \
	--srv-host="_web._tcp.svc.test,a.svc.test,$dead,0,5" \
	--srv-host="_web._tcp.svc.test,b.svc.test,$live,10,5" \
	>"$T/dnsmasq.log" 2>&1 &
track_pid $!
start_peer srv "tcp:127.0.0.1:$live" echo --count 0 --conc
cat >"$T/mptnd.conf" <<CONF
nameserver 127.0.0.1:$dns
listener direct {
    listen tcp://127.0.0.1:$front
    target srv:_web._tcp.svc.test
    connect-timeout 3s
}
listener gw {
    listen tcp://127.0.0.1:$gw
    gateway socks
    map *.web.test:* srv:_web._tcp.svc.test
}
listener nosrv {
    listen tcp://127.0.0.1:$nosrv
    target srv:_none._tcp.svc.test
}
CONF
start_mptnd -v -f "$T/mptnd.conf"
# wait until dnsmasq answers (it starts in a few ms)
for _ in $(seq 1 50); do
	grep -q "started" "$T/dnsmasq.log" 2>/dev/null && break
	sleep 0.1
done
out=$("$TPEER" connect "tcp:127.0.0.1:$front" many 5 --timeout 10) || fail "srv target: $out"
log "srv target: $out"
wait_for_line "$MPTND_LOG" "back=srv:_web._tcp.svc.test\(tcp://127.0.0.1:$live\)" 5 ||
	fail "the bridge did not land on the priority-10 answer after the priority-0 one refused"
# through the gateway's map rule
if command -v python3 >/dev/null; then
	got=$(timeout 10 python3 - "$gw" <<'PY'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
c.sendall(b"\x05\x01\x00"); assert c.recv(2) == b"\x05\x00"
name = b"app.web.test"
c.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack("!H", 80))
r = c.recv(10); print("rep", r[1]); c.sendall(b"ping"); print(c.recv(4).decode())
PY
) || fail "SOCKS through the srv map rule: $got"
	echo "$got" | grep -q "rep 0" || fail "SOCKS reply for the srv map rule: $got"
	echo "$got" | grep -q "ping" || fail "no echo through the srv map rule: $got"
	log "gateway map *.web.test -> srv: relayed"
fi
# no SRV records: a clear reason in the close line
"$TPEER" connect "tcp:127.0.0.1:$nosrv" probe >/dev/null 2>&1 || true
wait_for_line "$MPTND_LOG" "\[nosrv\] closed: reason=connect-failed \(SRV lookup failed" 5 ||
	fail "a name without SRV records: no connect-failed (SRV lookup failed ...) line"
pass "SRV priority failover, SRV map rule, missing SRV records reported"
