#!/usr/bin/env bash
# tls-sclient.sh - TLS against OpenSSL's own tools.
#  1. terminate: `openssl s_client -verify_return_error -CAfile ca.pem
#     -servername localhost` against a tls+tcp:// listener in front of a plain
#     tpeer echo server: the server certificate verifies, a line comes back
#     echoed, and mptnd logs reason=done with the byte counts.
#  2. originate: a plain tcp:// listener with the target
#     tls+tcp://localhost:PORT?ca=ca.pem, an `openssl s_server` behind it: the
#     line sent by a plain client arrives at s_server, and s_server then reports
#     DONE, i.e. it read a close_notify (without one it prints ERROR and
#     "unexpected eof while reading" to stderr).
#  3. the same target against an s_server with a certificate for the wrong
#     name (wrong.test) and one with an expired certificate: the client is
#     closed with 0 bytes, s_server sees the handshake fail, and mptnd logs
#     "TLS handshake with ... failed" and reason=back-tls-error with the
#     verify reason ("hostname mismatch", "certificate has expired").
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tls-lib.sh"

K=$T/pki
make_pki "$K"

start_peer echo tcp:127.0.0.1:0 echo --conc --count 0 --timeout 60
PL=$(pick_port)      # TLS listener -> echo
PO=$(pick_port)      # plain listener -> TLS target (good s_server)
PW=$(pick_port)      # plain listener -> TLS target (wrong-name s_server)
PX=$(pick_port)      # plain listener -> TLS target (expired s_server)
SS=$(pick_port); SW=$(pick_port); SX=$(pick_port)

sserver_start ss "$SS" -cert "$K/srv.pem" -key "$K/srv.key" -naccept 1
sserver_start sw "$SW" -cert "$K/wrong.pem" -key "$K/wrong.key" -naccept 1
sserver_start sx "$SX" -cert "$K/srv-expired.pem" -key "$K/srv-expired.key" -naccept 1

start_mptnd \
    --listen "tls+tcp://127.0.0.1:$PL?cert=$K/srv.pem&key=$K/srv.key" \
    --target "tcp://127.0.0.1:${PEER_PORT[echo]}" \
    --listen "tcp://127.0.0.1:$PO" --target "tls+tcp://localhost:$SS?ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PW" --target "tls+tcp://localhost:$SW?ca=$K/ca.pem" \
    --listen "tcp://127.0.0.1:$PX" --target "tls+tcp://localhost:$SX?ca=$K/ca.pem"

# ---- 1. s_client -> tls+tcp listener -> echo ------------------------------------
tok="hello-through-mptnd-tls-$$"
sclient_start c1 -connect "127.0.0.1:$PL" -servername localhost -CAfile "$K/ca.pem" -verify_return_error
sclient_send c1 "$tok"
# s_client writes the data raw among its (buffered) session printout: no anchors
if ! wait_for_line "$T/c1.out" "$tok" 10 "${PEER_PID[c1]}"; then
    cat "$T/c1.err" >&2
    fail "s_client: the line did not come back through the TLS listener"
fi
sclient_end c1
[ "$WAIT_RC" = 0 ] || { cat "$T/c1.err" >&2; fail "s_client exited with $WAIT_RC"; }
grep -q 'Verify return code: 0 (ok)' "$T/c1.out" ||
    fail "s_client did not verify mptnd's certificate: $(grep 'Verify return' "$T/c1.out" | head -n1)"
want=$(( ${#tok} + 1 ))
wait_for_line "$MPTND_LOG" "closed: reason=done front=tls\+tcp://127.0.0.1:$PL<-.* up=$want down=$want " 5 ||
    fail "no 'reason=done up=$want down=$want' close line for the s_client connection"
log "s_client: verified localhost certificate, $want bytes echoed, reason=done"

# ---- 2. plain client -> tls+tcp target -> s_server ---------------------------------
tok2="hello-to-s_server-$$"
exec {fd}<>"/dev/tcp/127.0.0.1/$PO"
printf '%s\n' "$tok2" >&"$fd"
exec {fd}>&-           # close: mptnd relays the line, then close_notify
wait_pid "${PEER_PID[ss]}" 10 || fail "s_server did not finish its one session within 10 s"
grep -aq -- "$tok2" "$T/ss.out" || { cat "$T/ss.out" "$T/ss.err" >&2; fail "the line did not arrive at s_server"; }
if ! grep -aq '^DONE' "$T/ss.out"; then
    cat "$T/ss.err" >&2
    fail "s_server did not get a close_notify from mptnd (no DONE)"
fi
want=$(( ${#tok2} + 1 ))
wait_for_line "$MPTND_LOG" "closed: reason=done front=tcp://127.0.0.1:$PO<-.* up=$want down=0 " 5 ||
    fail "no 'reason=done up=$want down=0' close line for the s_server connection"
log "tls+tcp target: the line reached s_server, verified against ca.pem as localhost; close_notify seen"

# ---- 3. the target refuses a wrong name and an expired certificate -----------------
# refused LABEL FRONTPORT SPORT SSNAME REASON
refused() {
    local label=$1 fport=$2 sport=$3 ss=$4 why=$5 line
    # the client sends nothing and waits: mptnd closes it once the target fails
    run_client "c-$ss" "tcp:127.0.0.1:$fport" wait-close --timeout 10 ||
        { peer_err "c-$ss" >&2; fail "$label: the client was not closed within 10 s"; }
    line=$(out_line "c-$ss" '^closed ')
    case $line in
        "closed how=eof recv=0 "*|"closed how=reset recv=0 "*) ;;
        *) fail "$label: want the client closed with 0 bytes, got: $line";;
    esac
    wait_for_line "$MPTND_LOG" "TLS handshake with tcp://127.0.0.1:$sport failed: .*; verify: $why\$" 5 ||
        fail "$label: no 'TLS handshake with tcp://127.0.0.1:$sport failed: ...; verify: $why' line"
    wait_for_line "$MPTND_LOG" "closed: reason=back-tls-error \(.*; verify: $why\) front=tcp://127.0.0.1:$fport<-" 5 ||
        fail "$label: no 'closed: reason=back-tls-error (...; verify: $why)' line"
    wait_pid "${PEER_PID[$ss]}" 5 || fail "$label: s_server still running after the refused session"
    grep -aq '^DONE' "$T/$ss.out" && fail "$label: s_server saw a completed session"
    grep -aq '^ERROR' "$T/$ss.err" || { cat "$T/$ss.err" >&2; fail "$label: s_server did not see the handshake fail"; }
    log "$label: refused; client: ${line%% recv=*}, 0 bytes; $(grep -o "verify: $why" "$MPTND_LOG" | head -n1)"
}
refused "wrong-name server certificate" "$PW" "$SW" sw "hostname mismatch"
refused "expired server certificate" "$PX" "$SX" sx "certificate has expired"

mptnd_alive || fail "mptnd died"
pass
