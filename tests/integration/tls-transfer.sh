#!/usr/bin/env bash
# tls-transfer.sh - bulk data, half-close and close_notify through TLS, with two
# mptnd instances: A originates TLS, B terminates it.
#  1. close_notify arriving while data toward that TLS peer is still queued:
#     the server sends 8 MiB and shuts its write side at once but reads only
#     64 KiB and then nothing for 2 s, while the client sends 32 MiB; so B's
#     close_notify reaches A while A's TLS output holds data for B.  All 32 MiB
#     must still arrive (and, mirrored, the client half-closes first while B's
#     TLS output toward A is held up by a client that pauses reading).  A
#     stall here ends in fin-timeout with the stream cut short.
#  2. Two chains at once, each TLS_BYTES (default 64 MiB) in both directions
#     simultaneously, SHA-256 equal at both ends and both mptnds' close lines
#     reason=done with up=down=TLS_BYTES:
#       tpeer -> A tcp:// -> tls+tcp://localhost:PB?ca= -> B tls+tcp:// -> unix: -> tpeer
#       tpeer -> A tcp:// -> tls+unix:PATH?sni=localhost&ca= -> B tls+unix:PATH -> tcp:// -> tpeer
#  3. Half-close through the TLS hop, both orders (1 MiB): the client sends,
#     shuts its write side, the server replies only after EOF and the reply
#     arrives whole with nothing before the client's shutdown (early=0); and
#     the server sends and shuts first, the client replies after EOF.
#  4. close_notify, observed by OpenSSL's tools (they print a different thing
#     when the peer closes without it):
#     - target side: `openssl s_server` behind A's tls+tcp target prints
#       DONE after a client sends a line and closes (TCP FIN to A);
#     - listener side, half-close: `openssl s_client` to B, whose backend
#       sends 64 KiB and shuts its write side: s_client prints "closed"
#       (SSL_ERROR_ZERO_RETURN) and exits 0 (without close_notify it prints
#       "unexpected eof while reading" and exits 1); B logs reason=done;
#     - listener side, bridge end: an idle `openssl s_client` on a listener
#       with idle-timeout 1s: the bridge ends with reason=idle-timeout and
#       s_client prints "closed" and exits 0.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tls-lib.sh"

SIZE=$(bytes "${TLS_BYTES:-64m}")
HC=$(bytes 1m)
K=$T/pki
make_pki "$K"
SRV="cert=$K/srv.pem&key=$K/srv.key"

# ---- servers behind B, and B -----------------------------------------------------
start_peer x1 "unix:$(sock_path x1)" xfer "$SIZE" --timeout 120
start_peer x2 tcp:127.0.0.1:0 xfer "$SIZE" --timeout 120
start_peer h1 "unix:$(sock_path h1)" reply-after-eof "$HC" --timeout 60
start_peer h2 "unix:$(sock_path h2)" halfclose "$HC" --timeout 60
start_peer h3 tcp:127.0.0.1:0 halfclose 64k --timeout 60
start_peer idle tcp:127.0.0.1:0 echo --timeout 60
Q_BIG=$(bytes 32m); Q_SMALL=$(bytes 8m)
start_peer q1 tcp:127.0.0.1:0 xfer "$Q_SMALL" --pause-after 64k --pause 2 --timeout 60
start_peer q2 tcp:127.0.0.1:0 xfer "$Q_BIG" --timeout 60
PB1=$(pick_port); PB3=$(pick_port); PB4=$(pick_port); PB5=$(pick_port); PB6=$(pick_port)
PB7=$(pick_port); PB8=$(pick_port)
UB2=$(sock_path b2)
CONF_B=$T/b.conf
cat > "$CONF_B" <<EOF
listener bulk-tcp {
    listen "tls+tcp://127.0.0.1:$PB1?$SRV"
    target unix:$(sock_path x1)
}
listener bulk-unix {
    listen "tls+unix:$UB2?$SRV"
    target tcp://127.0.0.1:${PEER_PORT[x2]}
}
listener hc-client-first {
    listen "tls+tcp://127.0.0.1:$PB3?$SRV"
    target unix:$(sock_path h1)
}
listener hc-server-first {
    listen "tls+tcp://127.0.0.1:$PB4?$SRV"
    target unix:$(sock_path h2)
}
listener notify-shut {
    listen "tls+tcp://127.0.0.1:$PB5?$SRV"
    target tcp://127.0.0.1:${PEER_PORT[h3]}
}
listener notify-idle {
    listen "tls+tcp://127.0.0.1:$PB6?$SRV"
    target tcp://127.0.0.1:${PEER_PORT[idle]}
    idle-timeout 1s
}
listener queued-a {
    listen "tls+tcp://127.0.0.1:$PB7?$SRV"
    target tcp://127.0.0.1:${PEER_PORT[q1]}
}
listener queued-b {
    listen "tls+tcp://127.0.0.1:$PB8?$SRV"
    target tcp://127.0.0.1:${PEER_PORT[q2]}
}
EOF
start_mptnd -f "$CONF_B"
LOG_B=$MPTND_LOG; PID_B=$MPTND_PID

# ---- A ---------------------------------------------------------------------------
PA1=$(pick_port); PA2=$(pick_port); PA3=$(pick_port); PA4=$(pick_port); PA5=$(pick_port)
PA7=$(pick_port); PA8=$(pick_port)
SS=$(pick_port)
sserver_start ss "$SS" -cert "$K/srv.pem" -key "$K/srv.key" -naccept 1
start_mptnd \
    --listen "tcp://127.0.0.1:$PA1" --target "tls+tcp://localhost:$PB1?ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PA2" --target "tls+unix:$UB2?sni=localhost&ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PA3" --target "tls+tcp://localhost:$PB3?ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PA4" --target "tls+tcp://localhost:$PB4?ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PA5" --target "tls+tcp://localhost:$SS?ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PA7" --target "tls+tcp://localhost:$PB7?ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PA8" --target "tls+tcp://localhost:$PB8?ca=$K/ca.pem"
LOG_A=$MPTND_LOG; PID_A=$MPTND_PID

# ---- 1. close_notify while data toward that peer is queued ------------------------------
# queued LABEL CLIENT SERVER UP DOWN ADDR CLIENT-ARGS...
queued() {
    local label=$1 c=$2 s=$3 up=$4 down=$5; shift 5
    start_client "$c" "$@"
    if ! wait_pid "${PEER_PID[$c]}" 20; then
        fail "$label: stalled: not finished within 20 s (bytes queued in a TLS half when its peer's close_notify arrived are never written?)"
    fi
    [ "$WAIT_RC" = 0 ] || { peer_err "$c" >&2; fail "$label: client failed (exit $WAIT_RC)"; }
    peer_wait "$s" 10
    [ "$WAIT_RC" = 0 ] || { peer_err "$s" >&2; fail "$label: server failed (exit $WAIT_RC)"; }
    check_pair "$label" "$c" "$s" "$up" "$down"
}
queued "B's close_notify reaches A with data queued for B" qc1 q1 "$Q_BIG" "$Q_SMALL" \
    "tcp:127.0.0.1:$PA7" xfer "$Q_BIG" --timeout 60
queued "A's close_notify reaches B with data queued for A" qc2 q2 "$Q_SMALL" "$Q_BIG" \
    "tcp:127.0.0.1:$PA8" xfer "$Q_SMALL" --pause-after 64k --pause 2 --timeout 60
log "close_notify with data still queued toward that peer, both ways: 32 MiB arrives whole"

# ---- 2. bulk, both chains at once ----------------------------------------------------
t0=$(now_s)
start_client c1 "tcp:127.0.0.1:$PA1" xfer "$SIZE" --timeout 120
start_client c2 "tcp:127.0.0.1:$PA2" xfer "$SIZE" --timeout 120
for c in c1 c2; do
    peer_wait "$c" 150
    [ "$WAIT_RC" = 0 ] || { peer_err "$c" >&2; fail "bulk client $c failed (exit $WAIT_RC)"; }
done
for s in x1 x2; do
    peer_wait "$s" 20
    [ "$WAIT_RC" = 0 ] || { peer_err "$s" >&2; fail "bulk server $s failed (exit $WAIT_RC)"; }
done
check_pair "tcp -> tls+tcp -> unix" c1 x1 "$SIZE" "$SIZE"
check_pair "tcp -> tls+unix -> tcp" c2 x2 "$SIZE" "$SIZE"
for spec in "$LOG_A:tcp://127.0.0.1:$PA1<-" "$LOG_A:tcp://127.0.0.1:$PA2<-" \
            "$LOG_B:tls\+tcp://127.0.0.1:$PB1<-" "$LOG_B:tls\+unix:$UB2<-"; do
    f=${spec%%:*}; front=${spec#*:}
    wait_for_line "$f" "closed: reason=done front=$front.* up=$SIZE down=$SIZE " 10 ||
        { MPTND_LOG=$f; fail "no 'reason=done front=$front ... up=$SIZE down=$SIZE' in $(basename "$f")"; }
done
log "bulk: $SIZE bytes each way on both chains at once in $(fsub "$(now_s)" "$t0") s, digests match, 4 reason=done lines"

# ---- 3. half-close through TLS ----------------------------------------------------------
run_client hc1 "tcp:127.0.0.1:$PA3" halfclose "$HC" --timeout 60 ||
    { peer_err hc1 >&2; fail "half-close client-first: client failed"; }
peer_wait h1 10
[ "$WAIT_RC" = 0 ] || { peer_err h1 >&2; fail "half-close client-first: server failed"; }
check_pair "half-close client-first" hc1 h1 "$HC" "$HC"
early=$(field early "$(done_line hc1)")
[ "$early" = 0 ] || fail "half-close client-first: $early reply bytes arrived before the client's shutdown"

run_client hc2 "tcp:127.0.0.1:$PA4" reply-after-eof "$HC" --timeout 60 ||
    { peer_err hc2 >&2; fail "half-close server-first: client failed"; }
peer_wait h2 10
[ "$WAIT_RC" = 0 ] || { peer_err h2 >&2; fail "half-close server-first: server failed"; }
check_pair "half-close server-first" hc2 h2 "$HC" "$HC"
early=$(field early "$(done_line h2)")
[ "$early" = 0 ] || fail "half-close server-first: $early client bytes arrived before the server's shutdown"
for f in "$LOG_A" "$LOG_B"; do
    n=$(count_lines "$f" "closed: reason=done .* up=$HC down=$HC ")
    [ "$n" -ge 2 ] || { MPTND_LOG=$f; fail "$(basename "$f"): $n half-close bridges with reason=done up=down=$HC, want 2"; }
done
log "half-close through TLS, both orders: 1 MiB each way, whole, early=0"

# ---- 4. close_notify --------------------------------------------------------------------
# target side: A -> s_server; the client closes, A shuts its TLS write side
tok="to-s_server-$$"
exec {fd}<>"/dev/tcp/127.0.0.1/$PA5"
printf '%s\n' "$tok" >&"$fd"
exec {fd}>&-
wait_pid "${PEER_PID[ss]}" 10 || fail "s_server did not finish its session within 10 s"
grep -aq -- "$tok" "$T/ss.out" || { cat "$T/ss.out" "$T/ss.err" >&2; fail "the line did not arrive at s_server"; }
grep -aq '^DONE' "$T/ss.out" ||
    { cat "$T/ss.err" >&2; fail "s_server saw no close_notify from A's tls+tcp target (no DONE)"; }
log "close_notify: A's TLS target sent it when the client's FIN arrived (s_server: DONE)"

# listener side, half-close: B's backend sends 64 KiB and shuts its write side
sclient_start n1 -connect "127.0.0.1:$PB5" -servername localhost -CAfile "$K/ca.pem" -verify_return_error
if ! wait_pid "${PEER_PID[n1]}" 10; then
    fail "s_client on B still running 10 s after B's backend shut its write side"
fi
grep -aq 'closed$' "$T/n1.out" ||
    { tail -n3 "$T/n1.out" "$T/n1.err" >&2; fail "s_client saw no close_notify after B's backend shut its write side"; }
grep -q 'unexpected eof' "$T/n1.err" && fail "s_client reports an unexpected EOF from B"
[ "$WAIT_RC" = 0 ] || { tail -n3 "$T/n1.err" >&2; fail "s_client exited $WAIT_RC after B's backend half-closed"; }
wait_for_line "$LOG_B" "closed: reason=done front=tls\+tcp://127.0.0.1:$PB5<-.* up=0 down=65536 " 5 ||
    { MPTND_LOG=$LOG_B; fail "B: no 'reason=done up=0 down=65536' line for the half-closed s_client bridge"; }
log "close_notify: B's TLS listener sent it when its backend half-closed (s_client: closed)"

# listener side, bridge end: idle-timeout closes the bridge
MPTND_LOG=$LOG_B
sclient_start n2 -connect "127.0.0.1:$PB6" -servername localhost -CAfile "$K/ca.pem" -verify_return_error
wait_for_line "$LOG_B" "closed: reason=idle-timeout front=tls\+tcp://127.0.0.1:$PB6<-" 10 ||
    fail "the idle bridge on B was not closed by idle-timeout 1s"
wait_pid "${PEER_PID[n2]}" 10 || fail "idle s_client still running 10 s after B closed its bridge"
grep -aq 'closed$' "$T/n2.out" ||
    { tail -n3 "$T/n2.out" "$T/n2.err" >&2; fail "s_client saw no close_notify when B's bridge ended"; }
[ "$WAIT_RC" = 0 ] || { tail -n3 "$T/n2.err" >&2; fail "idle s_client exited $WAIT_RC when B's bridge ended"; }
log "close_notify: B sent it when an idle bridge ended (s_client: closed)"

kill -0 "$PID_A" 2>/dev/null || fail "mptnd A died"
kill -0 "$PID_B" 2>/dev/null || fail "mptnd B died"
pass
