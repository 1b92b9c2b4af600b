#!/usr/bin/env python3
"""gwclient.py - a scriptable SOCKS 4/4a/5 and HTTP CONNECT client for the
gateway tests (tests/integration/gw-*.sh). Python 3 standard library only.

It speaks one request to the gateway, prints exactly what came back (reply
codes in hex or decimal, HTTP status and header fields), and then, on
success, can move a stream through the tunnel like `tpeer connect ... xfer`
and print the same "done" line (so tests/lib.sh check_pair works against a
tpeer server). A raw mode sends arbitrary bytes, at once or one at a time,
for malformed and slow clients. Every run is bounded by --timeout.

usage: gwclient.py PROXY PROTO [DEST] [options]
  PROXY  tcp:HOST:PORT (HOST: IPv4, [IPv6] or a name) | unix:PATH
  PROTO  socks5 | socks4 | socks4a | http | raw
  DEST   HOST:PORT or [V6]:PORT (socks and http)
options:
  --auth USER:PASS  socks5: offer username/password (method 02) only;
                    http: a Proxy-Authorization: Basic field
  --methods HEX     socks5: the methods offered (default 00, or 02 with --auth)
  --cmd N           socks5/socks4 command byte (default 1, CONNECT)
  --atyp N          socks5: address type to send DEST as (1, 3, 4; any other
                    value is sent as-is followed by 4 zero bytes)
  --userid S        socks4/4a USERID (default empty)
  --header LINE     http: an extra header line (repeatable)
  --xfer BYTES      after a success: send BYTES (random), shut down writing,
                    read to EOF; prints "done ..." like tpeer (k/m suffixes)
  --early           with --xfer: send the payload right behind the request,
                    before the reply (a pipelining client)
  --send HEX        raw: bytes to send (spaces allowed)
  --send-text S     raw: text to send; \\r \\n \\t \\xHH escapes understood
  --repeat N        raw: send the --send/--send-text bytes N times
  --trickle SECS    raw: send one byte every SECS
  --shut            raw: shut down writing once everything is sent
  --bind ADDR       local address to connect from
  --uid N --gid N   become this uid/gid before connecting (root only)
  --timeout SECS    bound on the whole run (default 10)
output (stdout, one line each):
  reply proto=socks5 method=XX auth=XX rep=XX t=SECS t_wall=S  (a missing part is -)
  reply proto=socks4 rep=N t=SECS t_wall=S
  reply proto=http status=N t=SECS t_wall=S, then "header Name: value" per field
  done conn=1 sent=N sha_sent=HEX recv=N sha_recv=HEX t_first=S t_total=S
  closed how=eof|reset|timeout recv=N sent=N t_total=SECS data=HEX
  ("closed" follows a refusal or a raw run: what arrived until the close;
   t= and t_total= count from the moment the connection was established;
   t_wall= is when the reply was read, CLOCK_REALTIME as date +%s.%N)
exit: 0 the exchange finished (whatever the gateway answered), 1 error
(could not connect, reply malformed), 2 usage, 3 timeout.
"""

import base64
import hashlib
import ipaddress
import os
import select
import socket
import sys
import time

T0 = time.monotonic()


def usage(msg):
    sys.stderr.write("gwclient: %s\n" % msg)
    sys.exit(2)


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse_bytes(s):
    mult = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    if s and s[-1].lower() in mult:
        return int(s[:-1]) * mult[s[-1].lower()]
    return int(s)


def split_hostport(s):
    if s.startswith("["):
        host, _, rest = s[1:].partition("]")
        if not rest.startswith(":"):
            usage("bad address %r" % s)
        return host, int(rest[1:])
    host, _, port = s.rpartition(":")
    if not host:
        usage("bad address %r" % s)
    return host, int(port)


def unescape(s):
    return s.encode().decode("unicode_escape").encode("latin-1")


class Timeout(Exception):
    pass


class Closed(Exception):
    def __init__(self, how):
        Exception.__init__(self, how)
        self.how = how


class Conn:
    """A socket with a receive buffer, a deadline and byte counts."""

    def __init__(self, sock, deadline):
        self.s = sock
        self.deadline = deadline
        self.buf = b""
        self.recvd = 0
        self.sent = 0
        self.t_conn = time.monotonic()

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout()
        return left

    def fill(self):
        r, _, _ = select.select([self.s], [], [], self.left())
        if not r:
            raise Timeout()
        try:
            data = self.s.recv(65536)
        except ConnectionResetError:
            raise Closed("reset")
        if not data:
            raise Closed("eof")
        self.recvd += len(data)
        self.buf += data

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def until(self, sep, limit=65536):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise Closed("overlong")
            self.fill()
        i = self.buf.index(sep) + len(sep)
        data, self.buf = self.buf[:i], self.buf[i:]
        return data

    def send(self, data):
        self.s.settimeout(self.left())
        try:
            self.s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            raise Closed("reset")
        except socket.timeout:
            raise Timeout()
        self.s.settimeout(None)
        self.sent += len(data)

    def since(self):
        return time.monotonic() - self.t_conn


def drain_report(c, how=None):
    """Read until the peer closes (unless HOW says it has); print the closed
    line with what arrived."""
    data = c.buf
    c.buf = b""
    try:
        while how is None:
            c.fill()
            data += c.buf
            c.buf = b""
    except Closed as e:
        how = e.how
    except Timeout:
        how = "timeout"
    out("closed how=%s recv=%d sent=%d t_total=%.3f data=%s" %
        (how, len(data), c.sent, c.since(), data[:512].hex()))
    return 3 if how == "timeout" else 0


def xfer(c, size, already_sent=0, h_sent=None):
    """Send SIZE bytes (some may be out already), shut down, read to EOF."""
    hs = h_sent or hashlib.sha256()
    hr = hashlib.sha256()
    t_start = c.t_conn
    t_first = -1.0
    sent = already_sent
    recvd = 0
    if c.buf:
        hr.update(c.buf)
        recvd += len(c.buf)
        t_first = c.since()
        c.buf = b""
    chunk = b""
    shut = False
    eof = False
    c.s.setblocking(False)
    while not (shut and eof):
        left = c.left()
        want_w = [c.s] if not shut else []
        r, w, _ = select.select([c.s] if not eof else [], want_w, [], left)
        if not r and not w:
            raise Timeout()
        if r:
            try:
                data = c.s.recv(262144)
            except BlockingIOError:
                data = None
            except ConnectionResetError:
                raise Closed("reset")
            if data is not None:
                if not data:
                    eof = True
                else:
                    if t_first < 0:
                        t_first = time.monotonic() - t_start
                    hr.update(data)
                    recvd += len(data)
        if w and not shut:
            if not chunk and sent < size:
                chunk = os.urandom(min(65536, size - sent))
                hs.update(chunk)
            if chunk:
                try:
                    n = c.s.send(chunk)
                except BlockingIOError:
                    n = 0
                except (BrokenPipeError, ConnectionResetError):
                    raise Closed("reset")
                sent += n
                chunk = chunk[n:]
            if not chunk and sent >= size:
                c.s.shutdown(socket.SHUT_WR)
                shut = True
    c.sent = sent
    out("done conn=1 sent=%d sha_sent=%s recv=%d sha_recv=%s t_first=%.3f t_total=%.3f" %
        (sent, hs.hexdigest(), recvd, hr.hexdigest(), t_first, time.monotonic() - t_start))
    return 0


def socks5_addr(host, port, atyp):
    if atyp is None:
        try:
            ip = ipaddress.ip_address(host)
            atyp = 1 if ip.version == 4 else 4
        except ValueError:
            atyp = 3
    if atyp == 1:
        body = ipaddress.IPv4Address(host).packed
    elif atyp == 4:
        body = ipaddress.IPv6Address(host).packed
    elif atyp == 3:
        name = host.encode()
        body = bytes([len(name)]) + name
    else:
        body = b"\0\0\0\0"
    return bytes([atyp]) + body + port.to_bytes(2, "big")


def early_payload(o):
    """With --early: the first chunk of the --xfer payload and its hash."""
    h = hashlib.sha256()
    if not o["early"] or not o["xfer"]:
        return b"", h
    data = os.urandom(min(4096, o["xfer"]))
    h.update(data)
    return data, h


def do_socks5(c, o, host, port):
    methods = o["methods"]
    if methods is None:
        methods = b"\x02" if o["auth"] else b"\x00"
    c.send(bytes([5, len(methods)]) + methods)
    parts = {"method": "-", "auth": "-", "rep": "-"}
    t_reply = None

    def report():
        out("reply proto=socks5 method=%s auth=%s rep=%s t=%s t_wall=%.6f" %
            (parts["method"], parts["auth"], parts["rep"],
             "%.3f" % t_reply if t_reply is not None else "-", time.time()))

    try:
        r = c.exact(2)
        parts["method"] = "%02x" % r[1]
        t_reply = c.since()
        if r[0] != 5 or r[1] == 0xFF:
            report()
            return drain_report(c)
        if r[1] == 2:
            user, _, pw = (o["auth"] or ":").partition(":")
            u, p = user.encode(), pw.encode()
            c.send(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
            a = c.exact(2)
            parts["auth"] = "%02x" % a[1]
            t_reply = c.since()
            if a[1] != 0:
                report()
                return drain_report(c)
        payload, h = early_payload(o)
        c.send(bytes([5, o["cmd"], 0]) + socks5_addr(host, port, o["atyp"]) + payload)
        head = c.exact(4)
        parts["rep"] = "%02x" % head[1]
        t_reply = c.since()
        atyp = head[3]
        if atyp == 1:
            c.exact(4 + 2)
        elif atyp == 4:
            c.exact(16 + 2)
        elif atyp == 3:
            c.exact(c.exact(1)[0] + 2)
        report()
    except Closed:
        report()
        return drain_report(c)
    if head[1] != 0:
        return drain_report(c)
    if o["xfer"] is not None:
        return xfer(c, o["xfer"], len(payload), h)
    return 0


def do_socks4(c, o, host, port, v4a):
    uid = o["userid"].encode()
    payload, h = early_payload(o)
    if v4a:
        req = (bytes([4, o["cmd"]]) + port.to_bytes(2, "big") + b"\0\0\0\x01" + uid + b"\0" +
               host.encode() + b"\0")
    else:
        req = (bytes([4, o["cmd"]]) + port.to_bytes(2, "big") +
               ipaddress.IPv4Address(host).packed + uid + b"\0")
    c.send(req + payload)
    try:
        r = c.exact(8)
    except Closed:
        out("reply proto=%s rep=- t=-" % ("socks4a" if v4a else "socks4"))
        return drain_report(c)
    out("reply proto=%s rep=%d t=%.3f t_wall=%.6f" % ("socks4a" if v4a else "socks4", r[1], c.since(),
                                                      time.time()))
    if r[1] != 90:
        return drain_report(c)
    if o["xfer"] is not None:
        return xfer(c, o["xfer"], len(payload), h)
    return 0


def do_http(c, o, host, port):
    authority = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    lines = ["CONNECT %s HTTP/1.1" % authority, "Host: %s" % authority]
    if o["auth"]:
        lines.append("Proxy-Authorization: Basic " +
                     base64.b64encode(o["auth"].encode()).decode())
    lines += o["headers"]
    payload, h = early_payload(o)
    c.send(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
    try:
        head = c.until(b"\r\n\r\n")
    except Closed:
        out("reply proto=http status=- t=-")
        return drain_report(c)
    text = head.decode("latin-1").split("\r\n")
    status = text[0].split(" ")
    code = status[1] if len(status) > 1 else "-"
    out("reply proto=http status=%s t=%.3f t_wall=%.6f" % (code, c.since(), time.time()))
    for line in text[1:]:
        if line:
            out("header " + line)
    if code != "200":
        return drain_report(c)
    if o["xfer"] is not None:
        return xfer(c, o["xfer"], len(payload), h)
    return 0


def do_raw(c, o):
    data = o["send"] * o["repeat"]
    how = None
    try:
        if o["trickle"]:
            for i in range(len(data)):
                c.send(data[i:i + 1])
                until = time.monotonic() + o["trickle"]
                while time.monotonic() < until:
                    r, _, _ = select.select([c.s], [], [], until - time.monotonic())
                    if r:
                        c.fill()    # a reply is kept in c.buf; the close ends the trickle
        elif data:
            c.send(data)
        if o["shut"]:
            c.s.shutdown(socket.SHUT_WR)
    except Closed as e:
        how = e.how
    except Timeout:
        out("closed how=timeout recv=%d sent=%d t_total=%.3f data=%s" %
            (c.recvd, c.sent, c.since(), c.buf[:512].hex()))
        return 3
    return drain_report(c, how)


def main(argv):
    o = {"auth": None, "methods": None, "cmd": 1, "atyp": None, "userid": "", "headers": [],
         "xfer": None, "early": False, "send": b"", "repeat": 1, "trickle": 0.0, "shut": False,
         "bind": None, "uid": None, "gid": None, "timeout": 10.0}
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("--"):
            pos.append(a)
            i += 1
            continue
        key = a[2:]
        if key in ("early", "shut"):
            o[key] = True
            i += 1
            continue
        if i + 1 >= len(argv):
            usage("%s needs a value" % a)
        v = argv[i + 1]
        i += 2
        if key == "auth":
            o["auth"] = v
        elif key == "methods":
            o["methods"] = bytes.fromhex(v)
        elif key in ("cmd", "atyp", "repeat", "uid", "gid"):
            o[key] = int(v, 0)
        elif key == "userid":
            o["userid"] = v
        elif key == "header":
            o["headers"].append(v)
        elif key == "xfer":
            o["xfer"] = parse_bytes(v)
        elif key == "send":
            o["send"] = bytes.fromhex(v)
        elif key == "send-text":
            o["send"] = unescape(v)
        elif key in ("trickle", "timeout"):
            o[key] = float(v)
        elif key == "bind":
            o["bind"] = v
        else:
            usage("unknown option %s" % a)
    if len(pos) < 2:
        usage("PROXY PROTO [DEST] needed (see the head of this file)")
    proxy, proto = pos[0], pos[1]
    if proto not in ("socks5", "socks4", "socks4a", "http", "raw"):
        usage("unknown protocol %s" % proto)
    if proto != "raw":
        if len(pos) < 3:
            usage("%s needs DEST" % proto)
        host, port = split_hostport(pos[2])

    if o["gid"] is not None:
        os.setgroups([])
        os.setgid(o["gid"])
    if o["uid"] is not None:
        os.setuid(o["uid"])

    deadline = T0 + o["timeout"]
    try:
        if proxy.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            addr = proxy[5:]
        elif proxy.startswith("tcp:"):
            phost, pport = split_hostport(proxy[4:])
            fam = socket.AF_INET6 if ":" in phost else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            addr = (phost, pport)
            if o["bind"]:
                s.bind((o["bind"], 0))
        else:
            usage("PROXY is tcp:HOST:PORT or unix:PATH")
        s.settimeout(max(0.01, deadline - time.monotonic()))
        s.connect(addr)
        s.settimeout(None)
    except OSError as e:
        sys.stderr.write("gwclient: connect %s: %s\n" % (proxy, e))
        return 1
    c = Conn(s, deadline)
    try:
        if proto == "socks5":
            return do_socks5(c, o, host, port)
        if proto in ("socks4", "socks4a"):
            return do_socks4(c, o, host, port, proto == "socks4a")
        if proto == "http":
            return do_http(c, o, host, port)
        return do_raw(c, o)
    except Timeout:
        out("closed how=timeout recv=%d sent=%d t_total=%.3f data=" % (c.recvd, c.sent, c.since()))
        return 3
    except Closed as e:
        sys.stderr.write("gwclient: connection closed (%s) mid-transfer\n" % e.how)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
