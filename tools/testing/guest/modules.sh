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

# smbclient through smbclient_test.ko (a C consumer of <smb/clnt.h>) against
# ksmbd: the tests in clnt-tests.sh (samba.sh runs them against Samba).
. "$SMBFS_REPO/tools/testing/guest/clnt-tests.sh"
. "$SMBFS_REPO/tools/testing/guest/clnt-faults.sh"
clnt_server ksmbd
t_check "load smbclient_test" insmod "$d/smbclient_test.ko"
clnt_sessions
clnt_signing
clnt_writes
clnt_ops
clnt_aio
clnt_faultinj
clnt_dir
clnt_req
clnt_restart
clnt_park
clnt_signing_required
t_check "ksmbd restarted with the default configuration" srv_config default

proxy_start
clnt_sealing
# The share requires it (SMB2_SHAREFLAG_ENCRYPT_DATA, set by the proxy).
proxy encrypt-share
clnt_sealed_share "$UNC" "$SMB_SHARE_DIR"
proxy encrypt-share
err=$(clnt create "127.0.0.1 $PPORT $UNC $SMB_USER $SMB_PASS 210 210")
t_check "... on SMB 2.1, which cannot seal, the tree connect is refused with EOPNOTSUPP (${err:-accepted})" \
	sh -c "echo '$err' | grep -q 'not supported'"
clnt_validate_negotiate
clnt_faults
# ksmbd with "smb3 encryption = mandatory": sessions seal without being asked.
t_check "ksmbd restarted with smb3 encryption = mandatory" srv_config encryption
for dl in 300 311; do
	sealed_session "server encryption mandatory" $dl 0
done
# The setting is for SMB 3: ksmbd still lets 2.1 in, unencrypted, and the
# handle must say so.
if clnt create "127.0.0.1 445 $UNC $SMB_USER $SMB_PASS 210 210" >/dev/null; then
	t_check "SMB 2.1 with encryption mandatory: ksmbd lets it in unencrypted, and the handle says so (encrypted $(info_field 0 encrypted))" \
		test "$(info_field 0 dialect)" = 0x210 -a "$(info_field 0 encrypted)" = 0
	clnt release all
else
	t_fail "SMB 2.1 with encryption mandatory: $(cat /tmp/clnt.err)"
fi
t_check "ksmbd restarted with the default configuration" srv_config default
proxy_stop
t_check "rmmod smbclient_test" rmmod smbclient_test

# The Rust wrapper of <smb/clnt.h> (rust/smb/clnt.rs): the KUnit suite of
# smbclient_rust_test.ko runs at insmod, against this ksmbd; the gate reads
# its KTAP (suite smbclient_rust).
t_check "insmod smbclient_rust_test (its KUnit suite runs)" insmod "$d/smbclient_rust_test.ko"
t_check "rmmod smbclient_rust_test" rmmod smbclient_rust_test

# The sample consumer (samples/smbclient/smb_sample.c) reads a file.
clnt_sample

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
