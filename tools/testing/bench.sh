#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks (not tests): run on the release kernel, which is built on demand
# (no lockdep, KASAN or kmemleak to distort the figures), and print BENCH
# lines. Figures taken under QEMU/TCG are indicative only.
#
#   bench.sh xprt [ECHOES [PARALLEL [ROUNDS]]]   ECHO round trip and throughput, per
#                                       receive mode
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
need_root
what=${1:-xprt}
shift || true
"$TESTING_DIR/buildroot.sh" >/dev/null
"$TESTING_DIR/kernel.sh" release >/dev/null
"$TESTING_DIR/modules.sh" release >/dev/null
case "$what" in
xprt)
	"$TESTING_DIR/vm.sh" --kernel release --name bench-xprt --timeout 1200 \
		tools/testing/guest/xprt-bench.sh "$@" | tee "$SMBFS_CACHE/work/bench-xprt.log" | grep '^BENCH' || true
	;;
*) die "unknown benchmark '$what' (known: xprt)" ;;
esac
