#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test, in stages, with their times, ending with a line
# "N passed, N failed". Nothing here is cached except what it builds: test
# results are produced afresh on every run.
#
#   check.sh [STAGE...]    run only the named stages (default: all)
#
# Stages:
#   host-lint     rustfmt, no unsafe in module logic, SPDX lines (lint.sh)
#   host-gate     the gate's own tests on recorded dmesg/KTAP fixtures
#   host-codec    the SMB2/3 codec crate: tests, rustfmt, clippy (rustc 1.85)
#   host-fuzz     each codec fuzz target for its share of ~60 s (fuzz.sh smoke)
#   clippy        the modules build clean under the kernel's clippy lints
#                 (CLIPPY=1 is part of every module build; warm: a no-op)
#   vm-baseline   boot the debug kernel without smbfs: the kernel's KUnit
#                 suites, then the peer smoke test (cifs.ko against ksmbd:
#                 write, read back, checksum, unmount), kmemleak; a report
#                 here is a "baseline" failure (kernel or server, not smbfs)
#   vm-modules    load the smbfs modules (their KUnit suites), export chain;
#                 smbclient against ksmbd (smbclient_test.ko): sessions on
#                 each dialect, bad credentials, signing, writes, getattr,
#                 rename, delete, a 1,000-entry directory, a compound, 32
#                 async 1 MiB reads, a ksmbd restart under a hard transport,
#                 the sample consumer's SHA-256; mount refusal, unload,
#                 kmemleak
#   vm-samba      smbclient against Samba (smbd from its own trixie root,
#                 sambaroot.sh), the same tests as vm-modules'
#                 (clnt-tests.sh): sessions on each dialect, signing
#                 (AES-GMAC on 3.1.1), writes, file operations, locks, an
#                 oplock break, a compound, 32 async reads, sealing and
#                 Samba's "smb encrypt = required" share,
#                 VALIDATE_NEGOTIATE_INFO, the sample consumer, a restart
#                 under a hard transport, "server signing = mandatory";
#                 kmemleak
#   vm-xprt       smbxprt against ksmbd: NEGOTIATE of each dialect, 10,000
#                 sequential and 64 concurrent ECHOs in both receive modes,
#                 bulk data through bvecs, a 60 s soak (ksmbd restarted
#                 under replayable, non-replayable and killed callers),
#                 soft failure, refused connections, netns exit, unload,
#                 kmemleak
#   vm-faults     smbxprt against a misbehaving fake server
#                 (tools/testing/fakesmb.py): split and batched replies,
#                 unknown MessageIds, malformed and oversized frames, zero
#                 credits, reset mid-reply, interim replies, SIGKILL and
#                 CANCEL, a late CREATE handed to the handlers, an oplock
#                 break, one credit at a time (FIFO), a request held while
#                 5,000 others complete, one credit per PDU over 1,000
#                 compounds, a compound whose last op goes async, one probe
#                 for 64 waiting calls, the request timer
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
# Stages run without errexit and count failures themselves.
trap - ERR

ALL_STAGES="host-lint host-gate host-codec host-fuzz clippy vm-baseline vm-modules vm-samba vm-xprt vm-faults"
stages=${*:-$ALL_STAGES}

need_root
results="$SMBFS_CACHE/work/$(tagged check -)"
rm -rf "$results"
mkdir -p "$results"
summary="$results/summary.txt"
: >"$summary"
passed=0 failed=0

# count PASSED FAILED: add to the totals (through a file per stage, so that
# stages running in the background lane count too).
CUR_STAGE=setup
count() {
	echo "$1 $2" >>"$results/$CUR_STAGE.counts"
}

run_stage() {
	local name=$1 t0 rc=0 secs
	CUR_STAGE=$name
	t0=$(date +%s)
	log "==> stage $name"
	"stage_${name//-/_}" || rc=$?
	secs=$(($(date +%s) - t0))
	printf '%-14s %-5s %s\n' "$name" "$([ $rc = 0 ] && echo PASS || echo FAIL)" "$(fmt_secs $secs)" >"$results/$name.summary"
	log "<== stage $name: $([ $rc = 0 ] && echo PASS || echo FAIL) in $(fmt_secs $secs)"
	CUR_STAGE=setup
	return 0
}

# Setup that is not a test but takes time the first time round.
prepare() {
	local t0 rc=0
	t0=$(date +%s)
	ROOT=$("$TESTING_DIR/buildroot.sh") || die "could not create the build root"
	printf '%-14s %-5s %s\n' "buildroot" "ok" "$(fmt_secs $(($(date +%s) - t0)))" >>"$summary"
	case " $stages " in *" vm-"*)
		t0=$(date +%s)
		"$TESTING_DIR/kernel.sh" debug >/dev/null || rc=$?
		printf '%-14s %-5s %s\n' "kernel-debug" "$([ $rc = 0 ] && echo ok || echo FAIL)" "$(fmt_secs $(($(date +%s) - t0)))" >>"$summary"
		[ $rc = 0 ] || die "the debug kernel did not build"
		;;
	esac
	case " $stages " in *" vm-samba "*)
		t0=$(date +%s)
		rc=0
		"$TESTING_DIR/sambaroot.sh" >/dev/null || rc=$?
		printf '%-14s %-5s %s\n' "sambaroot" "$([ $rc = 0 ] && echo ok || echo FAIL)" "$(fmt_secs $(($(date +%s) - t0)))" >>"$summary"
		[ $rc = 0 ] || { echo "the Samba root could not be created"; count 0 1; }
		;;
	esac
	case " $stages " in *" vm-modules "* | *" vm-samba "* | *" vm-xprt "* | *" vm-faults "*)
		t0=$(date +%s)
		rc=0
		"$TESTING_DIR/modules.sh" debug >"$results/modules-build.log" 2>&1 || rc=$?
		printf '%-14s %-5s %s\n' "modules" "$([ $rc = 0 ] && echo ok || echo FAIL)" "$(fmt_secs $(($(date +%s) - t0)))" >>"$summary"
		if [ $rc != 0 ]; then
			tail -n 40 "$results/modules-build.log"
			echo "the modules did not build (log: $results/modules-build.log)"
			count 0 1
		fi
		;;
	esac
}

# --- host stages -----------------------------------------------------------

stage_host_lint() {
	local out rc=0
	out=$(inroot "$ROOT" "$ROOT_REPO/tools/testing/lint.sh" 2>&1) || rc=$?
	printf '%s\n' "$out" | head -n 60
	count "$(printf '%s\n' "$out" | grep -c '^ok - ')" "$(printf '%s\n' "$out" | grep -c '^not ok - ')"
	[ $rc = 0 ] || [ "$(printf '%s\n' "$out" | grep -c '^not ok - ')" -gt 0 ] || count 0 1
	[ $rc = 0 ]
}

stage_host_gate() {
	local out rc=0 ran fails
	out=$(inroot "$ROOT" python3 -m unittest discover -s "$ROOT_REPO/tools/testing/gate" -t "$ROOT_REPO/tools/testing/gate" 2>&1) || rc=$?
	printf '%s\n' "$out" | tail -n 15
	ran=$(printf '%s\n' "$out" | sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' | tail -n1)
	fails=$(printf '%s\n' "$out" | sed -n 's/^FAILED (\(.*\))/\1/p' | grep -o '[0-9]\+' | paste -sd+ | bc)
	ran=${ran:-0} fails=${fails:-0}
	[ "$ran" -gt 0 ] || { fails=$((fails + 1)); echo "no gate tests ran"; }
	[ $rc = 0 ] || [ "$fails" -gt 0 ] || fails=1
	count $((ran - fails < 0 ? 0 : ran - fails)) "$fails"
	[ $rc = 0 ]
}

# Host-side crates build with the build root's cargo and rustc 1.85.1 (the
# kernel's compiler), with crates.io downloads and build output in the cache.
cargo_in_root() {
	local dir=$1
	shift
	INROOT_ENV="CARGO_HOME=$ROOT_CACHE/cargo CARGO_TARGET_DIR=$ROOT_CACHE/target/$(basename "$dir") CARGO_TERM_COLOR=never" \
		inroot "$ROOT" sh -c 'cd "$1" && shift && exec "$@"' - "$ROOT_REPO/$dir" "$@"
}

stage_host_codec() {
	local dir=rust/smbproto out rc=0 p f
	[ -f "$REPO_DIR/$dir/Cargo.toml" ] || { echo "no $dir"; count 0 1; return 1; }
	out=$(cargo_in_root "$dir" cargo test --locked 2>&1) || rc=$?
	printf '%s\n' "$out" | grep -E '^(test result|error|failures:|    [a-z_:]+$)|panicked' | head -n 40
	p=$(printf '%s\n' "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' | paste -sd+ | bc)
	f=$(printf '%s\n' "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' | paste -sd+ | bc)
	p=${p:-0} f=${f:-0}
	if [ $rc != 0 ] && [ "$f" = 0 ]; then
		printf '%s\n' "$out" | tail -n 30
		f=1
	fi
	count "$p" "$f"
	if cargo_in_root "$dir" cargo fmt --check >"$results/codec-fmt.log" 2>&1; then
		count 1 0
	else
		echo "cargo fmt --check: the codec is not formatted (see $results/codec-fmt.log)"
		count 0 1
		rc=1
	fi
	if cargo_in_root "$dir" cargo clippy --locked --all-targets -- -D warnings >"$results/codec-clippy.log" 2>&1; then
		count 1 0
	else
		tail -n 30 "$results/codec-clippy.log"
		echo "cargo clippy: warnings in the codec (see $results/codec-clippy.log)"
		count 0 1
		rc=1
	fi
	[ $rc = 0 ]
}

# The fuzz targets for about a minute in all: one passed per target that
# ran clean, one failed per crash (tools/testing/fuzz.sh prints how to
# replay it).
stage_host_fuzz() {
	local out rc=0 ok bad
	out=$("$TESTING_DIR/fuzz.sh" smoke "${SMBFS_FUZZ_SECONDS:-60}" 2>&1) || rc=$?
	printf '%s\n' "$out" >"$results/fuzz.log"
	printf '%s\n' "$out" | grep -E '^(fuzz-result|fuzz smoke|    )' | head -n 60
	ok=$(printf '%s\n' "$out" | grep -c '^fuzz-result: [a-z_]* ok')
	bad=$(printf '%s\n' "$out" | grep -c '^fuzz-result: [a-z_]* crash')
	if [ $rc != 0 ] && [ "$bad" = 0 ]; then
		printf '%s\n' "$out" | tail -n 20
		echo "fuzz.sh failed before fuzzing (see $results/fuzz.log)"
		bad=1
	fi
	count "$ok" "$bad"
	[ $rc = 0 ]
}

stage_clippy() {
	local rc=0
	"$TESTING_DIR/modules.sh" debug >"$results/clippy.log" 2>&1 || rc=$?
	if [ $rc = 0 ]; then
		count 1 0
	else
		grep -E '^(warning|error)' -A8 "$results/clippy.log" | head -n 60
		echo "clippy: see $results/clippy.log"
		count 0 1
	fi
	[ $rc = 0 ]
}

# --- VM stages ---------------------------------------------------------------

# vm_stage NAME GATE-ARGS -- GUEST-SCRIPT ARGS...: boot, run, gate, count.
vm_stage() {
	local name=$1 rc=0 grc=0 run okc notc gout gp gf
	shift
	local gate_args=()
	while [ "$1" != -- ]; do gate_args+=("$1"); shift; done
	shift
	"$TESTING_DIR/vm.sh" --name "$name" "$@" >"$results/$name.console.log" 2>&1 || rc=$?
	# vm.sh puts the run under the checkout's tag, if any.
	local rname=${SMBFS_TAG:+$SMBFS_TAG-}$name
	run="$SMBFS_CACHE/work/runs/$rname"
	grep -E '^(not )?ok - ' "$results/$name.console.log" | sed 's/^/    /'
	[ $rc = 0 ] || { tail -n 30 "$results/$name.console.log"; echo "guest script: exit $rc (console: $results/$name.console.log)"; }
	okc=$(grep -c '^ok - ' "$run/tests.txt" 2>/dev/null || true)
	notc=$(grep -c '^not ok - ' "$run/tests.txt" 2>/dev/null || true)
	count "${okc:-0}" "${notc:-0}"
	# The guest script's status is one check; the gate over its dmesg another.
	if [ $rc = 0 ]; then count 1 0; else count 0 1; fi
	gout=$(inroot "$ROOT" python3 "$ROOT_REPO/tools/testing/gate/smbfs_gate.py" check \
		--dmesg "$ROOT_CACHE/runs/$rname/dmesg.txt" \
		--kmemleak "$ROOT_CACHE/runs/$rname/kmemleak.txt" \
		--ignore-file "$ROOT_REPO/tools/testing/gate/ignore.txt" \
		--label "$name" "${gate_args[@]}" 2>&1) || grc=$?
	printf '%s\n' "$gout" >"$results/$name.gate.txt"
	if [ $grc = 0 ]; then
		printf '%s\n' "$gout" | grep -E '^(GATE|  suite|SUITE)' | sed 's/^/    /' | tail -n 20
	else
		printf '%s\n' "$gout" | tail -n 60 | sed 's/^/    /'
	fi
	# KUnit cases the gate counted: every boot reruns the kernel's built-in
	# suites, so only the stage that expects them counts them.
	gp=$(printf '%s\n' "$gout" | sed -n 's/^GATE-COUNTS pass=\([0-9]*\) fail=\([0-9]*\).*/\1/p')
	gf=$(printf '%s\n' "$gout" | sed -n 's/^GATE-COUNTS pass=\([0-9]*\) fail=\([0-9]*\).*/\2/p')
	if [ -n "${COUNT_KUNIT:-}" ]; then
		count "${gp:-0}" "${gf:-0}"
	fi
	if [ $grc = 0 ]; then count 1 0; else count 0 1; fi
	[ $rc = 0 ] && [ $grc = 0 ]
}

# Guests get one virtual CPU where the test gains nothing from two: under
# TCG a second vCPU mostly adds IPIs, and it leaves the other host CPU to
# the other lane. The transport stage keeps two, so that softirq receive
# and tasks on another CPU really race.
stage_vm_baseline() {
	COUNT_KUNIT=1 vm_stage baseline --baseline --expect-suites-file "$ROOT_REPO/tools/testing/expected/boot.suites" \
		-- --timeout 900 --smp 1 tools/testing/guest/baseline.sh
}

stage_vm_modules() {
	COUNT_KUNIT=1 vm_stage modules --expect-suites-file "$ROOT_REPO/tools/testing/expected/boot.suites" \
		--expect-suites-file "$ROOT_REPO/tools/testing/expected/modules.suites" \
		--count-suites-file "$ROOT_REPO/tools/testing/expected/modules.suites" \
		-- --timeout 1200 --smp 1 tools/testing/guest/modules.sh
}

# KUnit is off here and below: the kernel's and the modules' suites ran in
# the two stages above (half a minute of boot time saved).
stage_vm_samba() {
	vm_stage samba -- --timeout 1200 --smp 1 --append kunit.enable=0 tools/testing/guest/samba.sh
}

stage_vm_xprt() {
	vm_stage xprt -- --timeout 1500 --append kunit.enable=0 tools/testing/guest/xprt.sh
}

stage_vm_faults() {
	vm_stage xprt-faults -- --timeout 1200 --smp 1 --append kunit.enable=0 \
		tools/testing/guest/xprt-faults.sh
}

# --- main --------------------------------------------------------------------

t_start=$(date +%s)
for s in $stages; do
	case " $ALL_STAGES " in *" $s "*) ;; *) die "unknown stage '$s' (stages: $ALL_STAGES)" ;; esac
done
prepare
# Two lanes when there are two CPUs to run them (SMBFS_CHECK_LANES=1 runs
# everything in order): the Samba stage, the longest, and the transport
# stage run in the background while the others (the baseline boot first)
# run here; the two lanes take about as long.
# Their output is shown when they end.
lanes=${SMBFS_CHECK_LANES:-$([ "$(nproc)" -ge 2 ] && echo 2 || echo 1)}
bg_stages="" bg_pid=""
if [ "$lanes" -ge 2 ]; then
	for s in $stages; do
		case "$s" in vm-xprt | vm-samba) bg_stages="$bg_stages $s" ;; esac
	done
fi
if [ -n "$bg_stages" ]; then
	log "background lane:$bg_stages (output when it ends; log: $results/lane.log)"
	(
		for s in $bg_stages; do run_stage "$s"; done
	) >"$results/lane.log" 2>&1 &
	bg_pid=$!
fi
for s in $stages; do
	case " $bg_stages " in *" $s "*) continue ;; esac
	run_stage "$s"
done
if [ -n "$bg_pid" ]; then
	wait "$bg_pid" || true
	cat "$results/lane.log"
fi
for s in $stages; do
	cat "$results/$s.summary" >>"$summary" 2>/dev/null ||
		printf '%-14s %-5s\n' "$s" "LOST" >>"$summary"
done
for f in "$results"/*.counts; do
	[ -e "$f" ] || continue
	while read -r p f2; do
		passed=$((passed + p))
		failed=$((failed + f2))
	done <"$f"
done
echo
echo "stage          result time"
cat "$summary"
echo "total                $(fmt_secs $(($(date +%s) - t_start)))"
echo "logs: $results"
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
