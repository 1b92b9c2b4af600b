#!/usr/bin/env python3
"""socks-bind.py PROXY_PORT VERSION - SOCKS BIND through mptnd (RFC 1928
section 6 / SOCKS4): the client asks the proxy to listen, reads the first
reply (where it listens), an "outside" peer of this script connects there,
the second reply names that peer, then bytes flow both ways and the peer's
half-close arrives. VERSION is 5 or 4. Exit 0 on success."""
import socket, struct, sys

port, version = int(sys.argv[1]), int(sys.argv[2])
c = socket.create_connection(("127.0.0.1", port), timeout=5)

def recvn(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise SystemExit("FAIL: connection closed after %d of %d bytes" % (len(b), n))
        b += d
    return b

if version == 5:
    c.sendall(b"\x05\x01\x00")
    assert recvn(c, 2) == b"\x05\x00"
    c.sendall(b"\x05\x02\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 0))
    r = recvn(c, 10)
    assert r[1] == 0, "first reply code %d" % r[1]
    where = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
else:
    c.sendall(b"\x04\x02" + struct.pack("!H", 0) + socket.inet_aton("127.0.0.1") + b"me\x00")
    r = recvn(c, 8)
    assert r[1] == 90, "first reply code %d" % r[1]
    where = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[2:4])[0])
print("proxy listens on", where)
peer = socket.create_connection(where, timeout=5)
if version == 5:
    r = recvn(c, 10)
    assert r[1] == 0, "second reply code %d" % r[1]
    got = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
else:
    r = recvn(c, 8)
    assert r[1] == 90, "second reply code %d" % r[1]
    got = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[2:4])[0])
assert got == peer.getsockname(), "second reply names %s, peer is %s" % (got, peer.getsockname())
peer.sendall(b"from-peer")
assert recvn(c, 9) == b"from-peer"
c.sendall(b"from-client")
assert recvn(peer, 11) == b"from-client"
peer.shutdown(socket.SHUT_WR)
assert c.recv(10) == b"", "half-close did not arrive"
c.sendall(b"after-eof")
assert recvn(peer, 9) == b"after-eof"
print("BIND ok")
