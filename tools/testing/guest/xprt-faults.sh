#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smbxprt against a server that misbehaves on purpose (tools/testing/fakesmb.py),
# in both receive modes: replies one byte at a time, several replies in one
# segment, replies to unknown MessageIds, a malformed header, a frame longer
# than negotiated, no credits, a reset mid-reply, interim replies. Each case
# asserts what the transport did (results, errnos, its counters) and what the
# server saw.
set -u
T=/sys/kernel/debug/smbxprt_test
X=/sys/kernel/debug/smbxprt
PORT=4450
FAKELOG=/tmp/fakesmb.log
CONTROL=/tmp/fakesmb.scenario
FAKE=""
CASE=0

stat_of() {
	awk -v n="$1" '$1 == n { print $2 }' "$X"/*/stats 2>/dev/null | tail -n1
}

# One fake server for the whole run (Python starts slowly under TCG); each
# case names its scenario in the control file, and its own connections are
# numbered from 1.
start_fake() {
	echo normal >"$CONTROL"
	python3 "$SMBFS_REPO/tools/testing/fakesmb.py" --control "$CONTROL" "$PORT" "$FAKELOG" &
	FAKE=$!
	for _ in $(seq 300); do
		grep -q '^listening' "$FAKELOG" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "    the fake server did not start"
	return 1
}

fake() { # fake SCENARIO: the next connections get SCENARIO
	CASE=$((CASE + 1))
	echo "$1 $CASE" >"$CONTROL"
	: >"$FAKELOG"
}

connect() { # connect MODE: a transport to the fake server, SMB 2.1
	printf '127.0.0.1 %s 210 210 %s 5000' "$PORT" "$1" >$T/connect
}

release() {
	printf x >$T/release
}

# launch TAG K FLAGS N: K writers in the background, each N calls with
# FLAGS (0: not replayable, 2: SMB_XPRT_CALL_REPLAYABLE); collect TAG then
# counts how many succeeded (ok_TAG) and how many failed with EIO (eio_TAG).
launch() {
	local tag=$1 k=$2 flags=$3 n=$4 i
	rm -f /tmp/call."$tag".*
	for i in $(seq "$k"); do
		(
			if printf '%s %s 15000' "$n" "$flags" >$T/call 2>/tmp/call."$tag".$i.err; then
				echo 0 >/tmp/call."$tag".$i.rc
			else
				echo 1 >/tmp/call."$tag".$i.rc
			fi
		) &
	done
}

collect() {
	local tag=$1
	wait_calls
	eval "ok_$tag=$(cat /tmp/call."$tag".*.rc 2>/dev/null | grep -c '^0$')"
	eval "eio_$tag=$(cat /tmp/call."$tag".*.err 2>/dev/null | grep -c 'Input/output error')"
	grep -h . /tmp/call."$tag".*.err 2>/dev/null | sed 's/.*error: //' | sort | uniq -c | sed 's/^/    '"$tag"': /'
}

wait_calls() {
	local p
	for p in $(jobs -p); do
		[ "$p" = "$FAKE" ] || wait "$p"
	done
}

kill_timed() { # kill_timed PID: SIGKILL it; sets ms to how long it took to go
	local t0
	t0=$(date +%s%N)
	kill -9 "$1"
	wait "$1" 2>/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
}

seen() { # seen PATTERN: the fake server logged a line matching PATTERN
	grep -qE "$1" "$FAKELOG"
}

t_check "load smbxprt, smbclient, smbfs" load_modules || exit 1
t_check "load smbxprt_test" insmod "$SMBFS_MODULE_DIR/smbxprt_test.ko" || exit 1
t_check "the fake server starts" start_fake || exit 1

for mode in 1 2; do
	name=$([ $mode = 1 ] && echo softirq || echo workqueue)

	fake bytewise && connect $mode
	launch b 1 2 20
	collect b
	t_check "$name: replies written a byte per segment: 20 calls complete" test "$ok_b" = 1
	t_check "$name: ... and the parser resumed them ($(stat_of resumed_parses) resumed parses)" \
		test "$(stat_of resumed_parses)" -ge 20
	release

	fake batch && connect $mode
	launch p 8 2 5
	collect p
	t_check "$name: 8 replies per segment: 8 tasks x 5 calls complete" test "$ok_p" = 8
	t_check "$name: ... on one connection ($(stat_of connects) connects)" test "$(stat_of connects)" = 1
	release

	fake unknown-mid && connect $mode
	launch u 1 2 10
	collect u
	t_check "$name: replies to unknown MessageIds are dropped: 10 calls complete" test "$ok_u" = 1
	t_check "$name: ... counted ($(stat_of unknown_mid)), the connection kept ($(stat_of disconnects) disconnects)" \
		test "$(stat_of unknown_mid)" -ge 10 -a "$(stat_of disconnects)" = 0
	release

	for scen in malformed oversize rst; do
		fake $scen && connect $mode
		# The server breaks the connection once all 8 first calls are in.
		launch n 4 0 3
		launch r 4 2 3
		collect n
		collect r
		t_check "$name: $scen: the 4 replayable tasks complete ($ok_r)" test "$ok_r" = 4
		t_check "$name: $scen: the 4 others fail with EIO ($eio_n)" test "$eio_n" = 4
		t_check "$name: $scen: the transport reconnected (server saw conn 2)" seen '^conn 2$'
		t_check "$name: $scen: and replayed ($(stat_of replays) replays)" test "$(stat_of replays)" -ge 4
		case $scen in
		malformed) t_check "$name: malformed: counted ($(stat_of malformed))" test "$(stat_of malformed)" -ge 1 ;;
		oversize) t_check "$name: oversize: counted ($(stat_of oversized))" test "$(stat_of oversized)" -ge 1 ;;
		rst) t_check "$name: rst: the server did reset conn 1" seen '^reset conn=1$' ;;
		esac
		release
	done

	fake zero-credits && connect $mode
	launch z 1 2 3
	collect z
	t_check "$name: zero credits, nothing in flight: the calls complete after a reconnect" test "$ok_z" = 1
	t_check "$name: ... counted ($(stat_of zero_credit_resets)) and the server saw conn 2" \
		sh -c "test '$(stat_of zero_credit_resets)' -ge 1 && grep -q '^conn 2$' $FAKELOG"
	release

	fake pending && connect $mode
	t0=$(date +%s%N)
	launch i 1 2 3
	collect i
	ms=$((($(date +%s%N) - t0) / 1000000))
	t_check "$name: STATUS_PENDING, then the final reply: 3 calls complete" test "$ok_i" = 1
	t_check "$name: ... each waited for its final reply (${ms} ms for 3, 1 s each)" test "$ms" -ge 2900
	t_check "$name: ... interim replies counted ($(stat_of interim))" test "$(stat_of interim)" -ge 3
	release

	# A task killed while waiting: it returns at once, and the server is
	# asked to stop (CANCEL, with the AsyncId once an interim reply gave
	# one).
	for scen in silence pending-long; do
		fake $scen && connect $mode
		( printf '1 2 60000' >$T/call 2>/dev/null ) &
		victim=$!
		for _ in $(seq 100); do
			seen '^echo conn=1' && { [ $scen = silence ] || [ "$(stat_of interim)" -ge 1 ]; } && break
			sleep 0.1
		done
		sleep 1
		t_check "$name: $scen: the task is still waiting" kill -0 $victim
		kill_timed $victim
		t_check "$name: $scen: SIGKILL returns within 2 s (${ms} ms)" test "$ms" -le 2000
		for _ in $(seq 30); do seen '^cancel ' && break; sleep 0.1; done
		echo "    server: $(grep '^cancel' $FAKELOG)"
		if [ $scen = silence ]; then
			t_check "$name: silence: the server saw a CANCEL for the request" seen '^cancel conn=1 mid=[0-9]+ async=-$'
		else
			t_check "$name: pending-long: the CANCEL carries the AsyncId" seen '^cancel conn=1 mid=[0-9]+ async=0xa5'
		fi
		t_check "$name: $scen: counted ($(stat_of cancels) cancels)" test "$(stat_of cancels)" -ge 1
		release
	done
done

# The request timer, T = 2 s, against a server that never answers.
fake silence
printf '127.0.0.1 %s 210 210 1 5000 2000 1' "$PORT" >$T/connect
t0=$(date +%s%N)
err=$(printf '1 2 60000' 2>&1 >$T/call | sed 's/.*error: //')
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "soft, T = 2 s: the call fails with ETIMEDOUT ($err)" sh -c "echo '$err' | grep -qi 'timed out'"
t_check "soft: within [T, T + 5 s] (${ms} ms)" test "$ms" -ge 2000 -a "$ms" -le 7000
t_check "soft: counted as a timer expiry ($(stat_of timeouts))" \
	test "$(stat_of timeouts)" -ge 1
release

fake silence
printf '127.0.0.1 %s 210 210 1 5000 2000 2' "$PORT" >$T/connect
( printf '1 2 120000' >$T/call 2>/dev/null ) &
victim=$!
sleep 7
t_check "hard, T = 2 s: still waiting at 3T" kill -0 $victim
t_check "hard: the unanswered probes made it reconnect ($(stat_of probe_failures) failed probes, server saw conn 2)" \
	sh -c "test '$(stat_of probe_failures)' -ge 1 && grep -q '^conn 2$' $FAKELOG"
kill_timed $victim
t_check "hard: SIGKILL returns within 2 s (${ms} ms)" test "$ms" -le 2000
for _ in $(seq 30); do seen '^cancel ' && break; sleep 0.1; done
t_check "hard: the server saw a CANCEL ($(grep '^cancel' $FAKELOG | tail -n1))" seen '^cancel conn=[0-9]+ mid=[0-9]+ async=-$'
release

kill "$FAKE"
wait "$FAKE" 2>/dev/null
t_check "rmmod smbxprt_test" rmmod smbxprt_test
t_check "rmmod smbfs smbclient smbxprt" rmmod smbfs smbclient smbxprt
kmemleak_scan
t_done
