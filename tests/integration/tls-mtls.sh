#!/usr/bin/env bash
# tls-mtls.sh - mutual TLS on a listener (verify=require&ca=ca.pem) in front of
# a plain tpeer echo server.  `openssl s_client -verify_return_error` sends a
# line through it:
#  - without a client certificate (TLS 1.3, and TLS 1.2 where the handshake
#    itself fails), with a client certificate from another CA, and with an
#    expired client certificate: nothing comes back, s_client exits non-zero
#    with the alert mptnd sent, and mptnd logs "TLS handshake with PEER
#    failed: <reason>" and closes with reason=front-tls-error (<reason>); the
#    reasons are "peer did not return a certificate", "verify: unable to get
#    local issuer certificate" and "verify: certificate has expired";
#  - with the right client certificate (CN=client1, SAN DNS:client1.test):
#    the line is echoed, and the close line says reason=done and
#    front-identity=CN=client1,SAN=DNS:client1.test.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tls-lib.sh"

K=$T/pki
make_pki "$K"

start_peer echo tcp:127.0.0.1:0 echo --conc --count 0 --timeout 60
P=$(pick_port)
start_mptnd --listen "tls+tcp://127.0.0.1:$P?cert=$K/srv.pem&key=$K/srv.key&verify=require&ca=$K/ca.pem" \
    --target "tcp://127.0.0.1:${PEER_PORT[echo]}"

# try NAME CLIENTCERT [S_CLIENT ARGS...]: connect with CLIENTCERT (or "none"),
# send the line TOK; sets ECHOED (1 if the line came back), MARK (the log
# line count before it) and the s_client's exit status in WAIT_RC.
try() {
    local name=$1 cert=$2; shift 2
    local -a a=("$@")
    [ "$cert" != none ] && a+=(-cert "$K/$cert.pem" -key "$K/$cert.key")
    TOK="hello-$name-$$"
    MARK=$(log_mark)
    sclient_start "$name" -connect "127.0.0.1:$P" -servername localhost -CAfile "$K/ca.pem" \
        -verify_return_error "${a[@]}"
    sclient_send "$name" "$TOK"
    ECHOED=
    # wait for the echo, or for mptnd to close this connection
    for _ in $(seq 1 200); do
        grep -aq -- "$TOK" "$T/$name.out" && { ECHOED=1; break; }
        log_since "$MARK" | grep -q 'closed: reason=' && break
        sleep 0.05
    done
    grep -aq -- "$TOK" "$T/$name.out" && ECHOED=1
    sclient_end "$name"
}

# refused NAME CLIENTCERT REASON_ERE [S_CLIENT ARGS...]
refused() {
    local name=$1 cert=$2 why=$3 line; shift 3
    try "$name" "$cert" "$@"
    [ -z "$ECHOED" ] || fail "$name: the line came back through mptnd with client cert '$cert'"
    [ "$WAIT_RC" != 0 ] || fail "$name: s_client exited 0 with client cert '$cert'"
    wait_for_line "$MPTND_LOG" "TLS handshake with tcp://127.0.0.1:[0-9]+ failed: .*$why" 5 ||
        fail "$name: no 'TLS handshake with ... failed: ...$why' line"
    log_since "$MARK" | grep -Eq "TLS handshake with tcp://127.0.0.1:[0-9]+ failed: .*$why" ||
        fail "$name: the handshake failure logged is not this connection's"
    line=$(log_since "$MARK" | grep -E 'closed: reason=' | tail -n1)
    case $line in
        *"reason=front-tls-error ("*) ;;
        *) fail "$name: want reason=front-tls-error (...), got: $line";;
    esac
    printf '%s' "$line" | grep -Eq "reason=front-tls-error \(.*$why.*\) .* up=0 down=0 " ||
        fail "$name: the close line lacks the reason '$why' or shows bytes: $line"
    case $line in *front-identity=*) fail "$name: a refused client has an identity: $line";; esac
    log "$name: refused ($(grep -aoE 'alert [a-z ]+' "$T/$name.err" | head -n1)); mptnd: $(printf '%s' "$line" | grep -oE "reason=front-tls-error \([^)]*\)")"
}

refused no-cert none "peer did not return a certificate"
refused no-cert-tls12 none "peer did not return a certificate" -tls1_2
refused other-ca client-other "verify: unable to get local issuer certificate"
refused expired client-expired "verify: certificate has expired"

try good client
[ -n "$ECHOED" ] || { cat "$T/good.err" >&2; fail "good: the line did not come back with the right client certificate"; }
[ "$WAIT_RC" = 0 ] || fail "good: s_client exited $WAIT_RC"
want=$(( ${#TOK} + 1 ))
wait_for_line "$MPTND_LOG" "closed: reason=done .* up=$want down=$want .* front-identity=CN=client1,SAN=DNS:client1\\.test\$" 5 ||
    fail "no close line with reason=done, up=down=$want and front-identity=CN=client1,SAN=DNS:client1.test"
log_since "$MARK" | grep -q 'client certificate CN=client1,SAN=DNS:client1.test' ||
    fail "no 'client certificate CN=client1,...' line at the handshake"
log "good: echoed; $(grep -oE 'front-identity=.*' "$MPTND_LOG" | tail -n1)"

# only the verified client has an identity in the log
n=$(count_lines "$MPTND_LOG" 'front-identity=')
[ "$n" = 1 ] || fail "$n close lines carry a front-identity, want 1"
mptnd_alive || fail "mptnd died"
stop_mptnd

# access rules on the verified identity: `allow cert client1.test` then
# `deny`: client1 is relayed; client2 (same CA) completes TLS but is denied
# before any target is dialled
make_cert "$K" client2 ca client client2 "DNS:client2.test"
cat >"$T/cert.conf" <<CONF
listener m {
    listen "tls+tcp://127.0.0.1:$P?cert=$K/srv.pem&key=$K/srv.key&verify=require&ca=$K/ca.pem"
    target tcp://127.0.0.1:${PEER_PORT[echo]}
    allow cert client1.test
    deny
}
CONF
start_mptnd -f "$T/cert.conf"
try rule-good client
[ -n "$ECHOED" ] || fail "rule-good: client1 was not relayed under 'allow cert client1.test'"
try rule-denied client2
[ -z "$ECHOED" ] || fail "rule-denied: client2 was relayed although only client1.test is allowed"
wait_for_line "$MPTND_LOG" "denied tcp://127.0.0.1:[0-9]+ CN=client2,SAN=DNS:client2\.test: deny" 5 ||
    fail "no 'denied ... CN=client2...: deny' line"
log_since "$MARK" | grep -E 'closed: reason=denied' | grep -q 'back=- ' ||
    fail "client2's bridge dialled a target before the rule denied it"
log "identity rules: client1 relayed, client2 denied before dialling"
pass
