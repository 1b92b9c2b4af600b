#!/bin/sh
# sctp-framing-replay.sh - replay the sctp framing fuzz target over its seed
# corpus (tests/fuzz/corpus/framing); a crash or sanitizer report fails.
# (Once tests/fuzz-replay.sh lists "framing", this script can go.)
set -eu
exec "${FUZZ_REPLAY_DIR:-$(dirname "$0")/../fuzz}/replay_framing" \
    "${srcdir:-$(dirname "$0")/../..}/tests/fuzz/corpus/framing"
