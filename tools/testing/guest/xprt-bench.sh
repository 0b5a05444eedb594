#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): ECHO round trip and throughput against ksmbd, per
# receive mode; then sequential READ throughput of a file through
# smbclient's asynchronous READs (4 MiB each, N in flight, into folio
# queues), beside cifs.ko reading the same file with O_DIRECT in 4 MiB
# blocks. Prints figures; under QEMU/TCG they are indicative only. The
# modes alternate for ROUNDS rounds so that drift in the host's load shows
# up as spread rather than as a difference between modes.
#   make bench-xprt ARGS="2000 8 3 1024 '1 4 16'"
#        (ECHOES PARALLEL ROUNDS READ_MIB IN_FLIGHT...)
set -u
N=${1:-2000}
PAR=${2:-8}
ROUNDS=${3:-3}
READ_MIB=${4:-1024}
IN_FLIGHT=${5:-1 4 16}
T=/sys/kernel/debug/smbxprt_test
C=/sys/kernel/debug/smbclient_test
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
rmmod smbxprt_test

# READ: a file of READ_MIB MiB on the share (tmpfs), read whole by each
# client in turn, the page cache of neither involved (smbclient has none;
# cifs.ko reads O_DIRECT).
insmod "$SMBFS_MODULE_DIR/smbclient_test.ko" || exit 1
dd if=/dev/zero of="$SMB_SHARE_DIR/bench.bin" bs=4M count=$((READ_MIB / 4)) status=none || exit 1
bytes=$((READ_MIB << 20))
printf '%s' "127.0.0.1 445 \\\\127.0.0.1\\$SMB_SHARE $SMB_USER $SMB_PASS 311 311" >$C/create || exit 1
mkdir -p /mnt/cifs
modprobe cifs || exit 1
mount -t cifs "//127.0.0.1/$SMB_SHARE" /mnt/cifs -o "username=$SMB_USER,password=$SMB_PASS,vers=3.1.1" || exit 1
for round in $(seq "$ROUNDS"); do
	for n in $IN_FLIGHT; do
		printf '%s' "0 bench.bin $bytes 4194304 $n" >$C/abench || exit 1
		echo "BENCH round $round smbclient READ $READ_MIB MiB, 4 MiB async READs: $(cat $C/result)"
	done
	out=$(dd if=/mnt/cifs/bench.bin of=/dev/null bs=4M iflag=direct 2>&1 | tail -n1)
	echo "BENCH round $round cifs.ko READ $READ_MIB MiB, O_DIRECT 4 MiB blocks (dd): $out"
done
umount /mnt/cifs
rmmod cifs
printf all >$C/release
rmmod smbclient_test
rm -f "$SMB_SHARE_DIR/bench.bin"
