#!/usr/bin/env bash
# tls-check.sh - `mptnd -t -f FILE` loads every certificate, key and CA that
# the listeners and targets use, and refuses a broken one with exit 1 and
# "FILE:LINE: " of the directive that uses it plus the file and the reason:
#  - cert= naming a missing file (listen line; "No such file")
#  - a cert file that is not PEM (listen line; "no start line")
#  - key= that does not belong to cert= (listen line; "does not match" or
#    OpenSSL's "key values mismatch")
#  - an expired certificate in a `tls NAME { }` block (the block's cert line
#    or the listen line that uses the block; "has expired")
#  - a certificate not valid yet, in a block defined after the listener
#    (likewise; "not valid yet")
#  - a missing key in a block (the key line or the listen line; "No such
#    file")
#  - ca= naming a missing file on a target (target line; "No such file")
# A good config with TLS listeners and targets (URI options and a block,
# mTLS, SNI certificates, ALPN, tls+unix) exits 0.  Each check is bounded to
# 10 s.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tls-lib.sh"

K=$T/pki
make_pki "$K"
make_cert "$K" srv-future ca server localhost "DNS:localhost" future
printf 'this is not a certificate\n' > "$K/garbage.pem"
P=$(pick_port)
failures=0

# check NAME WANT_RC [REASON_ERE FILE_IN_MESSAGE LINE...]: mptnd -t on
# $T/NAME.conf; for a failure the output must contain "$T/NAME.conf:LINE: "
# for one of the LINEs, on a line that also matches REASON_ERE and names
# FILE_IN_MESSAGE.
check() {
    local name=$1 want=$2 why=${3:-} file=${4:-} rc=0 ok='' line conf=$T/$1.conf
    shift 2; [ $# -ge 2 ] && shift 2
    timeout 10 "$MPTND" -t -f "$conf" > "$T/$name.out" 2>&1 || rc=$?
    if [ "$rc" = 124 ]; then
        log "FAIL $name: mptnd -t did not finish within 10 s"; failures=$((failures + 1)); return
    fi
    if [ "$rc" != "$want" ]; then
        log "FAIL $name: exit $rc, want $want; output: $(head -c 500 "$T/$name.out")"
        failures=$((failures + 1)); return
    fi
    if [ "$want" != 0 ]; then
        for line in "$@"; do
            grep -F -- "$conf:$line: " "$T/$name.out" | grep -F -- "$file" | grep -Eq -- "$why" && ok=1
        done
        if [ -z "$ok" ]; then
            log "FAIL $name: want '$conf:{$*}: ...$file...' matching /$why/, got: $(head -c 500 "$T/$name.out")"
            failures=$((failures + 1)); return
        fi
    fi
    log "ok $name: exit $rc${why:+: $(grep -m1 -F "$conf:" "$T/$name.out")}"
}

cat > "$T/good.conf" <<EOF
tls web {
    cert $K/srv.pem
    key $K/srv.key
    cert $K/other.pem
    key $K/other.key
    ca $K/ca.pem
    verify require
    alpn h2,http/1.1
}
listener a {
    listen "tls+tcp://127.0.0.1:$P?tls=web"
    target "tls+tcp://localhost:$((P + 1))?ca=$K/ca.pem&cert=$K/client.pem&key=$K/client.key"
}
listener b {
    listen "tls+unix:$T/b.sock?cert=$K/srv.pem&key=$K/srv.key&min-version=1.3"
    target "tls+unix:$T/c.sock?sni=localhost&ca=$K/ca.pem"
}
EOF
check good 0

cat > "$T/missing-cert.conf" <<EOF
# a missing certificate file
listener a {
    listen "tls+tcp://127.0.0.1:$P?cert=$K/nonexistent.pem&key=$K/srv.key"
    target tcp://127.0.0.1:1
}
EOF
check missing-cert 1 '[Nn]o such file' "$K/nonexistent.pem" 3

cat > "$T/garbage-cert.conf" <<EOF
listener a {
    target tcp://127.0.0.1:1
    listen "tls+tcp://127.0.0.1:$P?cert=$K/garbage.pem&key=$K/srv.key"
}
EOF
check garbage-cert 1 'no start line|PEM' "$K/garbage.pem" 3

cat > "$T/mismatch.conf" <<EOF
workers 1

listener a {
    listen "tls+tcp://127.0.0.1:$P?cert=$K/srv.pem&key=$K/other.key"
    target tcp://127.0.0.1:1
}
EOF
check mismatch 1 'does not match|key values mismatch' "$K/other.key" 4

cat > "$T/expired.conf" <<EOF
tls old {
    cert $K/srv-expired.pem
    key $K/srv-expired.key
}
listener a {
    listen tcp://127.0.0.1:$((P + 1))
    listen "tls+tcp://127.0.0.1:$P?tls=old"
    target tcp://127.0.0.1:1
}
EOF
check expired 1 'expired' "$K/srv-expired.pem" 2 7

cat > "$T/future.conf" <<EOF
listener a {
    listen "tls+tcp://127.0.0.1:$P?tls=new"
    target tcp://127.0.0.1:1
}
tls new {
    cert $K/srv-future.pem
    key $K/srv-future.key
}
EOF
check future 1 'not valid yet' "$K/srv-future.pem" 2 6

cat > "$T/missing-key.conf" <<EOF
tls web {
    cert $K/srv.pem
    key $K/nonexistent.key
}
listener a {
    listen "tls+tcp://127.0.0.1:$P?tls=web"
    target tcp://127.0.0.1:1
}
EOF
check missing-key 1 '[Nn]o such file' "$K/nonexistent.key" 3 6

cat > "$T/missing-ca.conf" <<EOF
listener a {
    listen tcp://127.0.0.1:$P
    target tcp://127.0.0.1:1
    target "tls+tcp://localhost:$((P + 1))?ca=$K/nonexistent-ca.pem"
}
EOF
check missing-ca 1 '[Nn]o such file' "$K/nonexistent-ca.pem" 4

[ "$failures" = 0 ] || fail "$failures check(s) failed"
pass
