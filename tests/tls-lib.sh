# tests/tls-lib.sh - TLS helpers for tests/integration/tls-*.sh.
#
# Source it after tests/lib.sh.  It makes a small PKI with the openssl command
# line tool (EC P-256 keys, so it takes well under a second) and wraps
# `openssl s_client` / `openssl s_server` for the scenarios.  Works with
# OpenSSL 3.0 (Debian 12): certificates with dates in the past are signed with
# `openssl ca -startdate/-enddate`, which 3.0 has, instead of `x509 -not_after`,
# which it does not.

command -v openssl >/dev/null 2>&1 || skip "openssl command line tool not installed"

# _tls_ossl ARGS...: run openssl quietly; on failure show what it said and fail.
_tls_ossl() {
    local out
    if ! out=$(openssl "$@" 2>&1); then
        printf '%s\n' "$out" >&2
        fail "openssl $1 failed while making test certificates"
    fi
}

# _tls_ca_conf DIR CA: a minimal `openssl ca` config for the CA named CA
# (files DIR/CA.pem, DIR/CA.key), its database kept in DIR/.CA-db.
_tls_ca_conf() {
    local dir=$1 ca=$2 db=$1/.$2-db
    if [ ! -f "$db/ca.cnf" ]; then
        mkdir -p "$db"
        : > "$db/index.txt"
        openssl rand -hex 16 > "$db/serial"
        cat > "$db/ca.cnf" <<EOF
[ ca ]
default_ca = the_ca
[ the_ca ]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
certificate = $dir/$ca.pem
private_key = $dir/$ca.key
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
organizationName = optional
EOF
    fi
    echo "$db/ca.cnf"
}

# make_ca DIR NAME CN: a self-signed CA, DIR/NAME.pem and DIR/NAME.key.
make_ca() {
    local dir=$1 name=$2 cn=$3
    _tls_ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/$name.key" -out "$dir/$name.pem" -days 3650 -subj "/CN=$cn" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash"
}

# make_cert DIR NAME CA KIND CN SAN [expired|future]: a leaf certificate DIR/NAME.pem
# with key DIR/NAME.key, signed by DIR/CA.pem.  KIND is server or client (the
# extendedKeyUsage); SAN is an openssl subjectAltName value or "" for none.
# With "expired" the certificate was valid only on 1-2 January 2020, with
# "future" only from 2099.  Every certificate gets a fresh random serial.
make_cert() {
    local dir=$1 name=$2 ca=$3 kind=$4 cn=$5 san=$6 when=${7:-} eku conf
    case $kind in
        server) eku=serverAuth;;
        client) eku=clientAuth;;
        *) hard_error "make_cert: kind is server or client, not '$kind'";;
    esac
    _tls_ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$cn"
    {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature"
        echo "extendedKeyUsage=$eku"
        echo "authorityKeyIdentifier=keyid"
        [ -n "$san" ] && echo "subjectAltName=$san"
    } > "$dir/$name.ext"
    if [ "$when" = expired ] || [ "$when" = future ]; then
        local -a dates=(-startdate 20200101000000Z -enddate 20200102000000Z)
        [ "$when" = future ] && dates=(-startdate 20990101000000Z -enddate 20991231000000Z)
        conf=$(_tls_ca_conf "$dir" "$ca")
        _tls_ossl ca -batch -notext -config "$conf" "${dates[@]}" \
            -extfile "$dir/$name.ext" -in "$dir/$name.csr" -out "$dir/$name.pem"
    else
        _tls_ossl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 \
            -extfile "$dir/$name.ext" -out "$dir/$name.pem"
    fi
    rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# make_pki DIR: the certificates the TLS scenarios use, all in DIR:
#   ca            the test CA (ca.pem, ca.key)
#   srv           server, CN=localhost, SAN DNS:localhost,IP:127.0.0.1
#   other         server, CN=other.test, SAN DNS:other.test
#   wrong         server, CN=wrong.test, SAN DNS:wrong.test (the wrong name)
#   srv-expired   server for localhost like srv, expired
#   client        client, CN=client1, SAN DNS:client1.test
#   client-expired  client, CN=client1, SAN DNS:client1.test, expired
#   ca2           a second, unrelated CA
#   client-other  client, CN=client1, SAN DNS:client1.test, signed by ca2
# Every leaf is NAME.pem + NAME.key, signed by ca unless said otherwise.
make_pki() {
    local dir=$1
    mkdir -p "$dir"
    make_ca "$dir" ca "mptnd test CA"
    make_ca "$dir" ca2 "another CA"
    make_cert "$dir" srv ca server localhost "DNS:localhost,IP:127.0.0.1"
    make_cert "$dir" other ca server other.test "DNS:other.test"
    make_cert "$dir" wrong ca server wrong.test "DNS:wrong.test"
    make_cert "$dir" srv-expired ca server localhost "DNS:localhost,IP:127.0.0.1" expired
    make_cert "$dir" client ca client client1 "DNS:client1.test"
    make_cert "$dir" client-expired ca client client1 "DNS:client1.test" expired
    make_cert "$dir" client-other ca2 client client1 "DNS:client1.test"
}

# cert_serial FILE: the serial of the (first) certificate in FILE, as openssl
# prints it (upper-case hex).
cert_serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

# ---- openssl s_client and s_server ------------------------------------------

# peer_cert_serial HOST:PORT SERVERNAME [CAFILE]: connect, finish the handshake
# (verifying against CAFILE when given) and print the serial of the
# certificate the server sent; prints nothing when the handshake fails.
peer_cert_serial() {
    local addr=$1 sni=$2 ca=${3:-} out
    local -a v=()
    [ -n "$ca" ] && v=(-CAfile "$ca" -verify_return_error)
    out=$(timeout 10 openssl s_client -connect "$addr" -servername "$sni" "${v[@]}" \
            -no_ign_eof < /dev/null 2>/dev/null) || true
    printf '%s\n' "$out" | openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//' || true
}

declare -A _HOLDER_PID=()
# _wait_fd PID FD PATH: wait (up to 5 s) until process PID has PATH open as FD
# (or has already exited).
_wait_fd() {
    local i
    for i in $(seq 1 500); do
        [ "$(readlink "/proc/$1/fd/$2" 2>/dev/null)" = "$3" ] && return 0
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.01
    done
    return 1
}
# _fifo_stdin NAME CMD...: run CMD in the background with stdin the fifo
# $T/NAME.in and stdout/stderr $T/NAME.out/.err, a `sleep` holding the fifo's
# write side; returns once both have it open, so nothing written to the fifo
# is lost and CMD does not see an early EOF.  Sets PEER_PID[NAME].
_fifo_stdin() {
    local name=$1 fifo=$T/$1.in; shift
    mkfifo "$fifo"
    sleep 600 > "$fifo" &
    _HOLDER_PID[$name]=$!
    track_pid "$!"
    "$@" < "$fifo" > "$T/$name.out" 2> "$T/$name.err" &
    PEER_PID[$name]=$!
    track_pid "$!"
    if ! _wait_fd "${PEER_PID[$name]}" 0 "$fifo" || ! _wait_fd "${_HOLDER_PID[$name]}" 1 "$fifo"; then
        cat "$T/$name.err" >&2
        fail "$1 ($name) did not start"
    fi
}

# sclient_start NAME ARGS...: `openssl s_client ARGS` in the background, its
# stdin a fifo $T/NAME.in kept open by a `sleep` writer (so s_client does not
# end the session before the test says so); stdout in $T/NAME.out, stderr in
# $T/NAME.err.  sclient_send NAME TEXT writes a line to it; sclient_end NAME
# [TIMEOUT] ends its input (s_client then sends close_notify and exits) and
# waits for it to exit (WAIT_RC: its status).
sclient_start() {
    local name=$1; shift
    _fifo_stdin "$name" openssl s_client "$@"
}
sclient_send() { printf '%s\n' "$2" 1<> "$T/$1.in"; }
sclient_end() {
    local name=$1
    kill -TERM "${_HOLDER_PID[$name]}" 2>/dev/null || true
    wait_pid "${PEER_PID[$name]}" "${2:-10}" ||
        fail "openssl s_client $name still running ${2:-10} s after its input ended"
}

# sserver_start NAME PORT ARGS...: `openssl s_server -accept 127.0.0.1:PORT
# ARGS` in the background, stdin a fifo held open like sclient_start's (s_server
# ends a session when its stdin ends).  $T/NAME.out gets the bytes it receives
# and then "DONE" when the peer sent close_notify; $T/NAME.err gets "ERROR"
# and the reason when the session failed or the peer went away without
# close_notify ("unexpected eof while reading").  Waits until the port
# listens.
sserver_start() {
    local name=$1 port=$2 i; shift 2
    _fifo_stdin "$name" openssl s_server -accept "127.0.0.1:$port" "$@"
    for i in $(seq 1 100); do
        listening_tcp "$port" && return 0
        kill -0 "${PEER_PID[$name]}" 2>/dev/null || break
        sleep 0.05
    done
    cat "$T/$name.err" >&2
    fail "openssl s_server $name not listening on $port"
}
