#!/bin/sh
# config-cases.sh - every folder under tests/conf/good must pass `mptnd -t`
# and print (with -v) exactly its `expected` effective configuration; every
# folder under tests/conf/bad must fail with exit 1 and exactly its `error`
# line (FILE:LINE: message) on stderr.
set -u
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in "$srcdir"/tests/conf/good/*/; do
	name=$(basename "$d")
	if ! (cd "$d" && "$MPTND" -t -v -f mptnd.conf >"$tmp/out" 2>"$tmp/err"); then
		echo "FAIL good/$name: rejected: $(cat "$tmp/err")"; fail=1; continue
	fi
	if ! diff -u "$d/expected" "$tmp/out"; then
		echo "FAIL good/$name: effective configuration differs"; fail=1; continue
	fi
	echo "ok good/$name"
done
for d in "$srcdir"/tests/conf/bad/*/; do
	name=$(basename "$d")
	(cd "$d" && "$MPTND" -t -f mptnd.conf >"$tmp/out" 2>"$tmp/err")
	rc=$?
	if [ "$rc" != 1 ]; then
		echo "FAIL bad/$name: exit status $rc, want 1"; fail=1; continue
	fi
	if ! diff -u "$d/error" "$tmp/err"; then
		echo "FAIL bad/$name: error message differs"; fail=1; continue
	fi
	echo "ok bad/$name"
done
exit $fail
