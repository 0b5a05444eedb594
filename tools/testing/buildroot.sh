#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Create (or reuse) the Debian trixie build root that builds the kernel and the
# modules and also serves as the guest's root file system.
#
#   buildroot.sh           create it if missing, print its path
#   buildroot.sh --path    print the path only (no network, fails if missing)
#   buildroot.sh --shell   open a shell inside it
#
# The root is cached in $SMBFS_CACHE/root/<key>, where <key> hashes
# tools/testing/packages and this script's RECIPE line. The exact versions apt resolved are written to
# <root>/etc/smbfs/versions.txt and feed the kernel's cache key.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

# Part of the cache key: bump when a change alters the root this produces.
RECIPE=1

SUITE=trixie

# Read tools/testing/packages: prints "name spec suite" per package.
read_packages() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TESTING_DIR/packages" | while read -r entry; do
		local name=$entry spec="" suite=""
		case "$name" in *@*) suite=${name#*@} name=${name%@*} ;; esac
		case "$name" in *=*) spec=${name#*=} name=${name%%=*} ;; esac
		echo "$name ${spec:--} ${suite:--}"
	done
}

# apt-get install arguments: pinned version lines resolved to an exact
# candidate, so apt can never pick a newer line from backports.
resolve_install_args() {
	local root=$1 name spec suite ver
	read_packages | while read -r name spec suite; do
		if [ "$spec" != - ]; then
			# All versions the enabled suites offer, newest first; take the
			# newest one matching the glob.
			ver=$(inroot "$root" apt-cache madison "$name" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
				while read -r v; do
					# shellcheck disable=SC2254
					case "$v" in $spec) echo "$v" ;; esac
				done | head -n1)
			if [ -z "$ver" ]; then
				echo "MISSING $name=$spec"
				continue
			fi
			echo "$name=$ver"
		elif [ "$suite" != - ]; then
			echo "$name/$suite"
		else
			echo "$name"
		fi
	done
}

write_sources() {
	local root=$1 mirror=$2 secmirror=$3
	rm -f "$root/etc/apt/sources.list"
	mkdir -p "$root/etc/apt/sources.list.d"
	{
		echo "Types: deb"
		echo "URIs: $mirror"
		echo "Suites: $SUITE $SUITE-updates $SUITE-backports"
		echo "Components: main"
		echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		if [ -n "$secmirror" ]; then
			echo
			echo "Types: deb"
			echo "URIs: $secmirror"
			echo "Suites: $SUITE-security"
			echo "Components: main"
			echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		fi
	} >"$root/etc/apt/sources.list.d/debian.sources"
	# The host's apt settings for reaching its archive (a snapshot mirror may
	# need Check-Valid-Until=false); nothing that names a host.
	cat >"$root/etc/apt/apt.conf.d/90smbfs" <<-EOF
		Acquire::Check-Valid-Until "false";
		APT::Install-Recommends "false";
		APT::Keep-Downloaded-Packages "true";
		Dpkg::Use-Pty "false";
	EOF
}

check_toolchain() {
	local root=$1 v
	v=$(inroot "$root" rustc --version)
	case "$v" in "rustc 1.85."*) ;; *) die "build root has '$v'; Linux 7.3's Rust needs rustc 1.85.x" ;; esac
	v=$(inroot "$root" clang --version | sed -n 's/.*clang version \([0-9]*\)\..*/\1/p' | head -n1)
	[ "${v:-0}" -ge 17 ] || die "build root has clang major version '$v'; Linux 7.3 needs LLVM >= 17.0.1"
	v=$(inroot "$root" bindgen --version | awk '{ print $2 }')
	[ "$(printf '%s\n0.71.1\n' "$v" | sort -V | head -n1)" = 0.71.1 ] ||
		die "build root has bindgen $v; Linux 7.3 needs >= 0.71.1"
	inroot "$root" test -f /usr/src/linux-source-7.3.tar.xz ||
		die "linux-source-7.3 did not install /usr/src/linux-source-7.3.tar.xz"
}

create_root() {
	local final=$1 tmp mirror secmirror args missing t0
	mirror=$(host_mirror debian)
	[ -n "$mirror" ] || die "no Debian mirror in this host's apt configuration; set SMBFS_DEBIAN_MIRROR to your Debian mirror's URL"
	secmirror=$(host_mirror debian-security)
	log "Debian mirror (from the host's apt configuration): $mirror${secmirror:+, security: $secmirror}"

	need_debootstrap "$SUITE"

	tmp="$final.partial"
	remove_root_dir "$tmp"
	mkdir -p "$SMBFS_CACHE/work/debs/debootstrap" "$SMBFS_CACHE/work/debs/partial"
	step "debootstrap --variant=minbase $SUITE" \
		logged "$SMBFS_CACHE/root/debootstrap.log" \
		debootstrap --variant=minbase --include=ca-certificates \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		--cache-dir="$SMBFS_CACHE/work/debs/debootstrap" "$SUITE" "$tmp" "$mirror"
	write_sources "$tmp" "$mirror" "$secmirror"

	# Downloaded .debs stay in the cache: apt's archive directory is
	# $SMBFS_CACHE/work/debs, seen as /cache/debs inside the root.
	cat >"$tmp/etc/apt/apt.conf.d/91smbfs-archives" <<-EOF
		Dir::Cache::Archives "/cache/debs/";
	EOF

	step "apt-get update" inroot "$tmp" apt-get update -q >/dev/null
	args=$(resolve_install_args "$tmp")
	missing=$(printf '%s\n' "$args" | sed -n 's/^MISSING //p')
	if [ -n "$missing" ]; then
		die "the archive no longer offers the version line the kernel needs: $(echo $missing).
Not upgrading to a toolchain Linux 7.3 may not accept. Options: point SMBFS_DEBIAN_MIRROR at
a snapshot that has it, or update tools/testing/packages after checking scripts/min-tool-version.sh."
	fi
	log "resolved: $(echo $args)"
	# shellcheck disable=SC2086
	INROOT_ENV=DEBIAN_FRONTEND=noninteractive \
		step "apt-get install ($(echo "$args" | wc -l) packages)" \
		logged "$SMBFS_CACHE/root/apt-install.log" inroot "$tmp" apt-get install -y -q $args

	# Record the exact versions of everything that was installed.
	mkdir -p "$tmp/etc/smbfs"
	# shellcheck disable=SC2046
	inroot "$tmp" dpkg-query -W -f '${Package} ${Version}\n' $(read_packages | awk '{ print $1 }') \
		>"$tmp/etc/smbfs/versions.txt"
	inroot "$tmp" dpkg-query -W -f '${Package} ${Version}\n' >"$tmp/etc/smbfs/all-packages.txt"
	check_toolchain "$tmp"

	# Mount points the guest and the harness use.
	mkdir -p "$tmp/smbfs" "$tmp/cache" "$tmp/results" "$tmp/usr/lib/modules"
	mv "$tmp" "$final"
	touch "$final/.smbfs-complete"
}

main() {
	local root
	root=$(root_dir)
	case "${1:-}" in
	--path)
		require_root
		echo "$root"
		return
		;;
	--shell)
		require_root
		exec_shell=1
		;;
	esac
	need_root
	mkdir -p "$SMBFS_CACHE/root"
	exec 9>"$SMBFS_CACHE/root/.lock"
	flock 9
	if [ ! -e "$root/.smbfs-complete" ]; then
		log "build root $root is not in the cache; creating it"
		step "build root" create_root "$root"
		log "build root: $root, resolved versions:"
		sed 's/^/[smbfs]   /' "$root/etc/smbfs/versions.txt" >&2
	else
		log "build root: cached ($root): $(awk '$1 ~ /^(rustc|clang|bindgen|linux-source-7.3)$/ { printf "%s %s  ", $1, $2 }' "$root/etc/smbfs/versions.txt")"
	fi
	if [ -n "${exec_shell:-}" ]; then
		inroot "$root" /bin/bash -l
	fi
	echo "$root"
}

main "$@"
