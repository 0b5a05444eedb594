#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz the codec (rust/smbproto/fuzz, cargo-fuzz layout) with the build root's
# rustc 1.85.1, the kernel's compiler.
#
#   fuzz.sh smoke [SECONDS_TOTAL]   every target for its share of the total
#                                   (default 60 s); fails on any crash
#   fuzz.sh run TARGET SECONDS [LIBFUZZER-ARGS...]
#                                   one target, for a long campaign
#   fuzz.sh coverage TARGET         llvm-cov report of the target's corpus
#                                   over the codec's source files
#   fuzz.sh repro TARGET FILE       run one input (a crash reproducer)
#   fuzz.sh build | list
#
# The working corpus is $SMBFS_CACHE/work/fuzz/corpus/<target> (/cache/fuzz/...
# in the build root); the committed seeds in rust/smbproto/fuzz/seeds/<target>
# are read, never written. Crashes go to $SMBFS_CACHE/work/fuzz/artifacts/<target>/.
# Every run prints "fuzz-result: TARGET ok|crash ..." lines, which check.sh counts.
#
# Debian's rustc has no sanitizer runtimes, so targets build without ASan
# (the codec is forbid(unsafe_code): panics, overflow checks and timeouts are
# what is caught). SMBFS_FUZZ_SANITIZER=address forces ASan where it exists.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

CARGO_FUZZ_VERSION=0.13.1 # the newest cargo-fuzz that builds with rustc 1.85
TARGETS="dispatch ntlmssp_challenge transform_decrypt"

usage() {
	sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# --- on the host: re-run this script inside the build root -----------------

if [ -z "${SMBFS_IN_ROOT:-}" ]; then
	[ $# -ge 1 ] || usage
	need_root
	root=$("$TESTING_DIR/buildroot.sh") || die "could not create the build root"
	# repro's FILE as the build root sees it.
	if [ "$1" = repro ] && [ $# = 3 ]; then
		f=$(realpath -m "$3")
		case "$f" in
		"$SMBFS_CACHE/work/"*) f=$ROOT_CACHE/${f#"$SMBFS_CACHE/work/"} ;;
		"$REPO_DIR/"*) f=$ROOT_REPO/${f#"$REPO_DIR/"} ;;
		*) die "$3 is neither in the repository nor under $SMBFS_CACHE/work: the build root cannot see it" ;;
		esac
		set -- repro "$2" "$f"
	fi
	trap - ERR
	rc=0
	INROOT_ENV="CARGO_HOME=$ROOT_CACHE/cargo CARGO_TERM_COLOR=never RUSTC_BOOTSTRAP=1 SMBFS_FUZZ_SANITIZER=${SMBFS_FUZZ_SANITIZER:-auto} SMBFS_CACHE_HOST=$SMBFS_CACHE" \
		inroot "$root" "$ROOT_REPO/tools/testing/fuzz.sh" "$@" || rc=$?
	exit "$rc"
fi

# --- inside the build root --------------------------------------------------

trap - ERR
CRATE=$ROOT_REPO/rust/smbproto
FUZZ_DIR=$CRATE/fuzz
SEEDS=$FUZZ_DIR/seeds
WORK=$ROOT_CACHE/fuzz
TARGET_DIR=$ROOT_CACHE/target/smbproto-fuzz
export PATH="$CARGO_HOME/bin:$PATH"

# Host path of a file under /cache, for messages read on the host.
host_path() {
	case "$1" in
	"$ROOT_CACHE"/*) echo "${SMBFS_CACHE_HOST:-\$SMBFS_CACHE}/work${1#"$ROOT_CACHE"}" ;;
	"$ROOT_REPO"/*) echo "${1#"$ROOT_REPO"/}" ;;
	*) echo "$1" ;;
	esac
}

check_target() {
	case " $TARGETS " in *" $1 "*) ;; *) die "unknown fuzz target '$1' (targets: $TARGETS)" ;; esac
}

ensure_cargo_fuzz() {
	local have
	have=$(cargo fuzz --version 2>/dev/null | awk '{print $2}') || true
	if [ "$have" = "$CARGO_FUZZ_VERSION" ]; then
		return 0
	fi
	log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $(host_path "$CARGO_HOME/bin") (once; about 2 minutes)"
	mkdir -p "$WORK"
	logged "$WORK/cargo-fuzz-install.log" \
		cargo install --locked --force cargo-fuzz --version "$CARGO_FUZZ_VERSION"
}

sanitizer() {
	case "${SMBFS_FUZZ_SANITIZER:-auto}" in
	auto)
		if ls "$(rustc --print sysroot)"/lib/rustlib/*/lib/*rt.asan* >/dev/null 2>&1; then
			echo address
		else
			echo none
		fi
		;;
	*) echo "$SMBFS_FUZZ_SANITIZER" ;;
	esac
}

# cargo fuzz options shared by build and run: release with debug assertions
# (and so overflow checks, also set in fuzz/Cargo.toml), no sanitizer where
# Debian has no runtime.
build_opts() {
	echo "--fuzz-dir $FUZZ_DIR --target-dir $TARGET_DIR -O --debug-assertions --sanitizer $(sanitizer)"
}

build_all() {
	ensure_cargo_fuzz
	local t0=$(date +%s)
	log "building the fuzz targets (rustc $(rustc --version | awk '{print $2}'), sanitizer: $(sanitizer))"
	mkdir -p "$WORK"
	cd "$CRATE"
	# shellcheck disable=SC2046
	logged "$WORK/build.log" cargo fuzz build $(build_opts)
	log "built in $(fmt_secs $(($(date +%s) - t0)))"
}

# stat NAME LOG: a libFuzzer final statistic (-print_final_stats=1).
stat() {
	sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n1
}

# run_target TARGET SECONDS [ARGS...]: fuzz it; print a summary line.
run_target() {
	local t=$1 secs=$2 corpus artifacts logf rc=0 execs rate corp crash
	shift 2
	corpus=$WORK/corpus/$t
	artifacts=$WORK/artifacts/$t
	logf=$WORK/logs/$t.log
	mkdir -p "$corpus" "$artifacts" "$WORK/logs" "$SEEDS/$t"
	local seeds_n
	seeds_n=$(find "$SEEDS/$t" -type f ! -name '.*' | wc -l)
	log "fuzzing $t for ${secs}s (seeds: $seeds_n, working corpus: $(find "$corpus" -type f | wc -l) inputs; log $(host_path "$logf"))"
	cd "$CRATE"
	# shellcheck disable=SC2046
	cargo fuzz run $(build_opts) "$t" "$corpus" "$SEEDS/$t" -- \
		-max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$artifacts/" "$@" >"$logf" 2>&1 || rc=$?
	execs=$(stat number_of_executed_units "$logf")
	rate=$(stat average_exec_per_sec "$logf")
	corp=$(find "$corpus" -type f | wc -l)
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$logf" | tail -n1)
	if [ "$rc" = 0 ] && [ -z "$crash" ]; then
		echo "fuzz-result: $t ok secs=$secs execs=${execs:-?} execs_per_sec=${rate:-?} corpus=$corp"
		return 0
	fi
	echo "fuzz-result: $t crash secs=$secs execs=${execs:-?} (exit $rc)"
	grep -E -A12 "panicked at|ERROR: libFuzzer|==ERROR|SUMMARY" "$logf" | head -n 40 | sed 's/^/    /'
	if [ -n "$crash" ]; then
		echo "    reproducer: $(host_path "$crash")"
		echo "    replay it:  tools/testing/fuzz.sh repro $t $(host_path "$crash")"
		echo "    keep it as a regression: copy it to rust/smbproto/fuzz/regressions/$t/ (tests/fuzz_seeds.rs replays them)"
	else
		tail -n 20 "$logf" | sed 's/^/    /'
	fi
	echo "    full log: $(host_path "$logf")"
	return 1
}

cmd_smoke() {
	local total=${1:-60} n per failed=0 t
	set -- $TARGETS
	n=$#
	per=$((total / n))
	[ "$per" -ge 1 ] || per=1
	build_all
	for t in $TARGETS; do
		run_target "$t" "$per" || failed=$((failed + 1))
	done
	[ "$failed" = 0 ] || { echo "fuzz smoke: $failed of $n targets crashed"; return 1; }
	echo "fuzz smoke: $n targets ran ${per}s each without a crash"
}

cmd_run() {
	[ $# -ge 2 ] || usage
	local t=$1 secs=$2
	shift 2
	check_target "$t"
	build_all
	run_target "$t" "$secs" "$@"
}

cmd_repro() {
	[ $# = 2 ] || usage
	local t=$1 f=$2
	check_target "$t"
	[ -f "$f" ] || die "no such input: $f"
	build_all
	cd "$CRATE"
	# shellcheck disable=SC2046
	cargo fuzz run $(build_opts) "$t" "$f"
}

# coverage TARGET: rebuild with -Cinstrument-coverage, replay the corpus
# and seeds, and summarise llvm-cov's per-file figures for the codec.
cmd_coverage() {
	[ $# = 1 ] || usage
	local t=$1 llvm_major rustc_llvm cov_dir bin profdata
	check_target "$t"
	ensure_cargo_fuzz
	llvm_major=$(llvm-cov --version | sed -n 's/.*LLVM version \([0-9]*\).*/\1/p' | head -n1)
	rustc_llvm=$(rustc --version --verbose | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
	[ -n "$llvm_major" ] && [ "$llvm_major" = "$rustc_llvm" ] ||
		die "llvm-cov is LLVM ${llvm_major:-?} but rustc uses LLVM ${rustc_llvm:-?}: the profile formats would not match"
	log "coverage of $t (rustc and llvm-cov both LLVM $llvm_major)"
	mkdir -p "$WORK/corpus/$t" "$SEEDS/$t"
	cd "$CRATE"
	logged "$WORK/coverage-$t.log" cargo fuzz coverage --fuzz-dir "$FUZZ_DIR" \
		--target-dir "$ROOT_CACHE/target/smbproto-fuzz-cov" --sanitizer none --llvm-path /usr/bin \
		"$t" "$WORK/corpus/$t" "$SEEDS/$t"
	bin=$ROOT_CACHE/target/smbproto-fuzz-cov/x86_64-unknown-linux-gnu/release/$t
	profdata=$FUZZ_DIR/coverage/$t/coverage.profdata
	[ -f "$profdata" ] || die "cargo fuzz coverage wrote no $profdata"
	cov_dir=$WORK/coverage/$t
	rm -rf "$cov_dir"
	mkdir -p "$cov_dir"
	cp "$profdata" "$cov_dir/"
	llvm-cov export -instr-profile="$profdata" "$bin" >"$cov_dir/coverage.json"
	llvm-cov show -format=html -output-dir="$cov_dir/html" -instr-profile="$profdata" "$bin" \
		-ignore-filename-regex='/(cargo|rustc|usr)/' >/dev/null
	# Per codec file: lines and regions covered, over all its functions and
	# over the decode side only (a decoding target never calls encoders).
	# Regions are llvm-cov's own; lines follow llvm-cov's rule.
	python3 - "$cov_dir/coverage.json" "$CRATE/src/" "$t" <<-'EOF'
		import json, re, sys
		path, prefix, target = sys.argv[1:]
		data = json.load(open(path))["data"][0]
		# Encoder-side functions, recognised by an identifier in the (v0) mangled
		# name: what a decoding target never calls.
		ENCODER = re.compile(r"\d(emit\w*?|encode\w*?|put_\w*?|set_\w*?|write\w*?|push\w*?|fmt|to_bytes|sign|"
		                     r"CompoundBuilder)(?=[A-Z0-9_]|$)")
		# Regions by position: the instantiations of a generic function
		# share their regions, as in llvm-cov's own summary.
		regions = {}  # (file, l0, c0, l1, c1) -> [ran, encoder side]
		for fn in data["functions"]:
		    enc = bool(ENCODER.search(fn["name"]))
		    for l0, c0, l1, c1, count, fid, _, kind in fn["regions"]:
		        name = fn["filenames"][fid]
		        if kind != 0 or not name.startswith(prefix):
		            continue
		        r = regions.setdefault((name, l0, c0, l1, c1), [False, enc])
		        r[0] = r[0] or count > 0
		files = {}  # file -> {"all"/"dec": {"lines": {line: covered}, "regions": [covered, total]}}
		for (name, l0, c0, l1, c1), (ran, enc) in sorted(regions.items(), key=lambda kv: -(kv[0][3] - kv[0][1])):
		    f = files.setdefault(name, {sel: {"lines": {}, "starts": {}, "regions": [0, 0]} for sel in ("all", "dec")})
		    for sel in ("all",) + (() if enc else ("dec",)):
		        g = f[sel]
		        g["regions"][0] += ran
		        g["regions"][1] += 1
		        # llvm-cov's rule: a line is covered if a region starting on it
		        # ran, or, where none starts, if the innermost region over it ran.
		        for l in range(l0, l1 + 1):
		            g["lines"][l] = ran
		        g["starts"][l0] = g["starts"].get(l0, False) or ran
		for f in files.values():
		    for g in f.values():
		        g["lines"].update(g["starts"])
		def pct(c, n):
		    return 100.0 * c / n if n else 100.0
		rows = []
		for name, f in sorted(files.items()):
		    cov = []
		    for sel in ("all", "dec"):
		        lines = f[sel]["lines"]
		        cov += [(sum(lines.values()), len(lines)), tuple(f[sel]["regions"])]
		    rows.append((name[len(prefix):], *cov))
		reached = [r for r in rows if r[1][0] > 0]
		print(f"coverage of {target}, per codec file it reaches; 'decode side' leaves out the encoders")
		print(f"  {'file':28} {'lines':>16} {'regions':>16}   {'decode side: lines':>22} {'regions':>16}")
		def fmt(cn):
		    return f"{pct(cn[0], cn[1]):5.1f}% of {cn[1]:4}"
		for name, la, ra, ld, rd in reached:
		    print(f"  {name:28} {fmt(la):>16} {fmt(ra):>16}   {fmt(ld):>22} {fmt(rd):>16}")
		for label, sel in (("reached files", reached), ("whole codec", rows)):
		    tot = [sum(r[i][j] for r in sel) for i in (1, 2, 3, 4) for j in (0, 1)]
		    print(f"  {'TOTAL ' + label:28} {fmt(tot[0:2]):>16} {fmt(tot[2:4]):>16}   {fmt(tot[4:6]):>22} {fmt(tot[6:8]):>16}")
	EOF
	echo "line-by-line HTML: $(host_path "$cov_dir/html/index.html")"
	echo "raw data: $(host_path "$cov_dir/coverage.json") (llvm-cov export)"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
smoke) cmd_smoke "$@" ;;
run) cmd_run "$@" ;;
coverage) cmd_coverage "$@" ;;
repro) cmd_repro "$@" ;;
build) build_all ;;
list) echo "$TARGETS" ;;
*) usage ;;
esac
