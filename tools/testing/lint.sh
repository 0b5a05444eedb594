#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Source checks that need no kernel build (run inside the build root by
# `make check`, stage host-lint):
#  - rustfmt --check over all kernel-side Rust (the codec has its own cargo fmt
#    check in host-codec);
#  - module logic (smbxprt/, smbclient/, smbfs/) contains no `unsafe`: it lives
#    under rust/, where the kernel's clippy lints require a SAFETY comment on
#    every block (stage clippy);
#  - every source file carries an SPDX line.
# Prints one "ok -" / "not ok -" line per check.
set -u
cd "$(dirname "$0")/../.." || exit 1
fail=0
check() {
	local what=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok - $what"
	else
		echo "not ok - $what"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/    /'
		fail=1
	fi
}

# Source files, without git (the build root has none): everything but the
# codec crate, build output and fuzzing state.
src_files() {
	find rust smbxprt smbclient smbfs include tools Kbuild Makefile \
		\( -path rust/smbproto -o -name target -o -name __pycache__ \) -prune -o \
		-type f \( "$@" \) -print | sort
}
kernel_rs=$(src_files -name '*.rs')
logic_rs=$(find smbxprt smbclient smbfs -name '*.rs' | sort)
[ -n "$kernel_rs" ] && [ -n "$logic_rs" ] || { echo "not ok - no Rust sources found (wrong directory?)"; exit 1; }
# Crate roots pull in other files through #[path]; format each file on its own.
fmt_each() {
	local f rc=0
	for f in $kernel_rs; do
		rustfmt --check --config-path .rustfmt.toml --config skip_children=true "$f" 2>/dev/null ||
			rustfmt --check --config-path .rustfmt.toml "$f" || rc=1
	done
	return $rc
}
check "rustfmt: kernel-side Rust is formatted" fmt_each

no_unsafe() {
	# shellcheck disable=SC2086
	! grep -nE '\bunsafe\b' $logic_rs | grep -vE '^[^:]+:[0-9]+:\s*(//|#!\[forbid\(unsafe_code\)\])'
}
check "module logic has no unsafe (it lives in rust/)" no_unsafe

logic_forbids() {
	local f rc=0
	for f in $logic_rs; do
		case "$f" in */*_main.rs) continue ;; esac
		grep -q '^#!\[forbid(unsafe_code)\]' "$f" || { echo "$f: no #![forbid(unsafe_code)]"; rc=1; }
	done
	return $rc
}
check "module logic files forbid unsafe_code" logic_forbids

spdx() {
	{
		src_files -name '*.rs' -o -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py'
		find rust/smbproto -path '*/target' -prune -o -type f -name '*.rs' -print
		echo Kbuild
		echo Makefile
	} | while read -r f; do
			head -n 3 "$f" | grep -q 'SPDX-License-Identifier' || echo "$f: no SPDX line"
		done | { ! grep .; }
}
check "every source file has an SPDX line" spdx
exit $fail
