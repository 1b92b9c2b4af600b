#!/usr/bin/env bash
# splice-fault.sh - splice(2) failing mid-transfer (pump-fd's fallback).
# mptnd runs with `--splice on` under the LD_PRELOAD shim tests/splice-fault.c
# (SPLICE_FAULT_LIB, built by make check as a check library): after
# SPLICE_FAIL_AFTER (default 50) splice calls of the chosen kind have moved
# data, every later one fails with EINVAL.  Per kind, a fresh mptnd and one
# bridge carrying 64 MiB each way at once:
#   in   socket -> pipe fails (tcp -> tcp)
#   out  pipe -> socket fails, with bytes in the pipe (tcp -> unix)
#   any  both kinds (unix -> tcp)
#   any with `--splice auto` (tcp -> tcp): the fallback is for good, auto
#        must not go back to splicing
# Each run passes when both SHA-256 digests match with the full byte counts,
# the close line says reason=done up=down=64 MiB, the log has mptnd's
# `splice failed` line, and the shim's exit report shows the failure came
# mid-transfer (>= SPLICE_FAIL_AFTER calls passed first) and was injected at
# most once per direction (a direction that fell back never splices again;
# with splice on, exactly once in each of the two directions), and no call of
# the other kind was failed.
# Skips (77) only when the shim library is not built.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

LIB=${SPLICE_FAULT_LIB:-$_lib_dir/.libs/libsplicefault.so}
[ -f "$LIB" ] || skip "splice fault shim not built: $LIB (make check builds tests/libsplicefault.la)"
SIZE=$(bytes "${SPLICE_FAULT_BYTES:-64m}")
AFTER=${SPLICE_FAIL_AFTER:-50}
# An ASan mptnd refuses to start when another library is preloaded ahead of
# its runtime, unless told not to check.
ASAN_PRELOAD_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# fault_run LABEL KIND SPLICE_MODE FRONT BACK
fault_run() {
    local label=$1 kind=$2 mode=$3 fk=$4 bk=$5 F_URI F_PEER B_URI l inj_in inj_out p_in p_out inj
    case $fk in
        tcp) local p; p=$(pick_port); F_URI=tcp://127.0.0.1:$p; F_PEER=tcp:127.0.0.1:$p;;
        unix) F_URI=unix:$(sock_path "f-$label"); F_PEER=$F_URI;;
    esac
    case $bk in
        tcp) start_peer "s-$label" tcp:127.0.0.1:0 xfer "$SIZE" --seed 7 --timeout 120
             B_URI=tcp://127.0.0.1:${PEER_PORT[s-$label]};;
        unix) start_peer "s-$label" "unix:$(sock_path "b-$label")" xfer "$SIZE" --seed 7 --timeout 120
              B_URI=unix:$(sock_path "b-$label");;
    esac
    MPTND_PREFIX=(env "LD_PRELOAD=$LIB" "SPLICE_FAIL_ON=$kind" "SPLICE_FAIL_AFTER=$AFTER"
                  "ASAN_OPTIONS=$ASAN_PRELOAD_OPTIONS")
    start_mptnd --splice "$mode" --listen "$F_URI" --target "$B_URI"
    MPTND_PREFIX=()
    grep -q 'splice-fault: armed' "$MPTND_LOG" || fail "$label: the shim was not loaded into mptnd ($LIB)"

    run_client "c-$label" "$F_PEER" xfer "$SIZE" --seed 3 --timeout 120 ||
        { peer_err "c-$label" >&2; fail "$label: client failed"; }
    peer_wait "s-$label" 30
    [ "$WAIT_RC" = 0 ] || { peer_err "s-$label" >&2; fail "$label: server failed"; }
    check_pair "$label" "c-$label" "s-$label" "$SIZE" "$SIZE"
    wait_for_line "$MPTND_LOG" "closed: reason=done .*up=$SIZE down=$SIZE" 5 ||
        fail "$label: no 'closed: reason=done ... up=$SIZE down=$SIZE' line"
    grep -q 'splice-fault: first injected' "$MPTND_LOG" ||
        fail "$label: the shim never failed a splice call (did mptnd splice at all?)"
    grep -q 'splice failed' "$MPTND_LOG" ||
        fail "$label: a splice call failed but mptnd logged no 'splice failed' line"

    mptnd_stop_clean
    l=$(grep 'splice-fault: exit' "$MPTND_LOG" | tail -n1)
    [ -n "$l" ] || fail "$label: no exit report from the shim"
    inj_in=$(field injected_in "$l"); inj_out=$(field injected_out "$l")
    p_in=$(field passed_in "$l"); p_out=$(field passed_out "$l")
    inj=$((inj_in + inj_out))
    case $kind in
        in) [ "$inj_out" = 0 ] || fail "$label: out calls were failed too: $l"
            [ "$p_in" -ge "$AFTER" ] || fail "$label: failed before $AFTER calls passed: $l";;
        out) [ "$inj_in" = 0 ] || fail "$label: in calls were failed too: $l"
             [ "$p_out" -ge "$AFTER" ] || fail "$label: failed before $AFTER calls passed: $l";;
        any) [ $((p_in + p_out)) -ge "$AFTER" ] || fail "$label: failed before $AFTER calls passed: $l";;
    esac
    if [ "$mode" = on ]; then
        [ "$inj" = 2 ] || fail "$label: $inj splice calls failed, want exactly 2 (one per direction, then copying for good): $l"
    else
        [ "$inj" -ge 1 ] && [ "$inj" -le 2 ] ||
            fail "$label: $inj splice calls failed, want 1 or 2 (auto must not splice again after a failure): $l"
    fi
    log "$label: 64 MiB each way intact across the fallback; $(grep -m1 'splice failed' "$MPTND_LOG" | sed 's/.*\(splice failed\)/\1/'); shim: ${l#*exit }"
    printf '%s: PASS: [splice=%s fail-on=%s] %s->%s, %s bytes each way, digests match\n' \
        "$TEST_NAME" "$mode" "$kind" "$fk" "$bk" "$SIZE" >&2
}

fault_run in in on tcp tcp
fault_run out out on tcp unix
fault_run any any on unix tcp
fault_run auto-any any auto tcp tcp
pass "splice failing mid-transfer (in, out, any; on and auto): no byte lost"
