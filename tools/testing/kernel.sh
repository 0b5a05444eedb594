#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) a Linux 7.3 kernel flavour inside the build root.
#
#   kernel.sh debug|release          build if missing; print the output directory
#   kernel.sh debug|release --path   print the output directory as seen inside
#                                    the build root (/cache/kernel/...), no build
#
# Flavours: tools/testing/kconfig/base.config plus <flavour>.config, merged over
# tinyconfig, built with LLVM=1 in a separate O= directory per flavour (options
# such as lockdep change struct layouts, so the generated Rust bindings differ).
# The cache key hashes the resolved versions of the packages the build uses
# (toolchain, build tools, linux-source), the fragments and this script's
# RECIPE line.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

# Part of the cache key: bump when a change alters the kernel this builds.
RECIPE=1

flavour=${1:-}
case "$flavour" in
debug | release) ;;
*) die "usage: kernel.sh debug|release [--path]" ;;
esac

root=$("$TESTING_DIR/buildroot.sh" --path)
versions="$root/etc/smbfs/versions.txt"
# What the kernel build depends on: the toolchain, the build tools and the
# source. Guest tools (QEMU, ksmbd-tools, ...) do not change the kernel.
KERNEL_INPUT_PACKAGES="clang lld llvm libclang-dev rustc rust-src bindgen make gcc bc bison flex
	libelf-dev libssl-dev cpio xz-utils perl python3 linux-source-7.3"
build_versions() {
	awk -v want="$KERNEL_INPUT_PACKAGES" 'BEGIN { n = split(want, w); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
		keep[$1]' "$versions"
}
key=$({
	build_versions
	hash_of "$TESTING_DIR/kconfig/base.config" "$TESTING_DIR/kconfig/$flavour.config"
	recipe_of "$TESTING_DIR/kernel.sh"
} | sha256sum | cut -c1-16)
srcver=$(awk '$1 == "linux-source-7.3" { print $2 }' "$versions" | tr -c 'A-Za-z0-9.+\n' '_')
[ -n "$srcver" ] || die "no linux-source-7.3 in $versions"
outname="$flavour-$key"
hostout="$SMBFS_CACHE/work/kernel/$outname"
rootout="$ROOT_CACHE/kernel/$outname"
rootsrc="$ROOT_CACHE/kernel/src-$srcver"

if [ "${2:-}" = --path ]; then
	[ -e "$hostout/.smbfs-complete" ] || die "the $flavour kernel is not built; run 'make kernel-$flavour'"
	echo "$rootout"
	exit 0
fi

need_root
if [ -e "$hostout/.smbfs-complete" ]; then
	log "$flavour kernel: cached ($hostout)"
	echo "$rootout"
	exit 0
fi

mkdir -p "$SMBFS_CACHE/work/kernel"
# One build per output directory at a time; prune-cache.sh also takes this
# lock before it removes an unfinished build.
exec 9>"$hostout.lock"
if ! flock -n 9; then
	log "another build of the $flavour kernel is running; waiting for it"
	flock 9
fi
if [ -e "$hostout/.smbfs-complete" ]; then
	echo "$rootout"
	exit 0
fi
if [ ! -e "$SMBFS_CACHE/work/kernel/src-$srcver/.smbfs-complete" ]; then
	rm -rf "$SMBFS_CACHE/work/kernel/src-$srcver"
	mkdir -p "$SMBFS_CACHE/work/kernel/src-$srcver"
	step "unpacking linux-source-7.3 ($srcver)" \
		inroot "$root" tar -C "$rootsrc" --strip-components=1 -xf /usr/src/linux-source-7.3.tar.xz
	touch "$SMBFS_CACHE/work/kernel/src-$srcver/.smbfs-complete"
fi

rm -rf "$hostout"
mkdir -p "$hostout"
cp "$TESTING_DIR/kconfig/base.config" "$TESTING_DIR/kconfig/$flavour.config" "$hostout/"
build_versions >"$hostout/toolchain-versions.txt"

kmake() {
	inroot "$root" make -C "$rootsrc" O="$rootout" LLVM=1 "$@"
}

configure() {
	kmake tinyconfig
	inroot "$root" "$rootsrc/scripts/kconfig/merge_config.sh" -m -O "$rootout" \
		"$rootout/.config" "$rootout/base.config" "$rootout/$flavour.config"
	kmake olddefconfig
}

# merge_config.sh drops options whose dependencies are not met without failing;
# a silently missing KASAN or lockdep would make every later check meaningless.
verify_config() {
	local want line name got bad=""
	for want in "$hostout/base.config" "$hostout/$flavour.config"; do
		while read -r line; do
			case "$line" in CONFIG_*=*) ;; *) continue ;; esac
			name=${line%%=*}
			if [ "${line#*=}" = n ]; then
				grep -q "^$name=" "$hostout/.config" && bad="$bad $line"
				continue
			fi
			got=$(grep "^$name=" "$hostout/.config" || true)
			[ "$got" = "$line" ] || bad="$bad $line(got:${got:-unset})"
		done <"$want"
	done
	[ -z "$bad" ] || die "kernel configuration lost requested options:$bad"
	log "all $(grep -hc '^CONFIG_' "$hostout/base.config" "$hostout/$flavour.config" | paste -sd+ | bc) requested options are set"
}

step "configure the $flavour kernel" logged "$hostout/configure.log" configure
verify_config
log "building the $flavour kernel in $hostout (log: $hostout/build.log)"
step "build the $flavour kernel (bzImage, modules)" \
	with_progress "$hostout/build.log" kmake -j"$(nproc)" bzImage modules
step "install the $flavour kernel's modules" \
	logged "$hostout/modules_install.log" kmake INSTALL_MOD_PATH="$rootout/modinst" modules_install
touch "$hostout/.smbfs-complete"
echo "$rootout"
