#!/usr/bin/env bash
# tls-reload.sh - certificates replaced on disk, then SIGHUP (mptnd -f).
# mptnd B runs a config with three TLS listeners over the same certificate
# files in $T/live (cert.pem, key.pem): "bulk" and "probe-block" through a
# `tls web { cert; key }` block, "probe-uri" with cert=/key= in its URI.
# mptnd A (tcp -> tls+tcp://localhost:PB?ca=ca.pem) feeds "bulk".
#  1. Before: s_client on both probe listeners gets certificate gen1.
#  2. A transfer of TLS_RELOAD_BYTES (default 64 MiB, client to server)
#     through A and B's "bulk" starts; its server reads 1 MiB and then
#     pauses 4 s, so the transfer spans the reload.  The files are replaced
#     by certificate gen2 (same names, new serial) and B gets SIGHUP: B logs
#     "reloaded", s_client on both probe listeners gets gen2 (serial compared
#     with `openssl x509 -noout -serial`), the transfer was still running,
#     and it then completes with matching SHA-256 and reason=done on both.
#     (One direction only: a server that pauses while the other direction
#     half-closes is tls-transfer.sh's business.)
#  3. The files are replaced by an expired certificate and B gets SIGHUP: B
#     logs "reload failed, keeping the running configuration: ..." naming
#     the file and "expired", keeps running, and new connections still get
#     gen2 and verify.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tls-lib.sh"

SIZE=$(bytes "${TLS_RELOAD_BYTES:-${TLS_BYTES:-64m}}")
K=$T/pki
make_pki "$K"
make_cert "$K" gen2 ca server localhost "DNS:localhost,IP:127.0.0.1"
L=$T/live
mkdir "$L"
# install NAME: put DIR/NAME.{pem,key} in place as $L/cert.pem, $L/key.pem
# (each by rename, so mptnd never reads a half-written file)
install_cert() {
    cp "$K/$1.pem" "$L/cert.pem.new"; cp "$K/$1.key" "$L/key.pem.new"
    mv -f "$L/key.pem.new" "$L/key.pem"; mv -f "$L/cert.pem.new" "$L/cert.pem"
}
install_cert srv
GEN1=$(cert_serial "$K/srv.pem"); GEN2=$(cert_serial "$K/gen2.pem")
[ "$GEN1" != "$GEN2" ] || hard_error "gen1 and gen2 have the same serial"

start_peer sink tcp:127.0.0.1:0 sink --pause-after 1m --pause 4 --timeout 120
start_peer echo tcp:127.0.0.1:0 echo --conc --count 0 --timeout 120
PB=$(pick_port); PU=$(pick_port); PP=$(pick_port); PA=$(pick_port)
CONF=$T/b.conf
write_conf "$CONF" <<EOF
tls web {
    cert $L/cert.pem
    key $L/key.pem
}
listener bulk {
    listen "tls+tcp://127.0.0.1:$PB?tls=web"
    target tcp://127.0.0.1:${PEER_PORT[sink]}
}
listener probe-uri {
    listen "tls+tcp://127.0.0.1:$PU?cert=$L/cert.pem&key=$L/key.pem"
    target tcp://127.0.0.1:${PEER_PORT[echo]}
}
listener probe-block {
    listen "tls+tcp://127.0.0.1:$PP?tls=web"
    target tcp://127.0.0.1:${PEER_PORT[echo]}
}
EOF
start_mptnd -f "$CONF"
LOG_B=$MPTND_LOG; PID_B=$MPTND_PID
start_mptnd --listen "tcp://127.0.0.1:$PA" --target "tls+tcp://localhost:$PB?ca=$K/ca.pem"
LOG_A=$MPTND_LOG
MPTND_LOG=$LOG_B; MPTND_PID=$PID_B

# serials WANT LABEL: both probe listeners serve the certificate with serial WANT
serials() {
    local want=$1 label=$2 port got
    for port in "$PU" "$PP"; do
        got=$(peer_cert_serial "127.0.0.1:$port" localhost "$K/ca.pem")
        [ "$got" = "$want" ] || fail "$label: listener :$port served serial '${got:-none (handshake failed)}', want $want"
    done
}

# ---- 1. before -----------------------------------------------------------------
serials "$GEN1" "before the reload"
log "before: both probe listeners serve gen1 ($GEN1)"

# ---- 2. replace + SIGHUP during a transfer -------------------------------------------
start_client c "tcp:127.0.0.1:$PA" xfer "$SIZE" --timeout 120
wait_for_line "$T/sink.out" '^paused' 30 "${PEER_PID[sink]}" ||
    { peer_err sink >&2; peer_err c >&2; fail "the transfer through bulk did not start"; }
install_cert gen2
mark=$(log_mark)
kill -HUP "$PID_B"
ok=
for _ in $(seq 1 100); do
    log_since "$mark" | grep -q 'reloaded ' && { ok=1; break; }
    log_since "$mark" | grep -q 'reload failed' && break
    sleep 0.05
done
[ -n "$ok" ] || fail "no 'reloaded' line within 5 s of SIGHUP: $(log_since "$mark" | head -n3)"
serials "$GEN2" "after the reload"
grep -q '^done' "$T/sink.out" && fail "the transfer was over before the reload was checked (pause too short?)"
log "SIGHUP with new files: both probe listeners serve gen2 ($GEN2) while the transfer runs"

peer_wait c 120
[ "$WAIT_RC" = 0 ] || { peer_err c >&2; fail "the transfer's client failed across the reload (exit $WAIT_RC)"; }
peer_wait sink 20
[ "$WAIT_RC" = 0 ] || { peer_err sink >&2; fail "the transfer's server failed across the reload"; }
check_pair "transfer across the reload" c sink "$SIZE" 0
wait_for_line "$LOG_B" "closed: reason=done front=tls\+tcp://127.0.0.1:$PB<-.* up=$SIZE down=0 " 5 ||
    fail "B: no 'reason=done up=$SIZE' close line for the transfer"
wait_for_line "$LOG_A" "closed: reason=done front=tcp://127.0.0.1:$PA<-.* up=$SIZE down=0 " 5 ||
    { MPTND_LOG=$LOG_A; fail "A: no 'reason=done up=$SIZE' close line for the transfer"; }
log "transfer across the reload: $SIZE bytes, digests match, reason=done on A and B"

# ---- 3. an expired certificate: reload refused ---------------------------------------------
install_cert srv-expired
mark=$(log_mark)
kill -HUP "$PID_B"
wait_for_line "$LOG_B" 'reload failed, keeping the running configuration: ' 5 "$PID_B" ||
    fail "no 'reload failed, keeping the running configuration' line within 5 s"
line=$(log_since "$mark" | grep 'reload failed' | head -n1)
case $line in
    *"$L/cert.pem"*expired*) ;;
    *) fail "the reload failure does not name $L/cert.pem and 'expired': $line";;
esac
log_since "$mark" | grep -q 'reloaded ' && fail "B says 'reloaded' with an expired certificate"
mptnd_alive || fail "mptnd B exited on a reload with an expired certificate"
serials "$GEN2" "after the refused reload"
log "expired certificate: '${line#*: error: }'; still serving gen2"

mptnd_alive || fail "mptnd B died"
pass
