#!/usr/bin/env bash
# sctp-interop.sh - an SCTP stack that is not mptnd's at the far end: the
# echo_server example of usrsctp (Debian libusrsctp-examples), in its own
# threaded mode with real AF_INET6 sockets and UDP encapsulation, behind an
# mptnd sctp:// target.  echo_server binds its UDP port on the wildcard
# address and opens raw sockets, so everything runs in a network namespace
# made for this test (lo only).
#  1. framing=length-sid: 2,000 records of 1..10,000 bytes (echo_server reads
#     messages into a 10 KiB buffer) on 8 streams with random PPIDs; each
#     comes back as the same record: size, digest, stream id and PPID.
#  2. framing=length: 2,000 records; each comes back whole, in order.
# The client half-closes once it has sent everything; half-close=wait (the
# default) keeps the association open while the echoes come back (with
# half-close=close, a SHUTDOWN sent then could cut off echoes the server has
# not queued yet: SCTP has no half-closed state); once the client has every
# record and closes, the bridge ends at its fin-timeout (1 s here: the echo
# server never ends its direction) and the association is shut down
# gracefully, which the echo server completes: mptnd logs both associations
# shut down, not aborted.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sctp-lib.sh"

ECHO=${USRSCTP_ECHO_SERVER:-/usr/lib/usrsctp/echo_server}
[ -x "$ECHO" ] || skip "usrsctp's echo_server not found ($ECHO): apt-get install libusrsctp-examples"
require_netns

NS=mptnd-si-$$
make_netns "$NS"
MPTND_PREFIX=(ip netns exec "$NS")
PEER_PREFIX=(ip netns exec "$NS")
UA=19901 UE=19902 F1=20001 F2=20002     # a private namespace: no collisions
N=${SCTP_INTEROP_RECORDS:-2000}

ip netns exec "$NS" "$ECHO" "$UE" "$UA" > "$T/echo.out" 2>&1 &
track_pid "$!"
for i in $(seq 1 50); do
    [ -n "$(ip netns exec "$NS" ss -Hlun "sport = :$UE")" ] && break
    sleep 0.1
done
[ -n "$(ip netns exec "$NS" ss -Hlun "sport = :$UE")" ] || fail "echo_server did not bind UDP $UE"

sctp_conf "$T/a.conf" "$UA" \
    "listener sid { listen tcp://127.0.0.1:$F1; target \"sctp://127.0.0.1:7?udp=$UE&framing=length-sid&half-close=wait\"; fin-timeout 1s }" \
    "listener len { listen tcp://127.0.0.1:$F2; target \"sctp://127.0.0.1:7?udp=$UE&framing=length&half-close=wait\"; fin-timeout 1s }"
node_start a "$T/a.conf"

sctprec connect 127.0.0.1 $F1 --framing length-sid --streams 8 --send "$N" --send-seed 31 --echo \
    --no-eof --max-size 10000 --timeout 60 > "$T/c1.out" 2> "$T/c1.err" ||
    { cat "$T/c1.out" "$T/c1.err" >&2; tail -n 3 "$T/echo.out" >&2; fail "length-sid echo through echo_server failed"; }
log "length-sid: $N records echoed by usrsctp's echo_server: sizes, digests, streams, PPIDs ok: $(cat "$T/c1.out")"

sctprec connect 127.0.0.1 $F2 --framing length --send "$N" --send-seed 32 --echo \
    --no-eof --max-size 10000 --timeout 60 > "$T/c2.out" 2> "$T/c2.err" ||
    { cat "$T/c2.out" "$T/c2.err" >&2; fail "length echo through echo_server failed"; }
log "length: $N records echoed whole and in order"

wait_for_count "$MPTND_LOG" "sctp assoc [0-9]+ .*: closed \\(shut down\\)" 2 10 ||
    fail "expected both associations to end with a graceful SHUTDOWN"
grep -q "sctp assoc .*aborted" "$MPTND_LOG" && fail "an association was aborted"
node_alive a || fail "mptnd died"
node_stop a
pass "interop with usrsctp's echo_server (threaded, UDP encapsulation): $N records each, two framings"
