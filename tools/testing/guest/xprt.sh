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
PAR_ECHOES=${PAR_ECHOES:-20}

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
event_of() { # event_of NAME: what smbxprt_test's handler counted
	awk -v n="$1" '{ for (i = 1; i < NF; i++) if ($i == n) print $(i + 1) }' $T/events
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
	peak0=$(stat_of in_flight_peak)
	pids=""
	for i in $(seq 64); do
		(printf "$PAR_ECHOES" >$T/echo) &
		pids="$pids $!"
	done
	failed=0
	for p in $pids; do wait "$p" || failed=$((failed + 1)); done
	t_check "$name: 64 concurrent ECHO tasks ($PAR_ECHOES each), $failed failed" test $failed = 0
	# They really overlapped: many requests were in flight at once.
	t_check "$name: ... up to $(stat_of in_flight_peak) requests were in flight at once (was $peak0)" \
		test "$(stat_of in_flight_peak)" -ge 16
	echoes=$(stat_of echoes)
	t_check "$name: the transport counted every ECHO ($echoes)" test "${echoes:-0}" -ge $((SEQ_ECHOES + 64 * PAR_ECHOES))
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

# A soak of SOAK_SECONDS (60) against ksmbd on a hard transport (T = 5 s),
# mixing the faults: ksmbd is stopped and started again over and over while
# 6 tasks make replayable calls, one makes calls that are not replayable,
# and one is killed in the middle of calls. Replayable calls all complete
# (reissued after each reconnect); the others succeed or fail with EIO and
# nothing else; every killed task returns within 2 s. kmemleak (at the end)
# and lockdep (the gate) must stay silent.
SOAK_SECONDS=${SOAK_SECONDS:-60}
soak_loop() { # soak_loop TAG FLAGS: calls until /tmp/soak.stop, outcomes to /tmp/soak.TAG
	local tag=$1 flags=$2 n=0 err
	: >/tmp/soak."$tag"
	while [ ! -e /tmp/soak.stop ]; do
		if err=$(printf '20 %s 120000' "$flags" 2>&1 >$T/call); then
			n=$((n + 20))
		else
			echo "${err##*: }" >>/tmp/soak."$tag"
		fi
	done
	echo "ok $n" >>/tmp/soak."$tag"
}
killer_loop() { # SIGKILL a caller in the middle of its calls, time its exit
	local pid t0
	: >/tmp/soak.kill
	while [ ! -e /tmp/soak.stop ]; do
		(printf '50 256 120000' >$T/call 2>/dev/null) &
		pid=$!
		sleep 0.$((RANDOM % 9 + 1))
		# The kernel's clock marks the kill; the test module logs the
		# call's return with the caller's pid.
		echo "<7>soak: kill $pid" >/dev/kmsg
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
	done
}
t_check "hard transport to ksmbd (T = 5 s)" ctl connect "127.0.0.1 445 210 311 1 15000 5000 2"
ctl echo 5
rm -f /tmp/soak.*
soak_pids=""
for i in 1 2 3 4 5 6; do
	soak_loop r$i 256 &
	soak_pids="$soak_pids $!"
done
soak_loop n 0 &
soak_pids="$soak_pids $!"
killer_loop &
soak_pids="$soak_pids $!"
t_end=$(($(date +%s) + SOAK_SECONDS))
restarts=0 worst_ms=0 never=0
while [ "$(date +%s)" -lt "$t_end" ]; do
	sleep 3
	ksmbd_down
	ksmbd_up
	restarts=$((restarts + 1))
	t_up=$(date +%s%N)
	ms=""
	for _ in $(seq 300); do
		if [ "$(info_of state)" = Connected ]; then
			ms=$((($(date +%s%N) - t_up) / 1000000))
			break
		fi
		sleep 0.1
	done
	echo "    restart $restarts: reconnected ${ms:-never} ms after ksmbd listened again"
	if [ -z "$ms" ]; then never=$((never + 1)); elif [ "$ms" -gt "$worst_ms" ]; then worst_ms=$ms; fi
done
touch /tmp/soak.stop
for p in $soak_pids; do wait "$p"; done
t_check "soak: ksmbd restarted $restarts times in ${SOAK_SECONDS} s, the transport reconnected every time (slowest ${worst_ms} ms)" \
	test "$restarts" -ge 3 -a "$never" = 0
rfail=$(cat /tmp/soak.r* | grep -vc '^ok ')
rdone=$(cat /tmp/soak.r* | sed -n 's/^ok //p' | paste -sd+ | bc)
t_check "soak: $rdone replayable calls completed across the restarts, $rfail failed" \
	test "$rfail" = 0 -a "${rdone:-0}" -gt 0
nerr=$(grep -v '^ok ' /tmp/soak.n | sort | uniq -c | paste -sd,)
t_check "soak: calls that are not replayable succeeded or failed with EIO only (${nerr:-no errors}; $(sed -n 's/^ok //p' /tmp/soak.n) succeeded)" \
	sh -c '! grep -v "^ok " /tmp/soak.n | grep -qv "Input/output error"'
# For each kill that hit a call, the time until the call returned (ms), from the
# kernel's timestamps: "soak: kill PID", then "... failed: -4 (pid PID)".
dmesg | awk '
	{ t = substr($0, 2, index($0, "]") - 2) + 0 }
	/soak: kill [0-9]+/ { k[$NF] = t }
	/failed: -4 \(pid [0-9]+\)/ { p = $NF; sub(/\)/, "", p); if (p in k) { printf "%d\n", (t - k[p]) * 1000; delete k[p] } }
	' >/tmp/soak.kill
# (A kill that found its shell not yet in the call leaves no return line;
# a call that never returned would have hung the `wait` above.)
kills=$(wc -l </tmp/soak.kill)
slowest=$(sort -n /tmp/soak.kill | tail -n1)
echo "    SIGKILL to return, slowest five (ms): $(sort -n /tmp/soak.kill | tail -n 5 | paste -sd' ')"
t_check "soak: $kills callers killed mid-call each returned within 2 s (slowest ${slowest:-?} ms; $(stat_of cancels) CANCELs)" \
	test "$kills" -ge 3 -a "${slowest:-9999}" -le 2000
t_check "soak: the handler heard of every loss ($(event_of disconnected) disconnected, $(event_of connected) connected; $(stat_of disconnects) disconnects)" \
	test "$(event_of disconnected)" -ge "$restarts" -a "$(event_of connected)" -ge "$restarts"
ctl release x

# The same with a soft transport (T = 3 s): with ksmbd away, a call fails
# within the request timer instead of waiting for it.
t_check "soft transport to ksmbd (T = 3 s)" ctl connect "127.0.0.1 445 210 311 1 15000 3000 1"
ctl echo 3
ksmbd_down
t0=$(date +%s%N)
err=$(printf '1 256 60000' 2>&1 >$T/call | sed 's/.*error: //')
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "soft: with ksmbd down a call fails within T + 5 s (${ms} ms: ${err:-no error})" \
	test -n "$err" -a "$ms" -le 8000
t_check "ksmbd listens again" ksmbd_up
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
