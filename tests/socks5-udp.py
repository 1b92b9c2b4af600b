#!/usr/bin/env python3
"""socks5-udp.py PROXY_PORT ECHO_PORT - a small SOCKS5 UDP ASSOCIATE client of
the project's own (RFC 1928 section 7): associates through mptnd, sends
datagrams to an echo socket it owns by IPv4 address and by name, checks each
answer's header and payload, checks that a fragment is dropped and that the
association ends with its control connection. Exit 0 on success."""
import socket, struct, sys, time
proxy = ("127.0.0.1", int(sys.argv[1])); echo_port = int(sys.argv[2])
# UDP echo server
es = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); es.bind(("127.0.0.1", echo_port))
c = socket.create_connection(proxy)
c.sendall(b"\x05\x01\x00"); assert c.recv(2) == b"\x05\x00"
c.sendall(b"\x05\x03\x00\x01" + socket.inet_aton("0.0.0.0") + struct.pack("!H", 0))
r = c.recv(10); assert r[1] == 0, r
bnd = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0]); print("bound", bnd)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)
for i, (atyp, addr) in enumerate([(1, socket.inet_aton("127.0.0.1")), (3, bytes([9]) + b"localhost")]):
    payload = b"ping%d" % i
    u.sendto(b"\x00\x00\x00" + bytes([atyp]) + addr + struct.pack("!H", echo_port) + payload, bnd)
    data, src = es.recvfrom(100); assert data == payload, data
    es.sendto(b"pong%d" % i, src)
    d, _ = u.recvfrom(200)
    assert d[3] == 1 and d[10:] == b"pong%d" % i, d
    print("ok", i, d[10:])
# fragment is dropped
u.sendto(b"\x00\x00\x01\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", echo_port) + b"frag", bnd)
es.settimeout(0.5)
try: es.recvfrom(100); print("FAIL: fragment was relayed"); sys.exit(1)
except socket.timeout: print("fragment dropped")
c.close(); time.sleep(0.3)
u.sendto(b"\x00\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", echo_port) + b"after", bnd)
try: es.recvfrom(100); print("FAIL: association outlived its control connection"); sys.exit(1)
except socket.timeout: print("association ended with control connection")
