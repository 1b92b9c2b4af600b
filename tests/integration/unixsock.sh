#!/usr/bin/env bash
# unixsock.sh - unix listener file handling.
#  1. "unix:PATH?mode=0600": the socket file exists with mode 600 once mptnd
#     is ready, relays 3 verified echoes, and is removed when mptnd exits 0
#     on SIGTERM.
#  2. PATH exists as a regular file: mptnd refuses to start (non-zero exit
#     within 10 s), its error names the path, and the file is left intact.
#  3. PATH is a stale socket (its listener was SIGKILLed): mptnd removes it,
#     starts, relays 3 echoes through it, and removes it on exit.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

start_peer echo tcp:127.0.0.1:0 echo --conc --count 0 --timeout 120
TARGET=tcp://127.0.0.1:${PEER_PORT[echo]}

# ---- 1. mode, relay, removal on exit -------------------------------------------
S=$(sock_path mode)
start_mptnd --listen "unix:$S?mode=0600" --target "$TARGET"
[ -S "$S" ] || fail "no socket at $S after ready"
m=$(stat -c %a "$S")
[ "$m" = 600 ] || fail "socket $S has mode $m, want 600"
run_client m1 "unix:$S" many 3 --timeout 10 || fail "no relay through $S: $(peer_out m1)"
stop_mptnd TERM
[ "$MPTND_RC" = 0 ] || fail "mptnd exit $MPTND_RC on SIGTERM"
[ -e "$S" ] && fail "mptnd left its socket file $S behind"
log "mode=0600 applied, relay ok, socket removed on exit"

# ---- 2. a regular file in the way -----------------------------------------------
R=$T/regular-file.sock
echo "precious data" > "$R"
start_mptnd_nowait --listen "unix:$R" --target "$TARGET"
wait_pid "$MPTND_PID" 10 || fail "mptnd kept running with a regular file at its socket path"
[ "$WAIT_RC" != 0 ] || fail "mptnd exited 0 although $R is a regular file"
tail -n +2 "$MPTND_LOG" | grep -qF -- "$R" ||
    fail "the start-up error does not name $R"
[ -f "$R" ] && [ "$(cat "$R")" = "precious data" ] || fail "mptnd removed or changed the regular file $R"
log "regular file at the path: refused to start (exit $WAIT_RC): $(tail -n +2 "$MPTND_LOG" | grep -F -- "$R" | head -n1)"

# ---- 3. a stale socket ------------------------------------------------------------
ST=$(sock_path stale)
# started from a subshell so this shell does not report the SIGKILL
( "$TPEER" listen "unix:$ST" hold --timeout 30 > "$T/stale.out" 2>&1 & echo $! > "$T/stale.pid" )
spid=$(cat "$T/stale.pid"); track_pid "$spid"
wait_for_line "$T/stale.out" '^ready' 5 || fail "setup: stale listener did not start"
kill -KILL "$spid"
for _ in $(seq 1 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
[ -S "$ST" ] || fail "setup: no stale socket left at $ST"
run_client st0 "unix:$ST" probe --timeout 2 && fail "setup: the stale socket still accepts"
start_mptnd --listen "unix:$ST" --target "$TARGET"
run_client st1 "unix:$ST" many 3 --timeout 10 || fail "no relay through the re-used path $ST: $(peer_out st1)"
stop_mptnd TERM
[ "$MPTND_RC" = 0 ] || fail "mptnd exit $MPTND_RC on SIGTERM"
[ -e "$ST" ] && fail "mptnd left its socket file $ST behind"
log "stale socket replaced, relay ok, removed on exit"
pass
