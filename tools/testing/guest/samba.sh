#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smbclient against Samba, a second and independent server (smbd from the
# Samba root, tools/testing/sambaroot.sh, on port $SAMBA_PORT): the tests of
# clnt-tests.sh that modules.sh runs against ksmbd (sessions on each
# dialect, signing, writes, file operations, locks, oplock breaks watched
# and not, compounds of three and five operations, asynchronous reads,
# asynchronous I/O and cancel, a 10,000-entry directory in batches,
# sealing, VALIDATE_NEGOTIATE_INFO, the sample consumer, a restart under a
# hard transport, "server signing = mandatory"), plus Samba's own "smb
# encrypt = required" share. KUnit is off in this boot (the modules'
# suites run in vm-modules).
set -u
d=$SMBFS_MODULE_DIR

t_check "smbd starts (Samba $(samba_in smbd --version 2>/dev/null | awk '{ print $2 }'), port $SAMBA_PORT)" start_samba || {
	t_done
	exit
}
t_check "insmod smbxprt, smbclient, smbfs" load_modules || { t_done; exit; }
. "$SMBFS_REPO/tools/testing/guest/clnt-tests.sh"
. "$SMBFS_REPO/tools/testing/guest/clnt-faults.sh"
clnt_server samba
t_check "load smbclient_test" insmod "$d/smbclient_test.ko"
clnt_sessions
clnt_signing
clnt_writes
clnt_ops
clnt_aio
clnt_faultinj
clnt_dir
clnt_req
# Samba logs each error status it answers (log level 3): the ones behind
# the errnos above.
t_check "... Samba answered those with LOCK_NOT_GRANTED (EAGAIN), RANGE_NOT_LOCKED (ENOLCK), OBJECT_NAME_COLLISION (EEXIST) and INFO_LENGTH_MISMATCH (EINVAL), says its log" \
	samba_logged 'status\[NT_STATUS_LOCK_NOT_GRANTED\]' 'status\[NT_STATUS_RANGE_NOT_LOCKED\]' \
	'status\[NT_STATUS_OBJECT_NAME_COLLISION\]' 'status\[NT_STATUS_INFO_LENGTH_MISMATCH\]'

proxy_start
clnt_sealing
# Samba's share with "smb encrypt = required": the TREE_CONNECT reply says
# so (SMB2_SHAREFLAG_ENCRYPT_DATA), and the handle seals without being
# asked.
proxy pass
clnt_sealed_share "\\\\127.0.0.1\\$SAMBA_SEALED_SHARE" "$SAMBA_SEALED_DIR"
# On SMB 2.1, which cannot seal, Samba itself refuses the tree connect
# (ksmbd's share flag comes from the proxy; there the client refuses).
err=$(clnt create "$ADDR \\\\127.0.0.1\\$SAMBA_SEALED_SHARE $SMB_USER $SMB_PASS 210 210")
t_check "... on SMB 2.1, which cannot seal, Samba refuses the tree connect (ACCESS_DENIED, EACCES: ${err:-accepted})" \
	sh -c "echo '$err' | grep -q 'Permission denied'"
t_check "... and its log says why" samba_logged 'reject tcon with dialect\[0x0210\] as encryption is required for service sealed'
clnt release all
clnt_validate_negotiate
# The 64-block signal storm runs against ksmbd (vm-modules); Samba's GMAC
# signing under the same storm gets 16 blocks, to keep the stage within
# the check's budget (its signing under TCG makes it the slowest test).
STORM_BLOCKS=16 clnt_faults
clnt_park
proxy_stop

clnt_sample
clnt_restart
clnt_signing_required
t_check "rmmod smbclient_test" rmmod smbclient_test
# MS-SMB2 3.3.5.7: Samba disconnects a 3.1.1 session whose TREE_CONNECT is
# neither signed nor sealed ("reject request to share [share] as ...
# without encryption or signing. Disconnecting."); smbclient signs it.
t_check "Samba never refused a TREE_CONNECT for want of signing or encryption" \
	samba_not_logged 'without encryption or signing'

# mount -t smbfs against Samba (smbfs-tests.sh; modules.sh runs the same
# against ksmbd).
. "$SMBFS_REPO/tools/testing/guest/smbfs-tests.sh"
smbfs_namespace
smbfs_roundtrips

t_check "rmmod smbfs" rmmod smbfs
t_check "rmmod smbclient" rmmod smbclient
t_check "rmmod smbxprt" rmmod smbxprt
t_check "smbd stops" stop_samba
if [ -n "${T_FAILED:-}" ]; then
	samba_log_tail 40
fi
kmemleak_scan
t_done
