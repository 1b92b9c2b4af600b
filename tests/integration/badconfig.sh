#!/usr/bin/env bash
# badconfig.sh - "mptnd -t -f FILE" end to end.  Each broken config exits 1
# and prints "FILE:LINE: " with the line of the fault: an unknown directive
# (line 4), a bad duration (line 5), a duplicate listener name (line 7, the
# second block), an include of a missing file (line 2) and of a directory
# (line 2) (both reported at the include line of the including file), an
# error inside an included file (reported as INCLUDED:2), and a listener with
# no target (reported at its "listener" line 1, or its closing "}" line 3).
# A good config, with an include, exits 0.  Each check is bounded to 10 s.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

P=$(pick_port)
failures=0

# check NAME WANT_RC [LINE...]: run mptnd -t on $T/NAME.conf; with lines given,
# stderr must contain "$T/NAME.conf:LINE: " (or FILE:LINE for CHECK_FILE).
check() {
    local name=$1 want=$2 file=${CHECK_FILE:-$T/$1.conf} rc=0 ok="" line; shift 2
    timeout 10 "$MPTND" -t -f "$T/$name.conf" > "$T/$name.out" 2>&1 || rc=$?
    if [ "$rc" = 124 ]; then
        log "FAIL $name: mptnd -t did not finish within 10 s"; failures=$((failures + 1)); return
    fi
    if [ "$rc" != "$want" ]; then
        log "FAIL $name: exit $rc, want $want; output: $(head -c 400 "$T/$name.out")"
        failures=$((failures + 1)); return
    fi
    if [ $# -gt 0 ]; then
        for line in "$@"; do
            grep -qF -- "$file:$line: " "$T/$name.out" && ok=1
        done
        if [ -z "$ok" ]; then
            log "FAIL $name: want '$file:$*: ...' on stderr, got: $(head -c 400 "$T/$name.out")"
            failures=$((failures + 1)); return
        fi
    fi
    log "ok $name: exit $rc${1:+, $(grep -m1 -F "$file:" "$T/$name.out")}"
}

cat > "$T/inc-good.conf" <<EOF
# included: a second listener
listener inc {
    listen tcp://127.0.0.1:$((P + 1))
    target unix:$T/backend.sock
}
EOF
cat > "$T/good.conf" <<EOF
workers 2
include $T/inc-good.conf
listener web {
    listen tcp://127.0.0.1:$P unix:$T/web.sock
    target tcp://127.0.0.1:1 tcp://[::1]:2 unix:$T/backend.sock
    connect-timeout 2s
    idle-timeout 30s
    buffer 64k
    max-connections 100
}
EOF
check good 0

cat > "$T/unknown.conf" <<EOF
workers 2
listener web {
    listen tcp://127.0.0.1:$P
    frobnicate yes
    target tcp://127.0.0.1:1
}
EOF
check unknown 1 4

cat > "$T/duration.conf" <<EOF
workers 2
listener web {
    listen tcp://127.0.0.1:$P
    target tcp://127.0.0.1:1
    connect-timeout 5parsecs
}
EOF
check duration 1 5

cat > "$T/duplicate.conf" <<EOF
listener web {
    listen tcp://127.0.0.1:$P
    target tcp://127.0.0.1:1
}
# the same name again

listener web {
    listen tcp://127.0.0.1:$((P + 1))
    target tcp://127.0.0.1:1
}
EOF
check duplicate 1 7

cat > "$T/include-missing.conf" <<EOF
workers 2
include $T/does-not-exist.conf
listener web {
    listen tcp://127.0.0.1:$P
    target tcp://127.0.0.1:1
}
EOF
check include-missing 1 2

mkdir "$T/a-directory.conf"
cat > "$T/include-dir.conf" <<EOF
workers 2
include $T/a-directory.conf
listener web {
    listen tcp://127.0.0.1:$P
    target tcp://127.0.0.1:1
}
EOF
check include-dir 1 2

cat > "$T/inc-bad.conf" <<EOF
# included, broken on line 2
no-such-directive here
EOF
cat > "$T/include-error.conf" <<EOF
workers 2
include $T/inc-bad.conf
EOF
CHECK_FILE=$T/inc-bad.conf check include-error 1 2

cat > "$T/notarget.conf" <<EOF
listener lonely {
    listen tcp://127.0.0.1:$P
}
EOF
check notarget 1 1 3

[ "$failures" = 0 ] || fail "$failures config check(s) wrong"
pass
