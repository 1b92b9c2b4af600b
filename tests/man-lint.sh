#!/bin/sh
# man-lint.sh - the manual pages are clean under mandoc -Tlint.
set -u
command -v mandoc >/dev/null || { echo "mandoc not installed"; exit 77; }
out=$(mandoc -Tlint -W warning "$top_srcdir"/man/*.[0-9] 2>&1)
[ -z "$out" ] || { echo "$out"; exit 1; }
for m in "$top_srcdir"/man/*.[0-9]; do
	[ -s "$m" ] || { echo "empty manual page: $m"; exit 1; }
done
echo "ok: mandoc -Tlint clean"
