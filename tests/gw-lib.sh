# tests/gw-lib.sh - helpers for the gateway scenarios tests/integration/gw-*.sh
# (dated 2026-11-23).  Source it right after tests/lib.sh.  The client that
# speaks SOCKS 4/4a/5 and HTTP CONNECT byte by byte is tests/gwclient.py
# (Python 3, standard library only; its head lists modes and output lines).

GWCLIENT=${GWCLIENT:-$_lib_dir/gwclient.py}
command -v python3 >/dev/null || skip "python3 not installed (the gateway tests' client is Python)"
[ -f "$GWCLIENT" ] || hard_error "gateway test client not found: $GWCLIENT"

# GWC_PREFIX: words to run gwclient.py under (e.g. ip netns exec NS).
declare -a GWC_PREFIX=()

# gwc NAME PROXY PROTO [DEST] [OPTIONS...]: run gwclient.py in the foreground;
# stdout in $T/NAME.out, stderr in $T/NAME.err; returns its exit status.
gwc() {
    local name=$1; shift
    "${GWC_PREFIX[@]}" python3 "$GWCLIENT" "$@" > "$T/$name.out" 2> "$T/$name.err"
}

# gwc_bg NAME ...: the same in the background; PEER_PID[NAME] is its PID.
gwc_bg() {
    local name=$1; shift
    "${GWC_PREFIX[@]}" python3 "$GWCLIENT" "$@" > "$T/$name.out" 2> "$T/$name.err" &
    PEER_PID[$name]=$!
    track_pid "$!"
}

# reply_of NAME KEY: KEY from gwclient NAME's "reply" line; closed_of: from its "closed" line.
reply_of() { field "$2" "$(out_line "$1" '^reply ')"; }
closed_of() { field "$2" "$(out_line "$1" '^closed ')"; }
# header_of NAME FIELD: the value of a response header field (case-insensitive name).
header_of() { awk -v f="$2" 'tolower($0) ~ "^header " tolower(f) ":" { sub(/^header [^:]*: */, ""); print; exit }' "$T/$1.out"; }

# gwc_show NAME: what gwclient NAME printed, for a failure message.
gwc_show() { echo "--- $1: $(tr '\n' '|' < "$T/$1.out" 2>/dev/null) $(tr '\n' '|' < "$T/$1.err" 2>/dev/null)" >&2; }

# expect_reply NAME KEY WANT LABEL: the reply's KEY (rep, status, method, auth) must be WANT.
expect_reply() {
    local got
    got=$(reply_of "$1" "$2")
    if [ "$got" != "$3" ]; then
        gwc_show "$1"
        fail "$4: $2=$got, want $3"
    fi
}

# expect_closed NAME LABEL [MAX_SECS]: after its reply the gateway closed the
# connection (EOF or reset, not a timeout of the client), within MAX_SECS of
# the connect (default 2) and sending nothing more.
expect_closed() {
    local how t
    how=$(closed_of "$1" how); t=$(closed_of "$1" t_total)
    case $how in
        eof|reset) ;;
        *) gwc_show "$1"; fail "$2: the gateway did not close the connection (how=${how:-none})";;
    esac
    fcmp "$t <= ${3:-2}" || { gwc_show "$1"; fail "$2: closed after $t s, want <= ${3:-2} s"; }
    [ "$(closed_of "$1" recv)" = 0 ] || { gwc_show "$1"; fail "$2: bytes after the refusal"; }
}

# expect_xfer NAME SIZE LABEL: gwclient NAME moved SIZE bytes each way through
# an echo server: both counts are SIZE and the digests are equal.
expect_xfer() {
    local l
    l=$(out_line "$1" '^done ')
    if [ -z "$l" ] || [ "$(field sent "$l")" != "$2" ] || [ "$(field recv "$l")" != "$2" ] ||
       [ "$(field sha_sent "$l")" != "$(field sha_recv "$l")" ]; then
        gwc_show "$1"
        fail "$3: the echoed stream differs (want $2 bytes each way, equal SHA-256)"
    fi
}

# wait_tcp PORT [TIMEOUT] [NETNS]: wait until something listens on TCP PORT.
wait_tcp() {
    local i
    for i in $(seq 1 "$(awk "BEGIN { printf \"%d\", ${2:-5} * 20 }")"); do
        listening_tcp "$1" "${3:-}" && return 0
        sleep 0.05
    done
    return 1
}

# start_bg NAME CMD...: run CMD in the background (output in $T/NAME.log),
# killed by PID on exit; BG_PID is its PID.
start_bg() {
    local name=$1; shift
    "$@" > "$T/$name.log" 2>&1 &
    BG_PID=$!
    track_pid "$BG_PID"
}

# make_users FILE USER PASS [USER PASS...]: a password file through
# mptnd --hash-password.
make_users() {
    local f=$1; shift
    : > "$f"
    while [ $# -ge 2 ]; do
        printf '%s\n' "$2" | "$MPTND" --hash-password "$1" >> "$f" ||
            fail "mptnd --hash-password $1 failed"
        shift 2
    done
}

# since_has MARK REGEX: a line of the mptnd log after MARK matches the
# extended REGEX (no pipe: with pipefail, grep -q ending early would make
# the writer's SIGPIPE the pipeline's status).
since_has() { grep -Eq -- "$2" <(log_since "$1"); }

# wait_since MARK REGEX [TIMEOUT]: wait until since_has MARK REGEX.
wait_since() {
    local mark=$1 re=$2 timeout=${3:-3} i
    for i in $(seq 1 "$(awk "BEGIN { printf \"%d\", $timeout * 20 }")"); do
        since_has "$mark" "$re" && return 0
        sleep 0.05
    done
    since_has "$mark" "$re"
}

# sha_of FILE: its SHA-256 in hex.
sha_of() { sha256sum < "$1" | cut -d' ' -f1; }

# accepted_count NAME: connections tpeer listener NAME accepted so far.
accepted_count() { count_lines "$T/$1.out" '^accepted '; }

# finish_mptnd: SIGTERM the current mptnd; it must exit 0 and its log must
# hold no sanitizer report (ASan, LeakSanitizer, UBSan "runtime error").
finish_mptnd() {
    mptnd_alive || fail "mptnd died"
    stop_mptnd
    [ "$MPTND_RC" = 0 ] || fail "mptnd exited $MPTND_RC on SIGTERM"
    if grep -Eq 'Sanitizer|runtime error:' "$MPTND_LOG"; then
        grep -E -m 5 'Sanitizer|runtime error:' "$MPTND_LOG" >&2
        fail "a sanitizer report in the mptnd log"
    fi
}

# start_dns NAME [RULE...]: a DNS responder of the test's own on 127.0.0.1
# (UDP, a free port; inside a namespace when PEER_PREFIX says so), for
# mptnd's `nameserver 127.0.0.1:PORT`.  Each RULE is HOST=IPV4 (an A
# record; AAAA gets an empty answer), HOST=IPV4@SECS (the same, answered
# SECS later) or HOST=drop (never answered); every other name gets
# NXDOMAIN.  Sets DNS_PORT; each query is logged as "query NAME TYPE" in
# $T/NAME.out.
start_dns() {
    local name=$1; shift
    "${PEER_PREFIX[@]}" python3 -c '
import socket, sys, threading
rules = {}
for r in sys.argv[1:]:
    host, _, what = r.partition("=")
    rules[host.lower().rstrip(".")] = what
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ready port=%d" % s.getsockname()[1], flush=True)
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 17:
        continue
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += q[i] + 1
    qtype = int.from_bytes(q[i + 1:i + 3], "big")
    i += 1 + 4                                  # the root label, QTYPE, QCLASS
    qname = ".".join(labels).lower()
    print("query %s %d" % (qname, qtype), flush=True)
    what = rules.get(qname)
    flags2 = 0x83                               # RA, NXDOMAIN
    answer = b""
    if what == "drop":
        continue
    delay = 0.0
    if what is not None:
        flags2 = 0x80                           # RA, NOERROR
        addr, _, d = what.partition("@")
        delay = float(d) if d else 0.0
        if qtype == 1:
            answer = (b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" +
                      socket.inet_aton(addr))
    head = (q[:2] + bytes([0x80 | (q[2] & 0x79), flags2]) + q[4:6] +
            (b"\x00\x01" if answer else b"\x00\x00") + bytes(4))
    reply = head + q[12:i] + answer
    if delay > 0:
        threading.Timer(delay, s.sendto, (reply, peer)).start()
    else:
        s.sendto(reply, peer)
' "$@" > "$T/$name.out" 2> "$T/$name.err" &
    PEER_PID[$name]=$!
    track_pid "$!"
    wait_for_line "$T/$name.out" '^ready' 5 || fail "DNS responder $name did not start: $(cat "$T/$name.err")"
    DNS_PORT=$(sed -n 's/^ready port=//p' "$T/$name.out")
}

# later_fail MSG: a failure that should not stop the checks after it (used
# for the daemon defects a scenario pins down, so every one is reported);
# check_later_fails at the end fails the test if there was any.
later_fail() {
    printf '%s: FAIL (going on): %s%s\n' "$TEST_NAME" "$(mode_tag)" "$*" >&2
    echo "$*" >> "$T/.later-fails"
}
check_later_fails() {
    if [ -s "$T/.later-fails" ]; then
        fail "$(wc -l < "$T/.later-fails") check(s) failed above: $(paste -sd ';' "$T/.later-fails")"
    fi
}
