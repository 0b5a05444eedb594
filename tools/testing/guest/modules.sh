#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The smbfs modules in the debug kernel: load in dependency order (their KUnit
# suites run at insmod and the gate reads the KTAP), check the export chain
# and the namespace, check that smbfs is registered and that a mount fails
# with a clear message, unload in reverse order, and run kmemleak.
set -u
d=$SMBFS_MODULE_DIR
mnt=/mnt/smbfs

t_check "ksmbd starts" start_ksmbd
t_check "insmod smbxprt, smbclient, smbfs" load_modules || { t_done; exit; }
t_check "modinfo: smbclient depends on smbxprt" test "$(modinfo -F depends "$d/smbclient.ko")" = smbxprt
t_check "modinfo: smbfs depends on smbclient" test "$(modinfo -F depends "$d/smbfs.ko")" = smbclient
t_check "modinfo: smbxprt depends on nothing of ours" test -z "$(modinfo -F depends "$d/smbxprt.ko" | grep smb)"
t_check "modinfo: smbclient and smbfs import the SMB namespace" \
	sh -c "modinfo -F import_ns '$d/smbclient.ko' | grep -qx SMB && modinfo -F import_ns '$d/smbfs.ko' | grep -qx SMB"
t_check "smbxprt exports smb_md4 in the SMB namespace" grep -q 'smb_md4.*smbxprt' /proc/kallsyms
t_check "smbfs is in /proc/filesystems" grep -qw smbfs /proc/filesystems

mkdir -p "$mnt"
out=$(mount -t smbfs "//127.0.0.1/$SMB_SHARE" "$mnt" -o "username=$SMB_USER,password=$SMB_PASS" 2>&1)
rc=$?
echo "mount -t smbfs: exit $rc: $out"
t_check "mount -t smbfs fails (not implemented yet)" test "$rc" != 0
t_check "mount(8) shows why: 'not implemented yet'" sh -c "printf '%s' \"\$1\" | grep -q 'not implemented yet'" - "$out"
t_check "nothing got mounted" sh -c "! grep -q ' $mnt ' /proc/mounts"

t_check "rmmod smbxprt is refused while smbclient uses it" sh -c '! rmmod smbxprt 2>/dev/null'
t_check "rmmod smbfs" rmmod smbfs
t_check "rmmod smbclient" rmmod smbclient
t_check "rmmod smbxprt" rmmod smbxprt
t_check "no smbfs module left" sh -c "! grep -qE '^smb(xprt|client|fs) ' /proc/modules"
stop_ksmbd
kmemleak_scan
t_done
