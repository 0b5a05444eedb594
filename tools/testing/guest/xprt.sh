#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smbxprt.ko against ksmbd, through smbxprt_test.ko (debugfs): NEGOTIATE of
# each dialect, 10,000 sequential ECHOs and 64 concurrent ECHO tasks in both
# receive modes, refused connections, a network namespace deleted under a
# live transport, unload, kmemleak.
set -u
T=/sys/kernel/debug/smbxprt_test
X=/sys/kernel/debug/smbxprt
SEQ_ECHOES=${SEQ_ECHOES:-10000}

ctl() { # ctl FILE VALUE: write, and report the errno on failure
	local f=$1
	shift
	if ! printf '%s' "$*" >"$T/$f" 2>/tmp/ctl.err; then
		echo "    $f <- '$*': $(cat /tmp/ctl.err)"
		return 1
	fi
}
stat_of() { # stat_of NAME: a counter of the (only) live transport
	awk -v n="$1" '$1 == n { print $2 }' "$X"/*/stats 2>/dev/null | tail -n1
}
info_of() {
	awk -v n="$1" '$1 == n { print $2 }' "$X"/*/info 2>/dev/null | tail -n1
}

t_check "ksmbd starts" start_ksmbd || exit 1
t_check "load smbxprt, smbclient, smbfs" load_modules || exit 1
t_check "load smbxprt_test" insmod "$SMBFS_MODULE_DIR/smbxprt_test.ko" || exit 1

t_check "a dialect range outside 2.1..3.1.1 is refused (EINVAL)" \
	sh -c "! printf '127.0.0.1 445 202 311 0' > $T/connect 2>/dev/null"
t_check "a reversed dialect range is refused" \
	sh -c "! printf '127.0.0.1 445 311 300 0' > $T/connect 2>/dev/null"

for mode in 1 2; do
	name=$([ $mode = 1 ] && echo softirq || echo workqueue)
	for d in 210 300 302 311; do
		if ctl connect "127.0.0.1 445 $d $d $mode"; then
			got=$(awk '$1 == "dialect" { print $2 }' $T/negotiated)
			t_check "$name: NEGOTIATE $d with min = max gives $d" test "$got" = "0x$d"
		else
			t_fail "$name: NEGOTIATE $d with min = max"
		fi
		ctl release x
	done
	t_check "$name: connect 2.1..3.1.1" ctl connect "127.0.0.1 445 210 311 $mode"
	t_check "$name: the highest dialect wins (3.1.1)" \
		grep -qx 'dialect 0x311' $T/negotiated
	t_check "$name: the 3.1.1 preauth hash is set" \
		sh -c "! grep -q '^preauth 00000000000000000000000000000000' $T/negotiated"
	t_check "$name: receive mode in debugfs" grep -q "recv_mode $([ $mode = 1 ] && echo Softirq || echo Workqueue)" "$X"/*/info
	# Bulk data through kernel-backed iterators, first thing on a fresh
	# connection (ksmbd drops a sessionless one after 45 s). Without a
	# session the server answers WRITE and READ with an error and grants no
	# credits for it (NEGOTIATE grants one), so a few ECHOs first build the
	# credit window. What is checked is the framing (the stream stays in
	# step) and where the bytes went.
	t_check "$name: ECHOs to build credits" ctl echo 5
	t_check "$name: a WRITE with a 12000-byte payload from an unaligned bvec is answered" \
		ctl iodata "write 12000"
	echo "    $(cat $T/result)"
	t_check "$name: ... its whole payload was sent, after the header, in one frame" \
		sh -c "grep -q 'err=0 status=0xc[0-9a-f]* .*iter_used=12000$' $T/result"
	t_check "$name: the stream is still in step (ECHO)" ctl echo 3
	t_check "$name: a READ with a bvec destination is answered" ctl iodata "read 8192"
	echo "    $(cat $T/result)"
	t_check "$name: ... its error reply arrived whole in the buffer, the bvec untouched" \
		sh -c "grep -q 'err=0 status=0xc[0-9a-f]* reply_len=7[0-9] iter_used=0$' $T/result"
	err=$(printf 'ubuf 100' 2>&1 >$T/iodata | sed 's/.*error: //')
	t_check "$name: a user-memory payload is refused with EFAULT ($err)" \
		sh -c "echo '$err' | grep -qi 'bad address'"
	t_check "$name: and nothing was sent for it (ECHO in step)" ctl echo 3
	t0=$(date +%s%N)
	t_check "$name: $SEQ_ECHOES sequential ECHOs" ctl echo "$SEQ_ECHOES"
	echo "    $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	pids=""
	for i in $(seq 64); do
		(printf 50 >$T/echo) &
		pids="$pids $!"
	done
	failed=0
	for p in $pids; do wait "$p" || failed=$((failed + 1)); done
	t_check "$name: 64 concurrent ECHO tasks (50 each), $failed failed" test $failed = 0
	echoes=$(stat_of echoes)
	t_check "$name: the transport counted every ECHO ($echoes)" test "${echoes:-0}" -ge $((SEQ_ECHOES + 64 * 50))
	if [ $mode = 1 ]; then
		t_check "softirq: replies were placed in data_ready ($(stat_of placed_in_data_ready))" \
			test "$(stat_of placed_in_data_ready)" -ge "$SEQ_ECHOES"
	else
		t_check "workqueue: replies were placed by smbiod ($(stat_of placed_by_smbiod))" \
			test "$(stat_of placed_by_smbiod)" -ge "$SEQ_ECHOES"
		t_check "workqueue: nothing placed in data_ready" test "$(stat_of placed_in_data_ready)" = 0
	fi
	t_check "$name: no malformed input, no unknown MessageIds" \
		test "$(stat_of malformed)$(stat_of unknown_mid)" = 00
	ctl release x
done

# ksmbd stopped and started again under a load of replayable calls on a
# hard transport (T = 5 s): every call completes, reissued after the
# reconnect.
listening() {
	awk '$2 ~ /:01BD$/ && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
t_check "hard transport to ksmbd (T = 5 s)" ctl connect "127.0.0.1 445 210 311 1 15000 5000 2"
ctl echo 5
pids=""
for i in $(seq 8); do
	(printf '200 2 120000' >$T/call) &
	pids="$pids $!"
done
sleep 2
stop_ksmbd
for _ in $(seq 100); do listening || break; sleep 0.1; done
t_check "ksmbd stopped in the middle of the load" sh -c '! awk '"'"'$2 ~ /:01BD$/ && $4 == "0A" { f = 1 } END { exit !f }'"'"' /proc/net/tcp /proc/net/tcp6'
sleep 1
# The configuration and the user are still there: only the daemon (which
# starts the server again) is needed.
ksmbd.mountd
for _ in $(seq 300); do listening && break; sleep 0.2; done
t_check "ksmbd listens again" listening
t_up=$(date +%s%N)
conn_ms=""
for _ in $(seq 300); do
	if [ "$(info_of state)" = Connected ]; then
		conn_ms=$((($(date +%s%N) - t_up) / 1000000))
		break
	fi
	sleep 0.1
done
echo "    reconnected ${conn_ms:-never} ms after ksmbd listened again"
t_check "the transport reconnected to the restarted ksmbd (${conn_ms:-never} ms)" test -n "$conn_ms"
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
t_check "all 8 tasks x 200 replayable calls completed across the restart ($failed failed, $(stat_of replays) replays)" \
	test $failed = 0
t_check "the restart was seen ($(stat_of disconnects) disconnects)" test "$(stat_of disconnects)" -ge 1
ctl release x

# The same with a soft transport (T = 3 s): with ksmbd away, a call fails
# within the request timer instead of waiting for it.
t_check "soft transport to ksmbd (T = 3 s)" ctl connect "127.0.0.1 445 210 311 1 15000 3000 1"
ctl echo 3
stop_ksmbd
for _ in $(seq 100); do listening || break; sleep 0.1; done
sleep 0.5
t0=$(date +%s%N)
err=$(printf '1 2 60000' 2>&1 >$T/call | sed 's/.*error: //')
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "soft: with ksmbd down a call fails within T + 5 s (${ms} ms: ${err:-no error})" \
	test -n "$err" -a "$ms" -le 8000
ksmbd.mountd
for _ in $(seq 300); do listening && break; sleep 0.2; done
t_check "ksmbd listens again" listening
ctl release x

# Nothing listens on port 1: the connect is refused and the error says so.
err=$(printf '127.0.0.1 1 210 311 0 3000' 2>&1 >$T/connect)
echo "    connect to port 1: $err"
t_check "a refused connection fails with a clear error" sh -c "echo '$err' | grep -qi 'refused'"
t_check "it keeps retrying with backoff (connect_failures $(stat_of connect_failures))" \
	test "$(stat_of connect_failures)" -ge 1
ctl release x
t_check "no transport left after release" sh -c "! ls -d $X/[0-9]* >/dev/null 2>&1"

# A namespace deleted under a live transport: the transport (in backoff,
# nothing listens there) holds no reference on it, so the namespace exits,
# and the pernet hook shuts the transport down.
ip netns add smbtest && ip -n smbtest link set lo up
t_check "connect inside a network namespace fails (no server there)" \
	sh -c "! nsenter --net=/run/netns/smbtest sh -c \"printf '127.0.0.1 445 210 311 0 2000' > $T/connect\" 2>/dev/null"
t_check "its transport exists" test -n "$(info_of state)"
ip netns delete smbtest
dead=""
for i in $(seq 100); do
	[ "$(info_of state)" = Dead ] && { dead=1; break; }
	sleep 0.2
done
t_check "deleting the namespace shuts the transport down (state Dead)" test -n "$dead"
t_check "it reports ENETDOWN to new waits" sh -c "! printf 1 > $T/echo 2>/dev/null"
ctl release x
t_check "and it is freed on release" sh -c "! ls -d $X/[0-9]* >/dev/null 2>&1"

t_check "rmmod smbxprt_test" rmmod smbxprt_test
t_check "rmmod smbfs smbclient smbxprt" rmmod smbfs smbclient smbxprt
t_check "smbxprt's debugfs directory is gone" test ! -e "$X"
stop_ksmbd
kmemleak_scan
t_done
