#!/bin/sh
# fuzz-replay.sh - replay every fuzz target over its seed corpus (and any
# crash reproducers kept beside it); a crash or sanitizer report fails.
set -eu
for t in uri config socks http record; do
	"$FUZZ_REPLAY_DIR/replay_$t" "$srcdir/tests/fuzz/corpus/$t"
done
