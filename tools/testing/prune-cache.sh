#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Remove cache entries that the current inputs no longer select: build roots,
# Samba roots and kernel builds whose key differs from today's. Downloads
# (.debs, crates) are kept. Roots are removed only when nothing is mounted
# inside them.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
need_root
keep_root=$(root_dir)
# Not while a build root is being created.
exec 9>"$SMBFS_CACHE/root/.lock"
flock 9
for d in "$SMBFS_CACHE"/root/*/; do
	d=${d%/}
	[ "$d" = "$keep_root" ] && continue
	[ -d "$d" ] || continue
	log "removing stale build root $d"
	remove_root_dir "$d"
done
# Samba roots (work/samba/<key>) that the current inputs no longer select.
keep_samba=$(samba_dir)
mkdir -p "$SMBFS_CACHE/work/samba"
exec 8>"$SMBFS_CACHE/work/samba/.lock"
flock 8
for d in "$SMBFS_CACHE"/work/samba/*/; do
	d=${d%/}
	[ "$d" = "$keep_samba" ] && continue
	[ -d "$d" ] || continue
	log "removing stale Samba root $d"
	remove_root_dir "$d"
done
exec 8>&-
keep=()
for f in debug release; do
	p=$("$TESTING_DIR/kernel.sh" "$f" --path 2>/dev/null) && keep+=("$(basename "$p")")
done
if [ -e "$keep_root/.smbfs-complete" ]; then
	src="src-$(awk '$1 == "linux-source-7.3" { print $2 }' "$keep_root/etc/smbfs/versions.txt" | tr -c 'A-Za-z0-9.+\n' '_')"
	keep+=("$src")
fi
for d in "$SMBFS_CACHE"/work/kernel/*/; do
	d=${d%/}
	[ -d "$d" ] || continue
	case " ${keep[*]} " in *" $(basename "$d") "*) continue ;; esac
	# A build still in progress holds its lock.
	if ! flock -n "$d.lock" true 2>/dev/null; then
		log "keeping $d: a build is running"
		continue
	fi
	log "removing stale kernel build $d"
	rm -rf --one-file-system -- "$d" "$d.lock"
done
du -sh "$SMBFS_CACHE" 2>/dev/null || true
