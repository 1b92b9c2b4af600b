#!/usr/bin/env bash
# sctp-module.sh - the sctp transport as a loadable module: loading, settings,
# start-up errors, and what it exposes.
#  1. `mptnd --version -f CONF` lists sctp under the loaded transports, also
#     for the shipped etc/mptnd.conf, which loads it through
#     etc/transports.d/sctp.conf by name; a module built for another ABI is
#     refused with "rebuild the module".
#  2. Bad settings and addresses fail `mptnd -t` with FILE:LINE and a reason;
#     errors only the start can see (timer order, a listen address without
#     a UDP socket, a UDP port in use, `backend kernel` on a kernel without
#     SCTP) stop mptnd with a message.
#  3. The module exports one symbol (its table): none of its names can
#     interpose on libusrsctp's unprefixed globals.
#  4. Another local process connecting to the module's internal (abstract)
#     Unix listener is cut off: its bytes never reach the target.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sctp-lib.sh"

BADABI=${SCTP_BADABI_MODULE:-$(dirname "$MPTND")/tests/.libs/sctp-badabi.so}
U=$(pick_udp_port)

# expect_bad NAME WANT-REGEX [-t]: run mptnd on $T/NAME.conf; it must fail
# and its output must match WANT-REGEX.
expect_bad() {
    local name=$1 want=$2 rc=0
    shift 2
    timeout 10 "$MPTND" "$@" -f "$T/$name.conf" > "$T/$name.out" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "$name: mptnd accepted it"
    [ "$rc" != 124 ] || fail "$name: mptnd did not exit"
    grep -Eq -- "$want" "$T/$name.out" || { cat "$T/$name.out" >&2; fail "$name: no /$want/"; }
    log "$name: refused: $(grep -E -m1 -- "$want" "$T/$name.out")"
}

# 1. loading
sctp_conf "$T/ok.conf" "$U" "listener l { listen tcp://127.0.0.1:1; target \"sctp://127.0.0.1:5000?udp=9\" }"
"$MPTND" --version -f "$T/ok.conf" > "$T/version.out" 2>&1 || fail "--version -f failed: $(cat "$T/version.out")"
grep -q '^transports (loaded): sctp$' "$T/version.out" || fail "--version does not list sctp: $(cat "$T/version.out")"
log "--version -f lists: $(grep '^transports (loaded)' "$T/version.out")"
"$MPTND" -t -f "$T/ok.conf" > "$T/t.out" 2>&1 || fail "-t rejected a good config: $(cat "$T/t.out")"
# the shipped plugin file and example configuration, as installed: the module by name
MPTND_MODULE_DIR=$(dirname "$SCTP_MODULE") "$MPTND" --version -f "$srcdir/etc/mptnd.conf" \
    > "$T/shipped.out" 2>&1 || fail "etc/mptnd.conf: --version -f failed: $(cat "$T/shipped.out")"
grep -q '^transports (loaded): sctp$' "$T/shipped.out" ||
    fail "etc/mptnd.conf (include transports.d/*.conf) does not load sctp: $(cat "$T/shipped.out")"
MPTND_MODULE_DIR=$(dirname "$SCTP_MODULE") "$MPTND" -t -f "$srcdir/etc/mptnd.conf" \
    > "$T/shipped-t.out" 2>&1 || fail "etc/mptnd.conf: -t failed: $(cat "$T/shipped-t.out")"
log "etc/mptnd.conf includes etc/transports.d/sctp.conf: sctp loaded by name, -t passes"
if [ -f "$BADABI" ]; then
    echo "transport badabi { module $BADABI; }" > "$T/badabi.conf"
    expect_bad badabi "badabi.conf:1: module .*built for transport ABI [0-9]+ .*rebuild the module" -t
else
    log "no $BADABI: the ABI check is not exercised"
fi

# 2. settings and addresses
sctp_conf "$T/unknown.conf" "$U" "sctp: colour blue"
expect_bad unknown "unknown.conf:[0-9]+: transport sctp: unknown setting 'colour'" -t
sctp_conf "$T/badbind.conf" "$U" "sctp: bind localhost"
expect_bad badbind "badbind.conf:[0-9]+: transport sctp: bind: 'localhost' is not an IP address" -t
sctp_conf "$T/badport.conf" 70000
expect_bad badport "badport.conf:[0-9]+: transport sctp: .*70000" -t
sctp_conf "$T/badbackend.conf" "$U" "sctp: backend quantum"
expect_bad badbackend "backend takes auto, kernel or udp" -t
sctp_conf "$T/badframing.conf" "$U" "listener l { listen tcp://127.0.0.1:1; target \"sctp://127.0.0.1:5000?framing=xml\" }"
expect_bad badframing "sctp option 'framing': takes none, length or length-sid" -t
sctp_conf "$T/badhost.conf" "$U" "listener l { listen tcp://127.0.0.1:1; target sctp://example.org:5000 }"
expect_bad badhost "not an IP address \\(sctp:// does not resolve names\\)" -t
sctp_conf "$T/udplisten.conf" "$U" "listener l { listen \"sctp://127.0.0.1:5000?udp=9\"; target tcp://127.0.0.1:1 }"
expect_bad udplisten "option 'udp' applies only to a target address" -t
sctp_conf "$T/rto.conf" "$U" "sctp: rto-min 500ms" \
    "listener l { listen tcp://127.0.0.1:$(pick_port); target \"sctp://127.0.0.1:5000?udp=9\" }"
expect_bad rto "rto-min <= rto-initial <= rto-max"
sctp_conf "$T/nobind.conf" "$U" "listener l { listen sctp://127.0.0.2:5000; target tcp://127.0.0.1:1 }"
if python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
    log "kernel SCTP exists here: the UDP-only checks are skipped"
else
    expect_bad nobind "sctp://127.0.0.2:5000: no UDP socket on that address"
    sctp_conf "$T/kernel.conf" "$U" "sctp: backend kernel" \
        "listener l { listen tcp://127.0.0.1:$(pick_port); target \"sctp://127.0.0.1:5000?udp=9\" }"
    expect_bad kernel "transport sctp: backend kernel: kernel SCTP unavailable: Protocol not supported"
fi
sctp_conf "$T/busy1.conf" "$U" "listener l { listen sctp://127.0.0.1:5000; target tcp://127.0.0.1:1 }"
node_start first "$T/busy1.conf"
sctp_conf "$T/busy2.conf" "$U" "listener l { listen sctp://127.0.0.1:5001; target tcp://127.0.0.1:1 }"
expect_bad busy2 "sctp: UDP 127.0.0.1:$U: Address already in use"
node_stop first

# 3. one exported symbol
if command -v nm >/dev/null; then
    syms=$(nm -D --defined-only "$SCTP_MODULE" | awk '$2 ~ /[TDBRVW]/ { print $3 }')
    [ "$syms" = mptnd_transport_module ] || fail "the module exports more than its table: $syms"
    log "the module exports only: $syms"
fi

# 4. a foreign process on the internal listener
S=$(pick_port) F=$(pick_port)
start_peer sink tcp:127.0.0.1:0 sink --timeout 20
sctp_conf "$T/node.conf" "$U" \
    "listener b { listen \"sctp://127.0.0.1:$S\"; target tcp://127.0.0.1:${PEER_PORT[sink]} }"
node_start b "$T/node.conf"
name=$(awk '{ print $NF }' /proc/net/unix | grep -m1 "^@mptnd-sctp-.*-l$S-" || true)
[ -n "$name" ] || fail "no abstract listener for port $S in /proc/net/unix"
python3 - "${name#@}" > "$T/foreign.out" 2>&1 <<'EOF' || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("\0" + sys.argv[1])
try:
    s.sendall(b"not an sctp association\n")
    s.settimeout(5)
    print("read", len(s.recv(100)))
except OSError as e:
    print("error", e)
EOF
wait_for_line "$MPTND_LOG" "a local process \\(pid [0-9]+\\) connected to the module's internal socket; cut off" 5 ||
    fail "the foreign connection was not noticed"
sleep 0.5
peer_stop sink
if grep -q '^done' "$T/sink.out"; then
    [ "$(field recv "$(done_line sink)")" = 0 ] || fail "the foreign bytes reached the target: $(done_line sink)"
fi
log "a foreign connection to $name was cut off; the target got nothing ($(cat "$T/foreign.out"))"
node_stop b
pass "module loads and is listed, bad ABI and bad settings refused, one exported symbol, foreign connections cut off"
