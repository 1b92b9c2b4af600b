#!/usr/bin/env bash
# gw-auth.sh - password authentication on the SOCKS and HTTP CONNECT
# gateways (`gateway socks|http-connect { auth password FILE }`, the file made
# with mptnd --hash-password).  mptnd runs with -v -v (debug log).
#  1. SOCKS5 username/password: curl -x socks5://alice:PW@ and socks5h://
#     fetch a random 1 MiB file with matching SHA-256; a second user (bob)
#     works too; gwclient moves 256 KiB each way through a tpeer echo.
#  2. SOCKS5 wrong password, and an unknown user: RFC 1929 status 01 after
#     the refusal delay (auth-failure-delay 200ms here, doubled for every
#     failure from the same source or user: R14), then the close; curl with a wrong
#     password fails.  A client that offers only "no authentication" gets
#     method ff at once.  A right password sent while a wrong one is being
#     delayed is served at once (the delay is a timer, not a sleep).
#  3. HTTP CONNECT: right Basic credentials -> 200 and the tunnel works (curl
#     --proxy-user, gwclient); no credentials -> 407 with
#     Proxy-Authenticate: Basic realm="mptnd" at once; wrong password and a
#     non-Basic scheme -> 407 with the header after the delay.
#  4. The log says "authentication failed for user" for each wrong attempt,
#     and no password (right or wrong, plain or base64) ever appears in it.
#  5. SOCKS4 and SOCKS4a carry no password: an auth gateway must refuse them
#     (91) and must not connect anywhere.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$_lib_dir/gw-lib.sh"

command -v curl >/dev/null || skip "curl not installed"

PW_A='Alice-s3cret-42' PW_B='b0b-Passw0rd' PW_WRONG='not-the-Password-7'
make_users "$T/users" alice "$PW_A" bob "$PW_B"
grep -Fq -- "$PW_A" "$T/users" && fail "the password file holds a password in clear"

SIZE=$(bytes 1m)
mkdir -p "$T/www"
head -c "$SIZE" /dev/urandom > "$T/www/f.bin"
SHA=$(sha_of "$T/www/f.bin")
WEB=$(pick_port); SP=$(pick_port); HP=$(pick_port)
start_bg web python3 -m http.server "$WEB" --bind 127.0.0.1 --directory "$T/www"
wait_tcp "$WEB" 10 || fail "python3 http.server did not listen on $WEB: $(cat "$T/web.log")"
start_peer echo tcp:127.0.0.1:0 echo --count 0 --conc --timeout 120
EP=${PEER_PORT[echo]}

cat > "$T/gw.conf" <<EOF
listener socks {
    listen tcp://127.0.0.1:$SP
    gateway socks { auth password $T/users }
    handshake-timeout 10s
    auth-failure-delay 200ms
}
listener http {
    listen tcp://127.0.0.1:$HP
    gateway http-connect {
        auth password $T/users
    }
    auth-failure-delay 200ms
}
EOF
start_mptnd -v -v -f "$T/gw.conf"

curl_get() {    # curl_get LABEL CURL-ARGS...: fetch f.bin, check the digest
    local label=$1; shift
    rm -f "$T/got"
    timeout 30 curl -sS --fail -o "$T/got" "$@" "http://127.0.0.1:$WEB/f.bin" 2> "$T/curl.err" ||
        fail "$label: curl failed: $(cat "$T/curl.err")"
    [ "$(sha_of "$T/got")" = "$SHA" ] || fail "$label: digest differs"
    log "$label: 1 MiB, digest ok"
}

# ---- 1. SOCKS5 right credentials ---------------------------------------------------
curl_get "curl socks5://alice:PW@" -x "socks5://alice:$PW_A@127.0.0.1:$SP"
curl_get "curl socks5h://bob:PW@" -x "socks5h://bob:$PW_B@127.0.0.1:$SP"
gwc s5ok "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" --auth "alice:$PW_A" --xfer 256k ||
    { gwc_show s5ok; fail "socks5 with the right password: client failed"; }
expect_reply s5ok method 02 "socks5 right password"
expect_reply s5ok auth 00 "socks5 right password"
expect_reply s5ok rep 00 "socks5 right password"
expect_xfer s5ok $((256 * 1024)) "socks5 right password"
log "socks5 alice: method 02, status 00, 256 KiB echoed"

# ---- 2. SOCKS5 wrong credentials (in the background: each takes 1 s) ----------------------
mark=$(log_mark)
gwc_bg s5bad "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" --auth "alice:$PW_WRONG"
gwc_bg s5nouser "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" --auth "mallory:$PW_WRONG"
gwc_bg h_bad "tcp:127.0.0.1:$HP" http "127.0.0.1:$EP" --auth "alice:$PW_WRONG"
gwc_bg h_bearer "tcp:127.0.0.1:$HP" http "127.0.0.1:$EP" --header "Proxy-Authorization: Bearer $PW_WRONG"
t0=$(now_s)
timeout 30 curl -sS -o /dev/null -x "socks5://alice:$PW_WRONG@127.0.0.1:$SP" "http://127.0.0.1:$WEB/f.bin" \
    2> "$T/curlbad.err" & curl_pid=$!
track_pid "$curl_pid"
# once they are all in their delay, a right password is served at once
for i in $(seq 1 60); do
    [ "$(log_since "$mark" | grep -c 'authentication failed for user')" -ge 5 ] && break
    sleep 0.05
done
gwc s5fast "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" --auth "bob:$PW_B" --xfer 64k ||
    { gwc_show s5fast; fail "socks5 bob during the delays failed"; }
expect_reply s5fast rep 00 "socks5 bob during the delays"
expect_xfer s5fast $((64 * 1024)) "socks5 bob during the delays"
t_fast=$(reply_of s5fast t)
fcmp "$t_fast < 0.5" || fail "a right password waited ${t_fast} s while wrong ones were delayed"

for n in s5bad s5nouser h_bad h_bearer; do
    peer_wait "$n" 15
    [ "$WAIT_RC" = 0 ] || { gwc_show "$n"; fail "$n: gwclient exit $WAIT_RC"; }
done
wait_pid "$curl_pid" 15 || fail "curl with a wrong password still running after 15 s"
[ "$WAIT_RC" != 0 ] || fail "curl with a wrong SOCKS5 password succeeded"
t_curl=$(fsub "$(now_s)" "$t0")
fcmp "$t_curl >= 0.18" || fail "curl with a wrong password gave up after ${t_curl} s, want >= 0.2 s"

for n in s5bad s5nouser; do
    expect_reply "$n" method 02 "socks5 $n"
    expect_reply "$n" auth 01 "socks5 $n"
    t=$(reply_of "$n" t)
    fcmp "$t >= 0.18 && $t <= 4" || { gwc_show "$n"; fail "socks5 $n: status 01 after $t s, want 0.2-4 s"; }
    fcmp "$t > ${t_max:-0}" && t_max=$t
    expect_closed "$n" "socks5 $n" 4.5
    log "socks5 $n: status 01 after $t s, then closed"
done
for n in h_bad h_bearer; do
    expect_reply "$n" status 407 "http $n"
    [ "$(header_of "$n" Proxy-Authenticate)" = 'Basic realm="mptnd"' ] ||
        { gwc_show "$n"; fail "http $n: no Proxy-Authenticate: Basic realm=\"mptnd\""; }
    t=$(reply_of "$n" t)
    fcmp "$t >= 0.18 && $t <= 4" || { gwc_show "$n"; fail "http $n: 407 after $t s, want 0.2-4 s"; }
    fcmp "$t > ${t_max:-0}" && t_max=$t
    expect_closed "$n" "http $n" 4.5
    log "http $n: 407 with the challenge after $t s, then closed"
done
# R14: five failures from one source within the window: the delay doubles
# (0.2, 0.4, 0.8, 1.6, 3.2 s), so the slowest of these four waited >= 0.8 s
fcmp "${t_max:-0} >= 0.7" || fail "no escalation: the slowest refusal came after ${t_max:-0} s"
since_has "$mark" "failure [45] in 10 min; answering in [0-9]+ ms" ||
    fail "the log does not count the failures"
log "wrong passwords: refusals escalate to ${t_max} s (auth-failure-delay 200ms, doubled per failure)"
# the right password was answered while (at least) the last wrong attempt was still being delayed
last=0
for n in s5bad s5nouser h_bad h_bearer; do
    w=$(reply_of "$n" t_wall)
    fcmp "$w > $last" && last=$w
done
fcmp "$(reply_of s5fast t_wall) < $last" ||
    fail "every wrong password was refused before the right one was served: is the delay a sleep?"
log "right password served in ${t_fast} s, while wrong attempts were in their delay"
nfail=$(log_since "$mark" | grep -c "authentication failed for user" || true)
[ "$nfail" -ge 5 ] || fail "$nfail 'authentication failed for user' lines for 5 wrong attempts"
since_has "$mark" "authentication failed for user 'mallory'" ||
    fail "no 'authentication failed for user 'mallory'' line"

# only "no authentication" offered: method ff at once
gwc s5none "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" ||
    { gwc_show s5none; fail "socks5 without credentials: client failed"; }
expect_reply s5none method ff "socks5 offering only no-auth"
fcmp "$(reply_of s5none t) < 0.5" || fail "method ff took $(reply_of s5none t) s"
expect_closed s5none "socks5 offering only no-auth"
log "socks5 offering only no-auth: method ff, closed"

# ---- 3. HTTP CONNECT ------------------------------------------------------------------
gwc hok "tcp:127.0.0.1:$HP" http "127.0.0.1:$EP" --auth "alice:$PW_A" --xfer 256k ||
    { gwc_show hok; fail "http with the right password: client failed"; }
expect_reply hok status 200 "http right password"
expect_xfer hok $((256 * 1024)) "http right password"
curl_get "curl -p --proxy-user alice" -p --proxy "http://127.0.0.1:$HP" --proxy-user "alice:$PW_A"
gwc hnone "tcp:127.0.0.1:$HP" http "127.0.0.1:$EP" ||
    { gwc_show hnone; fail "http without credentials: client failed"; }
expect_reply hnone status 407 "http without credentials"
[ "$(header_of hnone Proxy-Authenticate)" = 'Basic realm="mptnd"' ] ||
    { gwc_show hnone; fail "http 407 without Proxy-Authenticate: Basic realm=\"mptnd\""; }
fcmp "$(reply_of hnone t) < 0.5" || fail "407 without credentials took $(reply_of hnone t) s (no delay expected)"
expect_closed hnone "http without credentials"
log "http: 200 with the right password; 407 + challenge at once without credentials"

# ---- 4. the log -----------------------------------------------------------------------------
mptnd_alive || fail "mptnd died"
for secret in "$PW_A" "$PW_B" "$PW_WRONG" "$(printf '%s' "alice:$PW_A" | base64)" \
              "$(printf '%s' "alice:$PW_WRONG" | base64)"; do
    if grep -Fq -- "$secret" "$MPTND_LOG"; then
        fail "a password appears in the mptnd log: $(grep -F -- "$secret" "$MPTND_LOG" | head -n 1)"
    fi
done
log "no password, plain or base64, in $(wc -l < "$MPTND_LOG") log lines"

# ---- 5. SOCKS4/4a carry no password: refused (last; fails on the daemon of 2026-11-23) --
acc0=$(accepted_count echo)
for p in socks4 socks4a; do
    dest="127.0.0.1:$EP"; [ "$p" = socks4a ] && dest="localhost:$EP"
    gwc "$p" "tcp:127.0.0.1:$SP" "$p" "$dest" --userid alice --xfer 1k ||
        { gwc_show "$p"; fail "$p to an auth gateway: client failed"; }
    [ "$(reply_of "$p" rep)" = 91 ] ||
        later_fail "$p to a gateway that requires a password: rep=$(reply_of "$p" rep), want 91"
done
[ "$(accepted_count echo)" = "$acc0" ] ||
    later_fail "a SOCKS4 request without a password reached the target ($(( $(accepted_count echo) - acc0 )) connection(s))"
[ -s "$T/.later-fails" ] || log "socks4 and socks4a refused (91) by the password gateway"
finish_mptnd
check_later_fails
pass "socks5 and http auth: right, wrong (delayed, escalating), missing; socks4 refused"
