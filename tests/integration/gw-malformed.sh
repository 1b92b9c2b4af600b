#!/usr/bin/env bash
# gw-malformed.sh - slow, malformed and oversized gateway requests
# (RELIABILITY R11, R12, R13).  One mptnd, a SOCKS and an HTTP CONNECT
# gateway with handshake-timeout 1s and splice off (so its fd count is
# exact); raw bytes are sent by tests/gwclient.py and every reply byte is
# compared with what the protocol documents.
#  1. R11: clients that send nothing, and clients that send one byte every
#     300 ms of a request that would stay valid for minutes (SOCKS5 greeting
#     with 255 methods; an HTTP head), are closed 0.8-3 s after they
#     connected, whatever they send.
#  2. R12 SOCKS: version byte 06, 00 or 'G' -> closed with no reply; no
#     methods, or only GSSAPI -> 05 ff; commands 09 and 00 -> 07 (BIND and
#     UDP ASSOCIATE are served: gw-bind.sh, gw-udp.sh); address types 09 and
#     00 -> 08; RSV != 0, empty name, a name with a control byte, a request
#     with version 04 after a version 5 greeting -> 01; SOCKS4 command 03
#     and a USERID over 255 bytes -> 91.
#     Each is a complete reply (05 REP 00 01 0.0.0.0:0 / 00 5b ...) and then
#     the close, within 2 s.
#  3. R12 HTTP: GET -> 405 with Allow: CONNECT; no port -> 400; HTTP/2.0 ->
#     505; Content-Length 5, Transfer-Encoding, obs-fold, a NUL byte -> 400.
#  4. R13: a head over 8 KiB (fields, and one long request line) and 101
#     fields -> 431 (or 400) and the close.
#  5. Truncated requests (SOCKS5, SOCKS4, HTTP) then EOF: closed at once.
#  6. Bytes after the end of a request are payload: SOCKS5, SOCKS4 and HTTP
#     clients that send 4 KiB right behind the request get them echoed
#     with the rest of a 64 KiB stream (digests equal).
#  7. Afterwards mptnd is alive, serves a good request, and its fd count is
#     back to the baseline (taken after a warm-up) within 5 s.
#  8. 2000 clients that send a SOCKS5 greeting and then EOF at once (the
#     method reply is queued when the EOF is seen) must not grow mptnd's
#     VmSize by 20 MiB or more; then mptnd exits 0 on SIGTERM with no
#     sanitizer report.  Fails on the daemon of 2026-11-23 (a 128 KiB relay
#     buffer lost per such client; LeakSanitizer reports it at exit).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$_lib_dir/gw-lib.sh"

start_peer echo tcp:127.0.0.1:0 echo --count 0 --conc --timeout 120
EP=${PEER_PORT[echo]}
EPH=$(printf '%04x' "$EP")
SP=$(pick_port); HP=$(pick_port)
cat > "$T/gw.conf" <<EOF
splice off
listener socks {
    listen tcp://127.0.0.1:$SP
    gateway socks
    handshake-timeout 1s
}
listener http {
    listen tcp://127.0.0.1:$HP
    gateway http-connect
    handshake-timeout 1s
}
EOF
start_mptnd -f "$T/gw.conf"

gwc warm5 "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" --xfer 64k || { gwc_show warm5; fail "warm-up socks5 failed"; }
expect_xfer warm5 65536 "warm-up socks5"
gwc warmh "tcp:127.0.0.1:$HP" http "127.0.0.1:$EP" --xfer 64k || { gwc_show warmh; fail "warm-up http failed"; }
expect_xfer warmh 65536 "warm-up http"
sleep 0.3
FD0=$(fd_count "$MPTND_PID")
log "baseline after warm-up: $FD0 fds"

hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
V5OK=0500                                  # greeting answered: no authentication
v5rep() { echo "05${1}000100000000""0000"; }  # 05 REP 00 ATYP=1 0.0.0.0 port 0
V4REJ=005b000000000000                     # VN 0, CD 91, 0.0.0.0:0

# ---- 1. slowloris (in the background while the rest runs) --------------------------------
gwc_bg slow_s_silent "tcp:127.0.0.1:$SP" raw --timeout 8
gwc_bg slow_h_silent "tcp:127.0.0.1:$HP" raw --timeout 8
gwc_bg slow_s_trickle "tcp:127.0.0.1:$SP" raw --send "05ff$(printf '00%.0s' $(seq 1 255))" \
    --trickle 0.3 --timeout 8
gwc_bg slow_h_trickle "tcp:127.0.0.1:$HP" raw \
    --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\nX-Pad: $(printf 'a%.0s' $(seq 1 300))" --trickle 0.3 --timeout 8

# ---- 2. SOCKS ---------------------------------------------------------------------------
# raw_expect NAME PORT WANT-HEX LABEL ARGS...: the gateway answers exactly WANT-HEX and closes.
raw_expect() {
    local name=$1 port=$2 want=$3 label=$4; shift 4
    gwc "$name" "tcp:127.0.0.1:$port" raw "$@" --timeout 5 || { gwc_show "$name"; fail "$label: client failed"; }
    case $(closed_of "$name" how) in
        eof|reset) ;;
        *) gwc_show "$name"; fail "$label: not closed by the gateway";;
    esac
    [ "$(closed_of "$name" data)" = "$want" ] ||
        { gwc_show "$name"; fail "$label: got '$(closed_of "$name" data)', want '$want'"; }
    fcmp "$(closed_of "$name" t_total) <= 2" || fail "$label: closed after $(closed_of "$name" t_total) s"
}
raw_expect s_ver6 "$SP" "" "SOCKS version 06" --send 060100
raw_expect s_ver0 "$SP" "" "SOCKS version 00" --send 00
raw_expect s_http "$SP" "" "HTTP to the SOCKS port" --send-text 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
raw_expect s_nometh "$SP" 05ff "SOCKS5 greeting with no methods" --send 0500
raw_expect s_gss "$SP" 05ff "SOCKS5 offering only GSSAPI" --send 050101
raw_expect s_cmd9 "$SP" "$V5OK$(v5rep 07)" "SOCKS5 command 09" --send "050100 050900017f000001$EPH"
raw_expect s_cmd0 "$SP" "$V5OK$(v5rep 07)" "SOCKS5 command 00" --send "050100 050000017f000001$EPH"
raw_expect s_atyp9 "$SP" "$V5OK$(v5rep 08)" "SOCKS5 address type 09" --send "050100 05010009 7f000001$EPH"
raw_expect s_atyp0 "$SP" "$V5OK$(v5rep 08)" "SOCKS5 address type 00" --send "050100 05010000"
raw_expect s_rsv "$SP" "$V5OK$(v5rep 01)" "SOCKS5 RSV 01" --send "050100 050101017f000001$EPH"
raw_expect s_name0 "$SP" "$V5OK$(v5rep 01)" "SOCKS5 empty name" --send "050100 0501000300$EPH"
raw_expect s_namectl "$SP" "$V5OK$(v5rep 01)" "SOCKS5 name with LF" --send "050100 050100030361 0a62$EPH"
raw_expect s_reqv4 "$SP" "$V5OK$(v5rep 01)" "SOCKS5 request with version 04" --send "050100 040100017f000001$EPH"
raw_expect s4_cmd3 "$SP" "$V4REJ" "SOCKS4 command 03" --send "0403${EPH}7f00000100"
raw_expect s4_uid "$SP" "$V4REJ" "SOCKS4 USERID of 256 bytes" --send "0401${EPH}7f000001$(printf '61%.0s' $(seq 1 256))"
[ "$(accepted_count echo)" = 2 ] || fail "a malformed SOCKS request reached the target"
log "SOCKS: bad versions closed; 05 ff x2; 07 x2; 08 x2; 01 x4; SOCKS4 91 x2 - each exact, then closed"

# ---- 3. HTTP ------------------------------------------------------------------------------
# http_expect NAME STATUS LABEL ARGS...: the answer starts with "HTTP/1.1 STATUS", then the close.
http_expect() {
    local name=$1 status=$2 label=$3 data; shift 3
    gwc "$name" "tcp:127.0.0.1:$HP" raw "$@" --timeout 5 || { gwc_show "$name"; fail "$label: client failed"; }
    case $(closed_of "$name" how) in
        eof|reset) ;;
        *) gwc_show "$name"; fail "$label: not closed by the gateway";;
    esac
    data=$(closed_of "$name" data)
    case $data in
        "$(hex "HTTP/1.1 $status ")"*) ;;
        *) gwc_show "$name"; fail "$label: the answer is not 'HTTP/1.1 $status'";;
    esac
    case $data in
        *"$(hex $'\r\n\r\n')") ;;
        *) gwc_show "$name"; fail "$label: bytes after the response head, or no complete head";;
    esac
    fcmp "$(closed_of "$name" t_total) <= 2" || fail "$label: closed after $(closed_of "$name" t_total) s"
}
http_expect h_get 405 "GET" --send-text 'GET http://x.test/ HTTP/1.1\r\nHost: x.test\r\n\r\n'
case $(closed_of h_get data) in
    *"$(hex $'\r\nAllow: CONNECT\r\n')"*) ;;
    *) gwc_show h_get; fail "405 without Allow: CONNECT";;
esac
http_expect h_noport 400 "CONNECT without a port" --send-text 'CONNECT example.test HTTP/1.1\r\n\r\n'
http_expect h_v2 505 "HTTP/2.0" --send-text 'CONNECT a.test:1 HTTP/2.0\r\n\r\n'
http_expect h_cl 400 "Content-Length 5" --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
http_expect h_te 400 "Transfer-Encoding" --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
http_expect h_fold 400 "obs-fold" --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"
http_expect h_nul 400 "a NUL byte" --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\nX-A: a\x00b\r\n\r\n"
log "HTTP: 405 + Allow, 400 x5, 505 - then closed"

# ---- 4. oversized heads -----------------------------------------------------------------------
big_ok() {      # big_ok NAME LABEL ARGS...: 431 or 400, then the close
    local name=$1 label=$2 data; shift 2
    gwc "$name" "tcp:127.0.0.1:$HP" raw "$@" --timeout 5 || { gwc_show "$name"; fail "$label: client failed"; }
    data=$(closed_of "$name" data)
    case $data in
        "$(hex 'HTTP/1.1 431 ')"*|"$(hex 'HTTP/1.1 400 ')"*) ;;
        *) gwc_show "$name"; fail "$label: no 431/400 answer (how=$(closed_of "$name" how))";;
    esac
    case $(closed_of "$name" how) in eof|reset) ;; *) fail "$label: not closed";; esac
    log "$label: $(printf '%s' "$data" | head -c 24 | sed 's/../\\x&/g' | xargs -0 printf '%b'), closed"
}
big_ok h_big "head of 12 KiB in 60 fields" \
    --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\n$(for i in $(seq 1 60); do printf 'X-Fill-%02d: %s\\r\\n' "$i" "$(printf 'a%.0s' $(seq 1 190))"; done)"
big_ok h_line "request line of 9000 bytes" --send-text "CONNECT $(printf 'a%.0s' $(seq 1 9000))"
big_ok h_fields "101 fields" \
    --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\n$(printf 'X-F: v\\r\\n%.0s' $(seq 1 101))\r\n"

# ---- 5. truncated requests, then EOF -----------------------------------------------------------
# (the greeting's 05 00 may or may not be flushed before the close: the request can never complete)
gwc t_s5 "tcp:127.0.0.1:$SP" raw --send "050100 050100017f00" --shut --timeout 5 ||
    { gwc_show t_s5; fail "SOCKS5 request cut short: client failed"; }
case $(closed_of t_s5 how)/$(closed_of t_s5 data) in
    eof/|eof/0500|reset/|reset/0500) ;;
    *) gwc_show t_s5; fail "SOCKS5 request cut short, then EOF: not closed, or more than 05 00 came back";;
esac
fcmp "$(closed_of t_s5 t_total) <= 2" || fail "SOCKS5 request cut short: closed after $(closed_of t_s5 t_total) s"
raw_expect t_s5g "$SP" "" "SOCKS5 greeting cut short, then EOF" --send 050200 --shut
raw_expect t_s4 "$SP" "" "SOCKS4 request cut short, then EOF" --send 040100507f --shut
raw_expect t_h "$HP" "" "HTTP head cut short, then EOF" \
    --send-text "CONNECT 127.0.0.1:$EP HTTP/1.1\r\nHost: x\r\n" --shut
grep -q "reason=front-closed-in-handshake" "$MPTND_LOG" || fail "no reason=front-closed-in-handshake close line"
log "truncated requests then EOF: closed at once"

# ---- 6. bytes after the end of the request are payload ---------------------------------------------
for p in socks5 socks4 http; do
    port=$SP; [ "$p" = http ] && port=$HP
    gwc "early_$p" "tcp:127.0.0.1:$port" "$p" "127.0.0.1:$EP" --early --xfer 64k ||
        { gwc_show "early_$p"; fail "$p with payload behind the request: client failed"; }
    expect_xfer "early_$p" 65536 "$p with 4 KiB right behind the request"
done
log "socks5, socks4, http: 4 KiB sent right behind the request arrive as payload (64 KiB echoed)"

# ---- 1 (results). slowloris -------------------------------------------------------------------------
for n in slow_s_silent slow_h_silent slow_s_trickle slow_h_trickle; do
    peer_wait "$n" 15
    [ "$WAIT_RC" = 0 ] || { gwc_show "$n"; fail "$n: the gateway did not close it (exit $WAIT_RC)"; }
    how=$(closed_of "$n" how); t=$(closed_of "$n" t_total)
    case $how in eof|reset) ;; *) gwc_show "$n"; fail "$n: not closed by the gateway";; esac
    fcmp "$t >= 0.8 && $t <= 3" || { gwc_show "$n"; fail "$n: closed after $t s, want 0.8-3 s (handshake-timeout 1s)"; }
    [ "$(closed_of "$n" recv)" = 0 ] || { gwc_show "$n"; fail "$n: got bytes before the close"; }
    log "$n: closed after $t s, $(closed_of "$n" sent) bytes sent"
done
[ "$(closed_of slow_s_trickle sent)" -ge 2 ] || fail "the SOCKS trickle sent fewer than 2 bytes"
[ "$(count_lines "$MPTND_LOG" 'reason=handshake-timeout')" -ge 4 ] ||
    fail "fewer than 4 reason=handshake-timeout close lines"

# ---- 7. still serving, no fd leak ---------------------------------------------------------------
mptnd_alive || fail "mptnd died"
gwc after "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" --xfer 64k || { gwc_show after; fail "a good request after the rest failed"; }
expect_xfer after 65536 "a good request afterwards"
for i in $(seq 1 50); do
    [ "$(fd_count "$MPTND_PID")" -le "$FD0" ] && break
    sleep 0.1
done
fds=$(fd_count "$MPTND_PID")
[ "$fds" -le "$FD0" ] || { ls -l "/proc/$MPTND_PID/fd" >&2; fail "mptnd holds $fds fds, $FD0 before the malformed clients"; }
log "mptnd serves a good request afterwards; $fds fds (baseline $FD0)"

# ---- 8. no memory kept per refused client (fails on the daemon of 2026-11-23) ----------------------
# A SOCKS5 greeting (whose answer is queued) followed at once by EOF: 2000
# of them must not grow mptnd's address space by anything like 2000 relay
# buffers (128 KiB each: 250 MiB; fewer can hide in the pool and in free
# heap memory).
greet_eof() {
    python3 -c '
import socket, sys
for i in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"\x05\x01\x00\x05")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    try:
        while s.recv(100):
            pass
    except OSError:
        pass
    s.close()
' "$SP" "$1"
}
vmsize() { awk '/^VmSize:/ { print $2 }' "/proc/$MPTND_PID/status"; }
greet_eof 50
sleep 0.3
vm0=$(vmsize)
greet_eof 2000
sleep 0.3
vm1=$(vmsize)
log "2000 greetings then EOF: VmSize $vm0 -> $vm1 kB"
[ $((vm1 - vm0)) -lt 20480 ] ||
    later_fail "2000 SOCKS5 greetings followed by EOF grew mptnd's VmSize by $(( (vm1 - vm0) / 1024 )) MiB (a relay buffer kept per connection?)"
finish_mptnd
check_later_fails
pass "slowloris closed at the handshake timeout; malformed and oversized requests answered exactly; no leak"
