#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Remove cache entries that the current inputs no longer select: build roots
# and kernel builds whose key differs from today's. Downloads (.debs, crates)
# are kept. Build roots are removed only when nothing is mounted inside them.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
need_root
keep_root=$(root_dir)
for d in "$SMBFS_CACHE"/root/*/; do
	d=${d%/}
	[ "$d" = "$keep_root" ] && continue
	[ -d "$d" ] || continue
	log "removing stale build root $d"
	remove_root_dir "$d"
done
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
	# A kernel build of the current inputs that is still in progress has no
	# stamp yet; leave directories younger than a day alone.
	if [ ! -e "$d/.smbfs-complete" ] && [ -n "$(find "$d" -maxdepth 0 -mmin -1440)" ]; then
		continue
	fi
	log "removing stale kernel build $d"
	rm -rf --one-file-system -- "$d"
done
du -sh "$SMBFS_CACHE" 2>/dev/null || true
