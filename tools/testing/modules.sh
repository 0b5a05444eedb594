#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build smbxprt.ko, smbclient.ko and smbfs.ko out of tree, inside the build
# root, against a kernel flavour (built first if missing).
#
#   modules.sh [debug|release] [--clean]
#
# Output goes to $SMBFS_CACHE/work/modules/<flavour>/ (MO=), never into the
# source tree; the generated bindings live there too, per flavour. The Rust
# code is always compiled by clippy-driver with the kernel's clippy lints
# (CLIPPY=1): it generates the same code as rustc, so one build gives both the
# modules and the lint verdict. Warnings, rustc's and clippy's, are errors.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

flavour=debug clean=""
for a in "$@"; do
	case "$a" in
	debug | release) flavour=$a ;;
	--clippy) ;; # always on; accepted for old command lines
	--clean) clean=1 ;;
	*) die "usage: modules.sh [debug|release] [--clean]" ;;
	esac
done
need_root
root=$("$TESTING_DIR/buildroot.sh")
"$TESTING_DIR/kernel.sh" "$flavour" >/dev/null
kdir=$("$TESTING_DIR/kernel.sh" "$flavour" --path)
out="$ROOT_CACHE/modules/$(tagged "$flavour" -)"
mkdir -p "$SMBFS_CACHE/work/modules/$(tagged "$flavour" -)"

kmake() {
	inroot "$root" make -C "$kdir" M="$ROOT_REPO" MO="$out" LLVM=1 CLIPPY=1 "$@"
}
if [ -n "$clean" ]; then
	kmake clean
	exit 0
fi
step "build the modules against the $flavour kernel (with clippy)" kmake -j"$(nproc)" modules
for m in smbxprt smbclient smbfs; do
	[ -e "$SMBFS_CACHE/work/${out#"$ROOT_CACHE"/}/$m.ko" ] || die "$m.ko was not built"
done
step "build the mount.smbfs helper" inroot "$root" make -s -C "$ROOT_REPO/tools/mount.smbfs" O="$out"
log "modules: $SMBFS_CACHE/work/${out#"$ROOT_CACHE"/}/{smbxprt,smbclient,smbfs}.ko, mount.smbfs"
