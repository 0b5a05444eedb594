#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Create (or reuse) the Samba root: a minimal Debian trixie root with samba
# and smbclient, from which guests run smbd in a chroot (guest/lib.sh's
# start_samba) as a second SMB server beside ksmbd. Debian's samba and
# ksmbd-tools packages conflict, so Samba cannot go into the build root.
#
#   sambaroot.sh           create it if missing, print its path
#   sambaroot.sh --path    print the path only (no network, fails if missing)
#
# It is cached in $SMBFS_CACHE/work/samba/<key>, where <key> hashes
# tools/testing/samba-packages and this script's RECIPE line; inside the build
# root, and so in the guests, work/ is /cache. The versions debootstrap
# installed are in <root>/etc/smbfs/versions.txt.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

# Part of the cache key: bump when a change alters the root this produces.
RECIPE=1

SUITE=trixie

packages() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TESTING_DIR/samba-packages"
}

create_root() {
	local final=$1 tmp mirror
	mirror=$(host_mirror debian)
	[ -n "$mirror" ] || die "no Debian mirror in this host's apt configuration; set SMBFS_DEBIAN_MIRROR to your Debian mirror's URL"
	log "Debian mirror (from the host's apt configuration): $mirror"
	need_debootstrap "$SUITE"
	tmp="$final.partial"
	remove_root_dir "$tmp"
	mkdir -p "$SMBFS_CACHE/work/debs/debootstrap"
	step "debootstrap --variant=minbase --include=$(packages | paste -sd,) $SUITE" \
		with_progress "$SMBFS_CACHE/work/samba/debootstrap.log" \
		debootstrap --variant=minbase --include="$(packages | paste -sd,)" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		--cache-dir="$SMBFS_CACHE/work/debs/debootstrap" "$SUITE" "$tmp" "$mirror"
	local b
	for b in usr/sbin/smbd usr/bin/smbpasswd usr/bin/smbclient; do
		[ -x "$tmp/$b" ] || die "the Samba root has no /$b after debootstrap (see $SMBFS_CACHE/work/samba/debootstrap.log)"
	done
	mkdir -p "$tmp/etc/smbfs"
	# shellcheck disable=SC2046
	chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		dpkg-query -W -f '${Package} ${Version}\n' $(packages) >"$tmp/etc/smbfs/versions.txt"
	# Documentation, manual pages and translations: not needed to run smbd.
	rm -rf "$tmp"/usr/share/doc/* "$tmp"/usr/share/man/* "$tmp"/usr/share/locale/* \
		"$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
	# The mount points start_samba puts tmpfs (or binds) over.
	mkdir -p "$tmp/run" "$tmp/tmp" "$tmp/srv" "$tmp/etc/samba" "$tmp/var/lib/samba" \
		"$tmp/var/cache/samba" "$tmp/var/log/samba" "$tmp/proc" "$tmp/dev"
	mv "$tmp" "$final"
	touch "$final/.smbfs-complete"
}

main() {
	local root
	root=$(samba_dir)
	if [ "${1:-}" = --path ]; then
		[ -e "$root/.smbfs-complete" ] || die "the Samba root $root is missing; run 'make sambaroot' (make check does it for you)"
		echo "$root"
		return
	fi
	need_root
	mkdir -p "$SMBFS_CACHE/work/samba"
	exec 9>"$SMBFS_CACHE/work/samba/.lock"
	flock 9
	if [ ! -e "$root/.smbfs-complete" ]; then
		log "Samba root $root is not in the cache; creating it"
		step "Samba root" create_root "$root"
		log "Samba root: $root ($(du -sh "$root" | cut -f1)): $(tr '\n' ' ' <"$root/etc/smbfs/versions.txt")"
	else
		log "Samba root: cached ($root): $(tr '\n' ' ' <"$root/etc/smbfs/versions.txt")"
	fi
	echo "$root"
}

main "$@"
