#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Capture real SMB2/3 traffic between cifs.ko and ksmbd as test vectors for
# the codec (rust/smbproto/tests/vectors, made by tools/testing/vectors/extract.py).
#
#   vm.sh --name capture tools/testing/guest/capture.sh [CASE...]
#
# Each case mounts the share with one dialect and security setting, runs a
# few file operations and unmounts, and leaves /results/smb<CASE>.pcap and
# /results/smb<CASE>.case (what the case was, and the test credentials, for
# extract.py). Cases (default: all):
#   2.1  2.1-sign  3.0  3.0-sign  3.0-seal  3.0.2  3.0.2-sign
#   3.1.1  3.1.1-sign  3.1.1-seal
# The plain 3.1.1 case also opens one file from a second connection
# (nosharesock) to make ksmbd send an oplock break, and takes a byte-range
# lock on it.
#
# The traffic is recorded with tcpdump on lo when the kernel has AF_PACKET;
# otherwise cifs.ko mounts through a recording relay on port 4445
# (tools/testing/vectors/relay_capture.py), which writes the same pcap shape.
set -u
ALL_CASES="2.1 2.1-sign 3.0 3.0-sign 3.0-seal 3.0.2 3.0.2-sign 3.1.1 3.1.1-sign 3.1.1-seal"
cases=""
for a in "$@"; do [ -n "$a" ] && cases="$cases $a"; done # init may pass an empty argument
cases=${cases:-$ALL_CASES}
mnt=/mnt/cifs
mnt2=/mnt/cifs2
relay=$SMBFS_REPO/tools/testing/vectors/relay_capture.py
port=445

t_check "ksmbd starts" start_ksmbd || exit 1
t_check "cifs.ko loads" modprobe cifs || exit 1
mkdir -p "$mnt" "$mnt2"

if [ -e /proc/net/packet ]; then
	method=tcpdump
else
	method=relay
	port=4445
fi
g_log "capturing with $method"

# start_capture NAME: start recording; sets cap_pid.
start_capture() {
	local name=$1 ready=/tmp/capture.ready i
	rm -f "$ready"
	if [ "$method" = tcpdump ]; then
		tcpdump -i lo -s 0 -U -w "/results/$name.pcap" 'tcp port 445' 2>/tmp/tcpdump.log &
		cap_pid=$!
		for i in $(seq 50); do grep -q listening /tmp/tcpdump.log && break; sleep 0.1; done
	else
		python3 "$relay" "$port" "/results/$name.pcap" "$ready" &
		cap_pid=$!
		for i in $(seq 50); do [ -e "$ready" ] && break; sleep 0.1; done
	fi
	kill -0 "$cap_pid" 2>/dev/null
}

stop_capture() {
	sleep 0.5
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	true
}

# The file operations; each is a separate check so a failure names itself.
# actimeo=0 and closetimeo=0 make cifs.ko ask the server rather than its
# caches, and drop_caches makes the read go to the server.
operations() {
	local m=$1
	t_check "$2: create + write" sh -c "echo hello smbfs >'$m/small.txt'"
	t_check "$2: write 8 KiB + fsync" dd if=/dev/urandom of="$m/data.bin" bs=4k count=2 conv=fsync status=none
	sync
	echo 3 >/proc/sys/vm/drop_caches
	t_check "$2: read" sh -c "cat '$m/data.bin' >/dev/null"
	t_check "$2: ls" ls -la "$m" >/dev/null
	t_check "$2: stat" stat "$m/small.txt" >/dev/null
	t_check "$2: rename" mv "$m/small.txt" "$m/renamed.txt"
	t_check "$2: truncate" truncate -s 100 "$m/data.bin"
	t_check "$2: mkdir" mkdir "$m/dir"
	t_check "$2: create in dir" touch "$m/dir/inner"
	t_check "$2: unlink" rm "$m/dir/inner" "$m/renamed.txt"
	t_check "$2: rmdir" rmdir "$m/dir"
	t_check "$2: statfs" stat -f "$m" >/dev/null
	t_check "$2: unlink" rm "$m/data.bin"
}

# lock FILE: a byte-range lock and unlock through fcntl.
lock() {
	python3 -c "
import fcntl, sys
with open(sys.argv[1], 'r+b') as f:
    fcntl.lockf(f, fcntl.LOCK_EX, 10, 0)
    fcntl.lockf(f, fcntl.LOCK_UN, 10, 0)
" "$1"
}

# An oplock break: a second connection opens a file the first holds open
# with an oplock, so ksmbd breaks the first one's oplock. Then a byte-range
# lock: while a client holds a write-caching oplock cifs.ko keeps its locks
# to itself, so only now, with the file open on two connections, does it
# send SMB2 LOCK.
oplock_break() {
	local opts=$1
	t_check "oplock: second mount (nosharesock)" \
		mount -t cifs "//127.0.0.1/$SMB_SHARE" "$mnt2" -o "$opts,nosharesock" || return
	echo data >"$mnt/contended"
	exec 7<"$mnt/contended"
	t_check "oplock: open from the second connection" sh -c "echo more >>'$mnt2/contended'"
	t_check "byte-range lock + unlock" lock "$mnt2/contended"
	exec 7<&-
	rm -f "$mnt/contended"
	t_check "oplock: umount second" umount "$mnt2"
}

for c in $cases; do
	vers=${c%%-*}
	opts="username=$SMB_USER,password=$SMB_PASS,vers=$vers,port=$port,actimeo=0,closetimeo=0"
	case "$c" in
	*-sign) opts="$opts,sign" ;;
	*-seal) opts="$opts,seal" ;;
	*-*) t_fail "unknown case $c"; continue ;;
	esac
	name=smb$c
	g_log "case $c: mount -o ${opts/password=$SMB_PASS/password=...}"
	t_check "$c: start capture ($method)" start_capture "$name" || continue
	if t_check "$c: mount" mount -t cifs "//127.0.0.1/$SMB_SHARE" "$mnt" -o "$opts"; then
		operations "$mnt" "$c"
		[ "$c" = 3.1.1 ] && oplock_break "$opts"
		t_check "$c: umount" umount "$mnt"
	fi
	stop_capture
	printf 'case=%s\nvers=%s\nsign=%s\nseal=%s\nmethod=%s\nuser=%s\npassword=%s\n' \
		"$c" "$vers" "$(case $c in *-sign) echo 1 ;; *) echo 0 ;; esac)" \
		"$(case $c in *-seal) echo 1 ;; *) echo 0 ;; esac)" "$method" "$SMB_USER" "$SMB_PASS" \
		>"/results/$name.case"
	t_check "$c: capture written ($(stat -c %s "/results/$name.pcap" 2>/dev/null || echo 0) bytes)" \
		test -s "/results/$name.pcap"
done

t_check "rmmod cifs" rmmod cifs
stop_ksmbd
t_done
