#!/usr/bin/env bash
# tls-curl.sh - HTTPS with curl through a terminating tls+tcp:// listener to a
# plain HTTP server of the test's own (python3 -m http.server on 127.0.0.1).
# The listener takes its TLS settings from a `tls web { }` block of a config
# file (-f) with two certificates, localhost (first: the default) and
# other.test, and `alpn http/1.1`.
#  - `curl --cacert ca.pem https://localhost:P/hello.txt`: the body is the
#    file's text, the certificate verifies as localhost, ALPN chose http/1.1;
#    a 4 MiB file comes back with the same SHA-256.
#  - `curl --resolve other.test:P:127.0.0.1 https://other.test:P/`: the
#    listener picked the other.test certificate by SNI (curl verifies the
#    name), the body matches; s_client with -servername other.test gets the
#    serial of other.pem, and with an unknown name or none (an IP address)
#    the default localhost certificate.
#  - mptnd logs reason=done for each HTTPS connection.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tls-lib.sh"

command -v curl >/dev/null || skip "curl not installed"
command -v python3 >/dev/null || skip "python3 not installed (the HTTP backend)"

K=$T/pki
make_pki "$K"

# ---- the HTTP backend -------------------------------------------------------------
mkdir "$T/www"
body="hello over TLS from mptnd test $$"
printf '%s\n' "$body" > "$T/www/hello.txt"
"$TPEER" gen 4m --seed 7 > "$T/www/big.bin"
H=$(pick_port)
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$H" > "$T/http.log" 2>&1 &
track_pid "$!"; HTTP_PID=$!
for _ in $(seq 1 200); do
    listening_tcp "$H" && break
    kill -0 "$HTTP_PID" 2>/dev/null || { cat "$T/http.log" >&2; fail "python3 http.server did not start"; }
    sleep 0.05
done
listening_tcp "$H" || fail "python3 http.server not listening on $H after 10 s"

# ---- mptnd ----------------------------------------------------------------------
P=$(pick_port)
cat > "$T/mptnd.conf" <<EOF
tls web {
    cert $K/srv.pem
    key $K/srv.key
    cert $K/other.pem
    key $K/other.key
    alpn http/1.1
}
listener https {
    listen "tls+tcp://127.0.0.1:$P?tls=web"
    target tcp://127.0.0.1:$H
}
EOF
start_mptnd -f "$T/mptnd.conf"

# https NAME URL [CURL ARGS...]: fetch into $T/NAME.body, verbose log in $T/NAME.err
https() {
    local name=$1 url=$2; shift 2
    curl -sS -v --fail --max-time 20 --cacert "$K/ca.pem" "$@" -o "$T/$name.body" "$url" 2> "$T/$name.err" ||
        { tail -n 15 "$T/$name.err" >&2; fail "curl $url failed"; }
}

https localhost "https://localhost:$P/hello.txt"
[ "$(cat "$T/localhost.body")" = "$body" ] || fail "body through mptnd: '$(head -c 200 "$T/localhost.body")', want '$body'"
grep -q 'subject: CN=localhost' "$T/localhost.err" || fail "curl did not see the localhost certificate"
grep -q 'SSL certificate verify ok' "$T/localhost.err" || fail "curl did not verify the certificate"
grep -Eq 'ALPN.*accepted.*http/1\.1' "$T/localhost.err" ||
    fail "ALPN http/1.1 not accepted: $(grep ALPN "$T/localhost.err" | tr '\n' ' ')"
log "https://localhost:$P/hello.txt: body ok, CN=localhost verified, ALPN http/1.1"

https big "https://localhost:$P/big.bin"
want=$(sha256sum < "$T/www/big.bin" | cut -d' ' -f1)
got=$(sha256sum < "$T/big.body" | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "4 MiB body differs: sha256 $got, want $want ($(stat -c %s "$T/big.body") bytes)"
log "https://localhost:$P/big.bin: 4 MiB, SHA-256 matches"

https other "https://other.test:$P/hello.txt" --resolve "other.test:$P:127.0.0.1"
[ "$(cat "$T/other.body")" = "$body" ] || fail "body via other.test: '$(head -c 200 "$T/other.body")'"
grep -q 'subject: CN=other.test' "$T/other.err" ||
    fail "SNI other.test did not get the other.test certificate: $(grep 'subject:' "$T/other.err")"
log "https://other.test:$P/ (SNI other.test): other.test certificate chosen and verified, body ok"

# the served certificate by serial, for each name sent
s_srv=$(cert_serial "$K/srv.pem"); s_other=$(cert_serial "$K/other.pem")
got=$(peer_cert_serial "127.0.0.1:$P" other.test "$K/ca.pem")
[ "$got" = "$s_other" ] || fail "SNI other.test: serial '$got', want other.pem's $s_other"
got=$(peer_cert_serial "127.0.0.1:$P" localhost "$K/ca.pem")
[ "$got" = "$s_srv" ] || fail "SNI localhost: serial '$got', want srv.pem's $s_srv"
got=$(peer_cert_serial "127.0.0.1:$P" unknown.test)
[ "$got" = "$s_srv" ] || fail "SNI unknown.test: serial '$got', want the default (srv.pem's $s_srv)"
https ip "https://127.0.0.1:$P/hello.txt"      # no SNI for an address: default cert, IP SAN
[ "$(cat "$T/ip.body")" = "$body" ] || fail "body via https://127.0.0.1: '$(head -c 200 "$T/ip.body")'"
log "serials: other.test -> other.pem, localhost/unknown/no SNI -> srv.pem"

# 4 curls + 3 s_clients, each a bridge that ended cleanly (the s_clients send no
# request: their bridges end when they close)
wait_for_count "$MPTND_LOG" "closed: reason=done front=tls\+tcp://127.0.0.1:$P<-" 7 5 ||
    fail "want 7 'closed: reason=done' lines, got $(count_lines "$MPTND_LOG" 'closed: reason=done')"
mptnd_alive || fail "mptnd died"
pass
