#!/usr/bin/env bash
# gw-clients.sh - real proxy clients from Debian packages through mptnd's
# SOCKS and HTTP CONNECT gateways; every check compares SHA-256 digests of
# what arrived with what was served or sent.
#  1. curl: --socks5, --socks5-hostname (name localhost, and through the
#     [::1] listener), --socks4, --socks4a, -p --proxy http:// (CONNECT)
#     against a python3 http.server of the test's own serving a random 1 MiB
#     file, and the HTTP CONNECT and SOCKS5 gateways in front of an
#     openssl s_server -WWW (HTTPS, certificate made here) serving the same
#     file. mptnd's debug log must name the protocol each client used.
#  2. ncat --proxy-type socks4, socks5 (also with --proxy-dns remote) and
#     http, socat SOCKS4A: and PROXY: (CONNECT): 1 MiB through a tpeer echo.
#  3. proxychains4 (strict_chain, proxy_dns) around curl. It skips loopback
#     targets, so the web server runs in a network namespace of this test
#     (veth pair, 10.222.0.1 <-> 10.222.0.2, addresses that exist only in
#     those namespaces) and mptnd runs in the other one with allow rules for
#     that subnet and a map for the name web.pc.test; curl fetches by address
#     and, with the name resolved by mptnd through the map, by name.
# Skips (77) without curl, ncat, socat, openssl or python3; the proxychains4
# part needs root and ip netns, and proxychains4 (installed here with apt-get
# if missing and possible; the test skips if it still cannot run it).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$_lib_dir/gw-lib.sh"

for tool in curl ncat socat openssl; do
    command -v "$tool" >/dev/null || skip "$tool not installed"
done

SIZE=$(bytes 1m)
mkdir -p "$T/www"
head -c "$SIZE" /dev/urandom > "$T/www/f.bin"
SHA=$(sha_of "$T/www/f.bin")

# ---- servers of the test's own -------------------------------------------------
WEB=$(pick_port); TLSP=$(pick_port); SP=$(pick_port); HP=$(pick_port)
start_bg web python3 -m http.server "$WEB" --bind 127.0.0.1 --directory "$T/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T/key.pem" -out "$T/cert.pem" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 > "$T/req.log" 2>&1 ||
    fail "openssl req failed: $(cat "$T/req.log")"
(cd "$T/www" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$TLSP" \
    -cert "$T/cert.pem" -key "$T/key.pem") > "$T/s_server.log" 2>&1 &
track_pid "$!"
wait_tcp "$WEB" 10 || fail "python3 http.server did not listen on $WEB: $(cat "$T/web.log")"
wait_tcp "$TLSP" 10 || fail "openssl s_server did not listen on $TLSP: $(cat "$T/s_server.log")"
start_peer echo tcp:127.0.0.1:0 echo --count 0 --conc --timeout 120
EP=${PEER_PORT[echo]}

cat > "$T/gw.conf" <<EOF
listener socks {
    listen tcp://127.0.0.1:$SP tcp://[::1]:$SP
    gateway socks
}
listener http {
    listen tcp://127.0.0.1:$HP
    gateway http-connect
}
EOF
start_mptnd -v -v -f "$T/gw.conf"

# fetch LABEL LOG-REGEX CURL-ARGS...: curl fetches f.bin; its digest must match
# and the mptnd log since the start must show LOG-REGEX and a reason=done close.
fetch() {
    local label=$1 re=$2 mark; shift 2
    mark=$(log_mark)
    rm -f "$T/got"
    timeout 30 curl -sS --fail -o "$T/got" "$@" 2> "$T/curl.err" ||
        fail "$label: curl failed: $(cat "$T/curl.err")"
    [ "$(sha_of "$T/got")" = "$SHA" ] ||
        fail "$label: fetched $(stat -c %s "$T/got") bytes whose SHA-256 differs from the file's"
    wait_since "$mark" "$re" 3 || fail "$label: no '$re' line in the mptnd log"
    wait_since "$mark" "closed: reason=done" 3 || fail "$label: no 'reason=done' close line"
    log "$label: 1 MiB, digest ok"
}

fetch "curl --socks5" "socks5 127\.0\.0\.1:$WEB " \
    --socks5 "127.0.0.1:$SP" "http://127.0.0.1:$WEB/f.bin"
fetch "curl --socks5-hostname" "socks5 localhost:$WEB " \
    --socks5-hostname "127.0.0.1:$SP" "http://localhost:$WEB/f.bin"
fetch "curl --socks5-hostname via [::1]" "accepted tcp://\[::1\]:[0-9]+ on tcp://\[::1\]:$SP" \
    --socks5-hostname "[::1]:$SP" "http://localhost:$WEB/f.bin"
fetch "curl --socks4" "socks4 127\.0\.0\.1:$WEB " \
    --socks4 "127.0.0.1:$SP" "http://127.0.0.1:$WEB/f.bin"
fetch "curl --socks4a" "socks4a localhost:$WEB " \
    --socks4a "127.0.0.1:$SP" "http://localhost:$WEB/f.bin"
fetch "curl -p --proxy http:// (CONNECT)" "http 127\.0\.0\.1:$WEB " \
    -p --proxy "http://127.0.0.1:$HP" "http://127.0.0.1:$WEB/f.bin"
fetch "curl https:// through CONNECT" "http localhost:$TLSP " \
    --proxy "http://127.0.0.1:$HP" --cacert "$T/cert.pem" "https://localhost:$TLSP/f.bin"
fetch "curl https:// through SOCKS5" "socks5 localhost:$TLSP " \
    --socks5-hostname "127.0.0.1:$SP" --cacert "$T/cert.pem" "https://localhost:$TLSP/f.bin"

# ---- stream clients through the echo server ----------------------------------------
"$TPEER" gen "$SIZE" --seed 7 > "$T/in.bin"
IN_SHA=$(sha_of "$T/in.bin")

# stream LABEL LOG-REGEX CMD...: CMD reads in.bin and writes what came back.
stream() {
    local label=$1 re=$2 mark; shift 2
    mark=$(log_mark)
    timeout 30 "$@" < "$T/in.bin" > "$T/back.bin" 2> "$T/stream.err" ||
        fail "$label: exit $? ($(head -c 300 "$T/stream.err"))"
    [ "$(sha_of "$T/back.bin")" = "$IN_SHA" ] ||
        fail "$label: $(stat -c %s "$T/back.bin") bytes came back, digest differs from the 1 MiB sent"
    wait_since "$mark" "$re" 3 || fail "$label: no '$re' line in the mptnd log"
    log "$label: 1 MiB echoed, digest ok"
}

stream "ncat socks5" "socks5 127\.0\.0\.1:$EP " \
    ncat --proxy "127.0.0.1:$SP" --proxy-type socks5 127.0.0.1 "$EP"
stream "ncat socks5 --proxy-dns remote" "socks5 localhost:$EP " \
    ncat --proxy "127.0.0.1:$SP" --proxy-type socks5 --proxy-dns remote localhost "$EP"
stream "ncat socks4" "socks4 127\.0\.0\.1:$EP " \
    ncat --proxy "127.0.0.1:$SP" --proxy-type socks4 127.0.0.1 "$EP"
stream "ncat http" "http 127\.0\.0\.1:$EP " \
    ncat --proxy "127.0.0.1:$HP" --proxy-type http 127.0.0.1 "$EP"
stream "socat SOCKS4A" "socks4a localhost:$EP " \
    socat -t 10 - "SOCKS4A:127.0.0.1:localhost:$EP,socksport=$SP"
stream "socat PROXY (CONNECT)" "http localhost:$EP " \
    socat -t 10 - "PROXY:127.0.0.1:localhost:$EP,proxyport=$HP"

finish_mptnd

# ---- proxychains4, with the web server in a namespace --------------------------------
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    skip "everything else passed; proxychains4 part needs root and ip netns"
fi
if ! command -v proxychains4 >/dev/null && command -v apt-get >/dev/null; then
    log "proxychains4 missing: trying apt-get install proxychains4"
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends \
        proxychains4 > "$T/apt.log" 2>&1 || true
fi
command -v proxychains4 >/dev/null ||
    skip "everything else passed; proxychains4 is not installed and could not be installed"

NA=mptnd-gwc-a-$$ NB=mptnd-gwc-b-$$
make_netns "$NA"; make_netns "$NB"
ip -n "$NA" link add gwa type veth peer name gwb netns "$NB" || fail "veth pair failed"
ip -n "$NA" addr add 10.222.0.1/24 dev gwa
ip -n "$NB" addr add 10.222.0.2/24 dev gwb
ip -n "$NA" link set gwa up
ip -n "$NB" link set gwb up

start_bg nsweb ip netns exec "$NB" python3 -m http.server 8000 --bind 10.222.0.2 --directory "$T/www"
wait_tcp 8000 10 "$NB" || fail "http.server in $NB did not listen: $(cat "$T/nsweb.log")"

cat > "$T/pc-gw.conf" <<EOF
listener pc {
    listen tcp://127.0.0.1:1080
    gateway socks
    map web.pc.test:* tcp://10.222.0.2:{port}
    allow from 127.0.0.1 to 10.222.0.0/24 port 8000
    allow from 127.0.0.1 to web.pc.test port 8000
}
EOF
cat > "$T/pc.conf" <<EOF
strict_chain
proxy_dns
remote_dns_subnet 224
tcp_read_time_out 15000
tcp_connect_time_out 8000
[ProxyList]
socks5 127.0.0.1 1080
EOF
MPTND_PREFIX=(ip netns exec "$NA")
start_mptnd -v -v -f "$T/pc-gw.conf"

pc_fetch() {
    local label=$1 url=$2 re=$3 mark
    mark=$(log_mark)
    rm -f "$T/got"
    ip netns exec "$NA" timeout 30 proxychains4 -f "$T/pc.conf" -q curl -sS --fail -o "$T/got" "$url" \
        2> "$T/curl.err" || fail "$label: proxychains4 curl failed: $(cat "$T/curl.err")"
    [ "$(sha_of "$T/got")" = "$SHA" ] || fail "$label: digest differs"
    wait_since "$mark" "$re" 3 || fail "$label: no '$re' line in the mptnd log"
    log "$label: 1 MiB, digest ok"
}
pc_fetch "proxychains4 curl by address" "http://10.222.0.2:8000/f.bin" \
    "socks5 10\.222\.0\.2:8000 -> tcp://10\.222\.0\.2:8000"
pc_fetch "proxychains4 curl by name (proxy_dns, mapped by mptnd)" "http://web.pc.test:8000/f.bin" \
    "socks5 web\.pc\.test:8000 -> tcp://10\.222\.0\.2:8000"
finish_mptnd
pass "curl (socks5, socks5h, socks4, socks4a, CONNECT, https), ncat, socat, proxychains4"
