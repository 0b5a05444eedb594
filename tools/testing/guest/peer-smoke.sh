#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The peer: cifs.ko mounts the in-guest ksmbd share with SMB 3.1.1, writes a
# few MiB, reads them back after dropping the page cache, compares checksums
# (client view and server view), and unmounts.
set -u
size_mib=${1:-8}
mnt=/mnt/cifs

t_check "ksmbd starts and listens on 127.0.0.1:445" start_ksmbd || exit 1
t_check "cifs.ko loads" modprobe cifs || exit 1
mkdir -p "$mnt"
t_check "mount -t cifs //127.0.0.1/$SMB_SHARE vers=3.1.1" \
	mount -t cifs "//127.0.0.1/$SMB_SHARE" "$mnt" \
	-o "username=$SMB_USER,password=$SMB_PASS,vers=3.1.1" || exit 1
grep " $mnt " /proc/mounts

head -c "${size_mib}M" /dev/urandom >/tmp/src
want=$(sha256sum </tmp/src | cut -d' ' -f1)
t_check "write ${size_mib} MiB through cifs.ko" dd if=/tmp/src of="$mnt/smoke.bin" bs=1M conv=fsync status=none
echo 3 >/proc/sys/vm/drop_caches
got=$(sha256sum <"$mnt/smoke.bin" | cut -d' ' -f1)
t_check "read back through cifs.ko: sha256 matches ($want)" test "$got" = "$want"
srv=$(sha256sum <"$SMB_SHARE_DIR/smoke.bin" | cut -d' ' -f1)
t_check "server-side file matches" test "$srv" = "$want"
t_check "umount" umount "$mnt"
t_check "rmmod cifs" rmmod cifs
stop_ksmbd
kmemleak_scan
t_done
