#!/usr/bin/env bash
# seqpacket.sh - unix-seqpacket: a message transport bridged to byte streams
# and to itself.  tests/sctprec.py makes seeded records (1 B..64 KiB) and
# checks each one's size and SHA-256 at the other end.
#  1. tcp (records of framing=length) -> unix-seqpacket?framing=length: each
#     record arrives as one message, each message comes back as one record;
#     2,000 each way on one connection at once.
#  2. unix-seqpacket -> unix-seqpacket: 2,000 messages each way keep their
#     boundaries (no framing between two message sockets); the server waits
#     1 s before reading, so mptnd's sends meet a full socket and must resume.
#  3. a unix-seqpacket?framing=length listener in front of a tcp record
#     server: 2,000 each way.
#  4. framing=none: 1 MiB of bytes from a tcp client arrive intact as
#     messages; the client's half-close reaches the message server, which
#     answers after EOF with three messages that arrive as bytes.
#  5. refused with a log line naming the cause: a message over the buffer,
#     a record header over the buffer, a stream that ends inside a record.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SCTPREC=${SCTPREC:-$_lib_dir/sctprec.py}
N=2000

# rec NAME ROLE ARGS...: sctprec in the background, output in $T/NAME.out.
rec() {
    local name=$1; shift
    python3 "$SCTPREC" "$@" > "$T/$name.out" 2> "$T/$name.err" &
    PEER_PID[$name]=$!
    track_pid "$!"
}
rec_ready() {
    wait_for_line "$T/$1.out" '^ready' 10 "${PEER_PID[$1]}" ||
        { cat "$T/$1.err" >&2; fail "record peer $1 did not become ready"; }
    PEER_PORT[$1]=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p;T;q' "$T/$1.out")
}
# rec_ok NAME: it exited 0 and checked every record.
rec_ok() {
    peer_wait "$1" 60
    [ "$WAIT_RC" = 0 ] || { cat "$T/$1.out" "$T/$1.err" >&2; fail "$1: record check failed"; }
    grep -q "^done ok sent=$N .*recv=$N " "$T/$1.out" || fail "$1: $(cat "$T/$1.out")"
}

# ---- 1. tcp records -> seqpacket messages, and back ------------------------------
S1=$(sock_path rec1); track_file "$S1"
rec r1 listen "$S1" 0 --seqpacket --expect $N --expect-seed 11 --send $N --send-seed 12 --timeout 60
rec_ready r1
P1=$(pick_port)
start_mptnd -v --listen "tcp://127.0.0.1:$P1" --target "unix-seqpacket:$S1?framing=length"
rec c1 connect 127.0.0.1 "$P1" --send $N --send-seed 11 --expect $N --expect-seed 12 --timeout 60
rec_ok c1; rec_ok r1
wait_for_count "$MPTND_LOG" "closed: reason=done" 1 10 || fail "no 'reason=done' close line"
log "tcp framing=length <-> unix-seqpacket: $N records each way, one message per record"
mptnd_stop_clean

# ---- 2. seqpacket <-> seqpacket ----------------------------------------------------
S2=$(sock_path rec2); F2=$(sock_path front2); track_file "$S2"
rec r2 listen "$S2" 0 --seqpacket --expect $N --expect-seed 21 --send $N --send-seed 22 --timeout 60 \
    --pause 1
rec_ready r2
start_mptnd -v --listen "unix-seqpacket:$F2" --target "unix-seqpacket:$S2"
rec c2 connect "$F2" 0 --seqpacket --send $N --send-seed 21 --expect $N --expect-seed 22 --timeout 60
rec_ok c2; rec_ok r2
log "unix-seqpacket <-> unix-seqpacket: $N messages each way, boundaries kept"
mptnd_stop_clean

# ---- 3. a seqpacket listener in front of a tcp record server ------------------------
rec r3 listen 127.0.0.1 0 --expect $N --expect-seed 31 --send $N --send-seed 32 --timeout 60
rec_ready r3
F3=$(sock_path front3)
start_mptnd -v --listen "unix-seqpacket:$F3?framing=length" --target "tcp://127.0.0.1:${PEER_PORT[r3]}"
rec c3 connect "$F3" 0 --seqpacket --send $N --send-seed 31 --expect $N --expect-seed 32 --timeout 60
rec_ok c3; rec_ok r3
log "unix-seqpacket?framing=length listener -> tcp: $N records each way"
mptnd_stop_clean

# ---- 4. framing=none and half-close -------------------------------------------------
cat > "$T/none.py" <<'EOF'
import hashlib, os, socket, sys
role, addr = sys.argv[1], sys.argv[2]
if role == "sink":                      # any number of connections, drained
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(addr); ls.listen(8)
    print("ready", flush=True)
    ls.settimeout(60)
    while True:
        c, _ = ls.accept(); c.settimeout(30)
        try:
            while c.recv(1 << 20):
                pass
        except OSError:
            pass
        c.close()
elif role == "server":                  # messages in until EOF, then answer
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(addr); ls.listen(1)
    print("ready", flush=True)
    ls.settimeout(30)
    c, _ = ls.accept(); c.settimeout(30)
    h, n, total, biggest = hashlib.sha256(), 0, 0, 0
    while True:
        m = c.recv(1 << 20)
        if not m:
            break
        h.update(m); n += 1; total += len(m); biggest = max(biggest, len(m))
    for a in (b"a", b"bb", b"ccc"):
        c.send(a)
    c.close()
    print("got messages=%d bytes=%d biggest=%d sha=%s" % (n, total, biggest, h.hexdigest()),
          flush=True)
else:                                   # 1 MiB of bytes, half-close, read the answer
    data = os.urandom(1 << 20)
    c = socket.create_connection(("127.0.0.1", int(addr)), timeout=30)
    for i in range(0, len(data), 50000):
        c.sendall(data[i:i + 50000])
    c.shutdown(socket.SHUT_WR)
    ans = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        ans += d
    print("sent bytes=%d sha=%s answer=%s" % (len(data), hashlib.sha256(data).hexdigest(),
          ans.decode()), flush=True)
EOF
S4=$(sock_path none4); track_file "$S4"
python3 "$T/none.py" server "$S4" > "$T/s4.out" 2> "$T/s4.err" &
PEER_PID[s4]=$!; track_pid "$!"
wait_for_line "$T/s4.out" '^ready' 10 "${PEER_PID[s4]}" || fail "framing=none server not ready"
P4=$(pick_port)
start_mptnd -v --listen "tcp://127.0.0.1:$P4" --target "unix-seqpacket:$S4"
python3 "$T/none.py" client "$P4" > "$T/c4.out" 2> "$T/c4.err" || { cat "$T/c4.err" >&2; fail "framing=none client failed"; }
peer_wait s4 30
[ "$WAIT_RC" = 0 ] || { cat "$T/s4.err" >&2; fail "framing=none server failed"; }
sha_sent=$(sed -n 's/.*sha=\([0-9a-f]*\).*/\1/p' "$T/c4.out")
sha_got=$(sed -n 's/.*sha=\([0-9a-f]*\).*/\1/p' "$T/s4.out")
[ -n "$sha_sent" ] && [ "$sha_sent" = "$sha_got" ] || fail "framing=none: $(cat "$T/c4.out") / $(cat "$T/s4.out")"
grep -q "answer=abbccc$" "$T/c4.out" || fail "the answer after half-close did not arrive: $(cat "$T/c4.out")"
log "framing=none: 1 MiB intact ($(tail -n 1 "$T/s4.out" | sed 's/ sha=.*//')), half-close carried, answer after EOF arrived"
mptnd_stop_clean

# ---- 5. refusals ---------------------------------------------------------------------
start_peer echo tcp:127.0.0.1:0 echo --conc --count 0 --timeout 60
S5=$(sock_path big5); K5=$(sock_path sink5); P5=$(pick_port); track_file "$K5"
python3 "$T/none.py" sink "$K5" > "$T/k5.out" 2> "$T/k5.err" &
PEER_PID[k5]=$!; track_pid "$!"
wait_for_line "$T/k5.out" '^ready' 10 "${PEER_PID[k5]}" || fail "sink not ready"
cat > "$T/refuse.conf" <<EOF
listener big {
    listen unix-seqpacket:$S5
    target tcp://127.0.0.1:${PEER_PORT[echo]}
    buffer 16k
}
listener rec {
    listen tcp://127.0.0.1:$P5
    target "unix-seqpacket:$K5?framing=length"
    buffer 16k
}
EOF
start_mptnd -v -f "$T/refuse.conf"
python3 - "$S5" <<'EOF'
import socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); c.settimeout(10); c.connect(sys.argv[1])
c.send(b"x" * 20000)
c.recv(100)
EOF
wait_for_line "$MPTND_LOG" "a message over 16384 bytes" 10 || fail "no log line for a message over the buffer"
python3 - "$P5" <<'EOF'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(struct.pack(">I", 1 << 20) + b"y" * 100)
c.recv(100)
EOF
wait_for_line "$MPTND_LOG" "a record of 1048576 bytes; buffer holds 16380" 10 ||
    fail "no log line for a record over the buffer"
python3 - "$P5" <<'EOF'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(struct.pack(">I", 100) + b"z" * 10)
c.shutdown(socket.SHUT_WR)
c.recv(100)
EOF
wait_for_line "$MPTND_LOG" "data ended inside a record" 10 || fail "no log line for a stream ending inside a record"
log "refused: $(grep -o 'reason=[^ ]*-error ([^)]*)' "$MPTND_LOG" | sort -u | tr '\n' ';')"
mptnd_stop_clean
pass
