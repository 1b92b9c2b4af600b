#!/bin/bash
# check-all.sh - the whole test suite, as CI runs it, on a fresh Debian 12:
# installs what is missing, then
#   1. gcc build, `make distcheck` (builds the tarball and runs every test
#      from it),
#   2. clang build with AddressSanitizer + UndefinedBehaviorSanitizer and the
#      libFuzzer targets, every test again,
# and ends with one line: "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
sh scripts/install-deps.sh test
autoreconf -fi >/dev/null 2>&1
rm -rf _build && mkdir -p _build/gcc _build/asan
log=$top/_build/check.log
: >"$log"
status=0

# run NAME CMD...: CMD's output goes to the log; the interesting lines to the console.
run() {
	local name=$1 rc
	shift
	echo "== $name"
	set +e
	("$@") 2>&1 | tee -a "$log" | grep -aE '^(PASS|FAIL|ERROR|SKIP|XPASS|# )|distribution is ready|Error'
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 0 ] || { echo "== $name FAILED (exit $rc)"; status=1; }
}

gcc_build() { cd _build/gcc && ../../configure -q && make -j2 >/dev/null && make -j2 distcheck; }
run "gcc build + make distcheck" gcc_build

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
asan_build() {
	cd _build/asan && ../../configure -q CC=clang --enable-sanitizers --enable-fuzzing &&
		make -j2 >/dev/null &&
		MATRIX_BYTES=$((16 * 1024 * 1024)) MPTND_TIME_SCALE=3 make -j2 -k check
}
run "clang + ASan/UBSan build + make check" asan_build

for f in $(find _build -name test-suite.log 2>/dev/null); do
	grep -q '^FAIL\|^ERROR' "$f" && { echo "== $f"; sed -n '1,200p' "$f"; }
done
sum() { awk -v k="$1" '$1 == "#" && $2 == k":" { n += $3 } END { print n + 0 }' "$log"; }
pass=$(sum PASS); fail=$(( $(sum FAIL) + $(sum ERROR) + $(sum XPASS) )); skip=$(sum SKIP)
[ "$status" = 0 ] || [ "$fail" -gt 0 ] || fail=1
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$status" = 0 ] && [ "$fail" = 0 ]
