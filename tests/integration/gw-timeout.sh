#!/usr/bin/env bash
# gw-timeout.sh - connect failures through the gateways (RELIABILITY R3).
#  1. On loopback: a refused target (a reserved port with no listener)
#     gives SOCKS5 05, SOCKS4 91 and HTTP 502 within 100 ms of the request.
#     A name that does not resolve gives SOCKS5 04 and HTTP 502: mptnd's
#     `nameserver` is a python3 DNS responder of this test on 127.0.0.1
#     (tests/gw-lib.sh start_dns) that answers NXDOMAIN (and must have been
#     asked).  R16: a name whose answer takes 1 s gets 00 after about 1 s
#     while another client is served in < 0.5 s meanwhile; a name the
#     server never answers gets a refusal within 1.5-6.6 s (c-ares: 2 s, then
#     4 s on the retry).
#  2. In a network namespace of this test (mptnd-gwt-PID, only lo), where an
#     nftables rule drops SYNs to port 20001 silently: with connect-timeout
#     1s, SOCKS5 gets 06, SOCKS4 91 and HTTP 504 after 0.9-2 s, and each
#     connection is closed after its reply.  A destination with no route
#     (10.224.0.1: the namespace has no route but lo) gives SOCKS5 03 and
#     HTTP 502 at once.
# Part 2 skips (77) without root, ip netns or nft, after part 1 passed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$_lib_dir/gw-lib.sh"

# ---- 1. refused, and a name that does not resolve ---------------------------------------------
CLOSED=$(pick_port); SP=$(pick_port); HP=$(pick_port)
listening_tcp "$CLOSED" && fail "port $CLOSED unexpectedly has a listener"
start_dns dns slow.gw-timeout.test=127.0.0.1@1 never.gw-timeout.test=drop
DNSP=$DNS_PORT

cat > "$T/gw.conf" <<EOF
nameserver 127.0.0.1:$DNSP
listener s {
    listen tcp://127.0.0.1:$SP
    gateway socks
}
listener h {
    listen tcp://127.0.0.1:$HP
    gateway http-connect
}
EOF
start_mptnd -v -v -f "$T/gw.conf"
start_peer echo tcp:127.0.0.1:0 echo --count 0 --conc --timeout 120
EP=${PEER_PORT[echo]}
# R16, in the background while the rest runs: a DNS server that never answers
# is given up on within c-ares' timeout x tries (2 s x 2), and an answer that
# takes 1 s delays only its own client
gwc_bg never "tcp:127.0.0.1:$SP" socks5 "never.gw-timeout.test:$EP" --xfer 1k --timeout 15
gwc_bg slow "tcp:127.0.0.1:$SP" socks5 "slow.gw-timeout.test:$EP" --xfer 64k --timeout 15
wait_for_line "$T/dns.out" '^query slow\.gw-timeout\.test' 5 || fail "the slow name was never asked for"
gwc quick "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP" --xfer 64k || { gwc_show quick; fail "a client during the slow lookup failed"; }
expect_reply quick rep 00 "a client during the slow lookup"
expect_xfer quick 65536 "a client during the slow lookup"
t=$(field t_total "$(out_line quick '^done ')")
fcmp "$t < 0.5" || fail "a client took $t s while another's name lookup was pending"
log "a client is served in $t s while another's DNS answer takes 1 s"

# fails_fast NAME KEY WANT MAX LABEL ARGS...: the reply's KEY is WANT within MAX s, then the close.
fails_fast() {
    local name=$1 key=$2 want=$3 max=$4 label=$5 t; shift 5
    gwc "$name" "$@" --xfer 1k || { gwc_show "$name"; fail "$label: client failed"; }
    expect_reply "$name" "$key" "$want" "$label"
    t=$(reply_of "$name" t)
    fcmp "$t < $max" || { gwc_show "$name"; fail "$label: the reply took $t s, want < $max s"; }
    expect_closed "$name" "$label" 3
    log "$label: $key=$want after $t s, closed"
}
fails_fast r5 rep 05 0.1 "socks5 to a refused port" "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$CLOSED"
fails_fast r4 rep 91 0.1 "socks4 to a refused port" "tcp:127.0.0.1:$SP" socks4 "127.0.0.1:$CLOSED"
fails_fast rh status 502 0.1 "http to a refused port" "tcp:127.0.0.1:$HP" http "127.0.0.1:$CLOSED"
fails_fast nx5 rep 04 2 "socks5 to a name that does not resolve" "tcp:127.0.0.1:$SP" socks5 "nothing.gw-timeout.test:80"
fails_fast nx4a rep 91 2 "socks4a to a name that does not resolve" "tcp:127.0.0.1:$SP" socks4a "nothing.gw-timeout.test:80"
fails_fast nxh status 502 2 "http to a name that does not resolve" "tcp:127.0.0.1:$HP" http "nothing.gw-timeout.test:80"
grep -q '^query nothing\.gw-timeout\.test' "$T/dns.out" || fail "mptnd never asked the test's DNS responder"
peer_wait slow 10
[ "$WAIT_RC" = 0 ] || { gwc_show slow; fail "the client whose name took 1 s to resolve failed"; }
expect_reply slow rep 00 "slow.gw-timeout.test (answered after 1 s)"
expect_xfer slow 65536 "slow.gw-timeout.test"
t=$(reply_of slow t)
fcmp "$t >= 0.9 && $t < 3" || fail "slow.gw-timeout.test: reply after $t s, want about 1 s"
log "slow.gw-timeout.test: resolved after $t s, 64 KiB echoed"
peer_wait never 15
[ "$WAIT_RC" = 0 ] || { gwc_show never; fail "never.gw-timeout.test: client exit $WAIT_RC (no reply?)"; }
rep=$(reply_of never rep); t=$(reply_of never t)
case $rep in 00|-|"") gwc_show never; fail "never.gw-timeout.test (DNS never answers): rep=$rep";; esac
# c-ares doubles its 2 s timeout on the retry: 2 s + 4 s
fcmp "$t >= 1.5 && $t <= 6.6" || fail "never.gw-timeout.test: reply after $t s, want within c-ares' 2 s + 4 s"
expect_closed never "never.gw-timeout.test" 7.5
log "never.gw-timeout.test (no DNS answer): rep=$rep after $t s"
grep -q 'reason=connect-failed' "$MPTND_LOG" || fail "no reason=connect-failed close line"
finish_mptnd

# ---- 2. black hole and no route, in a namespace ------------------------------------------------
require_netns
command -v nft >/dev/null || skip "nftables (nft) not installed (part 1 passed)"
NS=mptnd-gwt-$$
make_netns "$NS"
MPTND_PREFIX=(ip netns exec "$NS")
GWC_PREFIX=(ip netns exec "$NS")
PEER_PREFIX=(ip netns exec "$NS")
BH=20001 SPN=20010 HPN=20011                  # a private namespace: no collisions
ip netns exec "$NS" nft -f - <<EOF || fail "nft rules failed"
table inet mptnd_gwt {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport $BH tcp flags & (syn | ack) == syn counter drop
    }
}
EOF
run_client probe "tcp:127.0.0.1:$BH" probe --timeout 1 && fail "black-holed port $BH accepted a connection"
grep -q '^probe=timeout' "$T/probe.out" || fail "port $BH is not black-holed: $(peer_out probe)"

cat > "$T/ns.conf" <<EOF
listener s {
    listen tcp://127.0.0.1:$SPN
    gateway socks
    connect-timeout 1s
}
listener h {
    listen tcp://127.0.0.1:$HPN
    gateway http-connect
    connect-timeout 1s
}
EOF
start_mptnd -v -v -f "$T/ns.conf"
gwc_bg bh5 "tcp:127.0.0.1:$SPN" socks5 "127.0.0.1:$BH" --xfer 1k
gwc_bg bh4 "tcp:127.0.0.1:$SPN" socks4 "127.0.0.1:$BH" --xfer 1k
gwc_bg bhh "tcp:127.0.0.1:$HPN" http "127.0.0.1:$BH" --xfer 1k
fails_fast nr5 rep 03 0.5 "socks5 to 10.224.0.1 (no route)" "tcp:127.0.0.1:$SPN" socks5 10.224.0.1:80
fails_fast nrh status 502 0.5 "http to 10.224.0.1 (no route)" "tcp:127.0.0.1:$HPN" http 10.224.0.1:80
for n in bh5 bh4 bhh; do
    peer_wait "$n" 15
    [ "$WAIT_RC" = 0 ] || { gwc_show "$n"; fail "$n: client exit $WAIT_RC"; }
done
# timed_out NAME KEY WANT LABEL: KEY=WANT after 0.9-2 s (connect-timeout 1s), then the close.
timed_out() {
    local t
    expect_reply "$1" "$2" "$3" "$4"
    t=$(reply_of "$1" t)
    fcmp "$t >= 0.9 && $t <= 2" || { gwc_show "$1"; fail "$4: the reply came after $t s, want 0.9-2 s"; }
    expect_closed "$1" "$4" 3
    log "$4: $2=$3 after $t s, closed"
}
timed_out bh5 rep 06 "socks5 to a black hole"
timed_out bh4 rep 91 "socks4 to a black hole"
timed_out bhh status 504 "http to a black hole"
drops=$(ip netns exec "$NS" nft list chain inet mptnd_gwt input | sed -n 's/.*packets \([0-9]*\).*/\1/p')
[ "${drops:-0}" -ge 3 ] || fail "nftables dropped ${drops:-0} SYNs, expected at least 3"
finish_mptnd
pass "refused: 05/91/502 < 100 ms; NXDOMAIN: 04/502; no route: 03/502; black hole: 06/91/504 after ~1 s"
