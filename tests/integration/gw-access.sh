#!/usr/bin/env bash
# gw-access.sh - access rules of gateway listeners (allow|deny [from CIDR]
# [uid N] [gid N] [user NAME] [to CIDR|PATTERN] [port N[-M]], first match
# wins, no match: deny; no rules: loopback and same-uid Unix clients only).
# Exact reply bytes are read by tests/gwclient.py.
#  1. mptnd -t: a gateway on a non-loopback address (10.223.0.1, 0.0.0.0, *,
#     [::]) without auth or allow rules is an error naming FILE:LINE and
#     "never an open proxy"; with auth, or with an allow rule, it is valid;
#     user/to/port rules, map and target on the wrong kind of listener and a
#     bad CIDR are errors too.
#  2. Destinations (loopback clients): deny to 127.0.0.2/32 (SOCKS5 02,
#     SOCKS4 91, HTTP 403), deny to *.blocked.test (any case; refused before
#     any name lookup), deny port P-P+1; tpeer canaries on the denied
#     destinations must never see a connection, while an allowed destination
#     relays 64 KiB each way.
#  3. Users: allow user alice; allow user bob port EP: alice anywhere, bob
#     only to EP (SOCKS5 and HTTP Basic).
#  4. Unix peer credentials: no rules -> root (mptnd's uid) is served and uid
#     65534 is refused; allow uid 65534 -> the reverse; allow gid 4242.
#  5. Non-loopback clients: mptnd runs in a network namespace of this test
#     (10.223.0.1), the clients in another (10.223.0.9 and 10.223.0.10, veth
#     pair; these addresses exist only in the two namespaces):
#     (a) auth and no rules: the password is the gate, so 10.223.0.9 with
#         the right password gets past the client rules, but 127.0.0.1 is
#         an internal destination no rule names (R15: the listener is open):
#         refused (02); a loopback client in mptnd's namespace likewise;
#     (b) allow from 10.223.0.9/32 to 127.0.0.1 port 7000: .9 served, .10
#         and another port refused (02);
#     (c) HTTP: deny from 10.223.0.10 then allow from 10.223.0.0/24 to
#         127.0.0.0/8: .9 gets 200 and relays, .10 gets 403;
#     (d) R15: with `allow from 10.223.0.0/24` (no destination named),
#         loopback, RFC 1918, CGNAT, link-local, ULA, unspecified and
#         IPv4-mapped internal destinations and localhost are all refused (02).
#  6. The IPv4-mapped IPv6 form of a denied address, [::ffff:127.0.0.2], is
#     denied too (SOCKS5 02, HTTP 403).
#  7. R15 for names: rebind.gw-access.test (A 127.0.0.1 from the test's DNS
#     responder), 127.000.000.001 and meta.gw-access.test (A 169.254.169.254)
#     are internal destinations too: refused (02), nothing reached.
# Part 4 needs root (setuid); parts 5 and 7 need root and ip netns (the
# test skips after the other parts without them).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$_lib_dir/gw-lib.sh"

# ---- 1. configuration checks -----------------------------------------------------------
# conf_bad NAME LINE REGEX: `mptnd -t -f $T/NAME.conf` exits 1 with "NAME.conf:LINE: ...REGEX".
conf_bad() {
    local rc=0
    timeout 10 "$MPTND" -t -f "$T/$1.conf" > "$T/$1.t" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "config $1: mptnd -t exited $rc, want 1: $(cat "$T/$1.t")"
    grep -Eq -- "$1\.conf:$2: .*$3" "$T/$1.t" ||
        fail "config $1: want '$1.conf:$2: ...$3', got: $(cat "$T/$1.t")"
}
conf_good() {
    timeout 10 "$MPTND" -t -f "$T/$1.conf" > "$T/$1.t" 2>&1 ||
        fail "config $1: mptnd -t refused a valid config: $(cat "$T/$1.t")"
}
make_users "$T/users" alice 'pw-Alice-1' bob 'pw-Bob-2'

for addr in 'tcp://10.223.0.1:1080' 'tcp://0.0.0.0:1080' 'tcp://*:1080' 'tcp://[::]:1080' \
            'mptcp://10.223.0.1:1080'; do
    printf '# open\nlistener g {\n    listen tcp://127.0.0.1:1080 %s\n    gateway socks\n}\n' "$addr" > "$T/open.conf"
    conf_bad open 2 "never an open proxy"
done
rc=0
timeout 10 "$MPTND" -t --listen 'tcp://0.0.0.0:1080' --gateway http-connect > "$T/cl.t" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "never an open proxy" "$T/cl.t" ||
    fail "--listen tcp://0.0.0.0:1080 --gateway http-connect: exit $rc: $(cat "$T/cl.t")"
printf 'listener g {\n    listen tcp://10.223.0.1:1080\n    gateway socks { auth password %s }\n}\n' "$T/users" > "$T/auth.conf"
conf_good auth
printf 'listener g {\n    listen tcp://10.223.0.1:1080\n    gateway http-connect\n    allow from 10.223.0.9/32\n}\n' > "$T/allow.conf"
conf_good allow
printf 'listener g {\n    listen tcp://127.0.0.1:1080 tcp://[::1]:1080 unix:%s/g.sock\n    gateway socks\n}\n' "$T" > "$T/local.conf"
conf_good local
printf 'listener r {\n    listen tcp://127.0.0.1:1080\n    target tcp://127.0.0.1:1\n    allow user alice\n}\n' > "$T/relayuser.conf"
conf_bad relayuser 1 "needs a gateway"
printf 'listener r {\n    listen tcp://127.0.0.1:1080\n    target tcp://127.0.0.1:1\n    map a.test tcp://127.0.0.1:2\n}\n' > "$T/relaymap.conf"
conf_bad relaymap 1 "map and auth apply to gateway listeners"
printf 'listener g {\n    listen tcp://127.0.0.1:1080\n    gateway socks\n    target tcp://127.0.0.1:1\n}\n' > "$T/gwtarget.conf"
conf_bad gwtarget 1 "use map rules instead of target"
printf 'listener g {\n    listen tcp://127.0.0.1:1080\n    gateway socks\n\n    allow from 10.0.0.0/33\n}\n' > "$T/badcidr.conf"
conf_bad badcidr 5 "not an address or CIDR"
printf 'listener g {\n    listen tcp://127.0.0.1:1080\n    gateway socks\n    deny port 90-80\n}\n' > "$T/badport.conf"
conf_bad badport 4 "port takes N or N-M"
log "config checks: open gateways refused (5 addresses, command line), auth/allow/local valid, misplaced rules refused"

# ---- 2. destination rules -----------------------------------------------------------------
start_peer echo tcp:127.0.0.1:0 echo --count 0 --conc --timeout 120
EP=${PEER_PORT[echo]}
start_peer c2 tcp:127.0.0.2:0 echo --count 0 --conc --timeout 120      # behind "deny to 127.0.0.2/32"
C2=${PEER_PORT[c2]}
DP=$(pick_port)
start_peer cport "tcp:127.0.0.1:$DP" echo --count 0 --conc --timeout 120  # behind "deny port DP-DP+1"
SP=$(pick_port); HP=$(pick_port); UP=$(pick_port); UHP=$(pick_port)
RULES="    deny to 127.0.0.2/32
    deny to *.blocked.test
    deny port $DP-$((DP + 1))
    allow"
cat > "$T/gw.conf" <<EOF
listener dst {
    listen tcp://127.0.0.1:$SP
    gateway socks
$RULES
}
listener dsth {
    listen tcp://127.0.0.1:$HP
    gateway http-connect
$RULES
}
listener users {
    listen tcp://127.0.0.1:$UP
    gateway socks { auth password $T/users }
    allow user alice
    allow user bob port $EP
}
listener usersh {
    listen tcp://127.0.0.1:$UHP
    gateway http-connect { auth password $T/users }
    allow user alice
    allow user bob port $EP
}
listener uxdef {
    listen unix:$T/def.sock?mode=0666
    gateway socks
}
listener uxuid {
    listen unix:$T/uid.sock?mode=0666
    gateway socks
    allow uid 65534
}
listener uxgid {
    listen unix:$T/gid.sock?mode=0666
    gateway socks
    allow gid 4242
}
EOF
start_mptnd -v -v -f "$T/gw.conf"

# ok5 NAME LABEL ARGS...: a SOCKS5/4/HTTP request that must succeed and relay 64 KiB.
ok_relay() {
    local name=$1 label=$2; shift 2
    gwc "$name" "$@" --xfer 64k || { gwc_show "$name"; fail "$label: client failed"; }
    case $(out_line "$name" '^reply ') in
        *proto=socks5*) expect_reply "$name" rep 00 "$label";;
        *proto=socks4*) expect_reply "$name" rep 90 "$label";;
        *) expect_reply "$name" status 200 "$label";;
    esac
    expect_xfer "$name" 65536 "$label"
}
# refused NAME KEY WANT LABEL ARGS...: the reply's KEY is WANT, then the close.
refused() {
    local name=$1 key=$2 want=$3 label=$4; shift 4
    gwc "$name" "$@" --xfer 1k || { gwc_show "$name"; fail "$label: client failed"; }
    expect_reply "$name" "$key" "$want" "$label"
    expect_closed "$name" "$label"
}
canaries() { echo "$(accepted_count c2)/$(accepted_count cport)"; }

mark=$(log_mark)
ok_relay d_ok "allowed destination 127.0.0.1:EP" "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$EP"
ok_relay d_okname "allowed name localhost" "tcp:127.0.0.1:$SP" socks5 "localhost:$EP"
ok_relay dh_ok "http allowed destination" "tcp:127.0.0.1:$HP" http "127.0.0.1:$EP"
refused d_cidr rep 02 "socks5 to 127.0.0.2 (deny to 127.0.0.2/32)" "tcp:127.0.0.1:$SP" socks5 "127.0.0.2:$C2"
refused d_cidr4 rep 91 "socks4 to 127.0.0.2" "tcp:127.0.0.1:$SP" socks4 "127.0.0.2:$C2"
refused dh_cidr status 403 "http to 127.0.0.2" "tcp:127.0.0.1:$HP" http "127.0.0.2:$C2"
refused d_pat rep 02 "socks5 to x.blocked.test" "tcp:127.0.0.1:$SP" socks5 "x.blocked.test:$EP"
refused d_patcase rep 02 "socks5 to A.B.BLOCKED.Test" "tcp:127.0.0.1:$SP" socks5 "A.B.BLOCKED.Test:$EP"
refused d_pat4a rep 91 "socks4a to x.blocked.test" "tcp:127.0.0.1:$SP" socks4a "x.blocked.test:$EP"
refused dh_pat status 403 "http to x.blocked.test" "tcp:127.0.0.1:$HP" http "x.blocked.test:$EP"
refused d_port rep 02 "socks5 to port DP (deny port DP-DP+1)" "tcp:127.0.0.1:$SP" socks5 "127.0.0.1:$DP"
refused dh_port status 403 "http to port DP" "tcp:127.0.0.1:$HP" http "localhost:$DP"
[ "$(canaries)" = 0/0 ] || fail "a denied destination was connected to (canary accepts 127.0.0.2/port: $(canaries))"
wait_since "$mark" "denied socks5 127\.0\.0\.2:$C2 for .*: deny to 127\.0\.0\.2/32" ||
    fail "no 'denied ... deny to 127.0.0.2/32' log line"
wait_since "$mark" "denied http x\.blocked\.test:$EP for .*: deny to \*\.blocked\.test" ||
    fail "no 'denied ... deny to *.blocked.test' log line"
since_has "$mark" "x\.blocked\.test.*name lookup|target tcp://x\.blocked" &&
    fail "a denied name was looked up or dialled"
log "destinations: 127.0.0.2/32, *.blocked.test, port $DP-$((DP + 1)) refused (02/91/403), canaries untouched; others relay"

# ---- 3. users -----------------------------------------------------------------------------
ok_relay u_alice "alice anywhere" "tcp:127.0.0.1:$UP" socks5 "127.0.0.1:$DP" --auth alice:pw-Alice-1
ok_relay u_bob "bob to EP" "tcp:127.0.0.1:$UP" socks5 "127.0.0.1:$EP" --auth bob:pw-Bob-2
refused u_bobdp rep 02 "bob to DP (allow user bob port EP only)" "tcp:127.0.0.1:$UP" socks5 "127.0.0.1:$DP" --auth bob:pw-Bob-2
expect_reply u_bobdp auth 00 "bob's password is right"
ok_relay uh_alice "http alice" "tcp:127.0.0.1:$UHP" http "127.0.0.1:$DP" --auth alice:pw-Alice-1
refused uh_bobdp status 403 "http bob to DP" "tcp:127.0.0.1:$UHP" http "127.0.0.1:$DP" --auth bob:pw-Bob-2
log "users: alice anywhere, bob only to port $EP (socks5 02 / http 403 elsewhere)"

# ---- 4. unix peer credentials ----------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
    ok_relay x_root "unix, no rules, mptnd's own uid" "unix:$T/def.sock" socks5 "127.0.0.1:$EP"
    refused x_nobody rep 02 "unix, no rules, uid 65534" "unix:$T/def.sock" socks5 "127.0.0.1:$EP" --uid 65534 --gid 65534
    ok_relay x_uid "allow uid 65534: uid 65534" "unix:$T/uid.sock" socks5 "127.0.0.1:$EP" --uid 65534 --gid 65534
    refused x_uidroot rep 02 "allow uid 65534: root" "unix:$T/uid.sock" socks5 "127.0.0.1:$EP"
    ok_relay x_gid "allow gid 4242: gid 4242" "unix:$T/gid.sock" socks5 "127.0.0.1:$EP" --uid 65534 --gid 4242
    refused x_gidno rep 02 "allow gid 4242: gid 65534" "unix:$T/gid.sock" socks5 "127.0.0.1:$EP" --uid 65534 --gid 65534
    grep -q "default (only loopback and same-uid clients without allow rules)" "$MPTND_LOG" ||
        fail "no log line naming the default rule for the uid 65534 refusal"
    log "unix credentials: default same-uid only; allow uid 65534; allow gid 4242"
else
    log "not root: unix peer credential checks skipped"
fi
finish_mptnd

# mapped_checks: part 6, against the mptnd of gw.conf (reported at the end).
mapped_checks() {
    gwc d_mapped "tcp:127.0.0.1:$SP" socks5 "[::ffff:127.0.0.2]:$C2" --xfer 1k || true
    [ "$(reply_of d_mapped rep)" = 02 ] ||
        later_fail "socks5 to [::ffff:127.0.0.2] (deny to 127.0.0.2/32): rep=$(reply_of d_mapped rep), want 02"
    gwc dh_mapped "tcp:127.0.0.1:$HP" http "[::ffff:127.0.0.2]:$C2" --xfer 1k || true
    [ "$(reply_of dh_mapped status)" = 403 ] ||
        later_fail "http to [::ffff:127.0.0.2] (deny to 127.0.0.2/32): status=$(reply_of dh_mapped status), want 403"
    [ "$(accepted_count c2)" = 0 ] || later_fail "the IPv4-mapped form of a denied address was connected to"
}

# ---- 5. non-loopback clients and R15, in network namespaces ------------------------------------
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    log "not root or no ip netns: parts 5 and 7 are skipped"
    start_mptnd -v -v -f "$T/gw.conf"
    mapped_checks
    finish_mptnd
    check_later_fails
    skip "parts 1-4 and 6 passed; parts 5 and 7 need root and ip netns"
fi
NS=mptnd-gwa-s-$$ NC=mptnd-gwa-c-$$
make_netns "$NS"; make_netns "$NC"
ip -n "$NS" link add gws type veth peer name gwc netns "$NC" || fail "veth pair failed"
ip -n "$NS" addr add 10.223.0.1/24 dev gws
ip -n "$NC" addr add 10.223.0.9/24 dev gwc
ip -n "$NC" addr add 10.223.0.10/24 dev gwc
ip -n "$NS" link set gws up
ip -n "$NC" link set gwc up
PEER_PREFIX=(ip netns exec "$NS")
start_peer nsecho tcp:127.0.0.1:7000 echo --count 0 --conc --timeout 120
start_dns nsdns rebind.gw-access.test=127.0.0.1 meta.gw-access.test=169.254.169.254
PEER_PREFIX=()
cat > "$T/ns.conf" <<NSCONF
nameserver 127.0.0.1:$DNS_PORT
listener authonly {
    listen tcp://10.223.0.1:1080 tcp://127.0.0.1:1080
    gateway socks { auth password $T/users }
}
listener fromrule {
    listen tcp://10.223.0.1:1081
    gateway socks
    allow from 10.223.0.9/32 to 127.0.0.1 port 7000
}
listener firstmatch {
    listen tcp://10.223.0.1:8080
    gateway http-connect
    deny from 10.223.0.10
    allow from 10.223.0.0/24 to 127.0.0.0/8
}
listener r15 {
    listen tcp://10.223.0.1:1082
    gateway socks
    allow from 10.223.0.0/24
}
NSCONF
MPTND_PREFIX=(ip netns exec "$NS")
start_mptnd -v -v -f "$T/ns.conf"
MPTND_PREFIX=()
NS_PID=$MPTND_PID NS_LOG=$MPTND_LOG
GWC_PREFIX=(ip netns exec "$NC")
# the veth link may take a moment to carry traffic
for i in $(seq 1 40); do
    gwc ping tcp:10.223.0.1:1081 socks5 127.0.0.1:7000 --bind 10.223.0.9 --timeout 2 && break
    sleep 0.1
done

# (a) auth and no rules: the password admits 10.223.0.9, R15 still keeps it off 127.0.0.1
refused n_auth rep 02 "(a) auth, no rules: right password from 10.223.0.9 to 127.0.0.1" \
    tcp:10.223.0.1:1080 socks5 127.0.0.1:7000 --auth alice:pw-Alice-1 --bind 10.223.0.9
expect_reply n_auth auth 00 "(a) the password itself was right"
grep -q "denied socks5 127.0.0.1:7000 for tcp://10.223.0.9:[0-9]*: an internal address" "$MPTND_LOG" ||
    fail "(a) no R15 log line for 10.223.0.9"
# ... and, the listener being open beyond loopback, R15 keeps even its
# loopback clients off internal destinations that no rule names
GWC_PREFIX=(ip netns exec "$NS")
refused n_authlo rep 02 "(a) auth, no rules: loopback client to 127.0.0.1 (R15)" \
    tcp:127.0.0.1:1080 socks5 127.0.0.1:7000 --auth alice:pw-Alice-1
GWC_PREFIX=(ip netns exec "$NC")
grep -q "denied socks5 127.0.0.1:7000 for tcp://127.0.0.1:[0-9]*: an internal address" "$MPTND_LOG" ||
    fail "(a) no R15 log line for the loopback client"

# (b) allow from .9 to 127.0.0.1 port 7000: a rule that names the internal destination
ok_relay n_from9 "(b) allow from 10.223.0.9/32 to 127.0.0.1 port 7000: from .9" \
    tcp:10.223.0.1:1081 socks5 127.0.0.1:7000 --bind 10.223.0.9
refused n_from10 rep 02 "(b) from .10" tcp:10.223.0.1:1081 socks5 127.0.0.1:7000 --bind 10.223.0.10
refused n_from9p rep 02 "(b) from .9 to another port" tcp:10.223.0.1:1081 socks5 127.0.0.1:7001 --bind 10.223.0.9

# (c) first match, over HTTP
ok_relay n_h9 "(c) http first match: from .9" tcp:10.223.0.1:8080 http 127.0.0.1:7000 --bind 10.223.0.9
refused n_h10 status 403 "(c) http first match: from .10 (deny from 10.223.0.10 first)" \
    tcp:10.223.0.1:8080 http 127.0.0.1:7000 --bind 10.223.0.10
grep -q "denied http 127.0.0.1:7000 for tcp://10.223.0.10:[0-9]*: deny from 10.223.0.10" "$MPTND_LOG" ||
    fail "(c) no log line naming the rule 'deny from 10.223.0.10'"
log "non-loopback: a right password admits, R15 keeps internal destinations; allow from ... to, and first match hold"

# (d) R15: an allow rule that names no destination opens no internal one
acc0=$(accepted_count nsecho)
n=0
for dest in 127.0.0.1:7000 127.9.9.9:7000 '[::1]:7000' '[::ffff:127.0.0.1]:7000' localhost:7000 \
            LocalHost:7000 10.223.0.1:1081 192.168.0.1:80 172.16.0.1:80 172.31.255.255:80 \
            100.64.0.1:80 169.254.169.254:80 0.0.0.0:7000 '[fd00::1]:80' '[fe80::1]:80'; do
    n=$((n + 1))
    refused "r15_$n" rep 02 "(d) R15: $dest from .9" tcp:10.223.0.1:1082 socks5 "$dest" --bind 10.223.0.9
done
[ "$(accepted_count nsecho)" = "$acc0" ] || fail "(d) an internal destination was reached"
[ "$(count_lines "$MPTND_LOG" 'an internal address, and no allow rule names it')" -ge "$n" ] ||
    fail "(d) fewer than $n R15 log lines"
log "(d) R15: $n internal destinations (loopback, RFC 1918, CGNAT, link-local, ULA, unspecified) refused"
GWC_PREFIX=()
mptnd_alive || fail "mptnd in $NS died"

# ---- 6. IPv4-mapped IPv6 destinations (fails on the daemon of 2026-11-23) ------------------------
start_mptnd -v -v -f "$T/gw.conf"
mapped_checks
finish_mptnd

# ---- 7. R15 for names that resolve to internal addresses (fails on the daemon of 2026-11-23) -----
MPTND_PID=$NS_PID MPTND_LOG=$NS_LOG
GWC_PREFIX=(ip netns exec "$NC")
acc0=$(accepted_count nsecho)
for dest in rebind.gw-access.test:7000 127.000.000.001:7000 meta.gw-access.test:80; do
    gwc r15n tcp:10.223.0.1:1082 socks5 "$dest" --bind 10.223.0.9 --xfer 1k ||
        { gwc_show r15n; fail "R15 name $dest: client failed"; }
    rep=$(reply_of r15n rep)
    [ "$rep" = 02 ] ||
        later_fail "R15: $dest resolves to an internal address, yet the open listener answered $rep (want 02)"
done
[ "$(accepted_count nsecho)" = "$acc0" ] ||
    later_fail "R15: a name resolving to 127.0.0.1 reached the echo server on 127.0.0.1:7000 through an open listener"
GWC_PREFIX=()
finish_mptnd
check_later_fails
pass "config checks; destination, user, uid/gid and client-address rules; R15"
