#!/bin/sh
# install-deps.sh - install the Debian packages mptnd needs, only those
# missing. `install-deps.sh build` for building, `install-deps.sh test` for
# building and running every test (sanitizers, fuzzers, real peers).
set -eu

BUILD="build-essential autoconf automake libtool pkg-config libevent-dev libssl-dev libc-ares-dev libusrsctp-dev"
TEST="$BUILD clang libclang-rt-14-dev socat ncat curl openssl iproute2 nftables procps util-linux mandoc python3 dnsmasq-base proxychains4 libusrsctp-examples"

case "${1:-build}" in
build) want=$BUILD ;;
test) want=$TEST ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
