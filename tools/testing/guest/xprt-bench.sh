#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): ECHO round trip and throughput against ksmbd, per
# receive mode. Prints figures; under QEMU/TCG they are indicative only.
# The modes alternate for ROUNDS rounds so that drift in the host's load
# shows up as spread rather than as a difference between modes.
#   make bench-xprt ARGS="2000 8 3"      (ECHOES PARALLEL ROUNDS)
set -u
N=${1:-2000}
PAR=${2:-8}
ROUNDS=${3:-3}
T=/sys/kernel/debug/smbxprt_test
start_ksmbd && load_modules && insmod "$SMBFS_MODULE_DIR/smbxprt_test.ko" || exit 1
for round in $(seq "$ROUNDS"); do for mode in 1 2; do
	name=$([ $mode = 1 ] && echo softirq || echo workqueue)
	printf '127.0.0.1 445 210 311 %s' $mode >$T/connect || exit 1
	printf 200 >$T/echo # warm up
	printf '%s' "$N" >$T/bench || exit 1
	echo "BENCH round $round $name sequential: $(cat $T/result)"
	t0=$(date +%s%N)
	for i in $(seq "$PAR"); do (printf '%s' "$N" >$T/echo) & done
	wait
	ns=$(($(date +%s%N) - t0))
	echo "BENCH round $round $name parallel: $PAR tasks x $N echoes in $((ns / 1000000)) ms = $((PAR * N * 1000000000 / ns)) echoes/s"
	printf x >$T/release
done; done
