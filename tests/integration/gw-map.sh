#!/usr/bin/env bash
# gw-map.sh - address mapping (map PATTERN[:PORT] TEMPLATE) on the SOCKS and
# HTTP CONNECT gateways. Rules, first match wins:
#     map web.svc.test:80  unix:$T/web.sock                 (exact name and port)
#     map *.svc.test:*     unix:$T/svc/{label}-{port}.sock  ({label}, {port})
#     map *.tcp.test:*     tcp://127.0.0.1:{port}
#     map *.h.test:*       unix:$T/{host}.sock              ({host})
#     map *:P6             tcp://{host}:{port}              (IPv6 gets brackets)
#  1. curl --socks5-hostname and curl -p --proxy (CONNECT) fetch
#     http://web.svc.test/f.bin from a python3 HTTP server on the Unix socket
#     web.sock; the 1 MiB digest matches.
#  2. api.svc.test:9999 reaches a tpeer xfer on svc/api-9999.sock (64 KiB each
#     way, digests checked on both sides); web.svc.test:81 falls through the
#     port-80 rule to svc/web-81.sock (SOCKS5, SOCKS4a, HTTP); x.tcp.test:EP
#     (and X.TCP.Test:EP: patterns ignore case),
#     a.h.test:1 and [::1]:P6 reach their echo servers; the log shows each
#     filled template.
#  3. Names that could steer a template: ../secret.svc.test, a/../../secret.svc.test,
#     x..svc.test, %2e%2e.svc.test and (no rule) evil/name are refused with
#     SOCKS5 04 (SOCKS4a 91; HTTP refuses '/' with 400), and a canary tpeer on
#     $T/secret-9999.sock, where ../secret would lead, never sees a connection.
#  4. A mapped Unix socket that does not exist: a refusal (not 00) at once,
#     HTTP 502.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$_lib_dir/gw-lib.sh"

command -v curl >/dev/null || skip "curl not installed"

SIZE=$(bytes 1m)
mkdir -p "$T/www" "$T/svc"
head -c "$SIZE" /dev/urandom > "$T/www/f.bin"
SHA=$(sha_of "$T/www/f.bin")

# an HTTP server on a Unix socket (python3's http.server, threaded)
start_bg uweb python3 -c '
import http.server, os, socketserver, sys
class H(http.server.SimpleHTTPRequestHandler):
    def address_string(self):
        return "unix"
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
os.chdir(sys.argv[2])
S(sys.argv[1], H).serve_forever()
' "$T/web.sock" "$T/www"
for i in $(seq 1 100); do [ -S "$T/web.sock" ] && break; sleep 0.05; done
[ -S "$T/web.sock" ] || fail "the Unix HTTP server did not start: $(cat "$T/uweb.log")"

SMALL=$(bytes 64k)
start_peer api "unix:$T/svc/api-9999.sock" xfer "$SMALL" --timeout 60
start_peer web81 "unix:$T/svc/web-81.sock" echo --count 0 --conc --timeout 120
start_peer canary "unix:$T/secret-9999.sock" echo --count 0 --conc --timeout 120
start_peer hecho "unix:$T/a.h.test.sock" echo --count 0 --conc --timeout 120
start_peer echo tcp:127.0.0.1:0 echo --count 0 --conc --timeout 120
EP=${PEER_PORT[echo]}
P6=$(pick_port)
start_peer echo6 "tcp:[::1]:$P6" echo --count 0 --conc --timeout 120

SP=$(pick_port); HP=$(pick_port)
MAPS="    map web.svc.test:80 unix:$T/web.sock
    map *.svc.test:* unix:$T/svc/{label}-{port}.sock
    map *.tcp.test:* tcp://127.0.0.1:{port}
    map *.h.test:* unix:$T/{host}.sock
    map *:$P6 tcp://{host}:{port}"
cat > "$T/gw.conf" <<EOF
listener m {
    listen tcp://127.0.0.1:$SP
    gateway socks
$MAPS
}
listener mh {
    listen tcp://127.0.0.1:$HP
    gateway http-connect
$MAPS
}
EOF
start_mptnd -v -v -f "$T/gw.conf"

# ---- 1. curl to the Unix-socket web server by name ---------------------------------------
for how in socks http; do
    mark=$(log_mark)
    rm -f "$T/got"
    if [ "$how" = socks ]; then
        args=(--socks5-hostname "127.0.0.1:$SP")
    else
        args=(-p --proxy "http://127.0.0.1:$HP")
    fi
    timeout 30 curl -sS --fail -o "$T/got" "${args[@]}" http://web.svc.test/f.bin 2> "$T/curl.err" ||
        fail "curl ($how) to web.svc.test: $(cat "$T/curl.err")"
    [ "$(sha_of "$T/got")" = "$SHA" ] || fail "curl ($how) to web.svc.test: digest differs"
    wait_since "$mark" "web\.svc\.test:80 -> unix:$T/web\.sock" ||
        fail "curl ($how): no 'web.svc.test:80 -> unix:$T/web.sock' log line"
    log "curl ($how) http://web.svc.test/f.bin -> unix:web.sock: 1 MiB, digest ok"
done

# ---- 2. templates ----------------------------------------------------------------------------
gwc apicli "tcp:127.0.0.1:$SP" socks5 api.svc.test:9999 --xfer "$SMALL" ||
    { gwc_show apicli; fail "api.svc.test:9999: client failed"; }
expect_reply apicli rep 00 "api.svc.test:9999"
peer_wait api 10
check_pair "api.svc.test:9999 -> unix:svc/api-9999.sock" apicli api "$SMALL" "$SMALL"
grep -q "socks5 api\.svc\.test:9999 -> unix:$T/svc/api-9999\.sock" "$MPTND_LOG" ||
    fail "no log line with the filled template for api.svc.test:9999"

# map_ok NAME LABEL LOG-TARGET ARGS...: served, 64 KiB echoed, the log names LOG-TARGET.
map_ok() {
    local name=$1 label=$2 target=$3; shift 3
    gwc "$name" "$@" --xfer 64k || { gwc_show "$name"; fail "$label: client failed"; }
    case $(out_line "$name" '^reply ') in
        *proto=socks5*) expect_reply "$name" rep 00 "$label";;
        *proto=socks4*) expect_reply "$name" rep 90 "$label";;
        *) expect_reply "$name" status 200 "$label";;
    esac
    expect_xfer "$name" 65536 "$label"
    grep -Fq -- "-> $target" "$MPTND_LOG" || fail "$label: no '-> $target' log line"
}
map_ok w81 "web.svc.test:81 (falls through the :80 rule)" "unix:$T/svc/web-81.sock" \
    "tcp:127.0.0.1:$SP" socks5 web.svc.test:81
map_ok w81a "socks4a web.svc.test:81" "unix:$T/svc/web-81.sock" "tcp:127.0.0.1:$SP" socks4a web.svc.test:81
map_ok w81h "http web.svc.test:81" "unix:$T/svc/web-81.sock" "tcp:127.0.0.1:$HP" http web.svc.test:81
map_ok tcpport "x.tcp.test:EP ({port})" "tcp://127.0.0.1:$EP" "tcp:127.0.0.1:$SP" socks5 "x.tcp.test:$EP"
map_ok tcpcase "X.TCP.Test:EP (patterns ignore case)" "tcp://127.0.0.1:$EP" "tcp:127.0.0.1:$HP" http "X.TCP.Test:$EP"
map_ok hhost "a.h.test:1 ({host})" "unix:$T/a.h.test.sock" "tcp:127.0.0.1:$SP" socks5 a.h.test:1
map_ok v6 "[::1]:P6 (IPv6 {host} in brackets)" "tcp://[::1]:$P6" "tcp:127.0.0.1:$SP" socks5 "[::1]:$P6"
map_ok v6h "http [::1]:P6" "tcp://[::1]:$P6" "tcp:127.0.0.1:$HP" http "[::1]:$P6"
log "templates: {label}-{port}, port fall-through, {port}, {host}, IPv6 brackets; socks5, socks4a, http"

# ---- 3. names that must not fill a template -------------------------------------------------
before="$(accepted_count canary)/$(accepted_count web81)/$(accepted_count hecho)"
mark=$(log_mark)
n=0
for name in ../secret.svc.test a/../../secret.svc.test x..svc.test %2e%2e.svc.test '?q.svc.test' \
            '.svc.test' evil/name; do
    n=$((n + 1))
    gwc "bad$n" "tcp:127.0.0.1:$SP" socks5 "$name:9999" --xfer 1k ||
        { gwc_show "bad$n"; fail "socks5 '$name': client failed"; }
    expect_reply "bad$n" rep 04 "socks5 '$name' (unsafe name)"
    expect_closed "bad$n" "socks5 '$name'"
done
gwc bad4a "tcp:127.0.0.1:$SP" socks4a ../secret.svc.test:9999 --xfer 1k ||
    { gwc_show bad4a; fail "socks4a ../secret: client failed"; }
expect_reply bad4a rep 91 "socks4a '../secret.svc.test'"
gwc badh "tcp:127.0.0.1:$HP" http ../secret.svc.test:9999 --xfer 1k ||
    { gwc_show badh; fail "http ../secret: client failed"; }
expect_reply badh status 400 "http CONNECT ../secret.svc.test:9999"
expect_closed badh "http CONNECT ../secret.svc.test:9999"
after="$(accepted_count canary)/$(accepted_count web81)/$(accepted_count hecho)"
[ "$after" = "$before" ] || fail "an unsafe name reached a socket (canary/web81/hecho accepts $before -> $after)"
[ "$(log_since "$mark" | grep -c "cannot fill map template")" -ge 5 ] ||
    fail "fewer than 5 'cannot fill map template' log lines for the unsafe names"
since_has "$mark" "'evil/name' is not a host name or address" ||
    fail "no \"'evil/name' is not a host name or address\" log line"
log "unsafe names refused: socks5 04 x$n, socks4a 91, http 400; no socket reached"

# ---- 4. a mapped socket that is not there ------------------------------------------------------
gwc gone "tcp:127.0.0.1:$SP" socks5 nobody.svc.test:1 --xfer 1k || { gwc_show gone; fail "nobody.svc.test: client failed"; }
rep=$(reply_of gone rep)
case $rep in 01|04|05) ;; *) gwc_show gone; fail "nobody.svc.test (no socket): rep=$rep, want a refusal";; esac
fcmp "$(reply_of gone t) < 0.5" || fail "nobody.svc.test: refusal took $(reply_of gone t) s"
gwc goneh "tcp:127.0.0.1:$HP" http nobody.svc.test:1 --xfer 1k || { gwc_show goneh; fail "http nobody.svc.test: client failed"; }
expect_reply goneh status 502 "http nobody.svc.test (no socket)"
log "missing mapped socket: socks5 $rep, http 502"

finish_mptnd
pass "exact, wildcard, port, {label} {host} {port}, IPv6; unsafe names refused"
