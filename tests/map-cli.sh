#!/bin/sh
# map-cli.sh - `mptnd --map NAME:PORT -f FILE` prints where each gateway
# listener sends a name: the first matching map rule (filled in lower case),
# srv: templates, the DNS default, and refusals of names unsafe for a
# template; bad queries and configurations without a gateway are errors.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/m.conf" <<'CONF'
listener g {
    listen tcp://127.0.0.1:1080
    gateway socks
    map web.svc.test:80 unix:/run/web.sock
    map *.svc.test:*    unix:/run/svc/{label}-{port}.sock
    map *.sig.test:*    srv:_sig._tcp.sig.test
}
CONF
fail=0
check() {	# check QUERY EXPECTED-LINE
	got=$("$MPTND" --map "$1" -f "$tmp/m.conf" 2>&1)
	if [ "$got" != "$2" ]; then
		echo "FAIL: --map $1: got '$got', want '$2'"
		fail=1
	else
		echo "ok: --map $1"
	fi
}
check web.svc.test:80 "g: web.svc.test:80 -> unix:/run/web.sock"
check web.svc.test:81 "g: web.svc.test:81 -> unix:/run/svc/web-81.sock"
check API.Svc.Test:9 "g: API.Svc.Test:9 -> unix:/run/svc/api-9.sock"
check x.sig.test:5060 "g: x.sig.test:5060 -> srv:_sig._tcp.sig.test"
check example.org:443 "g: example.org:443 -> tcp://example.org:443 (no map rule: DNS)"
check '[2001:db8::1]:22' "g: 2001:db8::1:22 -> tcp://[2001:db8::1]:22 (no map rule: DNS)"
check 'a/b.svc.test:80' "g: a/b.svc.test:80 -> refused: 'a/b.svc.test' cannot fill map template unix:/run/svc/{label}-{port}.sock"
"$MPTND" --map nocolon -f "$tmp/m.conf" >/dev/null 2>&1
[ $? = 2 ] || { echo "FAIL: --map without a port should exit 2"; fail=1; }
"$MPTND" --map a:1 --listen tcp://127.0.0.1:1 --target tcp://h:1 >/dev/null 2>&1
[ $? = 1 ] || { echo "FAIL: --map with no gateway listener should exit 1"; fail=1; }
exit $fail
