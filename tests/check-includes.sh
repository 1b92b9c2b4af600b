#!/bin/sh
# check-includes.sh - dependencies run one way (STYLE.md): a transport
# includes only the interfaces it implements or uses (common.h, transport.h,
# dial.h, resolve.h, log.h, uri.h) and its own headers in transports/; the
# core never includes a backend.
set -u
fail=0
allowed='^(common|transport|dial|resolve|log|uri)\.h$'
for f in "$top_srcdir"/transports/*.c; do
	for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		# a backend's own private headers live beside it in transports/
		if ! echo "$h" | grep -Eq "$allowed" && [ ! -f "$top_srcdir/transports/$h" ]; then
			echo "FAIL: $(basename "$f") includes \"$h\" (transports may include only: $allowed)"
			fail=1
		fi
	done
done
if grep -n '#include "\.\./transports/\|#include "transports/' "$top_srcdir"/src/*.c "$top_srcdir"/src/*.h; then
	echo "FAIL: the core includes a backend"
	fail=1
fi
[ $fail = 0 ] && echo "ok: include directions"
exit $fail
