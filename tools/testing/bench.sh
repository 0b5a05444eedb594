#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks (not tests): run on the release kernel, which is built on demand
# (no lockdep, KASAN or kmemleak to distort the figures), and print BENCH
# lines. Figures taken under QEMU/TCG are indicative only.
#
#   bench.sh xprt [ECHOES [PARALLEL [ROUNDS [READ_MIB [IN_FLIGHT]]]]]
#        ECHO round trip and throughput, per receive mode; READ throughput
#        of smbclient's asynchronous READs (4 MiB, IN_FLIGHT at a time,
#        e.g. "1 4 16") beside cifs.ko's O_DIRECT reads of the same file
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
	# 3 GiB: the READ file (1 GiB by default) lives on the guest's tmpfs.
	"$TESTING_DIR/vm.sh" --kernel release --name bench-xprt --timeout 1800 --mem 3G \
		tools/testing/guest/xprt-bench.sh "$@" | tee "$SMBFS_CACHE/work/bench-xprt.log" | grep '^BENCH' || true
	;;
*) die "unknown benchmark '$what' (known: xprt)" ;;
esac
