#!/usr/bin/env python3
"""sctprec.py - record generator and checker for the sctp transport's framings.

Plays either end of one TCP connection carrying records in an sctp framing:
  length      4-byte big-endian payload length, payload
  length-sid  length (4), stream id (2), PPID (4), all big endian, payload

Records are generated from a seed (sizes uniform in [--min-size, --max-size],
payloads cut from a pseudo-random pool, and for length-sid a stream id in
[0, --streams) and a PPID), so the other end, given the same seed, knows what
each record must be.  A receiving end checks every record's size, SHA-256,
stream id and PPID; with length-sid it checks order per stream only (SCTP
orders messages within a stream, not across streams).

  sctprec.py listen HOST PORT [options]    prints "ready port=P", serves one connection
  sctprec.py connect HOST PORT [options]

With --seqpacket, HOST is the path of a Unix SOCK_SEQPACKET socket (PORT is
ignored) and each record is one message, without a header: the receiving
end checks that every message is exactly one record.

options:
  --framing length|length-sid   (default length)
  --send N --send-seed S        send N records, then shut the write side
  --expect N --expect-seed S    receive and check N records, then EOF
  --echo                        expect back exactly what we send (an echo server)
  --min-size B --max-size B     record sizes (default 1 and 65536)
  --streams K                   length-sid: stream ids in [0, K) (default 4)
  --raw-header LEN              send one length header claiming LEN bytes and LEN bytes
  --wait-close                  after sending, read until the peer closes; report how
  --no-eof                      done once the expected records are in (echo servers never close)
  --pause SECS                  wait before reading (the sender meets a full socket)
  --timeout SECS                (default 60)
Prints one "done ..." line; exit 0 when every check passed, 1 otherwise.
"""
import argparse
import hashlib
import random
import socket
import struct
import sys
import threading
import time

CTL_PPID = 0x4D50544E  # reserved by peer=mptnd


def gen_records(seed, n, framing, min_size, max_size, streams):
    rnd = random.Random(seed)
    pool = rnd.randbytes((1 << 20) + max_size)
    for _ in range(n):
        size = rnd.randint(min_size, max_size)
        off = rnd.randrange(0, len(pool) - size + 1)
        sid = rnd.randrange(streams) if framing == "length-sid" else 0
        ppid = rnd.getrandbits(32) if framing == "length-sid" else 0
        if ppid == CTL_PPID:
            ppid ^= 1
        yield sid, ppid, pool[off:off + size]


def header(framing, size, sid, ppid):
    if framing == "length":
        return struct.pack(">I", size)
    return struct.pack(">IHI", size, sid, ppid)


class Result:
    def __init__(self):
        self.sent = 0
        self.sent_bytes = 0
        self.recv = 0
        self.recv_bytes = 0
        self.errors = []
        self.close_how = None
        self.send_error = None

    def fail(self, msg):
        self.errors.append(msg)


def sender(sock, args, res):
    try:
        if args.raw_header is not None:
            n = args.raw_header
            sock.sendall(header(args.framing, n, 0, 0))
            chunk = b"x" * 65536
            left = n
            while left > 0:
                k = min(left, len(chunk))
                sock.sendall(chunk[:k])
                left -= k
            res.sent += 1
            res.sent_bytes += n
        elif args.seqpacket:
            for sid, ppid, payload in gen_records(args.send_seed, args.send, args.framing,
                                                  args.min_size, args.max_size, args.streams):
                sock.send(payload)      # one message, all or nothing
                res.sent += 1
                res.sent_bytes += len(payload)
        else:
            for sid, ppid, payload in gen_records(args.send_seed, args.send, args.framing,
                                                  args.min_size, args.max_size, args.streams):
                sock.sendall(header(args.framing, len(payload), sid, ppid) + payload)
                res.sent += 1
                res.sent_bytes += len(payload)
        sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        if args.wait_close:
            res.send_error = str(e)     # the peer closing on us is what we wait for
        else:
            res.fail("send: %s" % e)


def receiver(sock, args, res, deadline):
    hl = 4 if args.framing == "length" else 10
    want = {}
    order = []
    if args.expect > 0:
        for sid, ppid, payload in gen_records(args.expect_seed, args.expect, args.framing,
                                              args.min_size, args.max_size, args.streams):
            want.setdefault(sid, []).append((ppid, payload))
            order.append(sid)
    nxt = {sid: 0 for sid in want}

    def check(sid, ppid, payload):
        """Count one received record; False (with res.errors) when it is not the next one."""
        size = len(payload)
        res.recv += 1
        res.recv_bytes += size
        i = nxt.get(sid)
        if i is None or i >= len(want.get(sid, [])):
            res.fail("record %d: unexpected (stream %d, %d bytes)" % (res.recv, sid, size))
            return False
        eppid, epayload = want[sid][i]
        nxt[sid] = i + 1
        if size != len(epayload):
            res.fail("record %d (stream %d #%d): %d bytes, want %d" %
                     (res.recv, sid, i, size, len(epayload)))
            return False
        if ppid != eppid:
            res.fail("record %d (stream %d #%d): PPID %d, want %d" %
                     (res.recv, sid, i, ppid, eppid))
            return False
        if hashlib.sha256(payload).digest() != hashlib.sha256(epayload).digest():
            res.fail("record %d (stream %d #%d, %d bytes): digest differs" %
                     (res.recv, sid, i, size))
            return False
        return True

    buf = bytearray()
    eof = False
    while True:
        # parse what we have
        while len(buf) >= hl and not args.seqpacket:
            if args.framing == "length":
                (size,) = struct.unpack_from(">I", buf, 0)
                sid, ppid = 0, 0
            else:
                size, sid, ppid = struct.unpack_from(">IHI", buf, 0)
            if len(buf) < hl + size:
                break
            payload = bytes(buf[hl:hl + size])
            del buf[:hl + size]
            if not check(sid, ppid, payload):
                return
        if eof or (args.no_eof and res.recv == args.expect and not buf):
            break
        left = deadline - time.monotonic()
        if left <= 0:
            res.fail("timeout after %d of %d records" % (res.recv, args.expect))
            return
        sock.settimeout(left)
        try:
            data = sock.recv(max(262144, args.max_size + 1))
        except ConnectionResetError:
            res.close_how = "reset"
            if args.expect > 0 or not args.wait_close:
                res.fail("connection reset after %d records" % res.recv)
            return
        except socket.timeout:
            continue
        except OSError as e:
            res.fail("recv: %s" % e)
            return
        if not data:
            eof = True
            res.close_how = "eof"
            continue
        if args.seqpacket:
            if not check(0, 0, data):  # one message, one record
                return
            continue
        buf += data
    if buf:
        res.fail("%d bytes after the last whole record" % len(buf))
    if res.recv != args.expect:
        res.fail("got %d records, want %d" % (res.recv, args.expect))


def session(sock, args):
    res = Result()
    deadline = time.monotonic() + args.timeout
    t = None
    if args.send > 0 or args.raw_header is not None:
        t = threading.Thread(target=sender, args=(sock, args, res), daemon=True)
        t.start()
    else:
        sock.shutdown(socket.SHUT_WR)
    time.sleep(args.pause)
    receiver(sock, args, res, deadline)
    if t is not None:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            res.fail("sender still blocked at the deadline (%d records sent)" % res.sent)
    sock.close()
    status = "ok" if not res.errors else "FAIL"
    print("done %s sent=%d sent_bytes=%d recv=%d recv_bytes=%d close=%s%s" %
          (status, res.sent, res.sent_bytes, res.recv, res.recv_bytes, res.close_how or "-",
           "" if not res.errors else " error=" + res.errors[0].replace(" ", "_")), flush=True)
    for e in res.errors:
        print("sctprec: %s" % e, file=sys.stderr)
    return 0 if not res.errors else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["listen", "connect"])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--framing", default="length", choices=["length", "length-sid"])
    p.add_argument("--send", type=int, default=0)
    p.add_argument("--send-seed", type=int, default=1)
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--expect-seed", type=int, default=2)
    p.add_argument("--echo", action="store_true")
    p.add_argument("--min-size", type=int, default=1)
    p.add_argument("--max-size", type=int, default=65536)
    p.add_argument("--streams", type=int, default=4)
    p.add_argument("--raw-header", type=int)
    p.add_argument("--wait-close", action="store_true")
    p.add_argument("--no-eof", action="store_true")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--seqpacket", action="store_true")
    p.add_argument("--pause", type=float, default=0,
                   help="wait this long before reading (backpressure on the sender)")
    args = p.parse_args()
    if args.seqpacket and args.framing != "length":
        p.error("--seqpacket carries no stream ids: use --framing length")
    if args.echo:
        args.expect = args.send
        args.expect_seed = args.send_seed
    if args.role == "listen":
        if args.seqpacket:
            ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            ls.bind(args.host)
        else:
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((args.host, args.port))
        ls.listen(4)
        print("ready port=%d" % (args.port if args.seqpacket else ls.getsockname()[1]),
              flush=True)
        ls.settimeout(args.timeout)
        try:
            sock, _ = ls.accept()
        except socket.timeout:
            print("done FAIL no connection", flush=True)
            return 1
        ls.close()
    elif args.seqpacket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.settimeout(args.timeout)
        sock.connect(args.host)
    else:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    if not args.seqpacket:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return session(sock, args)


if __name__ == "__main__":
    sys.exit(main())
