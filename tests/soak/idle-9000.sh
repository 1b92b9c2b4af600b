#!/usr/bin/env bash
# tests/soak/idle-9000.sh - the idle scenario at the size of the "9,000 idle
# bridges" report (RELIABILITY R5): tests/integration/idle.sh with
# IDLE_N=9000 and IDLE_SECONDS=300 (either can be overridden).  Not part of
# `make check` (about 6 minutes); run by `make soak`, or by hand:
#   MPTND=./mptnd TPEER=tests/tpeer tests/soak/idle-9000.sh
# Needs an open-file limit of at least 18,200 (mptnd holds 18,000 sockets;
# the client and the server, separate processes, 9,000 each).
export IDLE_N=${IDLE_N:-9000}
export IDLE_SECONDS=${IDLE_SECONDS:-300}
exec bash "$(cd "$(dirname "$0")" && pwd)/../integration/idle.sh" "$@"
