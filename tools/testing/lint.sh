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
#  - every source file carries an SPDX line;
#  - the layering holds: smbxprt/ names no session, tree or file concept,
#    rust/exports/ holds no state machine, and no file in smbxprt/ or
#    smbclient/ is over 800 lines.
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
		printf '%s\n' "$out" | head -n 80 | sed 's/^/    /'
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

# Code lines of FILES, comments and string literals removed, as "file:line:
# code", for the layering checks (what the code names, not what its prose
# explains).
code_of() {
	awk '{
		line = $0
		gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
		sub(/\/\/.*/, "", line)
		sub(/^[ \t]*\/?\*.*/, "", line)
		if (line ~ /[^ \t]/) print FILENAME ":" FNR ": " line
	}' "$@"
}

# The transport knows frames, MessageIds, credits, keys, timers, probes and
# connections; sessions, trees, files and the commands that make them are
# the layers above. The one session-related name it may use is the header's
# SessionId field, which selects the keys a PDU is signed or sealed with
# (MS-SMB2 3.2.4.1.1, 3.2.5.1.3). KUnit files that test the shared codec
# (`*_kunit.rs`) are not transport logic.
xprt_layering() {
	local files
	files=$(find smbxprt -name '*.rs' ! -name '*_kunit.rs' -o -name '*.c' | sort)
	# shellcheck disable=SC2086
	code_of $files | grep -E \
		-e '\b([Ss]ession([A-Z_]|\b)|[Ss]essions)' \
		-e '\b([Tt]ree_?[Ii]d|[Tt]ree[Cc]onnect|tree_connect|[Tt]ree[Dd]isconnect)' \
		-e '\b([Ff]ile_?[Ii]d|[Ff]id\b|FileId)' \
		-e '\b(reauth|logoff|Logoff|replay|Replay|REPLAY)' \
		-e 'Command::(Create|Close|Read|Write|Flush|Lock|Ioctl|QueryDirectory|ChangeNotify|QueryInfo|SetInfo|OplockBreak|SessionSetup|Logoff|TreeConnect|TreeDisconnect)' |
		grep -vE '\bsession_id\b' | { ! grep .; }
}
check "layering: smbxprt/ names no session, tree or file concept" xprt_layering

# rust/exports/ turns C calls into calls of the module logic and back:
# no types with states, no locks, atomics, work items or wait queues of its
# own (Documentation/abi.rst).
exports_thin() {
	code_of rust/exports/*.rs | grep -E \
		-e '\benum\b' \
		-e '\b(Mutex|SpinLock[A-Za-z]*|CondVar|WaitQueue|Atomic[A-Z][A-Za-z0-9]*)\b' \
		-e '\b(new_mutex|new_spinlock[a-z_]*|new_condvar|new_work|impl_has_work|WorkItem)\b' \
		-e '\bstatic mut\b' \
		-e '\b[Pp]hase\b' | { ! grep .; }
}
check "layering: rust/exports/ holds no state machine" exports_thin

max_lines() {
	local f n rc=0
	for f in $(find smbxprt smbclient -type f \( -name '*.rs' -o -name '*.c' \) | sort); do
		n=$(wc -l <"$f")
		[ "$n" -le 800 ] || { echo "$f: $n lines (at most 800: split it by concern)"; rc=1; }
	done
	return $rc
}
check "layering: no file in smbxprt/ or smbclient/ is over 800 lines" max_lines
exit $fail
